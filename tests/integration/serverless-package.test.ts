import { PACKAGE_STAGE, packagedTemplate, type Resource, type Template } from '../support/packaged-template';

// What `serverless deploy` would send to CloudFormation, checked without an AWS account: the framework
// packages offline, and the template is the contract with AWS (tables, route, runtime, outputs). The role's
// permissions are checked in tests/reliability/deployed-permissions.test.ts.

const STAGE = PACKAGE_STAGE;
const SERVICE = 'freeclimb-call-records';
const CALLS_TABLE = `${SERVICE}-${STAGE}-calls`;
const REJECTED_TABLE = `${SERVICE}-${STAGE}-rejected`;
const SIGNING_SECRET_PARAMETER = `/${SERVICE}/${STAGE}/signing-secret`;

let template: Template;

beforeAll(async () => {
  template = await packagedTemplate();
}, 120_000);

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

describe('tables', () => {
  test('the calls table is named per stage, on demand, keyed by callId, with the parentCallId index and the call log', () => {
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
        { AttributeName: 'callLogShard', AttributeType: 'S' },
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
      {
        IndexName: 'callLog-index',
        KeySchema: [
          { AttributeName: 'callLogShard', KeyType: 'HASH' },
          { AttributeName: 'receivedAt', KeyType: 'RANGE' },
        ],
        // Only what `calls`, its CSV and `summary` show: an index write stays 1 WCU for any record size.
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: [
            'parentCallId',
            'callStatus',
            'callEndedReason',
            'direction',
            'from',
            'to',
            'callDuration',
          ],
        },
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

  test('the function runs Node.js 24 on arm64', () => {
    // Prepare
    const fn = webhookFunction();

    // Act
    const { Runtime, Architectures } = fn.Properties;

    // Assess
    expect(Runtime).toBe('nodejs24.x');
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
