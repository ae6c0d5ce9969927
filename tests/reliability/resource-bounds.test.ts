import { createCallStatusHandler } from '../../lib/call-status-service';
import { PayloadTooLargeError } from '../../lib/errors';
import { receiveCallStatus } from '../../lib/receive-call-status';
import { runInFlight } from '../support/in-flight';
import { lambdaContext, signedEvent, testEnv, testStore } from '../support/webhook';
import { recordFigure, watchPeakRss } from './figures';
import { reliabilityScale } from './scale';

// Promise 6: a body over the limit is refused before anything reads it, and memory stays bounded.

const PROMISE = 'resource bounds';
const scale = reliabilityScale();
const MIB = 2 ** 20;
const SIGNED_AT = Date.UTC(2026, 2, 6, 12) / 1000;

test('a 1 MiB body is refused 413 before the signature is checked, so before it is parsed', async () => {
  // Prepare: checks run size → signature → content type → JSON; a secret store that counts its reads shows
  // whether the second step was reached.
  let secretReads = 0;
  const deps = {
    store: testStore(),
    secrets: async () => {
      secretReads += 1;
      return ['sigsec_unused'];
    },
    toleranceSeconds: 300,
    retentionDays: 0,
    maxBodyBytes: 65_536,
  };
  const bodies = ['{"a":'.repeat(MIB / 5), `{"x":"${'y'.repeat(MIB)}"}`];

  // Act
  const outcomes = await Promise.all(
    bodies.map((body) =>
      receiveCallStatus(
        { headers: {}, body, isBase64Encoded: false, receivedAtMs: SIGNED_AT * 1000 },
        deps,
      ).then(
        () => 'accepted',
        (error: unknown) => error,
      ),
    ),
  );

  // Assess
  for (const outcome of outcomes) expect(outcome).toBeInstanceOf(PayloadTooLargeError);
  expect(secretReads).toBe(0);
});

test(`${scale.oversizedBodies} signed 1 MiB bodies, ${scale.inFlight} in flight: all 413, memory bounded`, async () => {
  // Prepare
  const handle = createCallStatusHandler({ env: testEnv(), now: () => SIGNED_AT * 1000 });
  const body = Buffer.from(`{"x":"${'y'.repeat(MIB)}"}`);
  const event = signedEvent(body, { signedAt: SIGNED_AT });
  const before = process.memoryUsage.rss();
  const rss = watchPeakRss(5);

  // Act
  const statuses = await runInFlight(
    Array.from(
      { length: scale.oversizedBodies },
      () => async () => (await handle(event, lambdaContext)).statusCode,
    ),
    scale.inFlight,
  );
  const peak = rss.stop();

  // Assess
  const growthMiB = Math.round((peak - before) / MIB);
  expect(statuses.every((status) => status === 413)).toBe(true);
  // Refusing must not copy the body per request: 32 copies of 1 MiB would already be 32 MiB.
  expect(growthMiB).toBeLessThan(32);
  recordFigure({
    promise: PROMISE,
    name: '1 MiB bodies answered 413',
    value: statuses.filter((s) => s === 413).length,
    bound: `${scale.oversizedBodies}`,
    holds: statuses.every((s) => s === 413),
  });
  recordFigure({
    promise: PROMISE,
    name: 'RSS growth while refusing them (MiB)',
    value: growthMiB,
    bound: '< 32',
    holds: growthMiB < 32,
  });
  recordFigure({ promise: PROMISE, name: 'peak RSS of that worker (MiB)', value: Math.round(peak / MIB) });
});
