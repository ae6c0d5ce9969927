import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of the service's metrics (the alarm in serverless.yml reads the same names). */
export const METRICS_NAMESPACE = 'FreeClimbCallRecords';

/** The metric each outcome counts in; several refusals share one name so one alarm covers them. */
export const OUTCOME_METRICS: Record<string, string> = {
  stored: 'CallRecordStored',
  duplicate: 'DuplicateDelivery',
  conflict: 'ConflictingDuplicate',
  invalid: 'DeliveryRejected',
  malformed: 'DeliveryRejected',
  'unsupported-media-type': 'DeliveryRejected',
  unauthorized: 'Unauthorized',
  'too-large': 'BodyTooLarge',
  'store-failed': 'StoreFailure',
  unverified: 'UnverifiedNotStored',
  'internal-error': 'StoreFailure',
};

/**
 * Metrics in CloudWatch's embedded format: written to the log, so they cost no API call and no latency.
 * The `service` dimension comes from `POWERTOOLS_SERVICE_NAME`, which carries the stage.
 */
export function createMetrics(): Metrics {
  return new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE });
}

/** Counts one delivery's outcome and flushes at once, so every invocation's line stands alone. */
export function countOutcome(metrics: Metrics, outcome: string): void {
  metrics.addMetric(OUTCOME_METRICS[outcome] ?? 'StoreFailure', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
