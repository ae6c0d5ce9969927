import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { type SigningSecretSource, splitSecrets } from './config';
import { ConfigError } from './errors';

/** Returns the secrets that may have signed a request; `refresh` asks for a fresh read after a mismatch. */
export type SigningSecrets = (options?: { refresh?: boolean }) => Promise<string[]>;

/** How long a container trusts the secrets it read: a secret removed from SSM stops working within this. */
const CACHE_MS = 5 * 60 * 1000;
/** A mismatch may mean the secret was just rotated; re-read at most this often so forgeries cannot flood SSM. */
const REFRESH_AFTER_MISMATCH_MS = 30 * 1000;

/**
 * Secrets from the environment as they are, or from an SSM SecureString (comma-separated), read on first use
 * and cached per container. A failed read is not cached, so the next request tries again.
 */
export function createSigningSecrets(
  source: Exclude<SigningSecretSource, { kind: 'disabled' }>,
  ssm: () => SSMClient,
  now: () => number = Date.now,
): SigningSecrets {
  if (source.kind === 'environment') {
    return async () => source.secrets;
  }
  let cached: { secrets: Promise<string[]>; readAt: number } | undefined;
  return (options = {}) => {
    const age = cached === undefined ? Number.POSITIVE_INFINITY : now() - cached.readAt;
    if (
      cached === undefined ||
      age > CACHE_MS ||
      (options.refresh === true && age > REFRESH_AFTER_MISMATCH_MS)
    ) {
      const read = readParameter(ssm(), source.parameterName);
      const entry = { secrets: read, readAt: now() };
      cached = entry;
      read.catch(() => {
        if (cached === entry) {
          cached = undefined;
        }
      });
    }
    return cached.secrets;
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
