import { Metrics } from '@aws-lambda-powertools/metrics';
import { countOutcome } from '../../lib/delivery-metrics';
import { withCapturedLogs } from '../support/captured-logs';

/** A Metrics instance that writes its embedded-metric line even though tests switch metrics off. */
function writingMetrics(): Metrics {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    return new Metrics({ namespace: 'FreeClimbCallRecords', serviceName: 'freeclimb-call-records-test' });
  } finally {
    process.env.POWERTOOLS_METRICS_DISABLED = previous;
  }
}

describe('countOutcome', () => {
  test.each([
    ['stored', 'CallRecordStored'],
    ['duplicate', 'DuplicateDelivery'],
    ['conflict', 'ConflictingDuplicate'],
    ['invalid', 'DeliveryRejected'],
    ['malformed', 'DeliveryRejected'],
    ['unsupported-media-type', 'DeliveryRejected'],
    ['unauthorized', 'Unauthorized'],
    ['too-large', 'BodyTooLarge'],
    ['store-failed', 'StoreFailure'],
    ['unverified', 'UnverifiedNotStored'],
    ['internal-error', 'StoreFailure'],
    ['an outcome nobody named', 'StoreFailure'],
  ])('counts %s as one %s, in a line of its own', async (outcome, metricName) => {
    // Prepare
    const metrics = writingMetrics();

    // Act
    const { logs } = await withCapturedLogs(async () => countOutcome(metrics, outcome));

    // Assess
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ [metricName]: 1 });
    expect(JSON.stringify(logs[0]?._aws)).toContain(`"Name":"${metricName}","Unit":"Count"`);
  });
});
