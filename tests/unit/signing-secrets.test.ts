import { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../lib/errors';
import { createSigningSecrets } from '../../lib/signing-secrets';

const PARAMETER = '/freeclimb/test/signing-secret';
const START_MS = Date.UTC(2024, 2, 9, 12, 0, 0);
const FIVE_MINUTES_MS = 5 * 60 * 1000;
const THIRTY_SECONDS_MS = 30 * 1000;

/**
 * A real SSMClient whose middleware stack answers GetParameter itself, before any network step.
 * Each call takes the next reply: a parameter value, or an Error to throw.
 */
function fakeSsm(replies: Array<string | Error>) {
  const client = new SSMClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-key' },
  });
  const inputs: unknown[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      inputs.push(args.input);
      const reply = replies[Math.min(inputs.length, replies.length) - 1];
      if (reply instanceof Error) {
        throw reply;
      }
      return { output: { Parameter: { Value: reply }, $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'answerGetParameter', priority: 'high' },
  );
  return { client, inputs };
}

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

  test('does not cache a failed read: the next call reads again', async () => {
    // Prepare
    const { client, inputs } = fakeSsm([new Error('ThrottlingException'), 'sigsec_new']);
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
    const retry = await signingSecrets();

    // Assess
    expect(failure).toBeInstanceOf(Error);
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
});
