import { EXAMPLE_PSEUDO_PARAMETERS } from '../support/cloudformation-values';
import { type FunctionRole, functionRole, simulateAsFunction } from '../support/iam-function-role';
import type { IamVerdict } from '../support/iam-simulation';
import { packagedTemplate, type Template } from '../support/packaged-template';
import { STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// The enricher's own role (EnrichCallRole), from the packaged template, judged by an IAM policy simulator one
// request at a time with the context AWS gives it: allowed exactly what Lambda's two event sources and the
// handler do (read the calls table's stream, receive and delete the retry queue's messages, UpdateItem a
// record, read its API key, send to its two queues, write its own log), and refused everything around it:
// no read of a record (DynamoDB's ALL_OLD answers a refused write), no other table, queue, parameter or log.

const { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION } = EXAMPLE_PSEUDO_PARAMETERS;
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
const LOGS = `logs.${REGION}.amazonaws.com`;
const SSM = `ssm.${REGION}.amazonaws.com`;
/** The packagings with the enricher: its defaults, and every parameter set (a top-level key name, a log key given). */
const COMBINATIONS = ['enrich', 'everything-set'];
/** A stream's label is the time it was turned on. */
const STREAM_LABEL = 'stream/2026-12-05T10:00:00.000';

interface Names {
  calls: string;
  rejected: string;
  apiKeyArn: string;
  signingSecretArn: string;
  retryQueue: string;
  deadLetterQueue: string;
  logGroup: string;
  webhookLogGroup: string;
  logKey: string;
}

interface Case {
  what: string;
  action: string;
  resource(names: Names): string;
  context?(names: Names): Record<string, string>;
  allowed: boolean;
}

const table = (name: string) => arn('dynamodb', `table/${name}`);
const stream = (name: string) => `${table(name)}/${STREAM_LABEL}`;
const queue = (name: string) => arn('sqs', name);
const logStream = (group: string) =>
  arn('logs', `log-group:${group}:log-stream:2026/12/05/[$LATEST]0123abcd`);
const group = (name: string) => arn('logs', `log-group:${name}`);
const viaLogsFor = (logGroup: string) => ({
  'kms:ViaService': LOGS,
  'kms:EncryptionContext:aws:logs:arn': group(logGroup),
});

const CASES: Case[] = [
  // Lambda's stream event source, with the function's role.
  ...['DescribeStream', 'GetRecords', 'GetShardIterator'].map(
    (action): Case => ({
      what: `${action} on the calls table’s stream`,
      action: `dynamodb:${action}`,
      resource: (n) => stream(n.calls),
      allowed: true,
    }),
  ),
  { what: 'list the streams', action: 'dynamodb:ListStreams', resource: () => '*', allowed: true },
  // Lambda's queue event source.
  ...['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map(
    (action): Case => ({
      what: `${action} on the retry queue`,
      action: `sqs:${action}`,
      resource: (n) => queue(n.retryQueue),
      allowed: true,
    }),
  ),
  // The handler, and Lambda's on-failure destination.
  {
    what: 'add details to a record',
    action: 'dynamodb:UpdateItem',
    resource: (n) => table(n.calls),
    allowed: true,
  },
  { what: 'read its API key', action: 'ssm:GetParameter', resource: (n) => n.apiKeyArn, allowed: true },
  { what: 'queue a retry', action: 'sqs:SendMessage', resource: (n) => queue(n.retryQueue), allowed: true },
  {
    what: 'send a dead letter',
    action: 'sqs:SendMessage',
    resource: (n) => queue(n.deadLetterQueue),
    allowed: true,
  },
  // Its log, and the log key through CloudWatch Logs for it.
  {
    what: 'start a log stream in its log group',
    action: 'logs:CreateLogStream',
    resource: (n) => logStream(n.logGroup),
    allowed: true,
  },
  {
    what: 'write its log',
    action: 'logs:PutLogEvents',
    resource: (n) => logStream(n.logGroup),
    allowed: true,
  },
  {
    what: 'a data key for its log, through CloudWatch Logs',
    action: 'kms:GenerateDataKey',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.logGroup),
    allowed: true,
  },
  {
    what: 'decrypt its log’s data key, through CloudWatch Logs',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.logGroup),
    allowed: true,
  },
  {
    what: 'describe the log key, through CloudWatch Logs',
    action: 'kms:DescribeKey',
    resource: (n) => n.logKey,
    context: () => ({ 'kms:ViaService': LOGS }),
    allowed: true,
  },
  // The calls table: UpdateItem only; never a read, a put, a delete.
  ...[
    'GetItem',
    'PutItem',
    'DeleteItem',
    'Scan',
    'Query',
    'BatchGetItem',
    'BatchWriteItem',
    'ConditionCheckItem',
    'PartiQLSelect',
    'PartiQLUpdate',
    'DescribeTable',
    'UpdateTable',
    'DeleteTable',
  ].map(
    (action): Case => ({
      what: `${action} on the calls table`,
      action: `dynamodb:${action}`,
      resource: (n) => table(n.calls),
      allowed: false,
    }),
  ),
  {
    what: 'query the call log index',
    action: 'dynamodb:Query',
    resource: (n) => `${table(n.calls)}/index/callLog-index`,
    allowed: false,
  },
  {
    what: 'UpdateItem on the rejected table',
    action: 'dynamodb:UpdateItem',
    resource: (n) => table(n.rejected),
    allowed: false,
  },
  {
    what: 'read a rejected delivery',
    action: 'dynamodb:GetItem',
    resource: (n) => table(n.rejected),
    allowed: false,
  },
  {
    what: 'UpdateItem on another table',
    action: 'dynamodb:UpdateItem',
    resource: () => table('orders'),
    allowed: false,
  },
  {
    what: 'UpdateItem on another stage’s calls table',
    action: 'dynamodb:UpdateItem',
    resource: (n) => table(n.calls.replace('-prod-', '-dev-')),
    allowed: false,
  },
  {
    what: 'read another table’s stream',
    action: 'dynamodb:GetRecords',
    resource: () => stream('orders'),
    allowed: false,
  },
  {
    what: 'read another stage’s calls stream',
    action: 'dynamodb:GetRecords',
    resource: (n) => stream(n.calls.replace('-prod-', '-dev-')),
    allowed: false,
  },
  // Queues: its own two, each only as used.
  {
    what: 'receive dead letters',
    action: 'sqs:ReceiveMessage',
    resource: (n) => queue(n.deadLetterQueue),
    allowed: false,
  },
  {
    what: 'delete dead letters',
    action: 'sqs:DeleteMessage',
    resource: (n) => queue(n.deadLetterQueue),
    allowed: false,
  },
  {
    what: 'purge the retry queue',
    action: 'sqs:PurgeQueue',
    resource: (n) => queue(n.retryQueue),
    allowed: false,
  },
  {
    what: 'delete the retry queue',
    action: 'sqs:DeleteQueue',
    resource: (n) => queue(n.retryQueue),
    allowed: false,
  },
  {
    what: 'change the dead-letter queue’s attributes',
    action: 'sqs:SetQueueAttributes',
    resource: (n) => queue(n.deadLetterQueue),
    allowed: false,
  },
  {
    what: 'send to another queue',
    action: 'sqs:SendMessage',
    resource: () => queue('orders'),
    allowed: false,
  },
  {
    what: 'send to another stage’s retry queue',
    action: 'sqs:SendMessage',
    resource: (n) => queue(n.retryQueue.replace('-prod-', '-dev-')),
    allowed: false,
  },
  // Parameters: its key only; never the webhook's signing secret.
  {
    what: 'read the signing secret',
    action: 'ssm:GetParameter',
    resource: (n) => n.signingSecretArn,
    allowed: false,
  },
  {
    what: 'read another stage’s API key',
    action: 'ssm:GetParameter',
    resource: () => arn('ssm', 'parameter/freeclimb-call-records/dev/api-key'),
    allowed: false,
  },
  {
    what: 'read a parameter named like its key with more after it',
    action: 'ssm:GetParameter',
    resource: (n) => `${n.apiKeyArn}-old`,
    allowed: false,
  },
  {
    what: 'read its key with GetParameters',
    action: 'ssm:GetParameters',
    resource: (n) => n.apiKeyArn,
    allowed: false,
  },
  { what: 'overwrite its key', action: 'ssm:PutParameter', resource: (n) => n.apiKeyArn, allowed: false },
  // Logs: write its own, read none.
  {
    what: 'write to the webhook’s log',
    action: 'logs:PutLogEvents',
    resource: (n) => logStream(n.webhookLogGroup),
    allowed: false,
  },
  {
    what: 'read its own log',
    action: 'logs:GetLogEvents',
    resource: (n) => logStream(n.logGroup),
    allowed: false,
  },
  {
    what: 'search the webhook’s log',
    action: 'logs:FilterLogEvents',
    resource: (n) => group(n.webhookLogGroup),
    allowed: false,
  },
  // Keys: only as CloudWatch Logs uses them for its log.
  {
    what: 'decrypt the webhook’s log data, through CloudWatch Logs',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => viaLogsFor(n.webhookLogGroup),
    allowed: false,
  },
  {
    what: 'decrypt with the log key directly',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => ({ 'kms:EncryptionContext:aws:logs:arn': group(n.logGroup) }),
    allowed: false,
  },
  {
    what: 'decrypt with the log key through SSM',
    action: 'kms:Decrypt',
    resource: (n) => n.logKey,
    context: (n) => ({ 'kms:ViaService': SSM, 'kms:EncryptionContext:PARAMETER_ARN': n.apiKeyArn }),
    allowed: false,
  },
  // Anything else.
  {
    what: 'invoke the webhook',
    action: 'lambda:InvokeFunction',
    resource: () => arn('lambda', 'function:freeclimb-call-records-prod-callStatus'),
    allowed: false,
  },
  {
    what: 'pass its role on',
    action: 'iam:PassRole',
    resource: () => `arn:aws:iam::${ACCOUNT}:role/freeclimb-call-records-prod-us-east-1-enrichCall`,
    allowed: false,
  },
];

/** The names Lambda, the handler and CloudWatch Logs use, read from the template and the function's environment. */
function namesOf(template: Template, role: FunctionRole): Names {
  const environment = role.environment;
  const logGroupName = (id: string) => template.Resources[id]?.Properties.LogGroupName as string;
  const queueName = (id: string) => template.Resources[id]?.Properties.QueueName as string;
  const parameterArn = (name: string) => arn('ssm', `parameter/${name.replace(/^\//, '')}`);
  const [stackKey] = [...role.stackKeyPolicies.keys()];
  const givenKey = template.Parameters?.LogKmsKeyArn?.Default as string;
  return {
    calls: environment.CALLS_TABLE as string,
    rejected: environment.REJECTED_TABLE as string,
    apiKeyArn: parameterArn(environment.FREECLIMB_API_KEY_PARAMETER as string),
    signingSecretArn: parameterArn(environment.FREECLIMB_SIGNING_SECRET_PARAMETER as string),
    retryQueue: queueName('EnrichRetryQueue'),
    deadLetterQueue: queueName('EnrichDeadLetterQueue'),
    logGroup: logGroupName('EnrichCallLogGroup'),
    webhookLogGroup: logGroupName('CallStatusLogGroup'),
    logKey: givenKey || (stackKey as string),
  };
}

const verdicts = new Map<string, Map<string, IamVerdict>>();

afterAll(() => {
  const rows = [...verdicts].map(
    ([what, byCombination]) =>
      `| ${what} | ${COMBINATIONS.map((name) => byCombination.get(name) ?? '').join(' | ')} |`,
  );
  const allowed = (name: string) => [...verdicts.values()].filter((by) => by.get(name) === 'Allowed').length;
  console.log(
    [
      'The enricher’s role (EnrichCallRole), simulated per request',
      '',
      `| request | ${COMBINATIONS.join(' | ')} |`,
      `|---|${COMBINATIONS.map(() => '---').join('|')}|`,
      ...rows,
      '',
      ...COMBINATIONS.map((name) => `${name}: ${verdicts.size} requests, ${allowed(name)} allowed`),
    ].join('\n'),
  );
});

test.each(COMBINATIONS)(
  'with %s, the enricher’s role allows exactly what its event sources, its handler and CloudWatch Logs do for it',
  async (combination) => {
    // Prepare
    const parameters = STAGE_PARAMETER_COMBINATIONS.find((candidate) => candidate.name === combination);
    if (!parameters) throw new Error(`No stage parameter combination ${combination}`);
    const template = await packagedTemplate(parameters);
    const role = functionRole(template, 'EnrichCallLambdaFunction');
    const names = namesOf(template, role);

    // Act
    const results = [];
    for (const request of CASES) {
      const resource = request.resource(names);
      const verdict = await simulateAsFunction(role, {
        action: request.action,
        resource,
        context: request.context?.(names),
      });
      const byCombination = verdicts.get(request.what) ?? new Map();
      byCombination.set(combination, verdict.result);
      verdicts.set(request.what, byCombination);
      results.push({ ...request, resource, verdict: verdict.result });
    }

    // Assess
    const wrong = results
      .filter(({ verdict, allowed }) => (verdict === 'Allowed') !== allowed)
      .map(({ what, action, resource, verdict }) => `${what}: ${action} on ${resource} was ${verdict}`);
    expect(wrong).toEqual([]);
    expect(role.roleName).toBe('freeclimb-call-records-prod-us-east-1-enrichCall');
    expect(results.filter(({ verdict }) => verdict === 'Allowed')).toHaveLength(
      CASES.filter(({ allowed }) => allowed).length,
    );
  },
  300_000,
);

test('ListStreams is the one grant on every resource: IAM names none for it', async () => {
  // Prepare
  const template = await packagedTemplate(STAGE_PARAMETER_COMBINATIONS.find(({ name }) => name === 'enrich'));
  const role = functionRole(template, 'EnrichCallLambdaFunction');

  // Act
  const everywhere = role.policies
    .flatMap((policy) => policy.Statement as Array<{ Action: string[]; Resource: string | string[] }>)
    .filter((statement) => [statement.Resource].flat().includes('*'));

  // Assess
  expect(everywhere.map((statement) => statement.Action)).toEqual([['dynamodb:ListStreams']]);
}, 300_000);
