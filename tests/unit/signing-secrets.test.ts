import { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../lib/errors';
import { signatureHeader, verifySignature } from '../../lib/signature';
import {
  createSigningSecrets,
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  MAX_STALE_MS,
} from '../../lib/signing-secrets';
import { ssmStandIn as fakeSsm, ssmThrottling } from '../support/ssm-stand-in';

const PARAMETER = '/freeclimb/test/signing-secret';
const START_MS = Date.UTC(2024, 2, 9, 12, 0, 0);
const FIVE_MINUTES_MS = 5 * 60 * 1000;
const THIRTY_SECONDS_MS = 30 * 1000;

function clock(startMs: number) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('createSigningSecrets', () => {
  test('returns the environment list as it is, without SSM', async () => {
    // Prepare
    const secrets = ['sigsec_old', 'sigsec_new'];
    let ssmCalls = 0;
    const signingSecrets = createSigningSecrets({ kind: 'environment', secrets }, () => {
      ssmCalls += 1;
      return new SSMClient({ region: 'us-east-1' });
    });

    // Act
    const read = await signingSecrets();

    // Assess
    expect(read).toEqual(['sigsec_old', 'sigsec_new']);
    expect(ssmCalls).toBe(0);
  });

  test('reads the SSM parameter once, decrypted, splits it, and caches it', async () => {
    // Prepare
    const { client, inputs } = fakeSsm(['sigsec_old, sigsec_new']);
    const time = clock(START_MS);
    const signingSecrets = createSigningSecrets(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      time.now,
    );

    // Act
    const first = await signingSecrets();
    time.advance(FIVE_MINUTES_MS - 1);
    const second = await signingSecrets();

    // Assess
    expect(first).toEqual(['sigsec_old', 'sigsec_new']);
    expect(second).toEqual(first);
    expect(inputs).toEqual([{ Name: PARAMETER, WithDecryption: true }]);
  });

  test('reads again once the cache is older than 5 minutes', async () => {
    // Prepare
    const { client, inputs } = fakeSsm(['sigsec_old', 'sigsec_new']);
    const time = clock(START_MS);
    const signingSecrets = createSigningSecrets(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      time.now,
    );

    // Act
    const first = await signingSecrets();
    time.advance(FIVE_MINUTES_MS + 1);
    const second = await signingSecrets();

    // Assess
    expect(first).toEqual(['sigsec_old']);
    expect(second).toEqual(['sigsec_new']);
    expect(inputs).toHaveLength(2);
  });

  test('after a mismatch, reads again only when the cache is older than 30 s', async () => {
    // Prepare
    const { client, inputs } = fakeSsm(['sigsec_old', 'sigsec_new']);
    const time = clock(START_MS);
    const signingSecrets = createSigningSecrets(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      time.now,
    );

    // Act
    await signingSecrets();
    time.advance(THIRTY_SECONDS_MS - 1);
    const tooSoon = await signingSecrets({ refresh: true });
    const readsWhenTooSoon = inputs.length;
    time.advance(2);
    const refreshed = await signingSecrets({ refresh: true });

    // Assess
    expect(tooSoon).toEqual(['sigsec_old']);
    expect(readsWhenTooSoon).toBe(1);
    expect(refreshed).toEqual(['sigsec_new']);
    expect(inputs).toHaveLength(2);
  });

  test('a failed first read is retried only after the back-off, then succeeds', async () => {
    // Prepare
    const { client, inputs } = fakeSsm([ssmThrottling(), 'sigsec_new']);
    const time = clock(START_MS);
    const signingSecrets = createSigningSecrets(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      time.now,
    );

    // Act
    const failure = await signingSecrets().then(
      () => undefined,
      (error: unknown) => error,
    );
    const duringBackoff = await signingSecrets().then(
      () => undefined,
      (error: unknown) => error,
    );
    const readsDuringBackoff = inputs.length;
    time.advance(FIRST_BACKOFF_MS);
    const retry = await signingSecrets();

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect(duringBackoff).toBeInstanceOf(ConfigError);
    expect(readsDuringBackoff).toBe(1);
    expect(retry).toEqual(['sigsec_new']);
    expect(inputs).toHaveLength(2);
  });

  test.each([
    ['an empty value', ''],
    ['only separators and spaces', ' , ,'],
  ])('refuses a parameter holding %s with a ConfigError naming it', async (_name, value) => {
    // Prepare
    const { client } = fakeSsm([value]);
    const signingSecrets = createSigningSecrets(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      () => START_MS,
    );

    // Act
    const failure = await signingSecrets().then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).message).toContain(PARAMETER);
  });

  describe('while SSM fails after a good read', () => {
    const body = Buffer.from('{"requestType":"callStatus"}');
    const signedBy = (secret: string, nowMs: number) =>
      signatureHeader([secret], Math.floor(nowMs / 1000), body);

    test('a correctly signed delivery is still verified after a failed refresh (the reported case)', async () => {
      // Prepare: the first GetParameter answers, every later one is throttled.
      const { client } = fakeSsm(['sigsec_current', ssmThrottling()]);
      const time = clock(START_MS);
      const signingSecrets = createSigningSecrets(
        { kind: 'ssm', parameterName: PARAMETER },
        () => client,
        time.now,
      );
      await signingSecrets();

      // Act: a mismatch at +31 s asks for a refresh, which fails; an authentic delivery comes at +32 s.
      time.advance(31_000);
      await signingSecrets({ refresh: true }).catch(() => undefined);
      time.advance(1_000);
      const header = signedBy('sigsec_current', time.now());
      const verify = async () =>
        verifySignature({
          header,
          rawBody: body,
          secrets: await signingSecrets(),
          toleranceSeconds: 300,
          nowMs: time.now(),
        });

      // Assess
      await expect(verify()).resolves.toBe(Math.floor(time.now() / 1000));
    });

    test('keeps the last good secrets across the 5-minute expiry, reading once per doubling back-off window', async () => {
      // Prepare
      const { client, inputs } = fakeSsm(['sigsec_current', ssmThrottling()]);
      const time = clock(START_MS);
      const warnings: unknown[] = [];
      const logger = { warn: (...line: unknown[]) => warnings.push(line), info: () => undefined };
      const signingSecrets = createSigningSecrets(
        { kind: 'ssm', parameterName: PARAMETER },
        () => client,
        time.now,
        logger,
      );
      await signingSecrets();
      time.advance(FIVE_MINUTES_MS + 1);

      // Act: a request every 100 ms for 20 s, half of them asking for a refresh as a forgery would.
      const answers: string[][] = [];
      for (let i = 0; i < 200; i += 1) {
        answers.push(await signingSecrets({ refresh: i % 2 === 0 }));
        time.advance(100);
      }

      // Assess: reads at +0, +1, +3, +7, +15 s after the expiry (windows of 1, 2, 4, 8 s), one warning each.
      expect(answers.every((secrets) => secrets.length === 1 && secrets[0] === 'sigsec_current')).toBe(true);
      expect(inputs).toHaveLength(1 + 5);
      expect(warnings).toHaveLength(5);
      expect(JSON.stringify(warnings)).not.toContain('sigsec_current');
    });

    test('a refresh asked for by a mismatch hands back the very same secrets when it fails', async () => {
      // Prepare
      const { client } = fakeSsm(['sigsec_current', ssmThrottling()]);
      const time = clock(START_MS);
      const signingSecrets = createSigningSecrets(
        { kind: 'ssm', parameterName: PARAMETER },
        () => client,
        time.now,
      );
      const first = await signingSecrets();
      time.advance(THIRTY_SECONDS_MS + 1);

      // Act
      const afterFailedRefresh = await signingSecrets({ refresh: true });

      // Assess: the caller sees nothing new, so the forgery's mismatch stands (401).
      expect(afterFailedRefresh).toBe(first);
    });

    test('the back-off stops doubling at its maximum, and a success is logged and ends it', async () => {
      // Prepare
      const replies = ['sigsec_old', ...Array.from({ length: 12 }, ssmThrottling), 'sigsec_new'];
      const { client, inputs } = fakeSsm(replies);
      const time = clock(START_MS);
      const infos: unknown[] = [];
      const logger = { warn: () => undefined, info: (...line: unknown[]) => infos.push(line) };
      const signingSecrets = createSigningSecrets(
        { kind: 'ssm', parameterName: PARAMETER },
        () => client,
        time.now,
        logger,
      );
      await signingSecrets();
      time.advance(FIVE_MINUTES_MS + 1);

      // Act: one request a second until the reads come back.
      let seconds = 0;
      let secrets = await signingSecrets();
      while (secrets[0] !== 'sigsec_new' && seconds < 3600) {
        time.advance(1000);
        seconds += 1;
        secrets = await signingSecrets();
      }

      // Assess: 12 failures wait 1+2+4+…+32 s, then 60 s each: 63 + 6 × 60 = 423 s.
      expect(seconds).toBe(63 + 6 * (MAX_BACKOFF_MS / 1000));
      expect(inputs).toHaveLength(14);
      expect(infos).toHaveLength(1);
    });

    test('stops verifying with secrets older than the maximum staleness', async () => {
      // Prepare
      const { client } = fakeSsm(['sigsec_current', ssmThrottling()]);
      const time = clock(START_MS);
      const signingSecrets = createSigningSecrets(
        { kind: 'ssm', parameterName: PARAMETER },
        () => client,
        time.now,
      );
      await signingSecrets();

      // Act
      time.advance(MAX_STALE_MS);
      const lastGood = await signingSecrets();
      time.advance(MAX_BACKOFF_MS + 1);
      const tooOld = await signingSecrets().then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(lastGood).toEqual(['sigsec_current']);
      expect(tooOld).toBeInstanceOf(ConfigError);
      expect((tooOld as ConfigError).message).toContain(PARAMETER);
    });
  });

  test('requests that come while a read is under way share it', async () => {
    // Prepare
    const { client, inputs } = fakeSsm(['sigsec_current']);
    const signingSecrets = createSigningSecrets(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      () => START_MS,
    );

    // Act
    const answers = await Promise.all(Array.from({ length: 10 }, () => signingSecrets()));

    // Assess
    expect(answers.every((secrets) => secrets[0] === 'sigsec_current')).toBe(true);
    expect(inputs).toHaveLength(1);
  });
});
