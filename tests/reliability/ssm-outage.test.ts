import { createCallStatusHandler } from '../../lib/call-status-service';
import { CACHE_MS, REFRESH_AFTER_MISMATCH_MS } from '../../lib/signing-secrets';
import { failedReadsWithin, ssmStandIn, ssmThrottling } from '../support/ssm-stand-in';
import {
  bodyFixture,
  lambdaContext,
  readCall,
  signedEvent,
  TEST_SECRET,
  testEnv,
  testStore,
  withFreshIds,
} from '../support/webhook';
import { recordFigure } from './figures';
import { reliabilityScale } from './scale';

// Promise 6: an SSM outage after a good read costs no authentic delivery its 2xx. One container (requests
// one at a time, as Lambda gives them) reads its secret once; from then on every GetParameter is throttled.
// Authentic deliveries and forgeries alternate over twelve minutes: across the 30 s mismatch-refresh window
// (which forgeries trigger) and two 5-minute expiries. Every authentic one must be 204 and stored, every
// forged one 401, and the reads bounded by the back-off, not by the traffic.

const PROMISE = 'SSM outage';
const scale = reliabilityScale();
const store = testStore();
const START_MS = Date.UTC(2026, 2, 7, 12);
const SPAN_MS = 12 * 60 * 1000;

type Forgery = (body: Buffer, signedAt: number) => ReturnType<typeof signedEvent>;
const FORGERIES: Forgery[] = [
  (body, signedAt) => signedEvent(body, { signedAt, secrets: ['sigsec_forged'] }),
  (body, signedAt) => ({
    ...signedEvent(body, { signedAt }),
    body: body.toString('utf8').replace('"callDuration":47', '"callDuration":4700'),
  }),
  (body, signedAt) => signedEvent(body, { signedAt, headers: { 'freeclimb-signature': undefined } }),
  (body, signedAt) => signedEvent(body, { signedAt: signedAt - 301 }),
];

test(`${scale.faultDeliveries} deliveries over 12 minutes of throttled SSM after one good read: authentic 204, forged 401`, async () => {
  // Prepare
  const { client, inputs } = ssmStandIn([TEST_SECRET, ssmThrottling()]);
  let nowMs = START_MS;
  const handle = createCallStatusHandler({
    env: testEnv({ FREECLIMB_SIGNING_SECRET: undefined, FREECLIMB_SIGNING_SECRET_PARAMETER: '/s' }),
    now: () => nowMs,
    ssm: client,
  });
  const count = scale.faultDeliveries;
  const stepMs = Math.floor(SPAN_MS / count);

  // Act
  const outcomes: Array<{ forged: boolean; status: number; body: Buffer }> = [];
  for (let index = 0; index < count; index += 1) {
    nowMs = START_MS + index * stepMs;
    const signedAt = Math.floor(nowMs / 1000);
    const body = withFreshIds(bodyFixture('completed-inbound'));
    // Authentic first, then forged and authentic in turn.
    const forged = index % 2 === 1;
    const forgery = FORGERIES[Math.floor(index / 2) % FORGERIES.length] as Forgery;
    const event = forged ? forgery(body, signedAt) : signedEvent(body, { signedAt });
    outcomes.push({ forged, status: (await handle(event, lambdaContext)).statusCode ?? 0, body });
  }

  // Assess
  let authenticNotStored = 0;
  let forgedNot401 = 0;
  let forgedStored = 0;
  for (const { forged, status, body } of outcomes) {
    const item = await readCall(store, JSON.parse(body.toString('utf8')).callId);
    if (forged) {
      if (status !== 401) forgedNot401 += 1;
      if (item !== undefined) forgedStored += 1;
    } else if (status !== 204 || item?.rawBody !== body.toString('utf8')) {
      authenticNotStored += 1;
    }
  }
  const readBound = 1 + failedReadsWithin(SPAN_MS);
  const expiries = Math.floor(((count - 1) * stepMs) / CACHE_MS);
  expect({ authenticNotStored, forgedNot401, forgedStored }).toEqual({
    authenticNotStored: 0,
    forgedNot401: 0,
    forgedStored: 0,
  });
  expect(stepMs).toBeLessThan(REFRESH_AFTER_MISMATCH_MS);
  expect(expiries).toBe(2);
  expect(inputs.length).toBeGreaterThan(1);
  expect(inputs.length).toBeLessThanOrEqual(readBound);

  const figure = (name: string, value: number | string, bound?: string, holds?: boolean) =>
    recordFigure({ promise: PROMISE, name, value, bound, holds });
  figure(
    'deliveries (authentic / forged), one every',
    `${count - Math.floor(count / 2)} / ${Math.floor(count / 2)}, ${stepMs / 1000} s`,
  );
  figure('authentic not answered 204 and stored', authenticNotStored, '0', authenticNotStored === 0);
  figure('forged not answered 401', forgedNot401, '0', forgedNot401 === 0);
  figure('forged stored', forgedStored, '0', forgedStored === 0);
  figure(
    'SSM reads in 12 min (1 good, the rest throttled)',
    inputs.length,
    `≤ ${readBound} (back-off)`,
    inputs.length <= readBound,
  );
}, 300_000);
