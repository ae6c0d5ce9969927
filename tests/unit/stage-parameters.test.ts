import path from 'node:path';
import {
  functionConfigurationProblem,
  resolveStageParameters,
  STAGE_PARAMETER_RULES,
  stageParameterProblems,
} from '../../deploy/stage-parameters';
import { sectionTableRows } from '../support/doc-table';

const DEFAULTS = {
  signingSecretParameter: '/freeclimb-call-records/prod/signing-secret',
  retentionDays: 0,
  logLevel: 'INFO',
  alarmEmail: '',
  logRetentionDays: 365,
  logKmsKeyArn: '',
  signingSecretKmsKeyArn: '',
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  enrich: false,
  apiKeyParameter: '/freeclimb-call-records/prod/api-key',
  freeclimbApiUrl: 'https://www.freeclimb.com/apiserver',
  enrichConcurrency: 4,
};

/** Where these checks deploy to, as the framework would report `--region eu-west-1`. */
const TARGET = { region: 'eu-west-1' };
const KEY_IN_REGION = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ELSEWHERE = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function problemsWith(commandLine: string[]): string[] {
  return stageParameterProblems({ defaults: DEFAULTS, stage: {}, commandLine }, TARGET);
}

test('the command line wins over the stage block, which wins over the defaults, as in the framework', () => {
  // Prepare
  const sources = {
    defaults: { ...DEFAULTS, logLevel: 'INFO', retentionDays: 0 },
    stage: { logLevel: 'WARN', retentionDays: 30 },
    commandLine: ['retentionDays=90 ', 'alarmEmail=ops@example.com'],
  };

  // Act
  const values = resolveStageParameters(sources);

  // Assess
  expect(values.get('retentionDays')).toBe('90');
  expect(values.get('logLevel')).toBe('WARN');
  expect(values.get('alarmEmail')).toBe('ops@example.com');
  expect(values.get('logRetentionDays')).toBe('365');
});

// serverless.yml itself is checked by every packaging (tests/support/packaged-template.ts): a parameter it
// declares without a rule is refused as unknown there.
test('the defaults pass, and each rule names its allowed values', () => {
  // Prepare
  const rules = Object.entries(STAGE_PARAMETER_RULES);

  // Act
  const problems = problemsWith([]);

  // Assess
  expect(problems).toEqual([]);
  expect(rules.map(([name]) => name).sort()).toEqual(Object.keys(DEFAULTS).sort());
  for (const [, rule] of rules) expect(rule.allowed.length).toBeGreaterThan(10);
});

test("docs/deploying.md's parameter table names exactly the parameters with rules", async () => {
  // Prepare
  const rows = await sectionTableRows(path.join('docs', 'deploying.md'), '## Stage parameters');

  // Act
  const documented = rows.map(([name]) => /^`(\w+)`$/.exec(name ?? '')?.[1]).filter(Boolean);

  // Assess
  expect(documented.sort()).toEqual(Object.keys(STAGE_PARAMETER_RULES).sort());
});

test.each([
  ['signingSecretParameter=freeclimb-secret'],
  ['signingSecretParameter=/a/b.c/d_e-f'],
  ['retentionDays=36500'],
  ['logLevel=ERROR'],
  ['logLevel=TRACE'],
  ['alarmEmail=on-call@example.com'],
  ['logRetentionDays=1096'],
  ['logKmsKeyArn=arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab'],
  [`logKmsKeyArn=${KEY_IN_REGION}`],
  [`signingSecretKmsKeyArn=${KEY_IN_REGION}`],
  ['signingSecretKmsKeyArn=arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab'],
  ['throttleRateLimit=0.5'],
  ['throttleRateLimit=10000'],
  ['throttleBurstLimit=1'],
  ['throttleBurstLimit=5000'],
  ['enrich=true'],
  ['apiKeyParameter=freeclimb-api-key'],
  ['freeclimbApiUrl=https://api.example.com/apiserver/'],
  ['enrichConcurrency=3'],
  ['enrichConcurrency=1000'],
])('%s is accepted', (param) => {
  // Prepare
  const commandLine = [param];

  // Act
  const problems = problemsWith(commandLine);

  // Assess
  expect(problems).toEqual([]);
});

test.each([
  ['signingSecretParameter=team/secret', 'not an SSM parameter name'],
  ['signingSecretParameter=/team//secret', 'not an SSM parameter name'],
  ['signingSecretParameter=/aws/secret', 'SSM reserves names'],
  ['signingSecretParameter=/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p', 'not an SSM parameter name'],
  // The function's own rule (lib/config.ts): the same bound, the same words.
  ['retentionDays=36501', 'RETENTION_DAYS must be a whole number from 0 to 36500'],
  ['retentionDays=-1', 'RETENTION_DAYS must be a whole number from 0 to 36500'],
  ['logLevel=SILENT', 'not an allowed log level'],
  ['logLevel=CRITICAL', 'not an allowed log level'],
  ['alarmEmail=ops', 'not an e-mail address'],
  ['logRetentionDays=364', 'not a retention period'],
  ['logKmsKeyArn=alias/aws/logs', 'not a KMS key ARN'],
  ['signingSecretKmsKeyArn=alias/aws/ssm', 'not a KMS key ARN'],
  ['signingSecretKmsKeyArn=arn:aws:kms:eu-west-1:123456789012:alias/freeclimb', 'not a KMS key ARN'],
  ['throttleRateLimit=0', 'not a number of requests per second above 0'],
  ['throttleRateLimit=-5', 'not a number of requests per second above 0'],
  ['throttleRateLimit=fast', 'not a number of requests per second above 0'],
  ['throttleRateLimit=10001', 'above the account limit'],
  ['throttleBurstLimit=0', 'not a whole number of requests from 1'],
  ['throttleBurstLimit=2.5', 'not a whole number of requests from 1'],
  ['throttleBurstLimit=5001', 'above the account limit'],
  ['logKmsKey=arn:aws:kms:us-east-1:123456789012:key/x', 'Stage parameter "logKmsKey" is unknown'],
  ['enrich=yes', 'neither true nor false'],
  ['apiKeyParameter=/ssm/key', 'SSM reserves names'],
  ['apiKeyParameter=team/key', 'not an SSM parameter name'],
  // The enricher's own rule (lib/enricher-config.ts), as inside AWS Lambda: https only.
  ['freeclimbApiUrl=http://127.0.0.1:8080/apiserver', 'FREECLIMB_API_URL must be an https URL'],
  ['freeclimbApiUrl=https://user:secret@api.example.com', 'FREECLIMB_API_URL must hold no credentials'],
  ['enrichConcurrency=2', 'not a whole number from 3'],
  ['enrichConcurrency=4.5', 'not a whole number from 3'],
  ['enrichConcurrency=1001', 'above 1000'],
])('%s is refused: %s', (param, reason) => {
  // Prepare
  const name = param.slice(0, param.indexOf('='));

  // Act
  const problems = problemsWith([param]);

  // Assess
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(`Stage parameter "${name}"`);
  expect(problems[0]).toContain(reason);
});

test.each([
  ['logKmsKeyArn', 'CloudWatch Logs'],
  ['signingSecretKmsKeyArn', 'SSM'],
])("a %s in another region than the deploy's is refused, naming both regions", (name, service) => {
  // Prepare
  const commandLine = [`${name}=${KEY_ELSEWHERE}`];

  // Act
  const problems = problemsWith(commandLine);

  // Assess
  expect(problems).toEqual([
    expect.stringContaining(
      `Stage parameter "${name}" is "${KEY_ELSEWHERE}": the key is in us-east-1, but the stack deploys to eu-west-1, and ${service} can only use a key in its own region.`,
    ),
  ]);
});

test('a parameter left without any value is named', () => {
  // Prepare
  const { alarmEmail: _left, ...defaults } = DEFAULTS;

  // Act
  const problems = stageParameterProblems({ defaults, stage: {}, commandLine: [] }, TARGET);

  // Assess
  expect(problems).toEqual([expect.stringContaining('Stage parameter "alarmEmail" has no value. Allowed:')]);
});

test("the function's whole environment is judged by the function's own rules", () => {
  // Prepare
  const environment = {
    CALLS_TABLE: 'calls',
    REJECTED_TABLE: 'rejected',
    FREECLIMB_SIGNING_SECRET_PARAMETER: '/secret',
  };

  // Act
  const fine = functionConfigurationProblem(environment);
  const tooTolerant = functionConfigurationProblem({ ...environment, SIGNATURE_TOLERANCE_SECONDS: '86400' });
  const verificationOff = functionConfigurationProblem({
    ...environment,
    FREECLIMB_SIGNATURE_VERIFICATION: 'disabled-for-local-development',
  });

  // Assess
  expect(fine).toBeUndefined();
  expect(tooTolerant).toBe('SIGNATURE_TOLERANCE_SECONDS must be a whole number from 1 to 3600');
  expect(verificationOff).toContain('cannot turn verification off inside AWS Lambda');
});

test("the enricher's environment is judged by the enricher's own rules, and a function without rules is refused", () => {
  // Prepare
  const environment = { CALLS_TABLE: 'calls', FREECLIMB_API_KEY_PARAMETER: '/api-key' };

  // Act
  const fine = functionConfigurationProblem(environment, 'enrichCall');
  const keyInEnvironment = functionConfigurationProblem(
    { CALLS_TABLE: 'calls', FREECLIMB_API_KEY: 'fc_key' },
    'enrichCall',
  );
  const asWebhook = functionConfigurationProblem(environment);
  const unknown = functionConfigurationProblem(environment, 'reportCalls');

  // Assess
  expect(fine).toBeUndefined();
  expect(keyInEnvironment).toBe(
    'FREECLIMB_API_KEY cannot be used inside AWS Lambda: use FREECLIMB_API_KEY_PARAMETER',
  );
  expect(asWebhook).toBe('REJECTED_TABLE is not set: it must hold the name of the rejected-deliveries table');
  expect(unknown).toContain('no configuration check is known for it');
});
