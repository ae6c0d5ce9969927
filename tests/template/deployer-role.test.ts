import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EXAMPLE_PSEUDO_PARAMETERS } from '../support/cloudformation-values';
import { accountKeyPolicy } from '../support/iam-account-key-policy';
import { cloudFormationCalls } from '../support/iam-cloudformation-calls';
import { DEPLOYER_TEMPLATE_PATH, type DeployerParameters, deployerRole } from '../support/iam-deployer-role';
import { stackKeyPolicies } from '../support/iam-function-role';
import { simulate } from '../support/iam-simulation';
import { PACKAGE_STAGE, packagedDirectories, packagedTemplate } from '../support/packaged-template';
import { STAGE_PARAMETER_COMBINATIONS } from '../support/stage-parameter-combinations';

// The deployer role of deploy/deployer-role.yml, judged by an IAM policy simulator: what CloudFormation calls
// with its credentials for every resource of the packaged templates (every documented combination of stage
// parameters) is allowed; dangerous calls are refused; its trust policy lets in only a token of the named
// repository and environment. The framework's own calls are recorded and judged in
// tests/emulator/serverless-deploy.test.ts.

const SERVICE = 'freeclimb-call-records';
const { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION } = EXAMPLE_PSEUDO_PARAMETERS;
const STACK = `${SERVICE}-${PACKAGE_STAGE}`;
const CALLED_VIA_CLOUDFORMATION = { 'aws:CalledVia': ['cloudformation.amazonaws.com'] };
/** As the bootstrap in docs/deploying.md applies it: the deploy workflow runs in the environment named after the stage. */
const BOOTSTRAP: DeployerParameters = {
  GitHubOrganization: 'acme',
  GitHubRepository: SERVICE,
  DeployFromKind: 'environment',
  DeployFrom: PACKAGE_STAGE,
  Stage: PACKAGE_STAGE,
};
const role = deployerRole(BOOTSTRAP);
const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;

beforeAll(async () => {
  // Every combination at once, not one per test as each reaches its own.
  await packagedDirectories(STAGE_PARAMETER_COMBINATIONS);
}, 300_000);

test('cfn-lint reports nothing on deploy/deployer-role.yml', async () => {
  // Act
  const run = await promisify(execFile)('cfn-lint', [DEPLOYER_TEMPLATE_PATH]).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );

  // Assess
  expect(run).toEqual({ code: 0, stdout: '' });
}, 60_000);

test.each(STAGE_PARAMETER_COMBINATIONS.map(({ name }) => name))(
  'with %s, every call CloudFormation makes for the stack with the deployer’s credentials is allowed',
  async (combination) => {
    // Prepare
    const parameters = STAGE_PARAMETER_COMBINATIONS.find(({ name }) => name === combination);
    const template = await packagedTemplate(parameters);
    const keyPolicies = stackKeyPolicies(template);
    const calls = cloudFormationCalls(
      template,
      { stackName: STACK, accountId: ACCOUNT as string, region: REGION as string, partition: 'aws' },
      EXAMPLE_PSEUDO_PARAMETERS,
    );

    // Act
    const verdicts = [];
    for (const call of calls) {
      // KMS counts the deployer's policy only as far as the key's own policy lets it.
      const keyPolicy = call.action.startsWith('kms:') && call.resource !== '*' ? call.resource : undefined;
      const verdict = await simulate(
        {
          principal: role.session,
          action: call.action,
          resource: call.resource,
          accountId: ACCOUNT as string,
          context: { ...CALLED_VIA_CLOUDFORMATION, ...call.context },
        },
        {
          identity: [role.policy],
          ...(keyPolicy
            ? { resource: keyPolicies.get(keyPolicy) ?? accountKeyPolicy(ACCOUNT as string) }
            : {}),
        },
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
    if (combination === 'defaults' || combination === 'enrich') {
      console.log(
        [
          `CloudFormation's calls for stage ${PACKAGE_STAGE} (${combination}), with the deployer's credentials`,
          '',
          '| resource type | calls (create, update, delete) | allowed | not type-checked by the simulator |',
          '|---|---:|---:|---:|',
          ...[...byType].map(([type, r]) => `| ${type} | ${r.calls} | ${r.allowed} | ${r.unvalidated} |`),
          `| all | ${verdicts.length} | ${verdicts.filter((v) => v.result === 'Allowed').length} | ${verdicts.filter((v) => !v.validated).length} |`,
        ].join('\n'),
      );
    }
    expect(
      verdicts.filter((v) => v.result !== 'Allowed').map((v) => `${v.logicalId} ${v.action} ${v.resource}`),
    ).toEqual([]);
    expect(verdicts.length).toBeGreaterThan(100);
  },
  300_000,
);

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
    why: 'change the function of a stage whose name starts with this one’s (prod-eu)',
    action: 'lambda:UpdateFunctionCode',
    resource: arn('lambda', `function:${STACK}-eu-callStatus`),
  },
  {
    why: 'pass the role of a stage whose name starts with this one’s (prod-eu)',
    action: 'iam:PassRole',
    resource: `arn:aws:iam::${ACCOUNT}:role/${STACK}-eu-${REGION}-callStatus`,
    context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
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
    why: 'decrypt with a key directly',
    action: 'kms:Decrypt',
    resource: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    context: {
      'kms:EncryptionContext:aws:logs:arn': arn('logs', `log-group:/aws/lambda/${STACK}-callStatus`),
    },
  },
  {
    why: 'decrypt a secret through SSM',
    action: 'kms:Decrypt',
    resource: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    context: {
      'kms:ViaService': `ssm.${REGION}.amazonaws.com`,
      'kms:EncryptionContext:PARAMETER_ARN': arn(
        'ssm',
        `parameter/${SERVICE}/${PACKAGE_STAGE}/signing-secret`,
      ),
    },
  },
  {
    why: 'read another service’s encrypted log through CloudWatch Logs',
    action: 'kms:Decrypt',
    resource: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    context: {
      'kms:ViaService': `logs.${REGION}.amazonaws.com`,
      'kms:EncryptionContext:aws:logs:arn': arn('logs', 'log-group:/aws/lambda/payments'),
    },
  },
  {
    why: 'read another stage’s encrypted log through CloudWatch Logs',
    action: 'kms:Decrypt',
    resource: arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    context: {
      'kms:ViaService': `logs.${REGION}.amazonaws.com`,
      'kms:EncryptionContext:aws:logs:arn': arn('logs', `log-group:/aws/lambda/${SERVICE}-dev-callStatus`),
    },
  },
  {
    why: 'read the function’s log',
    action: 'logs:GetLogEvents',
    resource: arn(
      'logs',
      `log-group:/aws/lambda/${STACK}-callStatus:log-stream:2026/12/05/[$LATEST]0123abcd`,
    ),
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
    why: 'read the enricher’s dead letters',
    action: 'sqs:ReceiveMessage',
    resource: arn('sqs', `${STACK}-enrich-dead-letter`),
  },
  {
    why: 'send a job to the retry queue directly',
    action: 'sqs:SendMessage',
    resource: arn('sqs', `${STACK}-enrich-retry`),
  },
  {
    why: 'delete another queue, even through CloudFormation',
    action: 'sqs:DeleteQueue',
    resource: arn('sqs', 'orders'),
    context: CALLED_VIA_CLOUDFORMATION,
  },
  {
    why: 'trigger another function from a stream, even through CloudFormation',
    action: 'lambda:CreateEventSourceMapping',
    resource: '*',
    context: { ...CALLED_VIA_CLOUDFORMATION, 'lambda:FunctionArn': arn('lambda', 'function:payments') },
  },
  {
    why: 'trigger its own function directly',
    action: 'lambda:CreateEventSourceMapping',
    resource: '*',
    context: { 'lambda:FunctionArn': arn('lambda', `function:${STACK}-enrichCall`) },
  },
  {
    why: 'read the calls table’s stream',
    action: 'dynamodb:GetRecords',
    resource: arn('dynamodb', `table/${STACK}-calls/stream/2026-12-05T10:00:00.000`),
  },
  {
    why: 'read the enricher’s API key',
    action: 'ssm:GetParameter',
    resource: arn('ssm', `parameter/${SERVICE}/${PACKAGE_STAGE}/api-key`),
  },
  {
    why: 'delete another log group',
    action: 'logs:DeleteLogGroup',
    resource: arn('logs', 'log-group:/aws/lambda/payments'),
  },
];

test.each(DANGEROUS)('the deployer cannot $why ($action)', async ({ action, resource, context }) => {
  // Prepare: a key whose policy lets IAM policies count, so that only the deployer's policy decides.
  const keyPolicy = action.startsWith('kms:') ? { resource: accountKeyPolicy(ACCOUNT as string) } : {};

  // Act
  const verdict = await simulate(
    { principal: role.session, action, resource, accountId: ACCOUNT as string, context },
    { identity: [role.policy], ...keyPolicy },
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

/** A GitHub OIDC token as STS receives it: the provider that issued it, and its claims. */
interface Token {
  who: string;
  sub?: string;
  aud?: string;
  /** The IAM identity provider STS finds for the token's issuer (GitHub's, in this account, by default). */
  provider?: string;
  allowed: boolean;
}

const REPOSITORY = `repo:acme/${SERVICE}`;
const GITHUB_AUDIENCE = 'sts.amazonaws.com';

const TOKENS: Record<'environment' | 'branch', { deployFrom: string; tokens: Token[] }> = {
  environment: {
    deployFrom: PACKAGE_STAGE,
    tokens: [
      { who: 'a job of the repository in the stage’s environment', allowed: true },
      { who: 'another repository of the owner', sub: 'repo:acme/payments:environment:prod', allowed: false },
      { who: 'a fork', sub: `repo:mallory/${SERVICE}:environment:prod`, allowed: false },
      { who: 'another environment', sub: `${REPOSITORY}:environment:dev`, allowed: false },
      { who: 'an environment named like it', sub: `${REPOSITORY}:environment:prod-preview`, allowed: false },
      { who: 'a job on the main branch', sub: `${REPOSITORY}:ref:refs/heads/main`, allowed: false },
      {
        who: 'a job on a tag, outside the environment',
        sub: `${REPOSITORY}:ref:refs/tags/v1.0.0`,
        allowed: false,
      },
      { who: 'a pull request', sub: `${REPOSITORY}:pull_request`, allowed: false },
      { who: 'a token for another audience', aud: 'https://github.com/acme', allowed: false },
      { who: 'a token without audience', aud: '', allowed: false },
      { who: 'a token without subject', sub: '', allowed: false },
      {
        who: 'another identity provider',
        provider: `arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.com`,
        allowed: false,
      },
      {
        who: 'GitHub’s provider of another account',
        provider: 'arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com',
        allowed: false,
      },
    ],
  },
  branch: {
    deployFrom: 'main',
    tokens: [
      {
        who: 'a job of the repository on the branch',
        sub: `${REPOSITORY}:ref:refs/heads/main`,
        allowed: true,
      },
      { who: 'another branch', sub: `${REPOSITORY}:ref:refs/heads/feature`, allowed: false },
      { who: 'a branch named like it', sub: `${REPOSITORY}:ref:refs/heads/main-old`, allowed: false },
      { who: 'an environment named like the branch', sub: `${REPOSITORY}:environment:main`, allowed: false },
      { who: 'a pull request', sub: `${REPOSITORY}:pull_request`, allowed: false },
    ],
  },
};

describe.each(Object.keys(TOKENS) as Array<keyof typeof TOKENS>)(
  'with DeployFromKind=%s, the trust policy takes a token from',
  (kind) => {
    const { deployFrom, tokens } = TOKENS[kind];
    const trusting = deployerRole({ ...BOOTSTRAP, DeployFromKind: kind, DeployFrom: deployFrom });
    const expectedSubject =
      kind === 'environment'
        ? `${REPOSITORY}:environment:${deployFrom}`
        : `${REPOSITORY}:ref:refs/heads/${deployFrom}`;

    test.each(tokens)('$who: allowed $allowed', async ({ sub, aud, provider, allowed }) => {
      // Prepare
      const claims = { sub: sub ?? expectedSubject, aud: aud ?? GITHUB_AUDIENCE };
      const context = Object.fromEntries(
        Object.entries(claims)
          .filter(([, value]) => value !== '')
          .map(([claim, value]) => [`token.actions.githubusercontent.com:${claim}`, value]),
      );

      // Act
      const verdict = await simulate(
        {
          principal: provider ?? trusting.oidcProviderArn,
          action: 'sts:AssumeRoleWithWebIdentity',
          resource: trusting.arn,
          accountId: ACCOUNT as string,
          context,
        },
        { identity: [], resource: trusting.trust },
      );

      // Assess
      expect(verdict.result === 'Allowed').toBe(allowed);
      // The simulator's data lacks these two claims; they are evaluated as given (tests/support/iam-simulation.ts).
      expect(verdict.unchecked.sort()).toEqual(Object.keys(context).sort());
    });
  },
);

test('no role or user of the account may assume the deployer role without a GitHub token', async () => {
  // Act
  const verdicts = await Promise.all(
    [`arn:aws:iam::${ACCOUNT}:role/admin`, `arn:aws:iam::${ACCOUNT}:user/alice`].map((principal) =>
      simulate(
        { principal, action: 'sts:AssumeRole', resource: role.arn, accountId: ACCOUNT as string },
        {
          identity: [
            { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:*', Resource: '*' }] },
          ],
          resource: role.trust,
        },
      ),
    ),
  );

  // Assess
  expect(verdicts.map((verdict) => verdict.result)).toEqual(['ImplicitlyDenied', 'ImplicitlyDenied']);
});
