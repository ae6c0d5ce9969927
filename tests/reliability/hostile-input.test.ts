import fc from 'fast-check';
import { checkCallStatusBody } from '../../lib/call-status-body';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { getRejectedDelivery } from '../../lib/call-store';
import { lambdaContext, readCall, testEnv, testStore } from '../support/webhook';
import { recordFigure, watchPeakRss } from './figures';
import { hostileRequest, materialise } from './hostile-requests';
import { rejectionIdAt } from './rejection-id';
import { reliabilityScale } from './scale';

// Promise 1: anyone may send anything. Every generated request gets a 4xx from the outcome table (or 204 when
// the mutation happened to leave a valid, signed body), never a 5xx, never an unhandled rejection; a call item
// exists only after a 2xx, and a rejected-table item only for a validly signed request.

const PROMISE = 'hostile input';
const scale = reliabilityScale();
const store = testStore();
const MAX_BODY_BYTES = 65_536;
const REFUSALS = new Set([400, 401, 413, 415, 422]);
/** This file's own day, so its rejected-table items stand apart from other files'. */
const SIGNED_AT = Date.UTC(2026, 2, 2, 12) / 1000;
let tick = 0;
/** 1 ms later for every request: each delivery gets its own rejection id, all well inside the tolerance. */
const now = () => SIGNED_AT * 1000 + 1000 + tick++;
const handle = createCallStatusHandler({ env: testEnv({ MAX_BODY_BYTES: String(MAX_BODY_BYTES) }), now });

// Jest 30 fails the running test on any unhandled rejection (its own handler replaces the process's
// listeners), so a rejection escaping the handler anywhere in the property run fails this test.

test(`${scale.hostileRequests} hostile requests: 4xx or an accounted 204, never 5xx, nothing stored unless earned`, async () => {
  // Prepare
  const statuses = new Map<number, number>();
  const counts = {
    requests: 0,
    authentic: 0,
    stillValid: 0,
    callItemsWithout2xx: 0,
    rejectedItems: 0,
    unsignedKept: 0,
    handlerThrew: 0,
  };
  const rss = watchPeakRss();

  // Act
  const property = fc.asyncProperty(hostileRequest, async (plan) => {
    const request = materialise(plan, SIGNED_AT);
    const receivedAtMs = SIGNED_AT * 1000 + 1000 + tick;
    // The handler must answer, never throw: a throw would become API Gateway's bare 500.
    const response = await handle(request.event, lambdaContext).catch((error: unknown) => {
      counts.handlerThrew += 1;
      throw error;
    });
    const status = response.statusCode ?? 0;
    counts.requests += 1;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (request.authentic) counts.authentic += 1;

    // Assess (per request)
    const tooLarge = request.seenBytes.length > MAX_BODY_BYTES;
    if (status === 204) {
      counts.stillValid += 1;
      expect(request.authentic).toBe(true);
      expect(checkCallStatusBody(request.seenBytes).ok).toBe(true);
      const callId = JSON.parse(request.seenBytes.toString('utf8')).callId as string;
      expect((await readCall(store, callId))?.rawBody).toBe(request.seenBytes.toString('utf8'));
    } else {
      expect(REFUSALS.has(status)).toBe(true);
      for (const callId of new Set(request.seenBytes.toString('utf8').match(/CA[0-9a-fA-F]{40}/g) ?? [])) {
        if ((await readCall(store, callId)) !== undefined) counts.callItemsWithout2xx += 1;
      }
      expect(counts.callItemsWithout2xx).toBe(0);
    }
    if (tooLarge) expect(status).toBe(413);
    if (!request.authentic) expect([401, 413]).toContain(status);
    if (request.authentic && !tooLarge) expect(status).not.toBe(401);
    const rejected = await getRejectedDelivery(store, rejectionIdAt(receivedAtMs, request.seenBytes));
    if (rejected !== undefined) counts.rejectedItems += 1;
    if (rejected !== undefined && !request.authentic) counts.unsignedKept += 1;
    expect(rejected !== undefined).toBe(request.authentic && [400, 415, 422].includes(status));
  });
  await fc.assert(property, { numRuns: scale.hostileRequests });
  const peakRss = rss.stop();

  // Assess (whole run)
  const serverErrors = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
  expect(serverErrors).toBe(0);
  recordFigure({
    promise: PROMISE,
    name: 'requests generated',
    value: counts.requests,
    bound: `≥ ${scale.hostileRequests}`,
    holds: counts.requests >= scale.hostileRequests,
  });
  recordFigure({
    promise: PROMISE,
    name: 'answers by status',
    value: [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', '),
  });
  recordFigure({ promise: PROMISE, name: 'validly signed requests', value: counts.authentic });
  recordFigure({
    promise: PROMISE,
    name: '5xx answers',
    value: serverErrors,
    bound: '0',
    holds: serverErrors === 0,
  });
  recordFigure({
    promise: PROMISE,
    name: 'handler calls that threw (jest also fails on any unhandled rejection)',
    value: counts.handlerThrew,
    bound: '0',
    holds: counts.handlerThrew === 0,
  });
  recordFigure({
    promise: PROMISE,
    name: 'call items without a 2xx',
    value: counts.callItemsWithout2xx,
    bound: '0',
    holds: counts.callItemsWithout2xx === 0,
  });
  recordFigure({
    promise: PROMISE,
    name: 'rejected items from unsigned requests',
    value: counts.unsignedKept,
    bound: '0',
    holds: counts.unsignedKept === 0,
  });
  recordFigure({
    promise: PROMISE,
    name: 'rejected items kept (signed 400/415/422)',
    value: counts.rejectedItems,
  });
  recordFigure({
    promise: PROMISE,
    name: 'mutations still valid (204, stored, checked)',
    value: counts.stillValid,
  });
  recordFigure({
    promise: 'resource bounds',
    name: 'peak RSS during hostile input (MiB)',
    value: Math.round(peakRss / 2 ** 20),
  });
}, 600_000);
