import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EXAMPLE_PSEUDO_PARAMETERS, evaluate } from '../support/cloudformation-values';
import { cloudFormationCalls } from '../support/iam-cloudformation-calls';
import { DEPLOYER_TEMPLATE_PATH, deployerRole } from '../support/iam-deployer-role';
import { type PolicyDocument, simulate } from '../support/iam-simulation';
import { PACKAGE_STAGE, packagedTemplate, type Template } from '../support/packaged-template';

// The deployer role of deploy/deployer-role.yml, judged by an IAM policy simulator: what CloudFormation calls
// with its credentials for every resource of the packaged template is allowed; dangerous calls are refused;
// only the named repository and environment can assume it. The framework's own calls are recorded and
// judged in serverless-deploy.test.ts.

const SERVICE = 'freeclimb-call-records';
const { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION } = EXAMPLE_PSEUDO_PARAMETERS;
const STACK = `${SERVICE}-${PACKAGE_STAGE}`;
const CALLED_VIA_CLOUDFORMATION = { 'aws:CalledVia': ['cloudformation.amazonaws.com'] };
const role = deployerRole({
  GitHubOrganization: 'acme',
  GitHubRepository: SERVICE,
  DeployFromKind: 'environment',
  DeployFrom: 'production',
  Stage: PACKAGE_STAGE,
});
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;

let template: Template;
let keyPolicy: PolicyDocument;

beforeAll(async () => {
  template = await packagedTemplate();
  keyPolicy = evaluate(template, template.Resources.LogKey?.Properties.KeyPolicy) as PolicyDocument;
}, 120_000);

test('cfn-lint reports nothing on deploy/deployer-role.yml', async () => {
  // Act
  const run = await promisify(execFile)('cfn-lint', [DEPLOYER_TEMPLATE_PATH]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );

  // Assess
  expect(run).toEqual({ code: 0, stdout: '' });
}, 60_000);

test('every call CloudFormation makes for the stack with the deployer’s credentials is allowed', async () => {
  // Prepare
  const calls = cloudFormationCalls(
    template,
    { stackName: STACK, accountId: ACCOUNT as string, region: REGION as string, partition: 'aws' },
    EXAMPLE_PSEUDO_PARAMETERS,
  );

  // Act
  const verdicts = [];
  for (const call of calls) {
    const onKey = call.action.startsWith('kms:') && call.resource !== '*';
    const verdict = await simulate(
      {
        principal: role.session,
        action: call.action,
        resource: call.resource,
        accountId: ACCOUNT as string,
        context: { ...CALLED_VIA_CLOUDFORMATION, ...call.context },
      },
      { identity: [role.policy], ...(onKey ? { resource: keyPolicy } : {}) },
    );
    verdicts.push({ ...call, ...verdict });
  }

  // Assess
  const byType = new Map<string, { calls: number; allowed: number; unvalidated: number }>();
  for (const v of verdicts) {
    const row = byType.get(v.type) ?? { calls: 0, allowed: 0, unvalidated: 0 };
    row.calls += 1;
    row.allowed += v.result === 'Allowed' ? 1 : 0;
    row.unvalidated += v.validated ? 0 : 1;
    byType.set(v.type, row);
  }
  console.log(
    [
      `CloudFormation's calls for stage ${PACKAGE_STAGE}, with the deployer's credentials`,
      '',
      '| resource type | calls (create, update, delete) | allowed | not type-checked by the simulator |',
      '|---|---:|---:|---:|',
      ...[...byType].map(([type, r]) => `| ${type} | ${r.calls} | ${r.allowed} | ${r.unvalidated} |`),
    ].join('\n'),
  );
  expect(
    verdicts.filter((v) => v.result !== 'Allowed').map((v) => `${v.logicalId} ${v.action} ${v.resource}`),
  ).toEqual([]);
  expect(verdicts.length).toBeGreaterThan(100);
});

/** Calls the deployer must never be able to make, with why. */
const DANGEROUS: Array<{
  why: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}> = [
  { why: 'create an IAM user', action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` },
  {
    why: 'pass another role to Lambda',
    action: 'iam:PassRole',
    resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
    context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
  },
  {
    why: 'pass the stack’s role to another service',
    action: 'iam:PassRole',
    resource: `arn:aws:iam::${ACCOUNT}:role/${STACK}-${REGION}-callStatus`,
    context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
  },
  {
    why: 'attach a managed policy to a role outside the service, even through CloudFormation',
    action: 'iam:AttachRolePolicy',
    resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
    context: CALLED_VIA_CLOUDFORMATION,
  },
  {
    why: 'change the stack’s role directly, not through its template',
    action: 'iam:PutRolePolicy',
    resource: `arn:aws:iam::${ACCOUNT}:role/${STACK}-${REGION}-callStatus`,
  },
  {
    why: 'widen its own role, even through CloudFormation',
    action: 'iam:PutRolePolicy',
    resource: role.arn,
    context: CALLED_VIA_CLOUDFORMATION,
  },
  {
    why: 'delete another table, even through CloudFormation',
    action: 'dynamodb:DeleteTable',
    resource: arn('dynamodb', 'table/orders'),
    context: CALLED_VIA_CLOUDFORMATION,
  },
  {
    why: 'delete its own calls table directly',
    action: 'dynamodb:DeleteTable',
    resource: arn('dynamodb', `table/${STACK}-calls`),
  },
  {
    why: 'read the call records',
    action: 'dynamodb:Scan',
    resource: arn('dynamodb', `table/${STACK}-calls`),
  },
  {
    why: 'read the signing secret',
    action: 'ssm:GetParameter',
    resource: arn('ssm', `parameter/${SERVICE}/${PACKAGE_STAGE}/signing-secret`),
  },
  { why: 'read another bucket', action: 's3:GetObject', resource: 'arn:aws:s3:::company-backups/db.dump' },
  {
    why: 'read another stage’s artifacts',
    action: 's3:GetObject',
    resource: `arn:aws:s3:::${SERVICE}-dev-serverlessdeploymentbucket-x/serverless/${SERVICE}/dev/1-2/callStatus.zip`,
  },
  {
    why: 'change another function’s code',
    action: 'lambda:UpdateFunctionCode',
    resource: arn('lambda', 'function:payments'),
  },
  {
    why: 'invoke the function',
    action: 'lambda:InvokeFunction',
    resource: arn('lambda', `function:${STACK}-callStatus`),
  },
  {
    why: 'schedule a key’s deletion directly',
    action: 'kms:ScheduleKeyDeletion',
    resource: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
  },
  {
    why: 'decrypt with a key',
    action: 'kms:Decrypt',
    resource: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
  },
  { why: 'assume another role', action: 'sts:AssumeRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
  {
    why: 'update another stack',
    action: 'cloudformation:CreateChangeSet',
    resource: arn('cloudformation', 'stack/network/1'),
  },
  {
    why: 'delete its own bootstrap stack',
    action: 'cloudformation:DeleteStack',
    resource: arn('cloudformation', `stack/${SERVICE}-deployer-${PACKAGE_STAGE}/1`),
  },
  { why: 'leave the organisation', action: 'organizations:LeaveOrganization', resource: '*' },
  {
    why: 'stop CloudTrail',
    action: 'cloudtrail:StopLogging',
    resource: arn('cloudtrail', 'trail/org-trail'),
  },
  {
    why: 'delete another log group',
    action: 'logs:DeleteLogGroup',
    resource: arn('logs', 'log-group:/aws/lambda/payments'),
  },
];

test.each(DANGEROUS)('the deployer cannot $why ($action)', async ({ action, resource, context }) => {
  // Act
  const verdict = await simulate(
    { principal: role.session, action, resource, accountId: ACCOUNT as string, context },
    { identity: [role.policy] },
  );

  // Assess
  expect(verdict.result).not.toBe('Allowed');
});

test('the role policy stays under IAM’s 10,240-character limit for a role’s inline policies', () => {
  // Act
  const size = JSON.stringify(role.policy).replace(/\s/g, '').length;

  // Assess
  expect(size).toBeLessThan(10_240);
});
