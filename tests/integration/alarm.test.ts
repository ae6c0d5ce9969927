import { OUTCOME_METRICS } from '../../lib/delivery-metrics';
import { packagedTemplate } from '../support/packaged-template';

// The alarm in the packaged template against the metrics the handler writes: every outcome that leaves a
// request outside the calls table without a 401/413 answer must page, and only those.

/** Outcomes that are answered as they should be and need nobody: stored, already stored, forged, too big. */
const QUIET_OUTCOMES = new Set(['stored', 'duplicate', 'unauthorized', 'too-large']);

interface AlarmMetric {
  Id: string;
  Expression?: string;
  MetricStat?: { Metric: { MetricName: string } };
}

test('the deliveries-not-stored alarm sums exactly the metrics of unstored and unverified outcomes', async () => {
  // Prepare
  const template = await packagedTemplate();
  const expected = new Set(
    Object.entries(OUTCOME_METRICS)
      .filter(([outcome]) => !QUIET_OUTCOMES.has(outcome))
      .map(([, metric]) => metric),
  );

  // Act
  const alarm = template.Resources.DeliveriesNotStoredAlarm;
  const metrics = (alarm?.Properties.Metrics ?? []) as AlarmMetric[];
  const expression = metrics.find((metric) => metric.Expression !== undefined)?.Expression ?? '';
  const summed = metrics
    .filter((metric) => metric.MetricStat !== undefined && expression.includes(`FILL(${metric.Id}, 0)`))
    .map((metric) => metric.MetricStat?.Metric.MetricName);

  // Assess
  expect(expected).toContain('UnverifiedNotStored');
  expect(new Set(summed)).toEqual(expected);
}, 120_000);
