import { ConfigError } from './errors';

/** Where the signing secrets come from; verification is off only when someone said so, locally. */
export type SigningSecretSource =
  | { kind: 'ssm'; parameterName: string }
  | { kind: 'environment'; secrets: string[] }
  | { kind: 'disabled' };

export interface Config {
  callsTable: string;
  rejectedTable: string;
  signing: SigningSecretSource;
  /** Allowed clock distance for the signature's `t`, in seconds, both directions. */
  toleranceSeconds: number;
  /** Days until DynamoDB's TTL removes an item; 0 keeps items forever. */
  retentionDays: number;
  /** Largest body accepted, in bytes; the whole body is stored, so it must fit well inside one item. */
  maxBodyBytes: number;
}

/** The value that turns signature verification off; refused inside AWS Lambda. */
export const VERIFICATION_DISABLED = 'disabled-for-local-development';

/** A process environment, or a test's stand-in for one. */
export type Env = Record<string, string | undefined>;

/** Reads and checks the configuration once, naming the variable at fault in the error. */
export function loadConfig(env: Env): Config {
  return {
    callsTable: required(env, 'CALLS_TABLE', 'the name of the calls table'),
    rejectedTable: required(env, 'REJECTED_TABLE', 'the name of the rejected-deliveries table'),
    signing: signingSource(env),
    toleranceSeconds: integer(env, 'SIGNATURE_TOLERANCE_SECONDS', 300, 1, 3600),
    retentionDays: integer(env, 'RETENTION_DAYS', 0, 0, 36500),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 65536, 1024, 262144),
  };
}

/** Splits a comma-separated list of secrets, dropping blanks. */
export function splitSecrets(value: string): string[] {
  return value
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
}

function signingSource(env: Env): SigningSecretSource {
  const verification = env.FREECLIMB_SIGNATURE_VERIFICATION;
  if (verification !== undefined && verification !== '') {
    if (verification !== VERIFICATION_DISABLED) {
      throw new ConfigError(
        `FREECLIMB_SIGNATURE_VERIFICATION must be unset, or "${VERIFICATION_DISABLED}" to turn verification off locally`,
      );
    }
    if (env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
      throw new ConfigError(
        'FREECLIMB_SIGNATURE_VERIFICATION cannot turn verification off inside AWS Lambda',
      );
    }
    return { kind: 'disabled' };
  }
  const parameterName = env.FREECLIMB_SIGNING_SECRET_PARAMETER?.trim() ?? '';
  const secrets = splitSecrets(env.FREECLIMB_SIGNING_SECRET ?? '');
  if (parameterName !== '' && secrets.length > 0) {
    throw new ConfigError(
      'Set only one of FREECLIMB_SIGNING_SECRET_PARAMETER (SSM, in AWS) and FREECLIMB_SIGNING_SECRET (local)',
    );
  }
  if (parameterName !== '') {
    return { kind: 'ssm', parameterName };
  }
  if (secrets.length > 0) {
    return { kind: 'environment', secrets };
  }
  throw new ConfigError(
    'FREECLIMB_SIGNING_SECRET_PARAMETER is not set: name the SSM parameter holding the FreeClimb signing secret ' +
      '(or set FREECLIMB_SIGNING_SECRET when running locally)',
  );
}

/** A variable that must be set and not blank, trimmed; the error names it and says what it holds. */
export function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === '') {
    throw new ConfigError(`${name} is not set: it must hold ${what}`);
  }
  return value;
}

/** A whole number from `min` to `max`, or `fallback` when unset or blank; the error names the variable. */
export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = env[name]?.trim();
  if (value === undefined || value === '') {
    return fallback;
  }
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}
