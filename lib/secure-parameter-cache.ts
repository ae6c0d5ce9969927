import type { Logger } from '@aws-lambda-powertools/logger';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from './errors';

/**
 * A secret read from an SSM SecureString and cached per container: the signing secrets and the FreeClimb API
 * key both come this way. `refresh` asks for a fresh read when the caller has reason to think the secret
 * changed. Rejects only when no usable value is known (none was ever read, or the last good read is too old).
 */
export type CachedSecret<T> = (options?: { refresh?: boolean }) => Promise<T>;

/** How long a container trusts the value it read: a secret removed from SSM stops working within this. */
export const CACHE_MS = 5 * 60 * 1000;
/** A refresh re-reads at most this often, so callers that keep asking (forgeries, say) cannot flood SSM. */
export const REFRESH_AFTER_MISMATCH_MS = 30 * 1000;
/** First wait after a failed read; it doubles with every further failure, up to {@link MAX_BACKOFF_MS}. */
export const FIRST_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 60 * 1000;
/**
 * While SSM fails, the last good value stays in use for at most this long after it was read. Refusing work
 * during an SSM blip or a throttling burst costs more than using a value that was right minutes ago; the
 * bound is what a revocation (a leaked secret removed from SSM) may lag by while SSM cannot be read.
 */
export const MAX_STALE_MS = 60 * 60 * 1000;

/** Where the cache tells about failed reads (once per back-off window) and about reading again. */
export type SecretsLogger = Pick<Logger, 'warn' | 'info'>;

/** Which parameter, what it holds, and how its callers go on while SSM fails (for the log lines). */
export interface SecureParameter<T> {
  parameterName: string;
  /** What the parameter holds, as the log lines and errors name it: `signing secret`, `FreeClimb API key`. */
  holds: string;
  /** The usable value of the parameter's text, or undefined when it holds none (empty, only separators). */
  parse: (value: string) => T | undefined;
  /** The warning's field saying what the callers use while SSM fails, and its two wordings. */
  fallback: { field: string; none: string; lastGood: (readAtIso: string) => string };
}

/**
 * A SecureString read on first use and cached per container. Concurrent callers share one read. A failed
 * read keeps the last good value (up to {@link MAX_STALE_MS}) and is retried with exponential back-off, never
 * more than once per window, so neither a blip nor a stream of refresh requests floods SSM. Log lines and
 * errors name the parameter, never its value.
 */
export function createCachedSecureParameter<T>(
  parameter: SecureParameter<T>,
  ssm: () => SSMClient,
  now: () => number = Date.now,
  logger?: SecretsLogger,
): CachedSecret<T> {
  const { parameterName, holds } = parameter;
  let good: { value: T; readAt: number } | undefined;
  let reading: Promise<T> | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let failure: { error: unknown; failures: number; retryAt: number } | undefined;

  const usable = (): T => {
    if (good !== undefined && now() - good.readAt <= MAX_STALE_MS) {
      return good.value;
    }
    throw new ConfigError(`No ${holds} could be read from the SSM parameter ${parameterName}`, {
      // Stryker disable next-line OptionalChaining: a value goes unusable only after a failed read has set `failure`
      cause: failure?.error,
    });
  };

  const read = (): Promise<T> => {
    lastAttemptAt = now();
    reading = readParameter(ssm(), parameter).then(
      (value) => {
        if (failure !== undefined) {
          logger?.info(`${holds.charAt(0).toUpperCase()}${holds.slice(1)} read again`, {
            failedReads: failure.failures,
          });
        }
        good = { value, readAt: now() };
        failure = undefined;
        reading = undefined;
        return value;
      },
      (error: unknown) => {
        const failures = (failure?.failures ?? 0) + 1;
        const backoffMs = Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);
        failure = { error, failures, retryAt: now() + backoffMs };
        reading = undefined;
        // One attempt per window, so this is one line per window; the error names the parameter, never a value.
        logger?.warn(`Could not read the ${holds} from SSM`, {
          error,
          failedReads: failures,
          nextReadInMs: backoffMs,
          [parameter.fallback.field]:
            good === undefined
              ? parameter.fallback.none
              : parameter.fallback.lastGood(new Date(good.readAt).toISOString()),
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

async function readParameter<T>(ssm: SSMClient, parameter: SecureParameter<T>): Promise<T> {
  const name = parameter.parameterName;
  const result = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = parameter.parse(result.Parameter?.Value ?? '');
  if (value === undefined) {
    throw new ConfigError(`The SSM parameter ${name} holds no ${parameter.holds}`);
  }
  return value;
}
