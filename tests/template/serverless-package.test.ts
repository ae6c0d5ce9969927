import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { conditionHolds, evaluate } from '../support/cloudformation-values';
import {
  PACKAGE_STAGE,
  type PackageRun,
  packagedTemplate,
  type Resource,
  runServerlessPackage,
  type Template,
} from '../support/packaged-template';
import { EXAMPLE_KEY_ARN, STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// What `serverless deploy` would send to CloudFormation, checked without an AWS account: the framework
// packages offline, and the template is the contract with AWS (tables, route, runtime, outputs). The role's
// permissions are simulated in tests/template/function-role.test.ts. Packagings that succeed are the run's
// shared ones (tests/support/stage-parameter-combinations.ts); only those the checks refuse run here.

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
    '%s expires items by expiresAt, has point-in-time recovery, survives stack deletion and is protected from deletion',
    (name) => {
      // Prepare
      const table = tableNamed(name);

      // Act
      const { Properties, DeletionPolicy, UpdateReplacePolicy } = table;

      // Assess
      expect(Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      expect(Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      // Created last, so a failed first deploy rolls back before it exists (tests/template).
      expect(DeletionPolicy).toBe('Retain');
      expect(UpdateReplacePolicy).toBe('Retain');
      expect(Properties.DeletionProtectionEnabled).toBe(true);
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

describe('stage parameters', () => {
  const SCRATCH = () => mkdtemp(path.join(process.env.TEST_RUN_DIR ?? '', 'package-'));
  const OTHER_REGION_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  /** Packagings the checks refuse, one per test below. */
  const REFUSED = {
    retention: ['retentionDays=abc'],
    everyBadOne: [
      'signingSecretParameter=team/freeclimb-secret',
      'logLevel=SILENT',
      'alarmEmail=on-call',
      'logRetentionDays=100',
      'retentionDay=30',
    ],
    logKeyElsewhere: [`logKmsKeyArn=${OTHER_REGION_KEY}`],
  };
  let refusedRuns: Promise<Map<string, PackageRun>> | undefined;

  /** The run of `serverless package` with REFUSED[name]; the first test to ask starts all of them at once. */
  async function refusedRun(name: keyof typeof REFUSED): Promise<PackageRun> {
    refusedRuns ??= Promise.all(
      Object.entries(REFUSED).map(async ([key, params]) => {
        const run = await runServerlessPackage('prod', params, await SCRATCH());
        return [key, run] as const;
      }),
    ).then((runs) => new Map(runs));
    return (await refusedRuns).get(name) as PackageRun;
  }

  /** The ARN the role may read, as IAM sees it in account 123456789012, us-east-1. */
  function grantedParameterArn(packaged: Template): unknown {
    const role = packaged.Resources.CallStatusRole as Resource;
    const policies = role.Properties.Policies as Array<{
      PolicyDocument: { Statement: Array<{ Sid: string; Resource: unknown[] }> };
    }>;
    const statement = policies
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .find((candidate) => candidate.Sid === 'ReadSigningSecret');
    return evaluate(packaged, statement?.Resource[0]);
  }

  test('a retention the function would refuse stops packaging, naming the parameter and the allowed values', async () => {
    // Act
    const run = await refusedRun('retention');

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(
      'Stage parameter "retentionDays" is "abc": RETENTION_DAYS must be a whole number from 0 to 36500.',
    );
    expect(run.template).toBeUndefined();
  }, 60_000);

  test('every bad stage parameter is named in one run, with what is allowed', async () => {
    // Act
    const run = await refusedRun('everyBadOne');

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain('Stage parameter "retentionDay" is unknown. Known: signingSecretParameter,');
    expect(run.output).toMatch(
      /"signingSecretParameter" is "team\/freeclimb-secret": not an SSM parameter name.*Allowed: an SSM parameter name/,
    );
    expect(run.output).toMatch(/"logLevel" is "SILENT": .*Allowed: one of TRACE, DEBUG, INFO, WARN, ERROR /);
    expect(run.output).toMatch(
      /"alarmEmail" is "on-call": not an e-mail address\. Allowed: an e-mail address/,
    );
    expect(run.output).toMatch(
      /"logRetentionDays" is "100": not a retention period\. Allowed: one of .* 365, 400,/,
    );
  }, 60_000);

  test("a log key in another region than the deploy's stops packaging, naming both regions", async () => {
    // Act
    const run = await refusedRun('logKeyElsewhere');

    // Assess
    expect(run.exitCode).toBe(1);
    expect(run.output).toContain(
      `Stage parameter "logKmsKeyArn" is "${OTHER_REGION_KEY}": the key is in eu-west-1, but the stack deploys to us-east-1, and CloudWatch Logs can only use a key in its own region.`,
    );
    expect(run.template).toBeUndefined();
  }, 60_000);

  /** The update template of one of the run's shared packagings, by its name. */
  function sharedPackaging(name: string): Promise<Template> {
    return packagedTemplate(STAGE_PARAMETER_COMBINATIONS.find((combination) => combination.name === name));
  }

  test.each([
    // serverless.yml's default, a path...
    [
      'defaults',
      `/${SERVICE}/${STAGE}/signing-secret`,
      `arn:aws:ssm:us-east-1:123456789012:parameter/${SERVICE}/${STAGE}/signing-secret`,
    ],
    // ...and a top-level name given as a stage parameter.
    [
      'top-level-secret',
      'freeclimb-signing-secret',
      'arn:aws:ssm:us-east-1:123456789012:parameter/freeclimb-signing-secret',
    ],
  ])(
    'with %s, the signing secret %s is granted as %s, the name the function reads',
    async (combination, name, expectedArn) => {
      // Prepare
      const packaged = await sharedPackaging(combination);

      // Act
      const fn = Object.values(packaged.Resources).find(
        (r) => r.Type === 'AWS::Lambda::Function',
      ) as Resource;
      const variables = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;

      // Assess
      expect(variables.FREECLIMB_SIGNING_SECRET_PARAMETER).toBe(name);
      expect(grantedParameterArn(packaged)).toBe(expectedArn);
    },
  );

  test('an existing log key given as logKmsKeyArn encrypts both log groups, and the stack creates none', async () => {
    // Prepare
    const packaged = await sharedPackaging('log-key-given');

    // Act
    // Those the stack creates with these parameters (the enricher's is there only with enrich=true).
    const logGroups = Object.values(packaged.Resources).filter(
      (r) => r.Type === 'AWS::Logs::LogGroup' && (!r.Condition || conditionHolds(packaged, r.Condition)),
    );

    // Assess
    expect(logGroups).toHaveLength(2);
    for (const logGroup of logGroups) {
      expect(evaluate(packaged, logGroup.Properties.KmsKeyId)).toBe(EXAMPLE_KEY_ARN);
    }
    expect(packaged.Resources.LogKey?.Condition).toBe('CreatesLogKey');
    expect(conditionHolds(packaged, 'CreatesLogKey')).toBe(false);
  });
});
