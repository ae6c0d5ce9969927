import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AWS_CALL_BUDGET, createDocumentClient } from '../../lib/aws-clients';
import { ANSWER_MARGIN_MS, createCallStatusHandler } from '../../lib/call-status-service';
import type { CallStore } from '../../lib/call-store';
import { FaultProxy } from '../support/fault-proxy';
import { runInFlight } from '../support/in-flight';
import { packagedTemplate } from '../support/packaged-template';
import { throttleAttempts } from '../support/throttling';
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

// Promise 3: a 2xx means stored, even while DynamoDB throttles or goes away. Every answer is 2xx with the item
// stored, or 503; a 503 may have stored (the write landed but its answer was lost), which a redelivery answers
// 2xx. After the engine is back, redelivering every 503 stores it.

const PROMISE = 'failing database';
const scale = reliabilityScale();
const store = testStore();
const SIGNED_AT = Date.UTC(2026, 2, 4, 12) / 1000;
const now = () => SIGNED_AT * 1000 + 1000;

interface Outcome {
  acknowledgedMissing: number;
  unavailable: number;
  unavailableButStored: number;
  otherStatuses: number;
  redeliveredNotStored: number;
}

/** Delivers fresh bodies through `handle`, checks every answer against the table, then redelivers the 503s. */
async function deliverAndCheck(
  handle: ReturnType<typeof createCallStatusHandler>,
  onProgress: (index: number) => Promise<void> = async () => undefined,
): Promise<Outcome> {
  const bodies = Array.from({ length: scale.faultDeliveries }, () =>
    withFreshIds(bodyFixture('completed-inbound')),
  );
  const statuses = await runInFlight(
    bodies.map((body, index) => async () => {
      await onProgress(index);
      return (await handle(signedEvent(body, { signedAt: SIGNED_AT }), lambdaContext)).statusCode;
    }),
    scale.inFlight,
  );
  const outcome: Outcome = {
    acknowledgedMissing: 0,
    unavailable: 0,
    unavailableButStored: 0,
    otherStatuses: 0,
    redeliveredNotStored: 0,
  };
  const failed: Buffer[] = [];
  for (const [index, body] of bodies.entries()) {
    const stored = (await readCall(store, callIdOf(body)))?.rawBody === body.toString('utf8');
    if (statuses[index] === 204 && !stored) outcome.acknowledgedMissing += 1;
    if (statuses[index] === 503) {
      outcome.unavailable += 1;
      if (stored) outcome.unavailableButStored += 1;
      failed.push(body);
    }
    if (statuses[index] !== 204 && statuses[index] !== 503) outcome.otherStatuses += 1;
  }
  // Redelivery once the engine is healthy: through a handler on the engine itself.
  const healthy = createCallStatusHandler({ env: testEnv(), now });
  for (const body of failed) {
    const status = (await healthy(signedEvent(body, { signedAt: SIGNED_AT }), lambdaContext)).statusCode;
    const stored = (await readCall(store, callIdOf(body)))?.rawBody === body.toString('utf8');
    if (status !== 204 || !stored) outcome.redeliveredNotStored += 1;
  }
  return outcome;
}

function callIdOf(body: Buffer): string {
  return JSON.parse(body.toString('utf8')).callId as string;
}

function report(scenario: string, outcome: Outcome): void {
  const figure = (name: string, value: number, bound?: string, holds?: boolean) =>
    recordFigure({ promise: PROMISE, name: `${scenario}: ${name}`, value, bound, holds });
  figure('deliveries', scale.faultDeliveries);
  figure('answers other than 204/503', outcome.otherStatuses, '0', outcome.otherStatuses === 0);
  figure('acknowledged but missing', outcome.acknowledgedMissing, '0', outcome.acknowledgedMissing === 0);
  figure('503 answers', outcome.unavailable);
  figure('503 that had stored (redelivery: duplicate)', outcome.unavailableButStored);
  figure(
    '503 not stored after redelivery',
    outcome.redeliveredNotStored,
    '0',
    outcome.redeliveredNotStored === 0,
  );
}

function expectHeld(outcome: Outcome): void {
  expect({
    acknowledgedMissing: outcome.acknowledgedMissing,
    otherStatuses: outcome.otherStatuses,
    redeliveredNotStored: outcome.redeliveredNotStored,
  }).toEqual({ acknowledgedMissing: 0, otherStatuses: 0, redeliveredNotStored: 0 });
}

test('throttling: half of all DynamoDB attempts throttled, some calls beyond the retries', async () => {
  // Prepare
  const doc = createDocumentClient();
  const throttling = throttleAttempts(doc, 0.5);
  const throttledStore: CallStore = { ...store, doc };
  const handle = createCallStatusHandler({ env: testEnv(), now, store: throttledStore });

  // Act
  const outcome = await deliverAndCheck(handle);

  // Assess
  expectHeld(outcome);
  expect(throttling.throttled()).toBeGreaterThan(0);
  expect(outcome.unavailable).toBeGreaterThan(0);
  report('throttling 50 %', outcome);
  recordFigure({
    promise: PROMISE,
    name: 'throttling 50 %: attempts throttled',
    value: throttling.throttled(),
  });
}, 300_000);

test('network faults: answers cut after the write, then the engine stopped, then back', async () => {
  // Prepare
  const engine = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
  const proxy = new FaultProxy({ host: engine.hostname, port: Number(engine.port) });
  await proxy.start();
  const faultyStore: CallStore = { ...store, doc: createDocumentClient({ endpoint: proxy.endpoint }) };
  const handle = createCallStatusHandler({ env: testEnv(), now, store: faultyStore });
  const quarter = Math.floor(scale.faultDeliveries / 4);

  // Act
  const outcome = await deliverAndCheck(handle, async (index) => {
    if (index === quarter) proxy.mode = 'cut';
    if (index === 2 * quarter) await proxy.stop();
    if (index === 3 * quarter) {
      proxy.mode = 'pass';
      await proxy.start();
    }
  });
  await proxy.stop();

  // Assess
  expectHeld(outcome);
  expect(outcome.unavailable).toBeGreaterThan(0);
  report('cut, stop, restart', outcome);
}, 300_000);

test('the retry budget fits the function timeout less the answer margin, and API Gateway’s 30 s', async () => {
  // Prepare
  const template = await packagedTemplate();
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
  const timeoutMs = Number(fn?.Properties.Timeout) * 1000;
  const { maxAttempts, connectionTimeoutMs, requestTimeoutMs, maxBackoffMs } = AWS_CALL_BUDGET;
  // The back-off figure is the SDK's, not ours: measure it on always-throttled calls.
  const doc = createDocumentClient();
  throttleAttempts(doc, 1);
  const delays: number[] = [];
  await runInFlight(
    Array.from({ length: 20 }, () => async () => {
      try {
        await doc.send(new GetCommand({ TableName: store.callsTable, Key: { callId: 'CA0' } }));
      } catch (error) {
        delays.push((error as { $metadata?: { totalRetryDelay?: number } }).$metadata?.totalRetryDelay ?? -1);
      }
    }),
    20,
  );

  // Act
  const worstCaseMs = maxAttempts * (connectionTimeoutMs + requestTimeoutMs) + maxBackoffMs;

  // Assess
  expect(delays).toHaveLength(20);
  expect(Math.max(...delays)).toBeLessThanOrEqual(maxBackoffMs);
  expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
  expect(worstCaseMs).toBeLessThanOrEqual(timeoutMs - ANSWER_MARGIN_MS);
  expect(timeoutMs).toBeLessThan(30_000);
  recordFigure({
    promise: PROMISE,
    name: 'worst-case DynamoDB call (attempts × timeouts + back-off), ms',
    value: worstCaseMs,
    bound: `≤ ${timeoutMs - ANSWER_MARGIN_MS} (timeout ${timeoutMs} − margin ${ANSWER_MARGIN_MS}) < 30000`,
    holds: worstCaseMs <= timeoutMs - ANSWER_MARGIN_MS && timeoutMs < 30_000,
  });
  recordFigure({
    promise: PROMISE,
    name: 'longest measured SDK back-off on throttling, ms',
    value: Math.max(...delays),
    bound: `≤ ${maxBackoffMs}`,
    holds: Math.max(...delays) <= maxBackoffMs,
  });
}, 120_000);
