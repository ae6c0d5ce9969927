import type { Logger } from '@aws-lambda-powertools/logger';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { type SigningSecretSource, splitSecrets } from './config';
import { ConfigError } from './errors';

/**
 * Returns the secrets that may have signed a request; `refresh` asks for a fresh read after a mismatch.
 * Rejects only when no usable secret is known (none was ever read, or the last good read is too old).
 */
export type SigningSecrets = (options?: { refresh?: boolean }) => Promise<string[]>;

/** How long a container trusts the secrets it read: a secret removed from SSM stops working within this. */
export const CACHE_MS = 5 * 60 * 1000;
/** A mismatch may mean the secret was just rotated; re-read at most this often so forgeries cannot flood SSM. */
export const REFRESH_AFTER_MISMATCH_MS = 30 * 1000;
/** First wait after a failed read; it doubles with every further failure, up to {@link MAX_BACKOFF_MS}. */
export const FIRST_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 60 * 1000;
/**
 * While SSM fails, the last good secrets keep verifying for at most this long after they were read.
 * FreeClimb never retries, so refusing authentic deliveries during an SSM blip or a throttling burst loses
 * them from the tables; verifying with secrets that were right minutes ago costs nothing. The bound is what
 * a revocation (a leaked secret removed from SSM) may lag by while SSM cannot be read: an hour covers the
 * outages SSM has in practice, and after it a delivery is answered 503 with everything `recover` needs.
 */
export const MAX_STALE_MS = 60 * 60 * 1000;

/** Where the cache tells about failed reads (once per back-off window) and about reading again. */
export type SecretsLogger = Pick<Logger, 'warn' | 'info'>;

/**
 * Secrets from the environment as they are, or from an SSM SecureString (comma-separated), read on first use
 * and cached per container. Concurrent requests share one read. A failed read keeps the last good secrets
 * (up to {@link MAX_STALE_MS}) and is retried with exponential back-off, never more than once per window,
 * so neither a blip nor a stream of forged requests (which ask for refreshes) costs an authentic delivery.
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
  let good: { secrets: string[]; readAt: number } | undefined;
  let reading: Promise<string[]> | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let failure: { error: unknown; failures: number; retryAt: number } | undefined;

  const usable = (): string[] => {
    if (good !== undefined && now() - good.readAt <= MAX_STALE_MS) {
      return good.secrets;
    }
    throw new ConfigError(`No signing secret could be read from the SSM parameter ${source.parameterName}`, {
      cause: failure?.error,
    });
  };

  const read = (): Promise<string[]> => {
    lastAttemptAt = now();
    reading = readParameter(ssm(), source.parameterName).then(
      (secrets) => {
        if (failure !== undefined) {
          logger?.info('Signing secret read again', { failedReads: failure.failures });
        }
        good = { secrets, readAt: now() };
        failure = undefined;
        reading = undefined;
        return secrets;
      },
      (error: unknown) => {
        const failures = (failure?.failures ?? 0) + 1;
        const backoffMs = Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);
        failure = { error, failures, retryAt: now() + backoffMs };
        reading = undefined;
        // One attempt per window, so this is one line per window; the error names the parameter, never a value.
        logger?.warn('Could not read the signing secret from SSM', {
          error,
          failedReads: failures,
          nextReadInMs: backoffMs,
          verifyingWith:
            good === undefined
              ? 'nothing: requests are answered 503'
              : `the secrets read at ${iso(good.readAt)}`,
        });
        return usable();
      },
    );
    return reading;
  };

  return async (request = {}) => {
    if (reading !== undefined) {
      return reading;
    }
    const at = now();
    const backingOff = failure !== undefined && at < failure.retryAt;
    const due =
      good === undefined ||
      at - good.readAt > CACHE_MS ||
      (request.refresh === true && at - lastAttemptAt > REFRESH_AFTER_MISMATCH_MS);
    return due && !backingOff ? read() : usable();
  };
}

async function readParameter(ssm: SSMClient, name: string): Promise<string[]> {
  const result = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const secrets = splitSecrets(result.Parameter?.Value ?? '');
  if (secrets.length === 0) {
    throw new ConfigError(`The SSM parameter ${name} holds no signing secret`);
  }
  return secrets;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
