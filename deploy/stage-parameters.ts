import { LogLevel, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { loadConfig } from '../lib/config';
import { loadEnricherConfig } from '../lib/enricher-config';

/**
 * The rules for serverless.yml's stage parameters (`params:`), checked before anything is packaged or
 * deployed. A value the deployed stack could not work with (a retention the function refuses, an SSM name
 * IAM would never match) would otherwise deploy cleanly and then answer 503 to every delivery.
 * Where the function reads a parameter, its own configuration check (lib/config.ts) is the rule.
 */

/** Where the stack is deployed, for the rules that depend on it. */
export interface DeployTarget {
  /** The region `serverless package`/`deploy` works in (`--region`, or serverless.yml's provider.region). */
  region: string;
}

/** One stage parameter's rule: `problem` returns why a value is refused, or undefined when it is fine. */
interface StageParameterRule {
  /** The values allowed, in words, for the error message. */
  allowed: string;
  problem(value: string, target: DeployTarget): string | undefined;
}

/** What the webhook needs besides the variable under test, so that only that variable can be refused. */
const FUNCTION_ENVIRONMENT = {
  CALLS_TABLE: 'calls',
  REJECTED_TABLE: 'rejected',
  FREECLIMB_SIGNING_SECRET_PARAMETER: '/signing-secret',
};

/** What the enricher needs besides the variable under test. */
const ENRICHER_ENVIRONMENT = {
  CALLS_TABLE: 'calls',
  FREECLIMB_API_KEY_PARAMETER: '/api-key',
};

/** Each function's own configuration check, by its name under `functions:` in serverless.yml. */
const CONFIGURATION_CHECKS: Record<string, (environment: Record<string, string>) => unknown> = {
  callStatus: loadConfig,
  enrichCall: loadEnricherConfig,
};

/** The webhook's own verdict on `value` as environment variable `variable`. */
function refusedByFunction(variable: string, value: string): string | undefined {
  return functionConfigurationProblem({ ...FUNCTION_ENVIRONMENT, [variable]: value });
}

/** The enricher's own verdict on `value` as environment variable `variable`. */
function refusedByEnricher(variable: string, value: string): string | undefined {
  return functionConfigurationProblem({ ...ENRICHER_ENVIRONMENT, [variable]: value }, 'enrichCall');
}

/**
 * Why the function `name` (the webhook by default) would refuse to start with this environment (as
 * deployed, inside Lambda), or undefined. Catches what serverless.yml sets directly too, such as
 * SIGNATURE_TOLERANCE_SECONDS. A function without a check of its own is an error.
 */
export function functionConfigurationProblem(
  environment: Record<string, string>,
  name = 'callStatus',
): string | undefined {
  const check = CONFIGURATION_CHECKS[name];
  if (check === undefined) {
    return `no configuration check is known for it (deploy/stage-parameters.ts, CONFIGURATION_CHECKS)`;
  }
  try {
    check({ AWS_LAMBDA_FUNCTION_NAME: name, ...environment });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

// SSM's naming rules: letters, digits and `_.-`; a hierarchy starts with `/` and has at most 15 levels;
// names starting with aws or ssm are reserved.
const SSM_TOP_LEVEL_NAME = /^[A-Za-z0-9_.-]+$/;
const SSM_HIERARCHICAL_NAME = /^(\/[A-Za-z0-9_.-]+){1,15}$/;
const SSM_RESERVED_PREFIX = /^\/?(aws|ssm)/i;
const SSM_NAME_MAX_LENGTH = 1011;

// The function's ERROR lines are the last copy of an authentic delivery it could not store: a level that
// hides them would lose records.
const LOG_LEVELS = Object.values(LogLevel).filter(
  (level) => LogLevelThreshold[level] <= LogLevelThreshold[LogLevel.ERROR],
);

// CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

// A key ARN (not an alias: IAM grants and CloudWatch Logs need the key itself), single-region or
// multi-region (`mrk-`); the region is captured.
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$/;

/**
 * Why `value` is not a KMS key ARN in the deploy's region, or undefined. `service` is who uses the key there:
 * CloudWatch Logs and SSM can use only a key in their own region, so a key elsewhere would fail every log
 * group or every delivery after a clean deploy.
 */
function keyProblem(value: string, target: DeployTarget, service: string): string | undefined {
  const region = KMS_KEY_ARN.exec(value)?.[1];
  if (region === undefined) return 'not a KMS key ARN';
  if (region !== target.region) {
    return `the key is in ${region}, but the stack deploys to ${target.region}, and ${service} can only use a key in its own region`;
  }
  return undefined;
}

// API Gateway's account-wide limits per region (its quotas page): a route cannot be allowed more.
const ACCOUNT_RATE_LIMIT = 10_000;
const ACCOUNT_BURST_LIMIT = 5_000;
const POSITIVE_NUMBER = /^(\d+(\.\d+)?|\.\d+)$/;
const WHOLE_NUMBER = /^\d+$/;

// The enricher's reserved concurrency: its retry queue's event source takes up to 2 (SQS's least
// MaximumConcurrency), and the stream must keep at least one; Lambda's own ceiling per function is the
// account's quota, 1000 by default.
const MIN_ENRICH_CONCURRENCY = 3;
const MAX_ENRICH_CONCURRENCY = 1000;

// Deliberately loose: SNS sends a confirmation mail, which is the real check.
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Why `value` is not an SSM parameter name IAM can match, or undefined. */
function ssmNameProblem(value: string): string | undefined {
  if (!SSM_TOP_LEVEL_NAME.test(value) && !SSM_HIERARCHICAL_NAME.test(value)) {
    return 'not an SSM parameter name: only letters, digits, `_`, `.`, `-`, and `/` before each level';
  }
  if (SSM_RESERVED_PREFIX.test(value)) return 'SSM reserves names starting with "aws" or "ssm"';
  if (value.length > SSM_NAME_MAX_LENGTH) return `longer than SSM's ${SSM_NAME_MAX_LENGTH} characters`;
  return undefined;
}

const SSM_NAME_ALLOWED =
  'an SSM parameter name: `/path/name` (up to 15 levels) or a top-level `name` without `/`';

/** Every stage parameter serverless.yml declares, with its rule. */
export const STAGE_PARAMETER_RULES: Record<string, StageParameterRule> = {
  signingSecretParameter: {
    allowed: SSM_NAME_ALLOWED,
    problem: (value) =>
      ssmNameProblem(value) ?? refusedByFunction('FREECLIMB_SIGNING_SECRET_PARAMETER', value),
  },
  retentionDays: {
    allowed: 'days until DynamoDB removes a record; 0 keeps records forever',
    problem: (value) => refusedByFunction('RETENTION_DAYS', value),
  },
  logLevel: {
    allowed: `one of ${LOG_LEVELS.join(', ')} (a quieter level would hide the ERROR lines that keep undeliverable records)`,
    problem: (value) => (LOG_LEVELS.includes(value as never) ? undefined : 'not an allowed log level'),
  },
  alarmEmail: {
    allowed: "an e-mail address, or '' for no e-mail",
    problem: (value) => (value === '' || EMAIL_ADDRESS.test(value) ? undefined : 'not an e-mail address'),
  },
  logRetentionDays: {
    allowed: `one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(', ')} (365 or more for Control Tower's CT.CLOUDWATCH.PR.2)`,
    problem: (value) =>
      LOG_RETENTION_DAYS.map(String).includes(value) ? undefined : 'not a retention period',
  },
  logKmsKeyArn: {
    allowed:
      "'' (the stack creates its own key) or a KMS key ARN in the deploy's region, arn:aws:kms:<region>:<account>:key/<key id>",
    problem: (value, target) => (value === '' ? undefined : keyProblem(value, target, 'CloudWatch Logs')),
  },
  signingSecretKmsKeyArn: {
    allowed:
      "'' (the secret uses the default aws/ssm key) or the ARN of the KMS key that encrypts it, in the deploy's region, arn:aws:kms:<region>:<account>:key/<key id>",
    problem: (value, target) => (value === '' ? undefined : keyProblem(value, target, 'SSM')),
  },
  throttleRateLimit: {
    allowed: `requests per second the webhook route accepts in the long run, more than 0 and at most API Gateway's account limit of ${ACCOUNT_RATE_LIMIT}`,
    problem: (value) => {
      const rate = Number(value);
      if (!POSITIVE_NUMBER.test(value) || rate <= 0) return 'not a number of requests per second above 0';
      return rate > ACCOUNT_RATE_LIMIT ? 'above the account limit' : undefined;
    },
  },
  throttleBurstLimit: {
    allowed: `how many requests the webhook route accepts at once above that rate, a whole number from 1 to API Gateway's account limit of ${ACCOUNT_BURST_LIMIT}`,
    problem: (value) => {
      const burst = Number(value);
      if (!WHOLE_NUMBER.test(value) || burst < 1) return 'not a whole number of requests from 1';
      return burst > ACCOUNT_BURST_LIMIT ? 'above the account limit' : undefined;
    },
  },
  enrich: {
    allowed: 'true (deploy the enricher, its stream, queues and alarms) or false',
    problem: (value) => (value === 'true' || value === 'false' ? undefined : 'neither true nor false'),
  },
  apiKeyParameter: {
    allowed: `${SSM_NAME_ALLOWED}, a SecureString holding the FreeClimb API key`,
    problem: (value) => ssmNameProblem(value) ?? refusedByEnricher('FREECLIMB_API_KEY_PARAMETER', value),
  },
  freeclimbApiUrl: {
    allowed:
      "FreeClimb's REST API base URL, https only (the API key travels in every request), without credentials, query or fragment",
    problem: (value) => refusedByEnricher('FREECLIMB_API_URL', value),
  },
  enrichConcurrency: {
    allowed: `the enricher's reserved concurrency, a whole number from ${MIN_ENRICH_CONCURRENCY} (its retry queue takes up to 2, the stream the rest) to ${MAX_ENRICH_CONCURRENCY}`,
    problem: (value) => {
      const concurrency = Number(value);
      if (!WHOLE_NUMBER.test(value) || concurrency < MIN_ENRICH_CONCURRENCY) {
        return `not a whole number from ${MIN_ENRICH_CONCURRENCY}`;
      }
      return concurrency > MAX_ENRICH_CONCURRENCY ? `above ${MAX_ENRICH_CONCURRENCY}` : undefined;
    },
  },
};

/** Where the stage parameters come from, as serverless.yml and the command line give them. */
export interface StageParameterSources {
  /** `params.default`, already resolved by the framework. */
  defaults: Record<string, unknown>;
  /** `params.<stage>`. */
  stage: Record<string, unknown>;
  /** Each `--param="name=value"` given on the command line. */
  commandLine: string[];
}

/**
 * The value of every stage parameter, with the framework's precedence: command line, then the stage's
 * block, then `default`. A name that no rule knows is refused: the framework would silently ignore a typo.
 */
export function resolveStageParameters(sources: StageParameterSources): Map<string, string> {
  const values = new Map<string, string>();
  for (const entry of sources.commandLine) {
    const separator = entry.indexOf('=');
    values.set(entry.slice(0, separator), entry.slice(separator + 1).trimEnd());
  }
  for (const layer of [sources.stage, sources.defaults]) {
    for (const [name, value] of Object.entries(layer)) {
      if (!values.has(name) && value !== null && value !== undefined) values.set(name, String(value));
    }
  }
  return values;
}

/** Every problem with the stage parameters, one readable line each; empty when all are fine. */
export function stageParameterProblems(sources: StageParameterSources, target: DeployTarget): string[] {
  const values = resolveStageParameters(sources);
  const known = Object.keys(STAGE_PARAMETER_RULES);
  const problems: string[] = [];
  for (const name of values.keys()) {
    if (!(name in STAGE_PARAMETER_RULES)) {
      problems.push(`Stage parameter "${name}" is unknown. Known: ${known.join(', ')}.`);
    }
  }
  for (const [name, rule] of Object.entries(STAGE_PARAMETER_RULES)) {
    const value = values.get(name);
    if (value === undefined) {
      problems.push(`Stage parameter "${name}" has no value. Allowed: ${rule.allowed}.`);
      continue;
    }
    const problem = rule.problem(value, target);
    if (problem !== undefined) {
      problems.push(`Stage parameter "${name}" is "${value}": ${problem}. Allowed: ${rule.allowed}.`);
    }
  }
  return problems;
}
