import { conditionHolds, evaluate } from './cloudformation-values';
import type { Resource, Template } from './packaged-template';

/**
 * What CloudFormation calls, with the deployer's own credentials (a stack deployed without a service role),
 * to create, update and delete each resource of a template: the IAM actions and the ARN each acts on. An
 * emulator cannot show these (moto creates resources inside itself), so they are written here per resource
 * type, for the properties this project sets, after:
 * - each type's schema in CloudFormation's registry, whose `handlers` list the permissions of create, read,
 *   update and delete (`aws cloudformation describe-type --type RESOURCE --type-name AWS::Logs::LogGroup`;
 *   the open ones are in github.com/aws-cloudformation/aws-cloudformation-resource-providers-<service>);
 * - API Gateway's "Configure logging for HTTP APIs", for the access log's delivery (API_LOG_DELIVERY);
 * - CloudWatch Logs' "Encrypt log data in CloudWatch Logs using AWS Key Management Service", for the log key
 *   (LOG_KEY_THROUGH_CLOUDWATCH_LOGS);
 * - the service authorization reference, for the ARN and condition keys of each action.
 * A resource type without an entry is an error: adding one to serverless.yml asks for its entry here, and
 * the deployer role test then says whether deploy/deployer-role.yml allows it.
 */

export type Phase = 'create' | 'update' | 'delete';

/** One call CloudFormation makes for a resource. */
export interface CloudFormationCall {
  logicalId: string;
  type: string;
  phase: Phase;
  action: string;
  resource: string;
  /** Keys besides aws:CalledVia, e.g. iam:PassedToService for iam:PassRole. */
  context?: Record<string, string>;
}

/** Where the stack lives and what it is called. */
export interface StackPlace {
  stackName: string;
  accountId: string;
  region: string;
  partition: string;
}

/** Thrown for a resource type with no entry below. */
export class UnknownResourceTypeError extends Error {
  constructor(logicalId: string, type: string) {
    super(
      `${logicalId}: no entry for ${type} in tests/support/iam-cloudformation-calls.ts; add what CloudFormation calls for it`,
    );
    this.name = 'UnknownResourceTypeError';
  }
}

interface Names {
  template: Template;
  logicalId: string;
  resource: Resource;
  place: StackPlace;
  values: Record<string, string>;
}

/** Condition keys of a call: fixed, or from the resource's names and ARNs. */
type CallContext = Record<string, string> | ((arns: Record<string, string>) => Record<string, string>);

type Calls = Partial<Record<Phase, Array<[action: string, on: 'self' | string, context?: CallContext]>>>;

interface TypeEntry {
  /** The ARN the calls act on by default (`self`). */
  arn(names: Names): string;
  /** Other ARNs a call may name, by key; `undefined` when the resource does not use it (no call then). */
  others?(names: Names): Record<string, string | undefined>;
  calls: Calls;
}

/** Example ids for what AWS names at creation; IAM policies can only match them with `*`. */
const EXAMPLE_API_ID = 'a1b2c3d4e5';
const EXAMPLE_KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const EXAMPLE_SUFFIX = 'AbCdEf123456';
const EXAMPLE_MAPPING_ID = '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

const API_LOG_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
].map((action): [string, string] => [action, '*']);

const PASS_TO_LAMBDA = { 'iam:PassedToService': 'lambda.amazonaws.com' };

/**
 * CloudWatch Logs uses a log group's KMS key with the caller's credentials (CloudWatch Logs' "Encrypt log data
 * in CloudWatch Logs using AWS Key Management Service": kms:ViaService, and the log group's ARN as encryption
 * context), when CloudFormation creates the group with its key or associates another one.
 */
const LOG_KEY_THROUGH_CLOUDWATCH_LOGS: Array<[string, string, CallContext]> = [
  ['kms:DescribeKey', 'key', (arns) => ({ 'kms:ViaService': viaLogs(arns.self as string) })],
  ...['kms:GenerateDataKey', 'kms:Decrypt'].map((action): [string, string, CallContext] => [
    action,
    'key',
    (arns) => ({
      'kms:ViaService': viaLogs(arns.self as string),
      'kms:EncryptionContext:aws:logs:arn': arns.self as string,
    }),
  ]),
];

/** CloudWatch Logs' endpoint in the region of `arn`, as KMS sees it in kms:ViaService. */
function viaLogs(arn: string): string {
  return `logs.${arn.split(':')[3]}.amazonaws.com`;
}

const ENTRIES: Record<string, TypeEntry> = {
  'AWS::S3::Bucket': {
    arn: (names) => `arn:${names.place.partition}:s3:::${bucketName(names)}`,
    calls: {
      create: [
        ['s3:CreateBucket', 'self'],
        ['s3:PutEncryptionConfiguration', 'self'],
        ['s3:PutBucketVersioning', 'self'],
        ['s3:PutLifecycleConfiguration', 'self'],
        ['s3:PutBucketPublicAccessBlock', 'self'],
        ['s3:PutBucketOwnershipControls', 'self'],
        ['s3:GetBucketLocation', 'self'],
      ],
      update: [
        ['s3:PutEncryptionConfiguration', 'self'],
        ['s3:GetEncryptionConfiguration', 'self'],
        ['s3:PutBucketVersioning', 'self'],
        ['s3:GetBucketVersioning', 'self'],
        ['s3:PutLifecycleConfiguration', 'self'],
        ['s3:GetLifecycleConfiguration', 'self'],
        ['s3:PutBucketPublicAccessBlock', 'self'],
        ['s3:GetBucketPublicAccessBlock', 'self'],
        ['s3:PutBucketOwnershipControls', 'self'],
        ['s3:GetBucketOwnershipControls', 'self'],
        ['s3:GetBucketTagging', 'self'],
        ['s3:PutBucketTagging', 'self'],
      ],
      delete: [['s3:DeleteBucket', 'self']],
    },
  },
  'AWS::S3::BucketPolicy': {
    arn: (names) =>
      `arn:${names.place.partition}:s3:::${bucketName({ ...names, logicalId: bucketOf(names) })}`,
    calls: {
      create: [
        ['s3:PutBucketPolicy', 'self'],
        ['s3:GetBucketPolicy', 'self'],
      ],
      update: [
        ['s3:PutBucketPolicy', 'self'],
        ['s3:GetBucketPolicy', 'self'],
      ],
      delete: [['s3:DeleteBucketPolicy', 'self']],
    },
  },
  'AWS::DynamoDB::Table': {
    arn: (names) => regional(names, 'dynamodb', `table/${property(names, 'TableName')}`),
    calls: {
      create: [
        ['dynamodb:CreateTable', 'self'],
        ['dynamodb:DescribeTable', 'self'],
        ['dynamodb:UpdateTimeToLive', 'self'],
        ['dynamodb:DescribeTimeToLive', 'self'],
        ['dynamodb:UpdateContinuousBackups', 'self'],
        ['dynamodb:DescribeContinuousBackups', 'self'],
      ],
      update: [
        ['dynamodb:UpdateTable', 'self'],
        ['dynamodb:DescribeTable', 'self'],
        ['dynamodb:UpdateTimeToLive', 'self'],
        ['dynamodb:DescribeTimeToLive', 'self'],
        ['dynamodb:UpdateContinuousBackups', 'self'],
        ['dynamodb:DescribeContinuousBackups', 'self'],
        ['dynamodb:ListTagsOfResource', 'self'],
      ],
      delete: [
        ['dynamodb:DeleteTable', 'self'],
        ['dynamodb:DescribeTable', 'self'],
      ],
    },
  },
  'AWS::Logs::LogGroup': {
    arn: (names) => regional(names, 'logs', `log-group:${property(names, 'LogGroupName')}`),
    // No key: no KMS call (a log group without KmsKeyId uses CloudWatch Logs' own encryption).
    others: (names) => ({
      key: names.resource.Properties.KmsKeyId === undefined ? undefined : keyArnOf(names, 'KmsKeyId'),
    }),
    calls: {
      create: [
        ['logs:CreateLogGroup', 'self'],
        ['logs:PutRetentionPolicy', 'self'],
        ['logs:DescribeLogGroups', '*'],
        ...LOG_KEY_THROUGH_CLOUDWATCH_LOGS,
      ],
      update: [
        ['logs:PutRetentionPolicy', 'self'],
        ['logs:AssociateKmsKey', 'self'],
        ['logs:DescribeLogGroups', '*'],
        ['logs:ListTagsForResource', 'self'],
        ...LOG_KEY_THROUGH_CLOUDWATCH_LOGS,
      ],
      delete: [['logs:DeleteLogGroup', 'self']],
    },
  },
  'AWS::Lambda::Function': {
    arn: (names) => regional(names, 'lambda', `function:${property(names, 'FunctionName')}`),
    others: (names) => ({
      role: roleArnOf(names),
      code: codeObjectArn(names),
      // Reserved concurrency is a call of its own (PutFunctionConcurrency), only when it is set.
      concurrency:
        names.resource.Properties.ReservedConcurrentExecutions === undefined
          ? undefined
          : regional(names, 'lambda', `function:${property(names, 'FunctionName')}`),
    }),
    calls: {
      create: [
        ['lambda:CreateFunction', 'self'],
        ['lambda:GetFunction', 'self'],
        ['iam:PassRole', 'role', PASS_TO_LAMBDA],
        // Lambda reads the code from the deployment bucket with the caller's credentials.
        ['s3:GetObject', 'code'],
        ['lambda:PutFunctionConcurrency', 'concurrency'],
      ],
      update: [
        ['lambda:UpdateFunctionConfiguration', 'self'],
        ['lambda:UpdateFunctionCode', 'self'],
        ['lambda:GetFunction', 'self'],
        ['lambda:ListTags', 'self'],
        ['iam:PassRole', 'role', PASS_TO_LAMBDA],
        ['s3:GetObject', 'code'],
        ['lambda:PutFunctionConcurrency', 'concurrency'],
        ['lambda:GetFunctionConcurrency', 'concurrency'],
      ],
      delete: [['lambda:DeleteFunction', 'self']],
    },
  },
  // An event source mapping's id is random: it is created on no ARN (`*`), with the function's ARN as the
  // condition key lambda:FunctionArn, and read, changed and deleted by its own ARN.
  'AWS::Lambda::EventSourceMapping': {
    arn: (names) => regional(names, 'lambda', `event-source-mapping:${EXAMPLE_MAPPING_ID}`),
    calls: {
      create: [
        [
          'lambda:CreateEventSourceMapping',
          '*',
          (arns) => ({ 'lambda:FunctionArn': arns.function as string }),
        ],
        [
          'lambda:GetEventSourceMapping',
          'self',
          (arns) => ({ 'lambda:FunctionArn': arns.function as string }),
        ],
      ],
      update: [
        [
          'lambda:UpdateEventSourceMapping',
          'self',
          (arns) => ({ 'lambda:FunctionArn': arns.function as string }),
        ],
        [
          'lambda:GetEventSourceMapping',
          'self',
          (arns) => ({ 'lambda:FunctionArn': arns.function as string }),
        ],
        ['lambda:ListTags', 'self'],
      ],
      delete: [
        [
          'lambda:DeleteEventSourceMapping',
          'self',
          (arns) => ({ 'lambda:FunctionArn': arns.function as string }),
        ],
        [
          'lambda:GetEventSourceMapping',
          'self',
          (arns) => ({ 'lambda:FunctionArn': arns.function as string }),
        ],
      ],
    },
    others: (names) => ({ function: functionArnOf(names, 'FunctionName') }),
  },
  // SQS-managed encryption (SqsManagedSseEnabled) uses no KMS key of the account: no KMS call.
  'AWS::SQS::Queue': {
    arn: (names) => regional(names, 'sqs', property(names, 'QueueName')),
    calls: {
      create: [
        ['sqs:CreateQueue', 'self'],
        ['sqs:GetQueueUrl', 'self'],
        ['sqs:GetQueueAttributes', 'self'],
        ['sqs:ListQueueTags', 'self'],
      ],
      update: [
        ['sqs:SetQueueAttributes', 'self'],
        ['sqs:GetQueueAttributes', 'self'],
        ['sqs:GetQueueUrl', 'self'],
        ['sqs:ListQueueTags', 'self'],
      ],
      delete: [
        ['sqs:DeleteQueue', 'self'],
        ['sqs:GetQueueAttributes', 'self'],
      ],
    },
  },
  'AWS::Lambda::Version': {
    arn: (names) => functionArnOf(names, 'FunctionName'),
    others: (names) => ({ version: `${functionArnOf(names, 'FunctionName')}:1` }),
    calls: {
      create: [
        ['lambda:PublishVersion', 'self'],
        ['lambda:ListVersionsByFunction', 'self'],
      ],
      update: [['lambda:ListVersionsByFunction', 'self']],
      delete: [['lambda:DeleteFunction', 'version']],
    },
  },
  'AWS::Lambda::Permission': {
    arn: (names) => functionArnOf(names, 'FunctionName'),
    calls: {
      create: [
        ['lambda:AddPermission', 'self'],
        ['lambda:GetPolicy', 'self'],
      ],
      update: [
        ['lambda:AddPermission', 'self'],
        ['lambda:RemovePermission', 'self'],
      ],
      delete: [['lambda:RemovePermission', 'self']],
    },
  },
  'AWS::IAM::Role': {
    arn: (names) => roleArn(names, names.logicalId),
    calls: {
      create: [
        ['iam:CreateRole', 'self'],
        ['iam:GetRole', 'self'],
        ['iam:PutRolePolicy', 'self'],
        ['iam:GetRolePolicy', 'self'],
      ],
      update: [
        ['iam:UpdateAssumeRolePolicy', 'self'],
        ['iam:UpdateRoleDescription', 'self'],
        ['iam:PutRolePolicy', 'self'],
        ['iam:DeleteRolePolicy', 'self'],
        ['iam:GetRole', 'self'],
      ],
      delete: [
        ['iam:ListRolePolicies', 'self'],
        ['iam:DeleteRolePolicy', 'self'],
        ['iam:ListAttachedRolePolicies', 'self'],
        ['iam:DeleteRole', 'self'],
      ],
    },
  },
  'AWS::KMS::Key': {
    arn: (names) => regional(names, 'kms', `key/${EXAMPLE_KEY_ID}`),
    calls: {
      create: [
        ['kms:CreateKey', '*'],
        ['kms:DescribeKey', 'self'],
        ['kms:EnableKeyRotation', 'self'],
        ['kms:GetKeyRotationStatus', 'self'],
      ],
      update: [
        ['kms:PutKeyPolicy', 'self'],
        ['kms:GetKeyPolicy', 'self'],
        ['kms:UpdateKeyDescription', 'self'],
        ['kms:EnableKeyRotation', 'self'],
        ['kms:DescribeKey', 'self'],
        ['kms:ListResourceTags', 'self'],
      ],
      delete: [['kms:ScheduleKeyDeletion', 'self']],
    },
  },
  'AWS::SNS::Topic': {
    arn: (names) => regional(names, 'sns', generatedName(names, names.logicalId, 'TopicName', 256)),
    calls: {
      create: [
        ['sns:CreateTopic', 'self'],
        ['sns:GetTopicAttributes', 'self'],
      ],
      update: [
        ['sns:SetTopicAttributes', 'self'],
        ['sns:GetTopicAttributes', 'self'],
        ['sns:ListTagsForResource', 'self'],
      ],
      delete: [['sns:DeleteTopic', 'self']],
    },
  },
  'AWS::SNS::Subscription': {
    arn: (names) =>
      regional(names, 'sns', generatedName(names, referencedId(names, 'TopicArn'), 'TopicName', 256)),
    calls: {
      create: [
        ['sns:Subscribe', 'self'],
        ['sns:GetSubscriptionAttributes', 'self'],
      ],
      update: [['sns:GetSubscriptionAttributes', 'self']],
      delete: [['sns:Unsubscribe', 'self']],
    },
  },
  'AWS::CloudWatch::Alarm': {
    arn: (names) => regional(names, 'cloudwatch', `alarm:${property(names, 'AlarmName')}`),
    calls: {
      create: [
        ['cloudwatch:PutMetricAlarm', 'self'],
        ['cloudwatch:DescribeAlarms', 'self'],
      ],
      update: [
        ['cloudwatch:PutMetricAlarm', 'self'],
        ['cloudwatch:DescribeAlarms', 'self'],
      ],
      delete: [['cloudwatch:DeleteAlarms', 'self']],
    },
  },
  'AWS::ApiGatewayV2::Api': {
    arn: (names) => apiArn(names, ''),
    others: (names) => ({ apis: apiArn(names, 'collection') }),
    calls: {
      create: [
        ['apigateway:POST', 'apis'],
        ['apigateway:GET', 'self'],
      ],
      update: [
        ['apigateway:PATCH', 'self'],
        ['apigateway:GET', 'self'],
      ],
      delete: [['apigateway:DELETE', 'self']],
    },
  },
  'AWS::ApiGatewayV2::Stage': {
    arn: (names) => apiArn(names, '/stages/$default'),
    others: (names) => ({ stages: apiArn(names, '/stages') }),
    calls: {
      create: [['apigateway:POST', 'stages'], ['apigateway:GET', 'self'], ...API_LOG_DELIVERY],
      update: [['apigateway:PATCH', 'self'], ['apigateway:GET', 'self'], ...API_LOG_DELIVERY],
      delete: [
        ['apigateway:DELETE', 'self'],
        ['logs:DeleteLogDelivery', '*'],
      ],
    },
  },
  'AWS::ApiGatewayV2::Integration': {
    arn: (names) => apiArn(names, `/integrations/${EXAMPLE_API_ID.slice(0, 7)}`),
    others: (names) => ({ integrations: apiArn(names, '/integrations') }),
    calls: {
      create: [
        ['apigateway:POST', 'integrations'],
        ['apigateway:GET', 'self'],
      ],
      update: [
        ['apigateway:PATCH', 'self'],
        ['apigateway:GET', 'self'],
      ],
      delete: [['apigateway:DELETE', 'self']],
    },
  },
  'AWS::ApiGatewayV2::Route': {
    arn: (names) => apiArn(names, `/routes/${EXAMPLE_API_ID.slice(0, 7)}`),
    others: (names) => ({ routes: apiArn(names, '/routes') }),
    calls: {
      create: [
        ['apigateway:POST', 'routes'],
        ['apigateway:GET', 'self'],
      ],
      update: [
        ['apigateway:PATCH', 'self'],
        ['apigateway:GET', 'self'],
      ],
      delete: [['apigateway:DELETE', 'self']],
    },
  },
};

/** The resource types this file knows. */
export const KNOWN_RESOURCE_TYPES = Object.keys(ENTRIES);

/**
 * Every call CloudFormation makes for the template's resources (those whose condition holds): create and
 * update for each, and delete unless its DeletionPolicy is `Retain` (RetainExceptOnCreate deletes on the
 * rollback of the deploy that created it).
 */
export function cloudFormationCalls(
  template: Template,
  place: StackPlace,
  values: Record<string, string>,
): CloudFormationCall[] {
  return Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
    if (resource.Condition && !conditionHolds(template, resource.Condition, values)) return [];
    const entry = ENTRIES[resource.Type];
    if (!entry) throw new UnknownResourceTypeError(logicalId, resource.Type);
    const names: Names = { template, logicalId, resource, place, values };
    const arns: Record<string, string | undefined> = {
      self: entry.arn(names),
      '*': '*',
      ...entry.others?.(names),
    };
    const phases: Phase[] =
      resource.DeletionPolicy === 'Retain' ? ['create', 'update'] : ['create', 'update', 'delete'];
    return phases.flatMap((phase) =>
      (entry.calls[phase] ?? []).flatMap(([action, on, context]) => {
        if (!(on in arns)) throw new Error(`${resource.Type}: no ARN named ${on}`);
        const arn = arns[on];
        if (arn === undefined) return [];
        const keys = typeof context === 'function' ? context(arns as Record<string, string>) : context;
        return [
          {
            logicalId,
            type: resource.Type,
            phase,
            action,
            resource: arn,
            ...(keys ? { context: keys } : {}),
          },
        ];
      }),
    );
  });
}

function regional(names: Names, service: string, rest: string): string {
  const { partition, region, accountId } = names.place;
  return `arn:${partition}:${service}:${region}:${accountId}:${rest}`;
}

function property(names: Names, name: string): string {
  const value = evaluate(names.template, names.resource.Properties[name], names.values);
  if (typeof value !== 'string')
    throw new Error(`${names.logicalId}.${name} is not a plain name: ${JSON.stringify(value)}`);
  return value;
}

/** CloudFormation's name for a resource the template does not name: `<stack>-<logicalId>-<random>`, cut to `max`. */
function generatedName(names: Names, logicalId: string, nameProperty: string, max: number): string {
  const resource = names.template.Resources[logicalId];
  const given = resource?.Properties[nameProperty];
  if (given !== undefined)
    return property({ ...names, logicalId, resource: resource as Resource }, nameProperty);
  const tail = `-${logicalId}-${EXAMPLE_SUFFIX}`;
  return `${names.place.stackName.slice(0, Math.max(0, max - tail.length))}${tail}`;
}

/** Bucket names are lower case and at most 63 characters. */
function bucketName(names: Names): string {
  return generatedName(names, names.logicalId, 'BucketName', 63).toLowerCase();
}

function bucketOf(names: Names): string {
  return referencedId(names, 'Bucket');
}

/** The logical id a property refers to with Ref or Fn::GetAtt. */
function referencedId(names: Names, name: string): string {
  const value = names.resource.Properties[name] as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = value?.Ref ?? value?.['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`${names.logicalId}.${name} refers to no resource`);
  return id;
}

function roleArn(names: Names, logicalId: string): string {
  const role = names.template.Resources[logicalId] as Resource;
  const path = (role.Properties.Path as string | undefined) ?? '/';
  const name = generatedName({ ...names, logicalId, resource: role }, logicalId, 'RoleName', 64);
  return `arn:${names.place.partition}:iam::${names.place.accountId}:role${path}${name}`;
}

function roleArnOf(names: Names): string {
  return roleArn(names, referencedId(names, 'Role'));
}

/** The key a property names: a key of the stack (GetAtt Arn), or a given key's ARN. */
function keyArnOf(names: Names, name: string): string {
  const value = evaluate(names.template, names.resource.Properties[name], names.values) as
    | string
    | { 'Fn::GetAtt'?: [string, string] };
  if (typeof value === 'string') return value;
  const id = value?.['Fn::GetAtt']?.[0];
  if (names.template.Resources[id ?? '']?.Type !== 'AWS::KMS::Key') {
    throw new Error(`${names.logicalId}.${name} names no key: ${JSON.stringify(value)}`);
  }
  return regional(names, 'kms', `key/${EXAMPLE_KEY_ID}`);
}

function functionArnOf(names: Names, name: string): string {
  const id = referencedId(names, name);
  const target = names.template.Resources[id] as Resource;
  return regional(
    names,
    'lambda',
    `function:${property({ ...names, logicalId: id, resource: target }, 'FunctionName')}`,
  );
}

function codeObjectArn(names: Names): string {
  const code = names.resource.Properties.Code as { S3Bucket: unknown; S3Key: string };
  const bucket = (code.S3Bucket as { Ref?: string }).Ref;
  if (!bucket) throw new Error(`${names.logicalId}: code from a bucket outside the stack`);
  const bucketResource = names.template.Resources[bucket] as Resource;
  const name = bucketName({ ...names, logicalId: bucket, resource: bucketResource });
  return `arn:${names.place.partition}:s3:::${name}/${code.S3Key}`;
}

/** API Gateway's ARNs are paths: `/apis` for the collection, `/apis/<id>…` for one API's parts. */
function apiArn(names: Names, suffix: string): string {
  const base = `arn:${names.place.partition}:apigateway:${names.place.region}::/apis`;
  return suffix === 'collection' ? base : `${base}/${EXAMPLE_API_ID}${suffix}`;
}
