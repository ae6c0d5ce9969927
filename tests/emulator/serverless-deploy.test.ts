import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetEventSourceMappingCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall } from '@aws-sdk/util-dynamodb';
import { unzip } from '../../bench/unzip';
import { DUMMY_CREDENTIALS } from '../../local/local-dynamodb';
import { conditionHolds } from '../support/cloudformation-values';
import { callResource, startFakeFreeClimb } from '../support/fake-freeclimb';
import { deployerRole } from '../support/iam-deployer-role';
import { type IamRequestAction, iamActionsOf } from '../support/iam-request-actions';
import { simulate } from '../support/iam-simulation';
import { MotoRecorder } from '../support/moto-recorder';
import type { Template } from '../support/packaged-template';
import { linkedServiceDirectory, runServerless, type ServerlessRun } from '../support/serverless-cli';
import { bodyFixture, freshId, signedEvent, TEST_SECRET, withFreshIds } from '../support/webhook';

// `serverless deploy`, an update, `deploy function`, `info` and `remove`, run for real on moto's AWS emulator
// with the project's own files, read back through the emulator's APIs; the deployed code zip then stores a
// signed delivery against the emulator's DynamoDB and SSM. Every AWS call the framework made is recorded and
// checked against the deployer role (deploy/deployer-role.yml) with an IAM policy simulator.

/** One CLI step's outcome and the AWS calls it made. */
type StepRun = ServerlessRun & { calls: IamRequestAction[] };

/**
 * A deploy to try: the stage and any extra stage parameters. Each needs a stage of its own: the tables
 * `remove` keeps would stop a second create of the same stage. The defaults go through every step; the
 * enricher (enrich=true) through create, its own deployed zip and remove, which is what it adds (the steps
 * between exercise the framework, not the template).
 */
interface Variant {
  stage: string;
  params: string[];
  enrich: boolean;
}
const VARIANTS: Variant[] = [
  { stage: 'emulator', params: [], enrich: false },
  { stage: 'emulator-enrich', params: ['enrich=true'], enrich: true },
];

const SERVICE = 'freeclimb-call-records';
const REGION = 'us-east-1';
/** moto's account for any credentials. */
const ACCOUNT = '123456789012';

/**
 * What moto's CloudFormation does not create (moto 5.2.1: "No Moto CloudFormation support for …"): the HTTP
 * API, the alarm and the bucket policy. The template tests and Control Tower's controls cover them.
 */
const TYPES_MOTO_SKIPS = [
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage',
  'AWS::CloudWatch::Alarm',
  'AWS::S3::BucketPolicy',
];

/** A CLI step takes 5–40 s on a busy 2-core machine. */
const STEP_TIMEOUT_MS = 180_000;

/**
 * How often the framework polls a stack operation (osls's `SLS_AWS_MONITORING_FREQUENCY`, 5 s by default).
 * moto finishes a change set before it answers ExecuteChangeSet, so the default only waits.
 */
const MONITORING_FREQUENCY_MS = '100';

/** Calls the deployer role may be refused, because the framework takes the refusal as an answer. */
const TOLERATED_REFUSALS: Record<string, string> = {
  'ecr:DescribeRepositories':
    'serverless remove looks for the image repository of `provider.ecr`; it takes AccessDenied as "none" (this service ships no images)',
};

const WITH_THEIR_FUNCTION = ['AWS::Lambda::Version', 'AWS::Lambda::Permission'];

/** A record's job the FreeClimb-shaped fake answers, for the deployed enricher. */
const FAKE_API_KEY = 'fc_emulator_key_00112233445566778899aabbccddeeff';

const endpoint = process.env.TEST_MOTO_ENDPOINT as string;
const clientConfig = { endpoint, region: REGION, credentials: DUMMY_CREDENTIALS, forcePathStyle: true };
const cloudFormation = new CloudFormationClient(clientConfig);
const dynamodb = new DynamoDBClient(clientConfig);
const lambda = new LambdaClient(clientConfig);
const iam = new IAMClient(clientConfig);
const s3 = new S3Client(clientConfig);
const ssm = new SSMClient(clientConfig);
const logs = new CloudWatchLogsClient(clientConfig);
const sqs = new SQSClient(clientConfig);
const recorder = new MotoRecorder(endpoint);

describe.each(VARIANTS)('stage $stage with [$params] on moto', ({ stage, params, enrich }) => {
  /** The steps only the full variant runs: defined for it alone, so no test is skipped. */
  const fullTest = enrich ? () => undefined : test;
  const enricherTest = enrich ? test : () => undefined;
  const stack = `${SERVICE}-${stage}`;
  const paramArgs = params.map((param) => `--param=${param}`);
  const steps: Array<{ step: string; milliseconds: number; calls: IamRequestAction[] }> = [];
  let serviceDir: string;
  let deployed: Template;
  /** What moto created, and the entries it lists for what it skipped (no logical id, type or physical id). */
  let stackResources: StackResourceSummary[];
  let skippedEntries: StackResourceSummary[];

  let stepsStarted = 0;

  /**
   * Runs one CLI step with an access key of its own, so that the recording tells its calls from everyone
   * else's (the test's own read-backs sign with another key); the step fails the test if the command does.
   */
  async function step(name: string, args: string[]): Promise<StepRun> {
    stepsStarted += 1;
    const accessKey = `STEP${stepsStarted}${stage.toUpperCase().replaceAll('-', '')}`;
    const run = await runServerless(serviceDir, [...args, '--stage', stage, ...paramArgs], {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: accessKey,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      SLS_AWS_MONITORING_FREQUENCY: MONITORING_FREQUENCY_MS,
      // Node's code cache for the framework's modules, shared by the steps: start-up is most of a step.
      NODE_COMPILE_CACHE: path.join(process.env.TEST_RUN_DIR as string, 'node-compile-cache'),
    });
    const requests = await recorder.requestsOf(accessKey);
    const calls = requests.flatMap((request) => iamActionsOf(request, { accountId: ACCOUNT }));
    steps.push({ step: name, milliseconds: run.milliseconds, calls });
    if (run.exitCode !== 0)
      throw new Error(`serverless ${args.join(' ')} exited ${run.exitCode}:\n${run.output}`);
    return { ...run, calls };
  }

  const functionName = `${stack}-callStatus`;

  /** The code zip of `name` that the last deploy put in the deployment bucket, unzipped in a fresh folder. */
  async function deployedCode(name: string): Promise<{ dir: string; files: string[] }> {
    const bucket = stackResources.find((r) => r.LogicalResourceId === 'ServerlessDeploymentBucket')
      ?.PhysicalResourceId as string;
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `serverless/${SERVICE}/${stage}/` }),
    );
    const zipKey = (listed.Contents ?? [])
      .map((object) => object.Key as string)
      .filter((key) => key.endsWith(`/${name}.zip`))
      .sort()
      .at(-1) as string;
    const zip = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: zipKey }));
    const dir = await mkdtemp(path.join(process.env.TEST_RUN_DIR as string, 'deployed-zip-'));
    await writeFile(
      path.join(dir, `${name}.zip`),
      await (zip.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    return { dir, files: await unzip(path.join(dir, `${name}.zip`), path.join(dir, 'code')) };
  }

  /** Runs a deployed handler once in a fresh Node with `environment` against moto, and returns its answer. */
  async function runDeployed(
    dir: string,
    handlerFile: string,
    event: unknown,
    environment: Record<string, string>,
  ): Promise<unknown> {
    await writeFile(path.join(dir, 'event.json'), JSON.stringify(event));
    await promisify(execFile)(
      process.execPath,
      [
        '-e',
        RUN_HANDLER,
        path.join(dir, 'code', handlerFile),
        path.join(dir, 'event.json'),
        path.join(dir, 'result.json'),
      ],
      {
        env: {
          ...environment,
          AWS_ENDPOINT_URL: endpoint,
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
        },
      },
    );
    return JSON.parse(await readFile(path.join(dir, 'result.json'), 'utf8'));
  }
  const functionEnvironment = async () =>
    (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }))).Environment
      ?.Variables ?? {};

  beforeAll(async () => {
    [serviceDir] = await Promise.all([
      mkdtemp(path.join(process.env.TEST_RUN_DIR as string, 'emulator-')).then(linkedServiceDirectory),
      recorder.start(),
    ]);
  }, STEP_TIMEOUT_MS);

  afterAll(async () => {
    await recorder.stop();
    const rows = steps.map(
      ({ step, milliseconds, calls }) =>
        `| ${step} | ${(milliseconds / 1000).toFixed(1)} s | ${calls.length} |`,
    );
    console.log(
      ['Emulator steps (moto)', '', '| step | time | AWS calls |', '|---|---:|---:|', ...rows].join('\n'),
    );
  });

  test(
    'serverless deploy creates the tables, the function, its role and the parameter it may read',
    async () => {
      // Act
      await step('serverless deploy (create)', ['deploy']);

      // Assess
      const [template, listed, calls, rejected, fn, described] = await Promise.all([
        cloudFormation.send(new GetTemplateCommand({ StackName: stack })),
        cloudFormation.send(new ListStackResourcesCommand({ StackName: stack })),
        dynamodb.send(new DescribeTableCommand({ TableName: `${stack}-calls` })),
        dynamodb.send(new DescribeTableCommand({ TableName: `${stack}-rejected` })),
        lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
        cloudFormation.send(new DescribeStacksCommand({ StackName: stack })),
      ]);
      deployed = JSON.parse(template.TemplateBody as string) as Template;
      const summaries = listed.StackResourceSummaries ?? [];
      stackResources = summaries.filter((resource) => resource.ResourceType);
      skippedEntries = summaries.filter((resource) => !resource.ResourceType);
      expect(calls.Table?.KeySchema).toEqual([{ AttributeName: 'callId', KeyType: 'HASH' }]);
      expect(
        calls.Table?.GlobalSecondaryIndexes?.map(({ IndexName, KeySchema, Projection }) => ({
          IndexName,
          KeySchema,
          Projection: Projection?.ProjectionType,
        })),
      ).toEqual([
        {
          IndexName: 'parentCallId-index',
          KeySchema: [
            { AttributeName: 'parentCallId', KeyType: 'HASH' },
            { AttributeName: 'receivedAt', KeyType: 'RANGE' },
          ],
          Projection: 'ALL',
        },
        {
          IndexName: 'callLog-index',
          KeySchema: [
            { AttributeName: 'callLogShard', KeyType: 'HASH' },
            { AttributeName: 'receivedAt', KeyType: 'RANGE' },
          ],
          Projection: 'INCLUDE',
        },
      ]);
      expect(rejected.Table?.KeySchema).toEqual([
        { AttributeName: 'receivedDate', KeyType: 'HASH' },
        { AttributeName: 'rejectionId', KeyType: 'RANGE' },
      ]);
      for (const table of [calls.Table, rejected.Table]) expect(table?.DeletionProtectionEnabled).toBe(true);
      expect({
        runtime: fn.Runtime,
        handler: fn.Handler,
        memory: fn.MemorySize,
        timeout: fn.Timeout,
      }).toEqual({
        runtime: 'nodejs24.x',
        handler: 'handlers/call-status.handler',
        memory: 256,
        timeout: 15,
      });
      expect(fn.Environment?.Variables).toMatchObject({
        CALLS_TABLE: `${stack}-calls`,
        REJECTED_TABLE: `${stack}-rejected`,
        FREECLIMB_SIGNING_SECRET_PARAMETER: `/${SERVICE}/${stage}/signing-secret`,
        RETENTION_DAYS: '0',
        POWERTOOLS_SERVICE_NAME: stack,
      });
      // The parameter the function reads is the one its role may read, as IAM on the emulator holds it.
      const roleName = fn.Role?.split('/').pop() as string;
      const [role, policy] = await Promise.all([
        iam.send(new GetRoleCommand({ RoleName: roleName })),
        iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: `${stack}-call-status` })),
      ]);
      expect(role.Role?.Arn).toBe(fn.Role);
      // moto hands back a policy CloudFormation made as Python's text of it, not JSON: the ARN is looked for.
      expect(decodeURIComponent(policy.PolicyDocument as string)).toContain(
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/${SERVICE}/${stage}/signing-secret`,
      );
      // The enricher as moto holds it: all of it with enrich=true, none of it (no stream either) without.
      expect(await enricherAsDeployed(stack)).toEqual(enrich ? expectedEnricher(stack) : NO_ENRICHER);
      // moto 5.2.1 returns no Outputs for this stack (CallStatusWebhookUrl refers to the HTTP API it skipped);
      // the outputs are checked on the packaged template (tests/template/serverless-package.test.ts).
      expect(described.Stacks?.[0]?.StackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
      expect(described.Stacks?.[0]?.Outputs ?? []).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );

  test(
    'moto skips exactly the HTTP API, the alarm and the bucket policy, and ignores arm64, TTL and PITR',
    async () => {
      // Prepare
      const created = new Set(stackResources.map((resource) => resource.LogicalResourceId));

      // Act
      const skipped = Object.entries(deployed.Resources)
        .filter(([, resource]) => !resource.Condition || conditionHolds(deployed, resource.Condition))
        .filter(([logicalId]) => !created.has(logicalId));

      // Assess
      console.log(`moto skipped: ${skipped.map(([id, r]) => `${id} (${r.Type})`).join(', ')}`);
      expect([...new Set(skipped.map(([, resource]) => resource.Type))].sort()).toEqual(TYPES_MOTO_SKIPS);
      // moto still lists each resource it did not create (skipped, or its condition false) as an entry with
      // no logical id, type or physical id.
      const notCreated = Object.keys(deployed.Resources).filter((id) => !created.has(id));
      expect(skippedEntries).toHaveLength(notCreated.length);
      expect(notCreated.length).toBeGreaterThan(skipped.length);
      for (const entry of skippedEntries) {
        expect([entry.LogicalResourceId, entry.ResourceType, entry.PhysicalResourceId ?? '']).toEqual([
          '',
          '',
          '',
        ]);
      }
      const ofSkippedTypes = Object.entries(deployed.Resources).filter(([, r]) =>
        TYPES_MOTO_SKIPS.includes(r.Type),
      );
      expect(skipped.map(([id]) => id).sort()).toEqual(ofSkippedTypes.map(([id]) => id).sort());
      const tables = [`${stack}-calls`, `${stack}-rejected`];
      const [fn, ...settings] = await Promise.all([
        lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
        ...tables.flatMap((TableName) => [
          dynamodb.send(new DescribeTimeToLiveCommand({ TableName })),
          dynamodb.send(new DescribeContinuousBackupsCommand({ TableName })),
        ]),
      ]);
      expect(deployed.Resources.CallStatusLambdaFunction?.Properties.Architectures).toEqual(['arm64']);
      expect((fn as { Architectures?: string[] }).Architectures).toEqual(['x86_64']);
      // TTL and point-in-time recovery, set in the template, are left off by moto's CloudFormation.
      expect(settings).toEqual(
        tables.flatMap(() => [
          expect.objectContaining({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } }),
          expect.objectContaining({
            ContinuousBackupsDescription: expect.objectContaining({
              PointInTimeRecoveryDescription: expect.objectContaining({
                PointInTimeRecoveryStatus: 'DISABLED',
              }),
            }),
          }),
        ]),
      );
      for (const table of ['CallsTable', 'RejectedTable']) {
        expect(deployed.Resources[table]?.Properties).toMatchObject({
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        });
      }
    },
    STEP_TIMEOUT_MS,
  );

  fullTest(
    'serverless deploy function updates the function alone',
    async () => {
      // Act
      const run = await step('serverless deploy function (logLevel=DEBUG)', [
        'deploy',
        'function',
        '-f',
        'callStatus',
        '--param=logLevel=DEBUG',
      ]);

      // Assess
      expect(run.output).toContain('Function configuration updated');
      const own = run.calls.map((call) => call.action);
      expect(own).toContain('lambda:UpdateFunctionConfiguration');
      expect(own.filter((action) => action.startsWith('cloudformation:'))).toEqual([]);
      expect(await functionEnvironment()).toMatchObject({
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        RETENTION_DAYS: '0',
      });
    },
    STEP_TIMEOUT_MS,
  );

  fullTest(
    'serverless info names the stack',
    async () => {
      // Act
      const run = await step('serverless info', ['info']);

      // Assess
      expect(run.output).toContain(
        `service: ${SERVICE}\nstage: ${stage}\nregion: ${REGION}\nstack: ${stack}\n`,
      );
      expect(run.calls.map((call) => call.action)).toContain('cloudformation:DescribeStacks');
    },
    STEP_TIMEOUT_MS,
  );

  fullTest(
    'a second serverless deploy updates the stack with a changed parameter',
    async () => {
      // Prepare
      const before = await functionEnvironment();

      // Act
      await step('serverless deploy (update, retentionDays=30)', ['deploy', '--param=retentionDays=30']);

      // Assess
      expect(before).toMatchObject({ RETENTION_DAYS: '0', POWERTOOLS_LOG_LEVEL: 'DEBUG' });
      expect(await functionEnvironment()).toMatchObject({
        RETENTION_DAYS: '30',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      const status = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]
        ?.StackStatus;
      expect(status).toBe('UPDATE_COMPLETE');
    },
    STEP_TIMEOUT_MS,
  );

  fullTest(
    'the deployed code zip stores a signed delivery with the deployed environment',
    async () => {
      // Prepare
      const environment = await functionEnvironment();
      const secretName = environment.FREECLIMB_SIGNING_SECRET_PARAMETER as string;
      await ssm.send(new PutParameterCommand({ Name: secretName, Value: TEST_SECRET, Type: 'SecureString' }));
      const { dir, files } = await deployedCode('callStatus');
      const body = withFreshIds(bodyFixture('completed-inbound'));
      const callId = JSON.parse(body.toString('utf8')).callId as string;
      const event = signedEvent(body, { signedAt: Math.floor(Date.now() / 1000) });

      // Act
      const started = Date.now();
      const result = (await runDeployed(dir, 'handlers/call-status.js', event, environment)) as {
        statusCode: number;
      };
      steps.push({ step: 'deployed zip stores a delivery', milliseconds: Date.now() - started, calls: [] });

      // Assess
      expect(files).toEqual(['handlers/call-status.js']);
      expect(result.statusCode).toBe(204);
      const item = await dynamodb.send(
        new GetItemCommand({
          TableName: environment.CALLS_TABLE,
          Key: { callId: { S: callId } },
          ConsistentRead: true,
        }),
      );
      expect(item.Item?.callId?.S).toBe(callId);
    },
    STEP_TIMEOUT_MS,
  );

  enricherTest(
    'the deployed enricher zip enriches a new record and queues one FreeClimb does not finish, with the deployed names',
    async () => {
      // Prepare: its API key in the parameter it was deployed to read, FreeClimb's API faked on loopback.
      const { Environment } = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: `${stack}-enrichCall` }),
      );
      const environment = Environment?.Variables ?? {};
      await ssm.send(
        new PutParameterCommand({
          Name: environment.FREECLIMB_API_KEY_PARAMETER,
          Value: FAKE_API_KEY,
          Type: 'SecureString',
        }),
      );
      const fake = await startFakeFreeClimb({ apiKey: FAKE_API_KEY });
      const record = () => ({ callId: freshId('CA'), accountId: freshId('AC'), callStatus: 'completed' });
      const completed = record();
      const ringing = record();
      fake.setCall(callResource(completed.callId as string, completed.accountId as string));
      fake.setCall(
        callResource(ringing.callId as string, ringing.accountId as string, { status: 'ringing' }),
      );
      for (const record of [completed, ringing]) {
        await dynamodb.send(
          new PutItemCommand({ TableName: environment.CALLS_TABLE, Item: marshall(record) }),
        );
      }
      const { dir, files } = await deployedCode('enrichCall');
      const event = {
        Records: [completed, ringing].map((record, index) => ({
          eventSource: 'aws:dynamodb',
          eventName: 'INSERT',
          dynamodb: {
            NewImage: marshall(record),
            SequenceNumber: String(index + 1),
            StreamViewType: 'NEW_IMAGE',
          },
        })),
      };

      // Act: the deployed environment, but for the API's URL (the fake, on loopback; https only in Lambda).
      const started = Date.now();
      const result = await runDeployed(dir, 'handlers/enrich-call.js', event, {
        ...environment,
        FREECLIMB_API_URL: fake.url,
      }).finally(() => fake.close());
      steps.push({ step: 'deployed enricher zip enriches', milliseconds: Date.now() - started, calls: [] });

      // Assess
      expect(files).toEqual(['handlers/enrich-call.js']);
      expect(result).toEqual({ batchItemFailures: [] });
      const enriched = await dynamodb.send(
        new GetItemCommand({
          TableName: environment.CALLS_TABLE,
          Key: { callId: { S: completed.callId } },
          ConsistentRead: true,
        }),
      );
      expect(enriched.Item?.details?.M?.status?.S).toBe('completed');
      expect(fake.requests.map((request) => [request.callId, request.user, request.status]).sort()).toEqual(
        [
          [completed.callId, completed.accountId, 200],
          [ringing.callId, ringing.accountId, 200],
        ].sort(),
      );
      const retry = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: environment.ENRICH_RETRY_QUEUE_URL,
          AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
        }),
      );
      expect(retry.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
    },
    STEP_TIMEOUT_MS,
  );

  test(
    'serverless remove deletes the stack; moto keeps only what DeletionPolicy Retain keeps',
    async () => {
      // Prepare
      const withPolicy = (policy: string) =>
        Object.entries(deployed.Resources)
          .filter(([, resource]) => resource.DeletionPolicy === policy)
          .map(([logicalId]) => logicalId)
          .sort();
      // A function's versions and permissions go with it, whatever their DeletionPolicy (osls keeps versions).
      const standalone = stackResources.filter(
        (r) => !WITH_THEIR_FUNCTION.includes(r.ResourceType as string),
      );

      // Act
      await step('serverless remove', ['remove']);

      // Assess
      await expect(cloudFormation.send(new DescribeStacksCommand({ StackName: stack }))).rejects.toThrow(
        /does not exist/,
      );
      const found = await Promise.all(standalone.map((resource) => stillExists(resource)));
      const left = standalone
        .filter((_, index) => found[index])
        .map((resource) => resource.LogicalResourceId as string)
        .sort();
      const isStandalone = (id: string) => standalone.some((r) => r.LogicalResourceId === id);
      expect(left).toEqual(withPolicy('Retain').filter(isStandalone));
      expect(left).toEqual(['CallsTable', 'RejectedTable']);
      // AWS keeps these too once they exist (docs/deploying.md, "What serverless remove leaves behind");
      // moto deletes RetainExceptOnCreate resources with the stack.
      const keptOnlyByAws = withPolicy('RetainExceptOnCreate');
      expect(keptOnlyByAws).toEqual(
        expect.arrayContaining(['CallStatusLogGroup', 'HttpApiLogGroup', 'LogKey']),
      );
      expect(keptOnlyByAws.filter(isStandalone)).toEqual(keptOnlyByAws);
      console.log(
        `serverless remove left on moto: ${left.join(', ')}; AWS would also keep: ${keptOnlyByAws.join(', ')}`,
      );
    },
    STEP_TIMEOUT_MS,
  );

  test(
    'every AWS call the framework made is allowed to the deployer role',
    async () => {
      // Prepare
      const role = deployerRole({
        GitHubOrganization: 'acme',
        GitHubRepository: SERVICE,
        DeployFrom: stage,
        Stage: stage,
      });
      const distinct = new Map<string, IamRequestAction & { steps: Set<string> }>();
      for (const { step: name, calls } of steps) {
        for (const call of calls) {
          const key = `${call.action} ${generalised(call.resource)} ${call.calledVia ?? ''}`;
          const seen = distinct.get(key) ?? { ...call, steps: new Set<string>() };
          seen.steps.add(name.split(' (')[0] as string);
          distinct.set(key, seen);
        }
      }

      // Act
      const verdicts = [];
      for (const call of distinct.values()) {
        const verdict = await simulate(
          {
            principal: role.session,
            action: call.action,
            resource: call.resource,
            accountId: ACCOUNT,
            context: call.calledVia ? { 'aws:CalledVia': [call.calledVia] } : {},
          },
          { identity: [role.policy] },
        );
        verdicts.push({ ...call, verdict: verdict.result });
      }

      // Assess
      const rows = verdicts.map(
        (v) =>
          `| ${v.action} | ${generalised(v.resource)} | ${v.calledVia ? 'CloudFormation' : 'framework'} | ${[...v.steps].join(', ')} | ${v.verdict}${TOLERATED_REFUSALS[v.action] ? ` (${TOLERATED_REFUSALS[v.action]})` : ''} |`,
      );
      console.log(
        [
          'Recorded AWS calls and the deployer role',
          '',
          '| action | resource | called by | steps | verdict |',
          '|---|---|---|---|---|',
          ...rows,
        ].join('\n'),
      );
      const refused = verdicts.filter((v) => v.verdict !== 'Allowed').map((v) => v.action);
      expect([...new Set(refused)].sort()).toEqual(Object.keys(TOLERATED_REFUSALS).sort());
      expect(verdicts.length).toBeGreaterThan(20);
    },
    STEP_TIMEOUT_MS,
  );
});

/** Loads the deployed handler alone in a fresh Node, calls it once and writes its answer. */
const RUN_HANDLER = `
const [handlerFile, eventFile, resultFile] = process.argv.slice(1);
const fs = require('node:fs');
const { handler } = require(handlerFile);
handler(JSON.parse(fs.readFileSync(eventFile, 'utf8')), { getRemainingTimeInMillis: () => 15000 })
  .then((result) => fs.writeFileSync(resultFile, JSON.stringify(result)));
`;

/** Names that change from run to run (timestamps, random suffixes, stack ids), shown as `*`. */
function generalised(resource: string): string {
  return resource
    .replace(/(\/serverless\/[^/]+\/[^/]+\/)[^/]+\//, '$1<timestamp>/')
    .replace(/serverlessdeploymentbucket-[a-z0-9]+/, 'serverlessdeploymentbucket-<id>')
    .replace(/(:stack\/[^/]+\/)[^/]+$/, '$1<id>');
}

/** Whether a stack resource is still in the emulator after the stack went. */
async function stillExists(resource: StackResourceSummary): Promise<boolean> {
  const id = resource.PhysicalResourceId as string;
  const found = (request: Promise<unknown>) =>
    request.then(
      () => true,
      () => false,
    );
  switch (resource.ResourceType) {
    case 'AWS::DynamoDB::Table':
      return found(dynamodb.send(new DescribeTableCommand({ TableName: id })));
    case 'AWS::Lambda::Function':
      return found(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: id })));
    case 'AWS::IAM::Role':
      return found(iam.send(new GetRoleCommand({ RoleName: id })));
    case 'AWS::S3::Bucket':
      return found(s3.send(new HeadBucketCommand({ Bucket: id })));
    case 'AWS::Logs::LogGroup': {
      const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: id }));
      return (groups.logGroups ?? []).some((group) => group.logGroupName === id);
    }
    case 'AWS::SQS::Queue':
      return found(sqs.send(new GetQueueUrlCommand({ QueueName: id.split('/').pop() })));
    case 'AWS::Lambda::EventSourceMapping':
      return found(lambda.send(new GetEventSourceMappingCommand({ UUID: id })));
    case 'AWS::KMS::Key':
    case 'AWS::SNS::Topic':
      return awsCliFinds(resource.ResourceType, id);
    default:
      throw new Error(`No way to look for a ${resource.ResourceType} here`);
  }
}

/**
 * KMS and SNS have no SDK client among the project's packages: the AWS CLI lists them on the emulator (moto
 * 5.2.1 answers DescribeKey on a key CloudFormation made with a 500, so the key is looked for in ListKeys).
 */
async function awsCliFinds(type: string, id: string): Promise<boolean> {
  const [args, listed] =
    type === 'AWS::KMS::Key'
      ? [['kms', 'list-keys'], (out: { Keys: Array<{ KeyId: string }> }) => out.Keys.map((key) => key.KeyId)]
      : [
          ['sns', 'list-topics'],
          (out: { Topics: Array<{ TopicArn: string }> }) => out.Topics.map((t) => t.TopicArn),
        ];
  const { stdout } = await promisify(execFile)(
    'aws',
    ['--endpoint-url', endpoint, '--region', REGION, '--output', 'json', ...args],
    {
      env: {
        PATH: process.env.PATH,
        AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
        HOME: process.env.TEST_RUN_DIR,
      },
    },
  );
  return (listed as (out: unknown) => string[])(JSON.parse(stdout)).includes(id);
}

/** The enricher's parts as moto holds them, or `none` for each part that is not there. */
async function enricherAsDeployed(stack: string) {
  const functionName = `${stack}-enrichCall`;
  const absent = (request: Promise<unknown>) => request.then(() => false).catch(() => true);
  const [fnMissing, table] = await Promise.all([
    absent(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }))),
    dynamodb.send(new DescribeTableCommand({ TableName: `${stack}-calls` })),
  ]);
  const stream = table.Table?.StreamSpecification ?? 'none';
  const queue = async (name: string) => {
    const url = await sqs
      .send(new GetQueueUrlCommand({ QueueName: `${stack}-${name}` }))
      .then((found) => found.QueueUrl)
      .catch(() => undefined);
    if (url === undefined) return 'none';
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    return {
      VisibilityTimeout: Attributes.VisibilityTimeout,
      MessageRetentionPeriod: Attributes.MessageRetentionPeriod,
      SqsManagedSseEnabled: Attributes.SqsManagedSseEnabled,
      RedrivePolicy: Attributes.RedrivePolicy && JSON.parse(Attributes.RedrivePolicy),
      RedriveAllowPolicy: Attributes.RedriveAllowPolicy && JSON.parse(Attributes.RedriveAllowPolicy),
    };
  };
  const queues = { retry: await queue('enrich-retry'), deadLetter: await queue('enrich-dead-letter') };
  if (fnMissing) return { function: 'none', stream, queues, mappings: [] };
  const [configuration, concurrency, mappings] = await Promise.all([
    lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })),
    lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName })),
  ]);
  return {
    function: {
      runtime: configuration.Runtime,
      handler: configuration.Handler,
      timeout: configuration.Timeout,
      role: configuration.Role?.split('/').pop(),
      reservedConcurrency: concurrency.ReservedConcurrentExecutions,
      environment: configuration.Environment?.Variables,
    },
    stream,
    queues,
    mappings: (mappings.EventSourceMappings ?? [])
      .map((mapping) => ({
        source: mapping.EventSourceArn?.includes(':sqs:')
          ? 'retry queue'
          : mapping.EventSourceArn?.split('/stream/')[0],
        State: mapping.State,
        BatchSize: mapping.BatchSize,
        StartingPosition: mapping.StartingPosition,
        FilterCriteria: mapping.FilterCriteria,
        FunctionResponseTypes: mapping.FunctionResponseTypes,
        BisectBatchOnFunctionError: mapping.BisectBatchOnFunctionError,
        MaximumRetryAttempts: mapping.MaximumRetryAttempts,
        MaximumRecordAgeInSeconds: mapping.MaximumRecordAgeInSeconds,
        DestinationConfig: mapping.DestinationConfig,
        ScalingConfig: mapping.ScalingConfig,
      }))
      .sort((a, b) => String(a.source).localeCompare(String(b.source))),
  };
}

const NO_ENRICHER = {
  function: 'none',
  stream: 'none',
  queues: { retry: 'none', deadLetter: 'none' },
  mappings: [],
};

/** What serverless.yml says the enricher is, in moto's words (undefined: a property moto leaves out). */
function expectedEnricher(stack: string) {
  const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${stack}-${name}`;
  const queueUrl = (name: string) => expect.stringMatching(new RegExp(`/${ACCOUNT}/${stack}-${name}$`));
  return {
    function: {
      runtime: 'nodejs24.x',
      handler: 'handlers/enrich-call.handler',
      timeout: 30,
      role: `${stack}-${REGION}-enrichCall`,
      reservedConcurrency: 4,
      environment: expect.objectContaining({
        CALLS_TABLE: `${stack}-calls`,
        FREECLIMB_API_KEY_PARAMETER: `/${SERVICE}/${stack.slice(SERVICE.length + 1)}/api-key`,
        FREECLIMB_API_URL: 'https://www.freeclimb.com/apiserver',
        ENRICH_RETRY_QUEUE_URL: queueUrl('enrich-retry'),
        ENRICH_DEAD_LETTER_QUEUE_URL: queueUrl('enrich-dead-letter'),
      }),
    },
    stream: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    queues: {
      retry: {
        VisibilityTimeout: '180',
        MessageRetentionPeriod: '1209600',
        SqsManagedSseEnabled: 'true',
        RedrivePolicy: { deadLetterTargetArn: queueArn('enrich-dead-letter'), maxReceiveCount: 5 },
        RedriveAllowPolicy: undefined,
      },
      deadLetter: {
        VisibilityTimeout: '30',
        MessageRetentionPeriod: '1209600',
        SqsManagedSseEnabled: 'true',
        RedrivePolicy: undefined,
        // moto's CloudFormation leaves RedriveAllowPolicy out; Control Tower's CT.SQS.PR.1 checks it on the template.
        RedriveAllowPolicy: undefined,
      },
    },
    mappings: [
      {
        source: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${stack}-calls`,
        State: 'Enabled',
        BatchSize: 10,
        StartingPosition: 'LATEST',
        FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 86400,
        DestinationConfig: { OnFailure: { Destination: queueArn('enrich-dead-letter') } },
        ScalingConfig: undefined,
      },
      {
        source: 'retry queue',
        State: 'Enabled',
        BatchSize: 10,
        StartingPosition: undefined,
        FilterCriteria: undefined,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: undefined,
        MaximumRetryAttempts: undefined,
        MaximumRecordAgeInSeconds: undefined,
        DestinationConfig: undefined,
        ScalingConfig: { MaximumConcurrency: 2 },
      },
    ],
  };
}
