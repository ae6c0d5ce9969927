import { DEFAULT_PARAMETERS, type StageParameterSet } from './packaged-template';

/**
 * The combinations of stage parameters docs/deploying.md documents, each packaged once per test run: the
 * defaults, each parameter that changes what the stack holds on its own, and every parameter set at once.
 * A new stage parameter gets a line here (tests/template/cfn-lint.test.ts refuses a parameter that no
 * combination sets).
 */

/** An example key in the region the tests package for (us-east-1); the account is AWS's example one. */
export const EXAMPLE_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Every parameter of serverless.yml set away from its default. */
const EVERYTHING_SET = [
  'signingSecretParameter=freeclimb-signing-secret',
  'retentionDays=400',
  'logLevel=DEBUG',
  'alarmEmail=on-call@example.com',
  'logRetentionDays=3653',
  `logKmsKeyArn=${EXAMPLE_KEY_ARN}`,
  `signingSecretKmsKeyArn=${EXAMPLE_KEY_ARN}`,
  'throttleRateLimit=5',
  'throttleBurstLimit=10',
  'enrich=true',
  'apiKeyParameter=freeclimb-api-key',
  'freeclimbApiUrl=https://api.example.com/apiserver',
  'enrichConcurrency=8',
];

/** The enricher with its defaults: its stream, function, role, queues, event source mappings and alarms. */
export const ENRICH: StageParameterSet = { name: 'enrich', params: ['enrich=true'] };

export const STAGE_PARAMETER_COMBINATIONS: StageParameterSet[] = [
  DEFAULT_PARAMETERS,
  { name: 'log-key-given', params: [`logKmsKeyArn=${EXAMPLE_KEY_ARN}`] },
  { name: 'alarm-email', params: ['alarmEmail=on-call@example.com'] },
  { name: 'top-level-secret', params: ['signingSecretParameter=freeclimb-signing-secret'] },
  { name: 'secret-key', params: [`signingSecretKmsKeyArn=${EXAMPLE_KEY_ARN}`] },
  ENRICH,
  { name: 'everything-set', params: EVERYTHING_SET },
];
