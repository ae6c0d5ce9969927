import crypto from 'node:crypto';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { signatureHeader, verifySignature } from '../../lib/signature';
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

// Promise 4: nothing forged is stored. Each attack goes through the real handler; none may be stored.

const PROMISE = 'signature attacks';
const store = testStore();
const SIGNED_AT = Date.UTC(2026, 2, 5, 12) / 1000;
const now = () => SIGNED_AT * 1000;
const handle = createCallStatusHandler({ env: testEnv(), now });
const REVOKED = 'sigsec_revoked_0000000000000000000000000000000000';

type Attack = (body: Buffer) => ReturnType<typeof signedEvent>;
const sign = (secret: string, t: number, bytes: Buffer | string) =>
  signatureHeader([secret], t, Buffer.from(bytes));
const header = (value: string) => ({ headers: { 'freeclimb-signature': value } });

const ATTACKS: Array<[string, Attack]> = [
  ['replay 301 s after signing', (b) => signedEvent(b, { signedAt: SIGNED_AT - 301 })],
  ['a t 301 s in the future', (b) => signedEvent(b, { signedAt: SIGNED_AT + 301 })],
  [
    'a signature for another body',
    (b) => signedEvent(b, header(sign(TEST_SECRET, SIGNED_AT, withFreshIds(b)))),
  ],
  [
    'a signature over re-serialised JSON',
    (b) =>
      signedEvent(b, header(sign(TEST_SECRET, SIGNED_AT, JSON.stringify(JSON.parse(b.toString()), null, 1)))),
  ],
  [
    'a valid signature under a revoked secret',
    (b) => signedEvent(b, { secrets: [REVOKED], signedAt: SIGNED_AT }),
  ],
  [
    '100 v1 values, the valid one among them',
    (b) => {
      const valid = sign(TEST_SECRET, SIGNED_AT, b);
      const others = Array.from({ length: 99 }, () => `v1=${crypto.randomBytes(32).toString('hex')}`);
      return signedEvent(b, header(`${valid},${others.join(',')}`));
    },
  ],
  [
    'a 1 MB header',
    (b) => signedEvent(b, header(`${sign(TEST_SECRET, SIGNED_AT, b)},x=${'a'.repeat(1_000_000)}`)),
  ],
  ['t=0 with a valid v1 for t=0', (b) => signedEvent(b, { signedAt: 0 })],
  [
    'a v1 of the right length in upper-case with one digit changed',
    (b) => {
      const valid = sign(TEST_SECRET, SIGNED_AT, b);
      const last = valid.at(-1) === '0' ? '1' : '0';
      return signedEvent(
        b,
        header(`${valid.slice(0, -1)}${last}`.toUpperCase().replace('T=', 't=').replace('V1=', 'v1=')),
      );
    },
  ],
];

test.each(ATTACKS)('%s → 401, nothing stored', async (_name, attack) => {
  // Prepare
  const body = withFreshIds(bodyFixture('completed-inbound'));

  // Act
  const response = await handle(attack(body), lambdaContext);

  // Assess
  expect(response.statusCode).toBe(401);
  expect(await readCall(store, JSON.parse(body.toString()).callId)).toBeUndefined();
});

test('the same body, correctly signed by the current secret, is stored (the attacks fail for their reason)', async () => {
  // Prepare
  const body = withFreshIds(bodyFixture('completed-inbound'));

  // Act
  const response = await handle(signedEvent(body, { signedAt: SIGNED_AT - 300 }), lambdaContext);

  // Assess
  expect(response.statusCode).toBe(204);
  expect(await readCall(store, JSON.parse(body.toString()).callId)).toBeDefined();
  recordFigure({
    promise: PROMISE,
    name: 'attacks refused (401, nothing stored)',
    value: ATTACKS.length,
    bound: `${ATTACKS.length}`,
    holds: true,
  });
});

describe('constant-time comparison', () => {
  const body = bodyFixture('completed-inbound');
  const expected = crypto.createHmac('sha256', TEST_SECRET).update(`${SIGNED_AT}.`).update(body).digest();
  /** A candidate sharing its first `matching` bytes with the right signature. */
  const candidate = (matching: number) =>
    Buffer.concat([
      expected.subarray(0, matching),
      Buffer.alloc(32 - matching, 0).map((_, i) => (expected[matching + i] ?? 0) ^ 0xff),
    ]);
  const verify = (v1: Buffer) => () =>
    verifySignature({
      header: `t=${SIGNED_AT},v1=${v1.toString('hex')}`,
      rawBody: body,
      secrets: [TEST_SECRET, REVOKED],
      toleranceSeconds: 300,
      nowMs: now(),
    });

  test('the work done does not depend on how many leading bytes match', () => {
    // Prepare
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    const calls: Array<Array<[number, number]>> = [];

    // Act
    for (const matching of [0, 1, 16, 31]) {
      spy.mockClear();
      expect(verify(candidate(matching))).toThrow();
      calls.push(spy.mock.calls.map(([a, b]) => [(a as Buffer).length, (b as Buffer).length]));
    }
    spy.mockClear();
    verify(expected)();
    const matchingCalls = spy.mock.calls.length;
    spy.mockRestore();

    // Assess: one full-length comparison per secret, whether nothing, almost everything or everything matches.
    for (const perCandidate of calls)
      expect(perCandidate).toEqual([
        [32, 32],
        [32, 32],
      ]);
    expect(matchingCalls).toBe(2);
  });

  test('time per verification, first byte wrong vs last byte wrong (reported, not gated)', () => {
    // Prepare
    const early = verify(candidate(0));
    const late = verify(candidate(31));
    const median = (samples: number[]) => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
    const time = (run: () => unknown) => {
      const start = process.hrtime.bigint();
      try {
        run();
      } catch {
        /* refused, as expected */
      }
      return Number(process.hrtime.bigint() - start);
    };
    const [earlyNs, lateNs]: number[][] = [[], []];

    // Act: interleaved, so drift in the machine's speed hits both alike.
    for (let i = 0; i < 4000; i += 1) {
      earlyNs?.push(time(early));
      lateNs?.push(time(late));
    }

    // Assess
    const ratio = median(lateNs ?? []) / median(earlyNs ?? []);
    expect(Number.isFinite(ratio)).toBe(true);
    recordFigure({
      promise: PROMISE,
      name: 'median time, last byte wrong ÷ first byte wrong',
      value: ratio,
      bound: '≈ 1 (reported)',
    });
  });
});
