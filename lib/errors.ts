/**
 * The errors a webhook delivery can end in. Each names its HTTP status once; `lib/http-response.ts` is the
 * only place that turns them into responses, and only 4xx messages ever reach the caller.
 */
export abstract class WebhookError extends Error {
  abstract readonly statusCode: number;
  /** A short name for logs and metrics. */
  abstract readonly outcome: string;
  /** Set when the delivery was authentic and has been kept in the rejected table. */
  rejectionId?: string;
  /** True when that rejected item was already there (the same delivery kept before), and was left as it was. */
  keptBefore?: boolean;
  /** The body's call id, when it had a well-formed one. */
  callId?: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The message of anything thrown, for a log line or a reason: an Error's message, anything else as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'future' | 'mismatch';

/** The request is not provably from FreeClimb: 401, nothing stored. */
export class SignatureError extends WebhookError {
  readonly statusCode = 401;
  readonly outcome = 'unauthorized';

  constructor(
    readonly reason: SignatureFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The body is larger than the configured limit: 413, refused before it is read. */
export class PayloadTooLargeError extends WebhookError {
  readonly statusCode = 413;
  readonly outcome = 'too-large';
}

/** The content type is not JSON: 415. */
export class UnsupportedMediaTypeError extends WebhookError {
  readonly statusCode = 415;
  readonly outcome = 'unsupported-media-type';
}

/** Empty, not UTF-8 or not JSON: 400. */
export class MalformedBodyError extends WebhookError {
  readonly statusCode = 400;
  readonly outcome = 'malformed';
}

/** One problem with the body, by field path; never carries the offending value. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** JSON, but not a valid callStatus body: 422 with the issues. */
export class InvalidPayloadError extends WebhookError {
  readonly statusCode = 422;
  readonly outcome = 'invalid';

  constructor(readonly issues: ValidationIssue[]) {
    super('The body is not a valid FreeClimb callStatus webhook');
  }
}

/** An authentic delivery could not be kept: DynamoDB still failed after the SDK's retries. 503. */
export class StoreUnavailableError extends WebhookError {
  readonly statusCode = 503;
  readonly outcome = 'store-failed';
}

/**
 * The request could not be verified (the configuration is invalid, or no signing secret could be read), so
 * nothing about it is known to be FreeClimb's: 503, nothing stored, and counted apart from store failures so
 * that a stranger's requests never look like lost deliveries.
 */
export class UnverifiedRequestError extends WebhookError {
  readonly statusCode = 503;
  readonly outcome = 'unverified';
}

/** The function's configuration is missing or invalid; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
