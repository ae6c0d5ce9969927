import { createCallStatusHandler } from '../../lib/call-status-service';
import { listRejectedDeliveries } from '../../lib/call-store';
import type { RejectedDelivery } from '../../lib/rejected-delivery';
import { runInFlight, shuffled } from '../support/in-flight';
import {
  bodyFixture,
  lambdaContext,
  readCall,
  signedEvent,
  testEnv,
  testStore,
  withFreshIds,
} from '../support/webhook';
import { recordFigure } from './figures';
import { reliabilityScale } from './scale';

// Promise 2: FreeClimb may deliver twice, in any order, at once. N calls × 3 deliveries, shuffled, 32 in flight,
// every fifth call's third delivery with a changed body: exactly N call items, each one of its call's bodies,
// every delivery that differs from the stored body kept in the rejected table, every answer 2xx.

const PROMISE = 'duplicates and concurrency';
const scale = reliabilityScale();
const store = testStore();
/** This file's own day: the rejected table's partition for it holds only this file's conflicts. */
const DAY_START_MS = Date.UTC(2026, 2, 3, 12);
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2 ** 31);

test(`${scale.duplicateCalls} calls × 3 deliveries, shuffled, ${scale.inFlight} in flight`, async () => {
  // Prepare
  let tick = 0;
  const now = () => DAY_START_MS + tick++;
  const handle = createCallStatusHandler({ env: testEnv(), now });
  const calls = Array.from({ length: scale.duplicateCalls }, (_, index) => {
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const changed = Buffer.from(body.toString('utf8').replace('"callDuration":47', '"callDuration":48'));
    const callId = JSON.parse(body.toString('utf8')).callId as string;
    return { callId, bodies: [body, body, index % 5 === 0 ? changed : body] };
  });
  const deliveries = shuffled(
    calls.flatMap((call) => call.bodies.map((body) => ({ callId: call.callId, body }))),
    SEED,
  );

  // Act
  const statuses = await runInFlight(
    deliveries.map((delivery) => async () => {
      const event = signedEvent(delivery.body, { signedAt: Math.floor(now() / 1000) });
      return (await handle(event, lambdaContext)).statusCode;
    }),
    scale.inFlight,
  );

  // Assess
  const non2xx = statuses.filter((status) => status === undefined || status < 200 || status > 299).length;
  expect(non2xx).toBe(0);
  const conflicts = await conflictsOfTheDay();
  let storedWrong = 0;
  let quarantined = 0;
  let notQuarantined = 0;
  for (const call of calls) {
    const item = await readCall(store, call.callId);
    const sent = call.bodies.map((body) => body.toString('utf8'));
    if (item === undefined || !sent.includes(item.rawBody)) {
      storedWrong += 1;
      continue;
    }
    const differing = sent.filter((body) => body !== item.rawBody).length;
    const kept = conflicts.filter((c) => c.callId === call.callId && c.rawBody !== item.rawBody).length;
    quarantined += kept;
    notQuarantined += Math.max(differing - kept, 0);
  }
  const expectedConflicts = calls.filter((call) => !call.bodies[0]?.equals(call.bodies[2] as Buffer)).length;
  expect({ storedWrong, notQuarantined }).toEqual({ storedWrong: 0, notQuarantined: 0 });
  expect(conflicts.every((c) => c.reason === 'conflict')).toBe(true);
  expect(quarantined).toBeGreaterThanOrEqual(expectedConflicts);
  expect(conflicts).toHaveLength(quarantined);

  const figure = (name: string, value: number | string, bound?: string, holds?: boolean) =>
    recordFigure({ promise: PROMISE, name, value, bound, holds });
  figure('deliveries (calls × 3, shuffled, seed)', `${deliveries.length} (seed ${SEED})`);
  figure('non-2xx answers', non2xx, '0', non2xx === 0);
  figure('calls without exactly their first accepted body', storedWrong, '0', storedWrong === 0);
  figure(
    'conflicting deliveries quarantined',
    quarantined,
    `≥ ${expectedConflicts}, all of them`,
    notQuarantined === 0,
  );
}, 300_000);

async function conflictsOfTheDay(): Promise<RejectedDelivery[]> {
  const day = new Date(DAY_START_MS).toISOString().slice(0, 10);
  const items: RejectedDelivery[] = [];
  let cursor: string | undefined;
  do {
    const page = await listRejectedDeliveries(store, day, { cursor });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return items;
}
