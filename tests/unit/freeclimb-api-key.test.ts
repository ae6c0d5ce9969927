import { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../../lib/errors';
import { createFreeClimbApiKey } from '../../lib/freeclimb-api-key';
import { ssmStandIn, ssmThrottling } from '../support/ssm-stand-in';

// The key is cached by the same mechanism as the signing secret (its tests cover the timing in depth); these
// check what is the key's own: its wording, its parsing, and that the key never reaches a log line.

const PARAMETER = '/freeclimb-call-records/dev/api-key';
const START_MS = Date.UTC(2026, 0, 15, 9, 0, 0);
const KEY = 'fc_key_4c3b2a1908f7e6d5c4b3a291';

describe('createFreeClimbApiKey', () => {
  test('a key from the environment is used as it is, without SSM', async () => {
    // Prepare
    let ssmCalls = 0;
    const apiKey = createFreeClimbApiKey({ kind: 'environment', apiKey: KEY }, () => {
      ssmCalls += 1;
      return new SSMClient({ region: 'us-east-1' });
    });

    // Act
    const key = await apiKey();

    // Assess
    expect(key).toBe(KEY);
    expect(ssmCalls).toBe(0);
  });

  test('reads the SecureString once, decrypted and trimmed, and caches it', async () => {
    // Prepare
    const { client, inputs } = ssmStandIn([` ${KEY}\n`]);
    const apiKey = createFreeClimbApiKey(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      () => START_MS,
    );

    // Act
    const keys = [await apiKey(), await apiKey()];

    // Assess
    expect(keys).toEqual([KEY, KEY]);
    expect(inputs).toEqual([{ Name: PARAMETER, WithDecryption: true }]);
  });

  test('a refresh after FreeClimb refused the key reads it again', async () => {
    // Prepare
    const { client, inputs } = ssmStandIn(['fc_key_old', 'fc_key_rotated']);
    let nowMs = START_MS;
    const apiKey = createFreeClimbApiKey(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      () => nowMs,
    );
    await apiKey();

    // Act
    nowMs += 5 * 60 * 1000;
    const rotated = await apiKey({ refresh: true });

    // Assess
    expect(rotated).toBe('fc_key_rotated');
    expect(inputs).toHaveLength(2);
  });

  test('a blank parameter holds no key: a ConfigError naming the parameter', async () => {
    // Prepare
    const { client } = ssmStandIn(['  ']);
    const apiKey = createFreeClimbApiKey(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      () => START_MS,
    );

    // Act
    const failure = await apiKey().then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).message).toBe(
      `No FreeClimb API key could be read from the SSM parameter ${PARAMETER}`,
    );
    expect(((failure as ConfigError).cause as Error).message).toBe(
      `The SSM parameter ${PARAMETER} holds no FreeClimb API key`,
    );
  });

  test('while SSM fails it keeps the last good key, and its log lines name the key’s age, never the key', async () => {
    // Prepare
    const { client } = ssmStandIn([KEY, ssmThrottling(), KEY]);
    let nowMs = START_MS;
    const lines: unknown[][] = [];
    const logger = {
      warn: (...line: unknown[]) => lines.push(line),
      info: (...line: unknown[]) => lines.push(line),
    };
    const apiKey = createFreeClimbApiKey(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      () => nowMs,
      logger,
    );
    await apiKey();

    // Act
    nowMs += 5 * 60 * 1000 + 1;
    const duringOutage = await apiKey();
    nowMs += 1000;
    await apiKey();

    // Assess
    expect(duringOutage).toBe(KEY);
    expect(lines).toEqual([
      [
        'Could not read the FreeClimb API key from SSM',
        expect.objectContaining({ failedReads: 1, callingWith: 'the key read at 2026-01-15T09:00:00.000Z' }),
      ],
      ['FreeClimb API key read again', { failedReads: 1 }],
    ]);
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });

  test('a first read that fails says enrichment waits for a key', async () => {
    // Prepare
    const { client } = ssmStandIn([ssmThrottling()]);
    const lines: unknown[][] = [];
    const logger = { warn: (...line: unknown[]) => lines.push(line), info: () => undefined };
    const apiKey = createFreeClimbApiKey(
      { kind: 'ssm', parameterName: PARAMETER },
      () => client,
      () => START_MS,
      logger,
    );

    // Act
    const failure = await apiKey().then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect(lines).toEqual([
      [
        'Could not read the FreeClimb API key from SSM',
        expect.objectContaining({ callingWith: 'nothing: enrichment waits for a key' }),
      ],
    ]);
  });
});
