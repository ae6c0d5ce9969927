import { EXAMPLE_PSEUDO_PARAMETERS } from '../support/cloudformation-values';
import { type FunctionRole, functionRole, simulateAsFunction } from '../support/iam-function-role';
import type { IamVerdict } from '../support/iam-simulation';
import { packagedDirectories, packagedTemplate, type Template } from '../support/packaged-template';
import { STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// The function's own role, from the packaged template, judged by an IAM policy simulator one request at a time
// with the context AWS gives it: allowed exactly what the handler does (put and get a call record, put a
// rejected delivery, read its one secret, write its own log, and the KMS calls CloudWatch Logs and SSM make for
// it), and refused everything around that. Once per run: it reads only the packaged templates.

const { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION } = EXAMPLE_PSEUDO_PARAMETERS;
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
const LOGS = `logs.${REGION}.amazonaws.com`;
const SSM = `ssm.${REGION}.amazonaws.com`;
/** A key of the account that is neither the log key nor the signing secret's. */
const OTHER_KEY = arn('kms', 'key/99999999-8888-7777-6666-555555555555');
/** The packagings judged: the defaults, and the KMS keys a user may bring. */
const COMBINATIONS = ['defaults', 'secret-key', 'log-key-given', 'everything-set'];

/** The names the handler and Lambda use, read from the template (not from the role). */
interface Names {
  calls: string;
  rejected: string;
  parameterArn: string;
  logGroup: string;
  accessLogGroup: string;
  logKey: string;
  /** The signing secret's customer managed key, when signingSecretKmsKeyArn is set. */
  signingKey?: string;
}

/** One request the function's session could make, and whether it must be allowed. */
interface Case {
  what: string;
  action: string;
  resource(names: Names): string;
  context?(names: Names): Record<string, string>;
  allowed(names: Names): boolean;
  /** Left out where it would name the same request as another case (a key used for both purposes). */
  applies?(names: Names): boolean;
}

const table = (name: string) => arn('dynamodb', `table/${name}`);
const stream = (group: string) => arn('logs', `log-group:${group}:log-stream:2026/12/05/[$LATEST]0123abcd`);
const group = (name: string) => arn('logs', `log-group:${name}`);
const always = () => true;
const never = () => false;
const viaLogsFor = (logGroup: string) => () => ({
  'kms:ViaService': LOGS,
  'kms:EncryptionContext:aws:logs:arn': group(logGroup),
});

const CASES: Case[] = [
  // What the handler does.
  { what: 'put a call record', action: 'dynamodb:PutItem', resource: (n) => table(n.calls), allowed: always },
  {
    what: 'read a call record back',
    action: 'dynamodb:GetItem',
    resource: (n) => table(n.calls),
    allowed: always,
  },
  {
    what: 'put a rejected delivery',
    action: 'dynamodb:PutItem',
    resource: (n) => table(n.rejected),
    allowed: always,
  },
  { what: 'read its secret', action: 'ssm:GetParameter', resource: (n) => n.parameterArn, allowed: always },
  // What Lambda does with the function's role.
  {
    what: 'start a log stream in its log group',
    action: 'logs:CreateLogStream',
    resource: (n) => stream(n.logGroup),
    allowed: always,
  },
  {
    what: 'write its log',
    action: 'logs:PutLogEvents',
    resource: (n) => stream(n.logGroup),
    allowed: always,
  },
  // What CloudWatch Logs and SSM ask KMS for on its behalf.
  {
    what: 'a data key for its log, through CloudWatch Logs',
    action: 'kms:GenerateDataKey',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.logGroup)(),
    allowed: always,
  },
  {
    what: 'decrypt its log’s data key, through CloudWatch Logs',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.logGroup)(),
    allowed: always,
  },
  {
    what: 'describe the log key, through CloudWatch Logs',
    action: 'kms:DescribeKey',
    resource: (n) => n.logKey,
    context: () => ({ 'kms:ViaService': LOGS }),
    allowed: always,
  },
  {
    what: 'decrypt its secret with the secret’s key, through SSM',
    action: 'kms:Decrypt',
    resource: (n) => n.signingKey ?? OTHER_KEY,
    context: (n) => ({ 'kms:ViaService': SSM, 'kms:EncryptionContext:PARAMETER_ARN': n.parameterArn }),
    // Only with signingSecretKmsKeyArn: the default aws/ssm key needs no grant.
    allowed: (n) => n.signingKey !== undefined,
  },
  // The tables: nothing but put and get by key.
  ...['Scan', 'Query', 'DeleteItem', 'UpdateItem', 'BatchWriteItem', 'BatchGetItem', 'ConditionCheckItem']
    .concat([
      'PartiQLSelect',
      'PartiQLUpdate',
      'PartiQLDelete',
      'DescribeTable',
      'DeleteTable',
      'UpdateTable',
    ])
    .map(
      (action): Case => ({
        what: `${action} on the calls table`,
        action: `dynamodb:${action}`,
        resource: (n) => table(n.calls),
        allowed: never,
      }),
    ),
  {
    what: 'query the call log index',
    action: 'dynamodb:Query',
    resource: (n) => `${table(n.calls)}/index/callLog-index`,
    allowed: never,
  },
  {
    what: 'read a rejected delivery',
    action: 'dynamodb:GetItem',
    resource: (n) => table(n.rejected),
    allowed: never,
  },
  {
    what: 'scan the rejected table',
    action: 'dynamodb:Scan',
    resource: (n) => table(n.rejected),
    allowed: never,
  },
  {
    what: 'put into another table',
    action: 'dynamodb:PutItem',
    resource: () => table('orders'),
    allowed: never,
  },
  {
    what: 'put into another stage’s calls table',
    action: 'dynamodb:PutItem',
    resource: (n) => table(n.calls.replace('-prod-', '-dev-')),
    allowed: never,
  },
  // Parameters: its one secret only, by name.
  {
    what: 'read another stage’s secret',
    action: 'ssm:GetParameter',
    resource: () => arn('ssm', 'parameter/freeclimb-call-records/dev/signing-secret'),
    allowed: never,
  },
  {
    what: 'read a parameter named like its own with more after it',
    action: 'ssm:GetParameter',
    resource: (n) => `${n.parameterArn}-old`,
    allowed: never,
  },
  {
    what: 'read its secret by path',
    action: 'ssm:GetParametersByPath',
    resource: (n) => n.parameterArn.slice(0, n.parameterArn.lastIndexOf('/')),
    allowed: never,
    // A top-level name (signingSecretParameter without `/`) has no path above it.
    applies: (n) => n.parameterArn.split(':parameter/')[1]?.includes('/') === true,
  },
  {
    what: 'read its secret with GetParameters',
    action: 'ssm:GetParameters',
    resource: (n) => n.parameterArn,
    allowed: never,
  },
  {
    what: 'overwrite its secret',
    action: 'ssm:PutParameter',
    resource: (n) => n.parameterArn,
    allowed: never,
  },
  {
    what: 'delete its secret',
    action: 'ssm:DeleteParameter',
    resource: (n) => n.parameterArn,
    allowed: never,
  },
  // Logs: write its own, read none.
  {
    what: 'write to the access log',
    action: 'logs:PutLogEvents',
    resource: (n) => stream(n.accessLogGroup),
    allowed: never,
  },
  {
    what: 'write to a log group whose name starts with its own',
    action: 'logs:PutLogEvents',
    resource: (n) => stream(`${n.logGroup}-other`),
    allowed: never,
  },
  {
    what: 'write to another function’s log',
    action: 'logs:CreateLogStream',
    resource: () => stream('/aws/lambda/payments'),
    allowed: never,
  },
  {
    what: 'read its own log',
    action: 'logs:GetLogEvents',
    resource: (n) => stream(n.logGroup),
    allowed: never,
  },
  {
    what: 'search its own log',
    action: 'logs:FilterLogEvents',
    resource: (n) => group(n.logGroup),
    allowed: never,
  },
  {
    what: 'create a log group',
    action: 'logs:CreateLogGroup',
    resource: () => group('/aws/lambda/x'),
    allowed: never,
  },
  {
    what: 'delete its log group',
    action: 'logs:DeleteLogGroup',
    resource: (n) => group(n.logGroup),
    allowed: never,
  },
  // Keys: only as CloudWatch Logs and SSM use them for it.
  {
    what: 'decrypt with the log key directly',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => ({ 'kms:EncryptionContext:aws:logs:arn': group(n.logGroup) }),
    allowed: never,
  },
  {
    what: 'decrypt the access log’s data, through CloudWatch Logs',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.accessLogGroup)(),
    allowed: never,
  },
  {
    what: 'a data key for the access log, through CloudWatch Logs',
    action: 'kms:GenerateDataKey',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.accessLogGroup)(),
    allowed: never,
  },
  {
    what: 'decrypt with the log key through SSM',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => ({ 'kms:ViaService': SSM, 'kms:EncryptionContext:PARAMETER_ARN': n.parameterArn }),
    allowed: never,
    applies: (n) => n.logKey !== n.signingKey,
  },
  {
    what: 'encrypt with the log key, through CloudWatch Logs',
    action: 'kms:Encrypt',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.logGroup)(),
    allowed: never,
  },
  {
    what: 'describe the log key directly',
    action: 'kms:DescribeKey',
    resource: (n) => n.logKey,
    allowed: never,
  },
  {
    what: 'decrypt with the secret’s key directly',
    action: 'kms:Decrypt',
    resource: (n) => n.signingKey ?? OTHER_KEY,
    context: (n) => ({ 'kms:EncryptionContext:PARAMETER_ARN': n.parameterArn }),
    allowed: never,
  },
  {
    what: 'decrypt another parameter with the secret’s key, through SSM',
    action: 'kms:Decrypt',
    resource: (n) => n.signingKey ?? OTHER_KEY,
    context: () => ({
      'kms:ViaService': SSM,
      'kms:EncryptionContext:PARAMETER_ARN': arn('ssm', 'parameter/payments/api-key'),
    }),
    allowed: never,
  },
  {
    what: 'decrypt its secret with another key, through SSM',
    action: 'kms:Decrypt',
    resource: () => OTHER_KEY,
    context: (n) => ({ 'kms:ViaService': SSM, 'kms:EncryptionContext:PARAMETER_ARN': n.parameterArn }),
    allowed: never,
  },
  {
    what: 'grant the log key to someone',
    action: 'kms:CreateGrant',
    resource: (n) => n.logKey,
    context: () => ({ 'kms:ViaService': LOGS }),
    allowed: never,
  },
  // Anything else.
  {
    what: 'invoke itself',
    action: 'lambda:InvokeFunction',
    resource: () => arn('lambda', 'function:freeclimb-call-records-prod-callStatus'),
    allowed: never,
  },
  {
    what: 'pass its role on',
    action: 'iam:PassRole',
    resource: () => `arn:aws:iam::${ACCOUNT}:role/freeclimb-call-records-prod-us-east-1-callStatus`,
    allowed: never,
  },
  {
    what: 'read its deployment artifacts',
    action: 's3:GetObject',
    resource: () => 'arn:aws:s3:::freeclimb-call-records-prod-serverlessdeploymentbucket-x/serverless/a.zip',
    allowed: never,
  },
];

/** The names the handler, Lambda, CloudWatch Logs and SSM use in a packaged template. */
function namesOf(template: Template, role: FunctionRole): Names {
  const { CALLS_TABLE, REJECTED_TABLE, FREECLIMB_SIGNING_SECRET_PARAMETER: parameter } = role.environment;
  const logGroupName = (id: string) => template.Resources[id]?.Properties.LogGroupName as string;
  const keyParameter = (name: string) => template.Parameters?.[name]?.Default as string;
  const [stackKey] = [...role.stackKeyPolicies.keys()];
  return {
    calls: CALLS_TABLE as string,
    rejected: REJECTED_TABLE as string,
    // A top-level name has no `/`; the ARN puts one before it either way.
    parameterArn: arn('ssm', `parameter/${(parameter as string).replace(/^\//, '')}`),
    logGroup: logGroupName('CallStatusLogGroup'),
    accessLogGroup: logGroupName('HttpApiLogGroup'),
    logKey: keyParameter('LogKmsKeyArn') || (stackKey as string),
    signingKey: keyParameter('SigningSecretKmsKeyArn') || undefined,
  };
}

/** Verdicts by case, then by combination, for the table printed at the end. */
const verdicts = new Map<string, Map<string, IamVerdict | 'n/a'>>();

afterAll(() => {
  const rows = [...verdicts].map(
    ([what, byCombination]) =>
      `| ${what} | ${COMBINATIONS.map((name) => byCombination.get(name) ?? '').join(' | ')} |`,
  );
  const counted = (name: string, counts: (verdict: IamVerdict | 'n/a' | undefined) => boolean) =>
    [...verdicts.values()].filter((byCombination) => counts(byCombination.get(name))).length;
  const totals = COMBINATIONS.map(
    (name) =>
      `| ${name} | ${counted(name, (v) => v !== undefined && v !== 'n/a')} | ${counted(name, (v) => v === 'Allowed')} | ${counted(name, (v) => v === 'ImplicitlyDenied' || v === 'ExplicitlyDenied')} |`,
  );
  console.log(
    [
      'The function’s role (CallStatusRole), simulated per request',
      '',
      `| request | ${COMBINATIONS.join(' | ')} |`,
      `|---|${COMBINATIONS.map(() => '---').join('|')}|`,
      ...rows,
      '',
      '| packaging | requests simulated | allowed | refused |',
      '|---|---:|---:|---:|',
      ...totals,
    ].join('\n'),
  );
});

beforeAll(async () => {
  // The packagings judged, all at once rather than one per test.
  await packagedDirectories(STAGE_PARAMETER_COMBINATIONS.filter(({ name }) => COMBINATIONS.includes(name)));
}, 300_000);

test.each(COMBINATIONS)(
  'with %s, the function’s role allows exactly what the handler, Lambda, CloudWatch Logs and SSM do for it',
  async (combination) => {
    // Prepare
    const parameters = STAGE_PARAMETER_COMBINATIONS.find((candidate) => candidate.name === combination);
    if (!parameters) throw new Error(`No stage parameter combination ${combination}`);
    const template = await packagedTemplate(parameters);
    const role = functionRole(template, 'CallStatusLambdaFunction');
    const names = namesOf(template, role);

    // Act
    const results = [];
    for (const request of CASES) {
      const byCombination = verdicts.get(request.what) ?? new Map();
      verdicts.set(request.what, byCombination);
      if (request.applies && !request.applies(names)) {
        byCombination.set(combination, 'n/a');
        continue;
      }
      const resource = request.resource(names);
      const verdict = await simulateAsFunction(role, {
        action: request.action,
        resource,
        context: request.context?.(names),
      });
      byCombination.set(combination, verdict.result);
      results.push({ ...request, resource, verdict: verdict.result, expected: request.allowed(names) });
    }

    // Assess
    const wrong = results
      .filter(({ verdict, expected }) => (verdict === 'Allowed') !== expected)
      .map(({ what, action, resource, verdict }) => `${what}: ${action} on ${resource} was ${verdict}`);
    expect(wrong).toEqual([]);
    expect(results.filter(({ verdict }) => verdict === 'Allowed').length).toBe(names.signingKey ? 10 : 9);
  },
  300_000,
);
