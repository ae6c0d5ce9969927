/**
 * The benchmark found something wrong rather than slow (a webhook not answered 204, an unexpected number of
 * DynamoDB requests): the run exits non-zero. Slowness never does.
 */
export class BrokenBenchmarkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrokenBenchmarkError';
  }
}
