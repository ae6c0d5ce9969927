import { conditionHolds, EXAMPLE_PSEUDO_PARAMETERS, evaluate } from '../support/cloudformation-values';
import { PACKAGE_STAGE, packagedTemplate, type Resource, type Template } from '../support/packaged-template';
import { recordFigure } from './figures';

// Promise 5: the deployed function can do exactly its job. Read from the packaged CloudFormation template,
// which is what AWS would be given: the function's role may put and get items in the calls table, put items
// in the rejected table, read its one secret parameter and write its own log streams: nothing else.

const PROMISE = 'deployed permissions';
const SERVICE = 'freeclimb-call-records';
const FUNCTION_NAME = `${SERVICE}-${PACKAGE_STAGE}-callStatus`;
const SIGNING_SECRET_PARAMETER = `/${SERVICE}/${PACKAGE_STAGE}/signing-secret`;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

let template: Template;

beforeAll(async () => {
  template = await packagedTemplate();
}, 120_000);

function resourcesOfType(type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function webhookFunction(): Resource {
  const found = resourcesOfType('AWS::Lambda::Function').find(
    ([, fn]) => fn.Properties.FunctionName === FUNCTION_NAME,
  );
  if (!found) throw new Error(`No function ${FUNCTION_NAME} in the template`);
  return found[1];
}

/** The role's statements as deployed: a statement under `Fn::If` only when its condition holds. */
function statementsOf(role: Resource): Statement[] {
  return ((role.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: unknown[] } }>)
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .flatMap((statement) => {
      const choice = (statement as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
      if (!choice) return [statement as Statement];
      const chosen = conditionHolds(template, choice[0]) ? choice[1] : choice[2];
      return JSON.stringify(chosen) === JSON.stringify({ Ref: 'AWS::NoValue' }) ? [] : [chosen as Statement];
    });
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Every (effect, action, resource) triple a role grants. */
function grantsOf(role: Resource): Array<{ effect: string; action: string; resource: unknown }> {
  return statementsOf(role).flatMap((statement) =>
    asList(statement.Resource).flatMap((resource) =>
      asList(statement.Action).map((action) => ({ effect: statement.Effect, action, resource })),
    ),
  );
}

const arn = (service: string, ...rest: unknown[]) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ...rest,
    ],
  ],
});
// By name: the tables are created after the role (tests/template/retries-and-removal.test.ts).
const CALLS_TABLE_ARN = arn('dynamodb', `:table/${SERVICE}-${PACKAGE_STAGE}-calls`);
const REJECTED_TABLE_ARN = arn('dynamodb', `:table/${SERVICE}-${PACKAGE_STAGE}-rejected`);
const SECRET_PARAMETER_ARN = arn(
  'ssm',
  { 'Fn::If': ['SigningSecretParameterIsHierarchical', ':parameter', ':parameter/'] },
  { Ref: 'SigningSecretParameter' },
);
const OWN_LOG_STREAMS_ARN = arn('logs', ':log-group:', { Ref: 'CallStatusLogGroup' }, ':*');
/** The key that encrypts the log groups: the stack's own, or logKmsKeyArn's. */
const LOG_KEY_ARN = {
  'Fn::If': ['CreatesLogKey', { 'Fn::GetAtt': ['LogKey', 'Arn'] }, { Ref: 'LogKmsKeyArn' }],
};

/** The one wildcard AWS needs: log streams are named by Lambda at run time, inside the function's own group. */
const LOG_STREAM_SUFFIX = '":*"';

test('the function runs under its own role, the only IAM principal or policy in the stack', () => {
  // Prepare
  const roles = resourcesOfType('AWS::IAM::Role');
  const otherIam = Object.values(template.Resources).filter(
    (resource) => resource.Type.startsWith('AWS::IAM::') && resource.Type !== 'AWS::IAM::Role',
  );

  // Act
  const role = webhookFunction().Properties.Role;

  // Assess
  expect(roles.map(([logicalId]) => logicalId)).toEqual(['CallStatusRole']);
  expect(role).toEqual({ 'Fn::GetAtt': ['CallStatusRole', 'Arn'] });
  expect(otherIam).toEqual([]);
  const [, callStatusRole] = roles[0] as [string, Resource];
  expect(callStatusRole.Properties.ManagedPolicyArns).toBeUndefined();
  expect(callStatusRole.Properties.PermissionsBoundary).toBeUndefined();
  expect(callStatusRole.Properties.AssumeRolePolicyDocument).toEqual({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  });
});

test('the role grants exactly: calls put/get, rejected put, its secret parameter, its own log streams and their key', () => {
  // Prepare
  const [, role] = resourcesOfType('AWS::IAM::Role')[0] as [string, Resource];

  // Act
  const grants = grantsOf(role);

  // Assess
  const expected = [
    { effect: 'Allow', action: 'logs:CreateLogStream', resource: OWN_LOG_STREAMS_ARN },
    { effect: 'Allow', action: 'logs:PutLogEvents', resource: OWN_LOG_STREAMS_ARN },
    { effect: 'Allow', action: 'dynamodb:PutItem', resource: CALLS_TABLE_ARN },
    { effect: 'Allow', action: 'dynamodb:GetItem', resource: CALLS_TABLE_ARN },
    { effect: 'Allow', action: 'dynamodb:PutItem', resource: REJECTED_TABLE_ARN },
    { effect: 'Allow', action: 'ssm:GetParameter', resource: SECRET_PARAMETER_ARN },
    // Only through CloudWatch Logs (tests/template/kms-grants.test.ts checks the conditions).
    { effect: 'Allow', action: 'kms:GenerateDataKey', resource: LOG_KEY_ARN },
    { effect: 'Allow', action: 'kms:Decrypt', resource: LOG_KEY_ARN },
    { effect: 'Allow', action: 'kms:DescribeKey', resource: LOG_KEY_ARN },
  ];
  expect(grants).toHaveLength(expected.length);
  expect(grants).toEqual(expect.arrayContaining(expected));
  // No Deny/NotAction/NotResource tricks that would change what the list above means; a condition only
  // narrows the key's use to CloudWatch Logs.
  for (const statement of statementsOf(role)) {
    const keys = ['Action', 'Effect', 'Resource', 'Sid'];
    if (asList(statement.Action).every((action) => action.startsWith('kms:'))) keys.push('Condition');
    expect(Object.keys(statement).sort()).toEqual(keys.sort());
  }
  recordFigure({
    promise: PROMISE,
    name: 'grants (action × resource) on the role',
    value: grants.length,
    bound: String(expected.length),
    holds: grants.length === expected.length,
  });
});

test('the names behind the grants are the stack’s own tables, log group and function', () => {
  // Prepare
  const resources = template.Resources;

  // Act
  const logGroupName = resources.CallStatusLogGroup?.Properties.LogGroupName;

  // Assess
  expect(resources.CallsTable?.Properties.TableName).toBe(`${SERVICE}-${PACKAGE_STAGE}-calls`);
  expect(resources.RejectedTable?.Properties.TableName).toBe(`${SERVICE}-${PACKAGE_STAGE}-rejected`);
  expect(resources.CallStatusLogGroup?.Type).toBe('AWS::Logs::LogGroup');
  expect(logGroupName).toBe(`/aws/lambda/${FUNCTION_NAME}`);
  const environment = (webhookFunction().Properties.Environment as { Variables: Record<string, string> })
    .Variables;
  expect(environment.FREECLIMB_SIGNING_SECRET_PARAMETER).toBe(SIGNING_SECRET_PARAMETER);
});

test('no wildcard in any action, and none in any resource but the log-stream suffix', () => {
  // Prepare
  const [, role] = resourcesOfType('AWS::IAM::Role')[0] as [string, Resource];
  const grants = grantsOf(role);

  // Act
  const wildActions = grants.filter((grant) => grant.action.includes('*'));
  const wildResources = grants.filter((grant) => {
    const text = JSON.stringify(grant.resource);
    const rest = grant.action.startsWith('logs:') ? text.replace(LOG_STREAM_SUFFIX, '""') : text;
    return rest.includes('*');
  });
  const services = new Set(grants.map((grant) => grant.action.split(':')[0]));

  // Assess
  expect(wildActions).toEqual([]);
  expect(wildResources).toEqual([]);
  expect([...services].sort()).toEqual(['dynamodb', 'kms', 'logs', 'ssm']);
  // The function only writes and reads by key: no grant reaches the index (it is queried by operators).
  expect(JSON.stringify(grants)).not.toContain('/index/');
  const wildcards = wildActions.length + wildResources.length;
  recordFigure({
    promise: PROMISE,
    name: 'wildcards beyond the log-stream suffix',
    value: wildcards,
    bound: '0',
    holds: wildcards === 0,
  });
  recordFigure({
    promise: PROMISE,
    name: 'AWS services reachable',
    value: [...services].sort().join(', '),
    bound: 'dynamodb, kms, logs, ssm',
    holds: services.size === 4,
  });
});

test('the secret grant names exactly the parameter the function reads', () => {
  // Prepare
  const { 'AWS::AccountId': account, 'AWS::Region': region } = EXAMPLE_PSEUDO_PARAMETERS;

  // Act
  const granted = evaluate(template, SECRET_PARAMETER_ARN);

  // Assess
  expect(granted).toBe(`arn:aws:ssm:${region}:${account}:parameter${SIGNING_SECRET_PARAMETER}`);
});

test('the log key lets only CloudWatch Logs use it, for the function log and the access log, and grants only to AWS services', () => {
  // Prepare
  const keys = resourcesOfType('AWS::KMS::Key');
  const { 'AWS::AccountId': account, 'AWS::Region': region } = EXAMPLE_PSEUDO_PARAMETERS;

  // Act
  const [[, key]] = keys as [[string, Resource]];
  const policy = evaluate(template, key.Properties.KeyPolicy) as { Statement: Statement[] };
  const [admin, logs, grants] = policy.Statement as [
    Statement,
    Statement & { Principal: unknown },
    Statement,
  ];

  // Assess
  expect(keys).toHaveLength(1);
  expect(key.Properties.EnableKeyRotation).toBe(true);
  expect(admin).toMatchObject({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` } });
  expect(logs.Principal).toEqual({ Service: `logs.${region}.amazonaws.com` });
  expect(logs.Condition).toEqual({
    ArnEquals: {
      'kms:EncryptionContext:aws:logs:arn': [
        `arn:aws:logs:${region}:${account}:log-group:${template.Resources.CallStatusLogGroup?.Properties.LogGroupName}`,
        `arn:aws:logs:${region}:${account}:log-group:${template.Resources.HttpApiLogGroup?.Properties.LogGroupName}`,
      ],
    },
  });
  expect(grants).toMatchObject({ Effect: 'Deny', Action: 'kms:CreateGrant' });
  for (const logGroup of resourcesOfType('AWS::Logs::LogGroup')) {
    expect(evaluate(template, logGroup[1].Properties.KmsKeyId)).toEqual({
      'Fn::GetAtt': [keys[0]?.[0], 'Arn'],
    });
  }
});
