import type { SSMClient } from '@aws-sdk/client-ssm';
import { type CachedSecret, createCachedSecureParameter, type SecretsLogger } from './secure-parameter-cache';

/** Where the FreeClimb API key comes from: an SSM SecureString in AWS, the environment locally. */
export type ApiKeySource = { kind: 'ssm'; parameterName: string } | { kind: 'environment'; apiKey: string };

/**
 * Returns the FreeClimb API key; `refresh` asks for a fresh read (after FreeClimb refused the key, it may
 * have been rotated). Rejects with a ConfigError naming the parameter when no key is known.
 */
export type FreeClimbApiKey = CachedSecret<string>;

/**
 * The API key from the environment as it is, or from SSM, cached per container exactly as the signing
 * secret is (lib/secure-parameter-cache.ts): read on first use, kept 5 minutes, the last good key used for
 * up to an hour while SSM fails, failed reads retried with back-off. Nothing logs the key.
 */
export function createFreeClimbApiKey(
  source: ApiKeySource,
  ssm: () => SSMClient,
  now: () => number = Date.now,
  logger?: SecretsLogger,
): FreeClimbApiKey {
  if (source.kind === 'environment') {
    return async () => source.apiKey;
  }
  return createCachedSecureParameter(
    {
      parameterName: source.parameterName,
      holds: 'FreeClimb API key',
      parse: (value) => {
        const apiKey = value.trim();
        return apiKey === '' ? undefined : apiKey;
      },
      fallback: {
        field: 'callingWith',
        none: 'nothing: enrichment waits for a key',
        lastGood: (readAt) => `the key read at ${readAt}`,
      },
    },
    ssm,
    now,
    logger,
  );
}
