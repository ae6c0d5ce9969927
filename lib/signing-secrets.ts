import type { SSMClient } from '@aws-sdk/client-ssm';
import { type SigningSecretSource, splitSecrets } from './config';
import { type CachedSecret, createCachedSecureParameter, type SecretsLogger } from './secure-parameter-cache';

export {
  CACHE_MS,
  FIRST_BACKOFF_MS,
  MAX_BACKOFF_MS,
  MAX_STALE_MS,
  REFRESH_AFTER_MISMATCH_MS,
  type SecretsLogger,
} from './secure-parameter-cache';

/**
 * Returns the secrets that may have signed a request; `refresh` asks for a fresh read after a mismatch.
 * Rejects only when no usable secret is known (none was ever read, or the last good read is too old).
 */
export type SigningSecrets = CachedSecret<string[]>;

/**
 * Secrets from the environment as they are, or from an SSM SecureString (comma-separated), read on first use
 * and cached per container (lib/secure-parameter-cache.ts). FreeClimb never retries, so refusing authentic
 * deliveries during an SSM blip loses them: while SSM fails, the last good secrets keep verifying for up to
 * an hour, and a stream of forged requests (which ask for refreshes) never costs an authentic delivery.
 */
export function createSigningSecrets(
  source: Exclude<SigningSecretSource, { kind: 'disabled' }>,
  ssm: () => SSMClient,
  now: () => number = Date.now,
  logger?: SecretsLogger,
): SigningSecrets {
  if (source.kind === 'environment') {
    return async () => source.secrets;
  }
  return createCachedSecureParameter(
    {
      parameterName: source.parameterName,
      holds: 'signing secret',
      parse: (value) => {
        const secrets = splitSecrets(value);
        return secrets.length === 0 ? undefined : secrets;
      },
      fallback: {
        field: 'verifyingWith',
        none: 'nothing: requests are answered 503',
        lastGood: (readAt) => `the secrets read at ${readAt}`,
      },
    },
    ssm,
    now,
    logger,
  );
}
