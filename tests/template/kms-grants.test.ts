import { EXAMPLE_PSEUDO_PARAMETERS, evaluate } from '../support/cloudformation-values';
import { DEFAULT_PARAMETERS, packagedTemplate, type Template } from '../support/packaged-template';
import { EXAMPLE_KEY_ARN, STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// What the function's role may do with KMS keys, as IAM would read it in account 123456789012, us-east-1:
// a customer managed key for the signing secret only through SSM and for that parameter only; the log key
// only through CloudWatch Logs and, for data keys, for its own log group only.

const { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION } = EXAMPLE_PSEUDO_PARAMETERS;
const FUNCTION_LOG_GROUP = '/aws/lambda/freeclimb-call-records-prod-callStatus';
const FUNCTION_LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${FUNCTION_LOG_GROUP}`;

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource: unknown[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The role's statements, evaluated for the account and region above (conditions decided, names filled in). */
function roleStatements(template: Template): Statement[] {
  const role = template.Resources.CallStatusRole;
  // A log group's Ref is its name.
  const names = { ...EXAMPLE_PSEUDO_PARAMETERS, CallStatusLogGroup: FUNCTION_LOG_GROUP };
  const policies = evaluate(template, role?.Properties.Policies, names) as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>;
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function combination(name: string) {
  const found = STAGE_PARAMETER_COMBINATIONS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`No stage parameter combination ${name}`);
  return found;
}

describe('the signing secret under a customer managed key (signingSecretKmsKeyArn)', () => {
  test('lets the role decrypt with that key only, through SSM in its region, for the signing secret only', async () => {
    // Prepare
    const template = await packagedTemplate(combination('secret-key'));

    // Act
    const kms = roleStatements(template).filter((statement) =>
      statement.Action.some((action) => action.startsWith('kms:') && action !== 'kms:DescribeKey'),
    );
    const forSsm = kms.filter((statement) => statement.Sid === 'DecryptSigningSecret');

    // Assess
    expect(forSsm).toEqual([
      {
        Sid: 'DecryptSigningSecret',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [EXAMPLE_KEY_ARN],
        Condition: {
          StringEquals: {
            'kms:ViaService': `ssm.${REGION}.amazonaws.com`,
            'kms:EncryptionContext:PARAMETER_ARN': `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/freeclimb-call-records/prod/signing-secret`,
          },
        },
      },
    ]);
  }, 300_000);

  test('is granted nothing with the default aws/ssm key, which needs no grant', async () => {
    // Prepare
    const template = await packagedTemplate(DEFAULT_PARAMETERS);

    // Act
    const forSsm = roleStatements(template).filter((statement) =>
      JSON.stringify(statement.Condition ?? {}).includes('ssm.'),
    );

    // Assess
    expect(forSsm).toEqual([]);
    expect(roleStatements(template).map((statement) => statement.Sid)).not.toContain('DecryptSigningSecret');
  }, 300_000);
});

describe('the log key, which CloudWatch Logs uses on behalf of the function writing its log', () => {
  test.each([
    ['defaults', { 'Fn::GetAtt': ['LogKey', 'Arn'] }],
    ['log-key-given', EXAMPLE_KEY_ARN],
  ])(
    'with %s, the role may use it only through CloudWatch Logs, for data keys of its own log group only',
    async (name, key) => {
      // Prepare
      const template = await packagedTemplate(combination(name));

      // Act
      const forLogs = roleStatements(template).filter((statement) =>
        JSON.stringify(statement.Condition ?? {}).includes('"logs.'),
      );

      // Assess
      const viaLogs = { 'kms:ViaService': `logs.${REGION}.amazonaws.com` };
      expect(forLogs).toEqual([
        {
          Sid: 'EncryptOwnLogs',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: [key],
          Condition: {
            StringEquals: viaLogs,
            ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': FUNCTION_LOG_GROUP_ARN },
          },
        },
        {
          Sid: 'DescribeLogKey',
          Effect: 'Allow',
          Action: ['kms:DescribeKey'],
          Resource: [key],
          Condition: { StringEquals: viaLogs },
        },
      ]);
      for (const id of ['CallStatusLogGroup', 'HttpApiLogGroup']) {
        expect(evaluate(template, template.Resources[id]?.Properties.KmsKeyId)).toEqual(key);
      }
    },
    300_000,
  );
});
