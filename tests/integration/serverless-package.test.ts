import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

// What `serverless deploy` would send to CloudFormation, checked without an AWS account: the framework
// packages offline, and the template is the contract with AWS (tables, route, runtime, least privilege).

const STAGE = 'ci';
const SERVICE = 'freeclimb-call-records';
const CALLS_TABLE = `${SERVICE}-${STAGE}-calls`;
const REJECTED_TABLE = `${SERVICE}-${STAGE}-rejected`;
const SIGNING_SECRET_PARAMETER = `/${SERVICE}/${STAGE}/signing-secret`;
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let packageDir: string;
let template: Template;

beforeAll(async () => {
  packageDir = await mkdtemp(path.join(tmpdir(), 'serverless-package-'));
  await promisify(execFile)(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'serverless'),
    ['package', '--stage', STAGE, '--package', packageDir],
    { cwd: PROJECT_ROOT, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  template = JSON.parse(
    await readFile(path.join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}, 120_000);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

function resourcesOfType(type: string): Resource[] {
  return Object.values(template.Resources).filter((resource) => resource.Type === type);
}

function tableNamed(name: string): Resource {
  const table = resourcesOfType('AWS::DynamoDB::Table').find((t) => t.Properties.TableName === name);
  if (!table) throw new Error(`No table ${name} in the template`);
  return table;
}

function webhookFunction(): Resource {
  const fn = resourcesOfType('AWS::Lambda::Function').find(
    (f) => f.Properties.FunctionName === `${SERVICE}-${STAGE}-callStatus`,
  );
  if (!fn) throw new Error('No callStatus function in the template');
  return fn;
}

function roleStatements(): Statement[] {
  const roles = resourcesOfType('AWS::IAM::Role');
  return roles.flatMap((role) =>
    ((role.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap(
      (policy) => policy.PolicyDocument.Statement,
    ),
  );
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The framework's own statement for the function's log streams: the one place a wildcard is unavoidable. */
function isFrameworkLogStatement(statement: Statement): boolean {
  return actionsOf(statement).every((action) => action.startsWith('logs:'));
}

const SIGNING_SECRET_PARAMETER_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ssm:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':parameter',
      SIGNING_SECRET_PARAMETER,
    ],
  ],
};

describe('tables', () => {
  test('the calls table is named per stage, on demand, keyed by callId, with the parentCallId index', () => {
    // Prepare
    const table = tableNamed(CALLS_TABLE);

    // Act
    const { Properties } = table;

    // Assess
    expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Properties.KeySchema).toEqual([{ AttributeName: 'callId', KeyType: 'HASH' }]);
    expect(Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'callId', AttributeType: 'S' },
        { AttributeName: 'parentCallId', AttributeType: 'S' },
        { AttributeName: 'receivedAt', AttributeType: 'S' },
      ]),
    );
    expect(Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'parentCallId-index',
        KeySchema: [
          { AttributeName: 'parentCallId', KeyType: 'HASH' },
          { AttributeName: 'receivedAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  test('the rejected table is named per stage and on demand', () => {
    // Prepare
    const table = tableNamed(REJECTED_TABLE);

    // Act
    const { Properties } = table;

    // Assess
    expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Properties.KeySchema).toEqual(
      expect.arrayContaining([expect.objectContaining({ KeyType: 'HASH' })]),
    );
  });

  test.each([CALLS_TABLE, REJECTED_TABLE])(
    '%s expires items by expiresAt, has point-in-time recovery and survives stack deletion',
    (name) => {
      // Prepare
      const table = tableNamed(name);

      // Act
      const { Properties, DeletionPolicy, UpdateReplacePolicy } = table;

      // Assess
      expect(Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      expect(Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(DeletionPolicy).toBe('Retain');
      expect(UpdateReplacePolicy).toBe('Retain');
    },
  );
});

describe('function and route', () => {
  test('the webhook route is POST /freeclimb/call-status with payload format 2.0', () => {
    // Prepare
    const routes = resourcesOfType('AWS::ApiGatewayV2::Route');
    const integrations = resourcesOfType('AWS::ApiGatewayV2::Integration');

    // Act
    const routeKeys = routes.map((route) => route.Properties.RouteKey);

    // Assess
    expect(routeKeys).toEqual(['POST /freeclimb/call-status']);
    expect(integrations.map((integration) => integration.Properties.PayloadFormatVersion)).toEqual(['2.0']);
  });

  test('the function runs Node.js 22 on arm64', () => {
    // Prepare
    const fn = webhookFunction();

    // Act
    const { Runtime, Architectures } = fn.Properties;

    // Assess
    expect(Runtime).toBe('nodejs22.x');
    expect(Architectures).toEqual(['arm64']);
  });

  test('the function environment names the secret parameter but carries no secret', () => {
    // Prepare
    const fn = webhookFunction();

    // Act
    const variables = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;

    // Assess
    expect(variables).not.toHaveProperty('FREECLIMB_SIGNING_SECRET');
    expect(variables.FREECLIMB_SIGNING_SECRET_PARAMETER).toBe(SIGNING_SECRET_PARAMETER);
    expect(variables.CALLS_TABLE).toBe(CALLS_TABLE);
    expect(variables.REJECTED_TABLE).toBe(REJECTED_TABLE);
  });
});

describe('least privilege', () => {
  test('no statement allows a wildcard action', () => {
    // Prepare
    const statements = roleStatements();

    // Act
    const actions = statements.flatMap(actionsOf);

    // Assess
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });

  test('no statement of this service uses a wildcard resource; framework log access stays on its log group', () => {
    // Prepare
    const statements = roleStatements();

    // Act
    const serviceResources = statements.filter((s) => !isFrameworkLogStatement(s)).flatMap(resourcesOf);
    const logResources = statements.filter(isFrameworkLogStatement).flatMap(resourcesOf);

    // Assess
    expect(serviceResources.filter((resource) => JSON.stringify(resource).includes('*'))).toEqual([]);
    // Log stream names are chosen by Lambda at run time, so the framework's statement needs `*` after the
    // function's own log group prefix, and nowhere else.
    for (const resource of logResources) {
      expect(JSON.stringify(resource)).toContain(`:log-group:/aws/lambda/${SERVICE}-${STAGE}`);
    }
  });

  test('the function may only put and get calls, put rejected deliveries and read its secret parameter', () => {
    // Prepare
    const statements = roleStatements().filter((s) => !isFrameworkLogStatement(s));

    // Act
    const grants = statements.flatMap((statement) =>
      resourcesOf(statement).flatMap((resource) =>
        actionsOf(statement).map((action) => ({ effect: statement.Effect, action, resource })),
      ),
    );

    // Assess
    const callsTableArn = { 'Fn::GetAtt': ['CallsTable', 'Arn'] };
    const rejectedTableArn = { 'Fn::GetAtt': ['RejectedTable', 'Arn'] };
    // The grants name tables by logical id: make sure those ids are the tables with the expected names.
    expect(tableNamed(CALLS_TABLE)).toBe(template.Resources.CallsTable);
    expect(tableNamed(REJECTED_TABLE)).toBe(template.Resources.RejectedTable);
    expect(grants).toHaveLength(4);
    expect(grants).toEqual(
      expect.arrayContaining([
        { effect: 'Allow', action: 'dynamodb:PutItem', resource: callsTableArn },
        { effect: 'Allow', action: 'dynamodb:GetItem', resource: callsTableArn },
        { effect: 'Allow', action: 'dynamodb:PutItem', resource: rejectedTableArn },
        { effect: 'Allow', action: 'ssm:GetParameter', resource: SIGNING_SECRET_PARAMETER_ARN },
      ]),
    );
  });
});

describe('outputs', () => {
  test('the stack prints the webhook URL and both table names', () => {
    // Prepare
    const { Outputs } = template;

    // Act
    const webhookUrl = JSON.stringify(Outputs.CallStatusWebhookUrl?.Value);

    // Assess
    expect(webhookUrl).toContain('"ApiEndpoint"');
    expect(webhookUrl).toContain('"/freeclimb/call-status"');
    expect(Outputs.CallsTableName?.Value).toBe(CALLS_TABLE);
    expect(Outputs.RejectedTableName?.Value).toBe(REJECTED_TABLE);
  });
});
