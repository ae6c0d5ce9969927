import { type Env, integer, required } from './config';
import type { RetryPolicy } from './enrichment';
import { ConfigError } from './errors';
import type { FreeClimbApi } from './freeclimb-api';
import type { ApiKeySource } from './freeclimb-api-key';

/** FreeClimb's own REST API (`servers[0].url` of its OpenAPI description). */
export const DEFAULT_FREECLIMB_API_URL = 'https://www.freeclimb.com/apiserver';

/** Hosts a plain-http API URL may name: a fake or a tunnel on this machine, never the network. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Everything the enricher reads from its environment, checked once at start. */
export interface EnricherConfig {
  callsTable: string;
  api: FreeClimbApi;
  apiKey: ApiKeySource;
  retry: RetryPolicy;
  /** How long a container sends nothing to FreeClimb after it refused the key (0: only one probe at a time). */
  authPauseMs: number;
}

/**
 * Reads and checks the enricher's configuration, naming the variable at fault in the error:
 * `CALLS_TABLE`; `FREECLIMB_API_URL` (https, or http to a loopback host outside AWS Lambda); exactly one of
 * `FREECLIMB_API_KEY_PARAMETER` (an SSM SecureString) and `FREECLIMB_API_KEY` (local only); and the numbers
 * `ENRICH_TIMEOUT_MS` (5000), `ENRICH_RETRY_BASE_SECONDS` (30), `ENRICH_RETRY_MAX_SECONDS` (900, SQS's
 * longest delay), `ENRICH_GIVE_UP_HOURS` (24), `ENRICH_NOT_FOUND_ATTEMPTS` (3) and `ENRICH_AUTH_PAUSE_SECONDS`
 * (300).
 */
export function loadEnricherConfig(env: Env): EnricherConfig {
  const inLambda = env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
  const baseSeconds = integer(env, 'ENRICH_RETRY_BASE_SECONDS', 30, 1, 900);
  const maxSeconds = integer(env, 'ENRICH_RETRY_MAX_SECONDS', 900, 1, 900);
  if (maxSeconds < baseSeconds) {
    throw new ConfigError('ENRICH_RETRY_MAX_SECONDS must be at least ENRICH_RETRY_BASE_SECONDS');
  }
  return {
    callsTable: required(env, 'CALLS_TABLE', 'the name of the calls table'),
    api: {
      baseUrl: apiUrl(env.FREECLIMB_API_URL?.trim() || DEFAULT_FREECLIMB_API_URL, inLambda),
      timeoutMs: integer(env, 'ENRICH_TIMEOUT_MS', 5000, 100, 30000),
    },
    apiKey: apiKeySource(env, inLambda),
    retry: {
      baseSeconds,
      maxSeconds,
      giveUpAfterMs: integer(env, 'ENRICH_GIVE_UP_HOURS', 24, 1, 336) * 3_600_000,
      notFoundAttempts: integer(env, 'ENRICH_NOT_FOUND_ATTEMPTS', 3, 1, 10),
    },
    authPauseMs: integer(env, 'ENRICH_AUTH_PAUSE_SECONDS', 300, 0, 3600) * 1000,
  };
}

/**
 * The base URL without a trailing slash. The key travels in every request's Authorization header, so only
 * https leaves the machine; plain http is for a FreeClimb-shaped fake on loopback, and never in AWS Lambda.
 */
function apiUrl(value: string, inLambda: boolean): string {
  const where = inLambda ? 'an https URL' : 'an https URL, or http to 127.0.0.1, localhost or [::1]';
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (
    url === undefined ||
    !(
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && !inLambda && LOOPBACK_HOSTS.has(url.hostname))
    )
  ) {
    throw new ConfigError(`FREECLIMB_API_URL must be ${where}`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(
      'FREECLIMB_API_URL must hold no credentials, query or fragment: the key comes from its own setting',
    );
  }
  return url.href.replace(/\/+$/, '');
}

function apiKeySource(env: Env, inLambda: boolean): ApiKeySource {
  const parameterName = env.FREECLIMB_API_KEY_PARAMETER?.trim() ?? '';
  const apiKey = env.FREECLIMB_API_KEY?.trim() ?? '';
  if (parameterName !== '' && apiKey !== '') {
    throw new ConfigError(
      'Set only one of FREECLIMB_API_KEY_PARAMETER (SSM, in AWS) and FREECLIMB_API_KEY (local)',
    );
  }
  if (parameterName !== '') {
    return { kind: 'ssm', parameterName };
  }
  if (apiKey === '') {
    throw new ConfigError(
      'FREECLIMB_API_KEY_PARAMETER is not set: name the SSM parameter holding the FreeClimb API key ' +
        '(or set FREECLIMB_API_KEY when running locally)',
    );
  }
  if (inLambda) {
    // A key in a function's environment is readable by anyone who can read its configuration.
    throw new ConfigError(
      'FREECLIMB_API_KEY cannot be used inside AWS Lambda: use FREECLIMB_API_KEY_PARAMETER',
    );
  }
  return { kind: 'environment', apiKey };
}
