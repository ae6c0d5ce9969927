import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  PutLogEventsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type AttributeValue,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  QueryCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { handlerTarget } from '../../bench/engine';
import { benchContext, benchSecret, signedEvent as benchSignedEvent, freshBody } from '../../bench/workload';
import { createDocumentClient } from '../../lib/aws-clients';
import { callLogShardOf } from '../../lib/call-log-key';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { DUMMY_CREDENTIALS } from '../../local/local-dynamodb';
import type { ServiceDefinition } from '../../local/service-definition';
import { cachedServiceDefinition } from '../../local/service-definition-cache';
import { type AwsCliRun, type AwsCliTarget, runAwsCli } from '../support/aws-cli';
import { copyOfCallsTable, copyOfTable } from '../support/calls-table-copy';
import { infoLogger, withCapturedLogs } from '../support/captured-logs';
import { runRecords } from '../support/cli';
import {
  awsOperationOf,
  documentedAwsCommands,
  documentedLogsInsightsQuery,
  documentedStatements,
} from '../support/documented-queries';
import { freePort } from '../support/free-port';
import { runInFlight } from '../support/in-flight';
import { type MotoServer, startMotoServer } from '../support/moto-server';
import {
  bodyFixture,
  clockAt,
  lambdaContext,
  signedEvent,
  TEST_SECRET,
  testEnv,
  testStore,
  withFreshIds,
} from '../support/webhook';

// Every `aws` command the README and docs/ show runs here as written, with the real AWS CLI through `sh`
// (only the documented placeholders replaced: stage table names, `CA…`, the example dates, the local
// endpoint, `sigsec_…`, a query id, `<stage>`, `<table>`, `<name>`, `<key id>`), and must return what the
// text says it does. Where each runs:
const WHERE_EACH_RUNS: Record<string, 'DynamoDB Local' | 'DynamoDB Local, a table of its own' | 'moto'> = {
  'dynamodb get-item': 'DynamoDB Local',
  'dynamodb query': 'DynamoDB Local',
  'dynamodb scan': 'DynamoDB Local',
  // docs/deploying.md's table operations (an index added to a stage's table, a kept table deleted): each
  // documented sequence on an empty copy of the calls table of its own.
  'dynamodb describe-table': 'DynamoDB Local, a table of its own',
  'dynamodb update-table': 'DynamoDB Local, a table of its own',
  'dynamodb delete-table': 'DynamoDB Local, a table of its own',
  // DynamoDB Local serves only DynamoDB: SSM, CloudWatch Logs and KMS run on moto's server, started here.
  'ssm put-parameter': 'moto',
  'ssm get-parameter': 'moto',
  'logs filter-log-events': 'moto',
  'logs get-query-results': 'moto',
  // docs/deploying.md: a log group `serverless remove` keeps, and its key, deleted by hand.
  'logs describe-log-groups': 'moto',
  'logs delete-log-group': 'moto',
  'kms schedule-key-deletion': 'moto',
};
/** How docs/deploying.md names a stage's calls table, and any kept table. */
const STAGE_CALLS_TABLE = 'freeclimb-call-records-<stage>-calls';
const ANY_TABLE = '<table>';
/** The wait between two looks at the index in docs/deploying.md's loop. */
const LOOP_SLEEP = /\bsleep 30\b/;
// The PartiQL statements go through the SDK's ExecuteStatement, the request the console's PartiQL editor
// sends: the docs give them as statements, not as command lines.

/** `aws` processes at once: each start is ~0.5–1 s of Python, and the machine may have 2 cores. */
const POOL = 3;

type Item = Record<string, unknown>;

interface Seeded {
  parent: string;
  legs: string[];
  rejectionId: string;
  receivedDate: string;
}

/** The log lines the handler wrote for four requests: stored, refused, and two it could not store (503). */
interface LoggedRequests {
  lines: Array<Record<string, unknown>>;
  notStoredCallIds: string[];
}

/** docs/deploying.md's steps for an index a stage's table lacks, around the documented runs in `runs`. */
interface IndexAdded {
  index: string;
  /** The other indexes of the calls table, as serverless.yml defines it. */
  others: string[];
  /** Step 3's loop on the table without the index, its `sleep` replaced by `exit 3`: it would wait. */
  waitsWithout: AwsCliRun;
  /** The index's status, read by the SDK as soon as the documented loop ended. */
  statusWhenLoopEnded?: string;
}

/** A documented deletion of a kept table, on a copy protected from deletion as the stack's tables are. */
interface TableDeleted {
  /** What DynamoDB answered a DeleteTable before the documented commands. */
  refusedBefore: string;
  /** What DescribeTable answered after them. */
  after: string;
}

/** docs/deploying.md's removal of a kept log group and then its key, on moto. */
interface LogGroupRemoved {
  logGroupName: string;
  keyArn: string;
  /** The log groups of that name left after the documented commands. */
  left: string[];
  /** When the documented key deletion ran (ms since the epoch). */
  scheduledAt: number;
}

let client: DynamoDBClient;
let moto: MotoServer;
let seeded: Seeded;
let logged: LoggedRequests;
let prod: ServiceDefinition;
let testCallsTable: string;
let indexAdded: IndexAdded;
const tablesDeleted = new Map<string, TableDeleted>();
let logGroupRemoved: LogGroupRemoved;
/** Documented text → test values on DynamoDB Local: the stages' table names, `CA…`, the dates, the endpoint. */
let onDynamoDbLocal: (text: string) => string;
/** What each documented command printed, and the directory it ran in; filled by `beforeAll`. */
const runs = new Map<string, AwsCliRun & { cwd: string }>();
let poolSeconds: number;

beforeAll(async () => {
  const [testStage, prodStage, local, motoServer] = await Promise.all([
    cachedServiceDefinition('test'),
    cachedServiceDefinition('prod'),
    cachedServiceDefinition('local'),
    startMotoServer(),
  ]);
  moto = motoServer;
  prod = prodStage;
  testCallsTable = testStage.environment.CALLS_TABLE as string;
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB as string;
  client = new DynamoDBClient({ endpoint, region: testStage.region, credentials: DUMMY_CREDENTIALS });
  // Tables of this file's own, holding only what it stores: a scan or a day's query of the shared tables
  // would also read other test files' records, hostile ones included (a lone surrogate, which the CLI
  // cannot print).
  const [callsCopy, rejectedCopy] = await Promise.all(
    ['CALLS_TABLE', 'REJECTED_TABLE'].map((variable) =>
      copyOfTable(testStage.environment[variable] as string),
    ),
  );
  const own = { CALLS_TABLE: callsCopy as string, REJECTED_TABLE: rejectedCopy as string };
  seeded = await storeACallWithTwoLegsAndARejection(
    { ...testStage, environment: { ...testStage.environment, ...own } },
    endpoint,
  );
  logged = await logFourRequests();
  const tableNames = new Map<string, string>();
  for (const other of [prodStage, local]) {
    for (const variable of ['CALLS_TABLE', 'REJECTED_TABLE'] as const) {
      tableNames.set(other.environment[variable] as string, own[variable]);
    }
  }
  onDynamoDbLocal = (text) => {
    let result = text
      .replaceAll('CA…', seeded.parent)
      // README: "the local engine at http://127.0.0.1:$DYNAMODB_PORT", 8000 by default.
      .replaceAll('http://127.0.0.1:8000', endpoint)
      // A time ("the last hour") becomes the start of the stored calls' day, so it covers them.
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, `${seeded.receivedDate}T00:00:00.000Z`)
      .replace(/\d{4}-\d{2}-\d{2}/g, seeded.receivedDate);
    for (const [name, testName] of tableNames) result = result.replaceAll(name, testName);
    return result;
  };

  const commands = documentedAwsCommands();
  const dynamoDbLocal = { endpoint, region: testStage.region };
  const started = performance.now();
  await runInFlight<unknown>(
    [
      ...commands
        .filter((command) => WHERE_EACH_RUNS[awsOperationOf(command)] === 'DynamoDB Local')
        .map((command) => () => run(command, onDynamoDbLocal(command), dynamoDbLocal)),
      () => secretStoredAndExported(commands),
      () => logLinesExportedThenRemoved(commands),
      () => indexAddedAsDocumented(commands, dynamoDbLocal),
      ...[STAGE_CALLS_TABLE, ANY_TABLE].map(
        (placeholder) => () => tableDeletedAsDocumented(commands, placeholder, dynamoDbLocal),
      ),
    ],
    POOL,
  );
  poolSeconds = (performance.now() - started) / 1000;
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await moto?.close();
  if (poolSeconds !== undefined) {
    process.stdout.write(
      `documented aws commands: ${runs.size} ran in ${poolSeconds.toFixed(1)} s, ${POOL} at a time\n`,
    );
  }
});

/** Runs `script` (the documented `command`, placeholders replaced) in a directory of its own. */
async function run(
  command: string,
  script: string,
  target: Omit<AwsCliTarget, 'cwd'>,
): Promise<AwsCliRun & { cwd: string }> {
  const result = await runElsewhere(script, target);
  runs.set(command, result);
  return result;
}

/** Runs `script` in a directory of its own, as one more step of a documented sequence (not recorded). */
async function runElsewhere(
  script: string,
  target: Omit<AwsCliTarget, 'cwd'>,
): Promise<AwsCliRun & { cwd: string }> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'documented-aws-'));
  return { ...(await runAwsCli(script, { ...target, cwd })), cwd };
}

/** The one documented command for `operation` (`ssm put-parameter`), of those whose text has `part`. */
function documented(commands: string[], operation: string, part: string | RegExp = ''): string {
  const found = commands.filter(
    (command) =>
      awsOperationOf(command) === operation &&
      (typeof part === 'string' ? command.includes(part) : part.test(command)),
  );
  if (found.length !== 1)
    throw new Error(`Expected one documented "aws ${operation}" with ${part}, found ${found.length}`);
  return found[0] as string;
}

/** README step 1 stores the secret on moto; then the runbook's `export …=$(aws ssm get-parameter …)`. */
async function secretStoredAndExported(commands: string[]): Promise<void> {
  const onMoto = { endpoint: moto.endpoint, region: prod.region };
  await run(
    documented(commands, 'ssm put-parameter'),
    documented(commands, 'ssm put-parameter').replaceAll('sigsec_…', TEST_SECRET),
    onMoto,
  );
  const exported = documented(commands, 'ssm get-parameter');
  // The test's own observation after the documented line: what the shell now holds.
  await run(exported, `${exported}\nprintf '%s' "$FREECLIMB_SIGNING_SECRET"`, onMoto);
}

/**
 * The function's log group on moto, named as the prod stage's function (not as the docs write it), holding
 * the handler's real lines and encrypted with a key of its own; then the runbook's filter-log-events, and
 * its Logs Insights query (started here: the docs give the query for the console) read back with the
 * documented get-query-results. Then, as docs/deploying.md deletes what `serverless remove` keeps: the
 * group's key noted, the group deleted, the key's deletion scheduled.
 */
async function logLinesExportedThenRemoved(commands: string[]): Promise<void> {
  const onMoto = { endpoint: moto.endpoint, region: prod.region };
  const logs = new CloudWatchLogsClient({ ...onMoto, credentials: DUMMY_CREDENTIALS });
  const logGroupName = `/aws/lambda/${prod.functionName}`;
  const logStreamName = '2026/12/05/[$LATEST]0f6e';
  const now = Date.now();
  // The project has no KMS client among its packages: the CLI makes the key.
  const created = await runElsewhere('aws kms create-key --query KeyMetadata.Arn --output text', onMoto);
  expectSucceeded(created);
  const keyArn = created.stdout.trim();
  await logs.send(new CreateLogGroupCommand({ logGroupName, kmsKeyId: keyArn }));
  await logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName }));
  await logs.send(
    new PutLogEventsCommand({
      logGroupName,
      logStreamName,
      logEvents: logged.lines.map((line) => ({ timestamp: now, message: JSON.stringify(line) })),
    }),
  );
  const filtered = documented(commands, 'logs filter-log-events');
  await run(filtered, filtered, onMoto);
  const { queryId } = await logs.send(
    new StartQueryCommand({
      logGroupName,
      startTime: Math.floor(now / 1000) - 86_400,
      endTime: Math.floor(now / 1000) + 60,
      queryString: documentedLogsInsightsQuery(),
    }),
  );
  const results = documented(commands, 'logs get-query-results');
  await run(results, results.replace('--query-id …', `--query-id ${queryId}`), onMoto);

  const noted = documented(commands, 'logs describe-log-groups');
  const key = await run(noted, noted.replaceAll('<name>', logGroupName), onMoto);
  const deleted = documented(commands, 'logs delete-log-group');
  await run(deleted, deleted.replaceAll('<name>', logGroupName), onMoto);
  const { logGroups = [] } = await logs.send(
    new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName }),
  );
  logs.destroy();
  // AWS takes the key's ARN, as noted, or its id; moto 5.2.1 looks keys up by id only (an ARN gets a 500).
  const keyId = (JSON.parse(key.stdout || 'null') as string | null)?.split('/').pop() ?? '';
  const scheduled = documented(commands, 'kms schedule-key-deletion');
  const scheduledAt = Date.now();
  await run(scheduled, scheduled.replaceAll('<key id>', keyId), onMoto);
  logGroupRemoved = {
    logGroupName,
    keyArn,
    left: logGroups.map((group) => group.logGroupName ?? ''),
    scheduledAt,
  };
}

/**
 * docs/deploying.md, "Adding an index to a stage that already exists", on a copy of the calls table
 * without the index its loop waits for: step 3's loop, before the index exists, would wait; step 2's own
 * deploy is, for DynamoDB, the UpdateTable that CloudFormation sends (here through the SDK, with the index as
 * serverless.yml defines it); step 3's loop then waits until the index is ACTIVE; step 1 lists it.
 */
async function indexAddedAsDocumented(
  commands: string[],
  dynamoDbLocal: Omit<AwsCliTarget, 'cwd'>,
): Promise<void> {
  const list = documented(commands, 'dynamodb describe-table', /^aws /);
  const loop = documented(commands, 'dynamodb describe-table', /^until /);
  const index = /IndexName=='([^']+)'/.exec(loop)?.[1];
  if (index === undefined || !LOOP_SLEEP.test(loop)) {
    throw new Error(`The index loop of docs/deploying.md is not the one this test knows: ${loop}`);
  }
  const { Table: defined } = await client.send(new DescribeTableCommand({ TableName: testCallsTable }));
  const indexes = defined?.GlobalSecondaryIndexes ?? [];
  const { callsTable } = await copyOfCallsTable({ withoutIndex: index });
  const onCopy = (text: string) => text.replaceAll(STAGE_CALLS_TABLE, callsTable);

  const waitsWithout = await runElsewhere(onCopy(loop).replace(LOOP_SLEEP, 'exit 3'), dynamoDbLocal);
  const added = indexes.find((candidate) => candidate.IndexName === index);
  const keys = new Set(added?.KeySchema?.map((key) => key.AttributeName));
  await client.send(
    new UpdateTableCommand({
      TableName: callsTable,
      AttributeDefinitions: defined?.AttributeDefinitions?.filter((a) => keys.has(a.AttributeName)),
      GlobalSecondaryIndexUpdates: [
        { Create: { IndexName: index, KeySchema: added?.KeySchema, Projection: added?.Projection } },
      ],
    }),
  );
  // DynamoDB Local keeps a new index CREATING for about a second: a look every second, not every 30.
  await run(loop, onCopy(loop).replace(LOOP_SLEEP, 'sleep 1'), dynamoDbLocal);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: callsTable }));
  const statusWhenLoopEnded = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === index)?.IndexStatus;
  await run(list, onCopy(list), dynamoDbLocal);
  indexAdded = {
    index,
    others: indexes.map((i) => i.IndexName as string).filter((name) => name !== index),
    waitsWithout,
    statusWhenLoopEnded,
  };
}

/**
 * docs/deploying.md's deletion of a table (`placeholder` names it): deletion protection off, then
 * delete-table, on a copy of the calls table protected from deletion as serverless.yml protects the stack's.
 */
async function tableDeletedAsDocumented(
  commands: string[],
  placeholder: string,
  dynamoDbLocal: Omit<AwsCliTarget, 'cwd'>,
): Promise<void> {
  const unprotect = documented(commands, 'dynamodb update-table', placeholder);
  const remove = documented(commands, 'dynamodb delete-table', placeholder);
  const { callsTable } = await copyOfCallsTable();
  await client.send(new UpdateTableCommand({ TableName: callsTable, DeletionProtectionEnabled: true }));
  const outcome = (request: Promise<unknown>, success: string) =>
    request.then(
      () => success,
      (error: Error) => `${error.name}: ${error.message}`,
    );
  const refusedBefore = await outcome(
    client.send(new DeleteTableCommand({ TableName: callsTable })),
    'deleted',
  );
  await run(unprotect, unprotect.replaceAll(placeholder, callsTable), dynamoDbLocal);
  await run(remove, remove.replaceAll(placeholder, callsTable), dynamoDbLocal);
  const after = await outcome(
    client.send(new DescribeTableCommand({ TableName: callsTable })),
    'still there',
  );
  tablesDeleted.set(placeholder, { refusedBefore, after });
}

/** Through the real handler, as FreeClimb would deliver them: a call, the two legs it dialled, one invalid delivery. */
async function storeACallWithTwoLegsAndARejection(
  definition: ServiceDefinition,
  endpoint: string,
): Promise<Seeded> {
  const secret = benchSecret();
  const target = handlerTarget(definition, secret, endpoint);
  let clock = Date.now();
  const handler = createCallStatusHandler({ env: target.env, store: target.newStore(), now: () => clock });
  const deliver = async (body: Buffer) => {
    const response = await handler(benchSignedEvent(body, secret, clock), benchContext);
    clock += 1000;
    return response.statusCode;
  };
  const parentBody = freshBody(0);
  const parent = JSON.parse(parentBody.toString('utf8')).callId as string;
  const legs: string[] = [];
  for (const index of [1, 3]) {
    const leg = JSON.parse(freshBody(index).toString('utf8'));
    leg.parentCallId = parent;
    legs.push(leg.callId);
    expect(await deliver(Buffer.from(JSON.stringify(leg)))).toBe(204);
  }
  expect(await deliver(parentBody)).toBe(204);
  const receivedDate = new Date(clock).toISOString().slice(0, 10);
  const invalid = Buffer.from(parentBody.toString('utf8').replace('"completed"', '"ringing"'));
  expect(await deliver(invalid)).toBe(422);
  const { Items = [] } = await client.send(
    new QueryCommand({
      TableName: definition.environment.REJECTED_TABLE,
      KeyConditionExpression: 'receivedDate = :d',
      ExpressionAttributeValues: { ':d': { S: receivedDate } },
    }),
  );
  const ours = Items.map((item) => unmarshall(item)).find((item) => item.callId === parent);
  if (!ours) throw new Error('The invalid delivery left no rejected item');
  return { parent, legs, rejectionId: ours.rejectionId as string, receivedDate };
}

/** The handler's own log lines (at INFO) for a stored delivery, an unsigned request, and two 503s. */
async function logFourRequests(): Promise<LoggedRequests> {
  const now = clockAt(2);
  const [stored, unsigned, notStoredText, notStoredBase64] = [1, 2, 3, 4].map(() =>
    withFreshIds(bodyFixture('completed-inbound')),
  ) as [Buffer, Buffer, Buffer, Buffer];
  // A DynamoDB that refuses every connection: the signature holds, the record cannot be stored.
  const down = createDocumentClient({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
  const { logs } = await withCapturedLogs(async () => {
    const working = createCallStatusHandler({
      env: testEnv(),
      now,
      store: testStore(),
      logger: infoLogger(),
    });
    expect((await working(signedEvent(stored), lambdaContext)).statusCode).toBe(204);
    const unsignedEvent = signedEvent(unsigned, { headers: { 'freeclimb-signature': undefined } });
    expect((await working(unsignedEvent, lambdaContext)).statusCode).toBe(401);
    const failing = createCallStatusHandler({
      env: testEnv(),
      now,
      store: { ...testStore(), doc: down },
      logger: infoLogger(),
    });
    expect((await failing(signedEvent(notStoredText), lambdaContext)).statusCode).toBe(503);
    expect((await failing(signedEvent(notStoredBase64, { base64: true }), lambdaContext)).statusCode).toBe(
      503,
    );
  });
  const callIdOf = (body: Buffer) => JSON.parse(body.toString('utf8')).callId as string;
  return { lines: logs, notStoredCallIds: [callIdOf(notStoredText), callIdOf(notStoredBase64)] };
}

/** ExecuteStatement, following NextToken as the PartiQL editor does, items of every page in order. */
async function executeStatement(statement: string): Promise<Item[]> {
  const items: Item[] = [];
  let nextToken: string | undefined;
  do {
    const output = await client.send(
      new ExecuteStatementCommand({ Statement: statement, NextToken: nextToken }),
    );
    items.push(...(output.Items ?? []).map((item) => unmarshall(item)));
    nextToken = output.NextToken;
  } while (nextToken);
  return items;
}

/** What the documentation says a query finds, told apart by what it reads. */
function expectDocumentedResult(text: string, items: Item[]): void {
  if (text.includes('callLog-index')) {
    // "calls on a day", "in the last hour": the call log partitions named, and every stored call in them.
    const asked = new Set(
      [...text.matchAll(/#(\d+)\b/g)].map((match) => `${seeded.receivedDate}#${match[1]}`),
    );
    expect(items.every((item) => asked.has(item.callLogShard as string))).toBe(true);
    const stored = [seeded.parent, ...seeded.legs];
    const inAsked = stored.filter((callId) => asked.has(`${seeded.receivedDate}#${callLogShardOf(callId)}`));
    expect(items.map((item) => item.callId)).toEqual(expect.arrayContaining(inAsked));
    // An IN list is a whole day: all 16 partitions, so every stored call.
    if (/\bIN\s*\[/.test(text)) expect([asked.size, inAsked]).toEqual([16, stored]);
  } else if (text.includes('-rejected')) {
    // "rejected list": the day's rejected deliveries, newest first when sorted descending.
    const ids = items.map((item) => item.rejectionId as string);
    expect(ids).toContain(seeded.rejectionId);
    expect(new Set(items.map((item) => item.receivedDate))).toEqual(new Set([seeded.receivedDate]));
    const descending = /\bDESC\b|--no-scan-index-forward/.test(text);
    expect(ids).toEqual([...ids].sort((a, b) => (descending ? b.localeCompare(a) : a.localeCompare(b))));
  } else if (text.includes('parentCallId')) {
    // "the legs a call created, in time order".
    expect(items.map((item) => item.callId)).toEqual(seeded.legs);
  } else if (/\bscan\b/.test(text)) {
    expect(items.map((item) => item.callId)).toEqual(expect.arrayContaining([seeded.parent, ...seeded.legs]));
  } else if (text.includes('callId')) {
    // One call, by its id.
    expect(items.map((item) => item.callId)).toEqual([seeded.parent]);
  } else {
    throw new Error(`The documentation shows a query this test does not know what to expect of: ${text}`);
  }
}

/** What `recover --dry-run` makes of an export: the call ids it would store. */
async function recoverableCallIds(file: string, secret: string): Promise<string[]> {
  const recovered = await runRecords(['recover', file, '--dry-run', '--json'], {
    env: { TZ: 'UTC', FREECLIMB_SIGNING_SECRET: secret },
  });
  expect(recovered).toMatchObject({ code: 0, stderr: '' });
  return (JSON.parse(recovered.stdout) as Array<{ callId: string; outcome: string }>)
    .filter((line) => line.outcome === 'valid')
    .map((line) => line.callId);
}

/** A run that succeeded, quietly. */
function expectSucceeded(run: AwsCliRun | undefined): asserts run is AwsCliRun {
  expect(run).toMatchObject({ code: 0, stderr: '' });
}

test('every aws command in the README and docs/ is one this file runs, each with the real AWS CLI', () => {
  // Act
  const operations = documentedAwsCommands().map(awsOperationOf);

  // Assess: a new kind of command in the docs needs a place to run and an expectation here.
  expect(new Set(operations)).toEqual(new Set(Object.keys(WHERE_EACH_RUNS)));
  expect(documentedStatements().length).toBeGreaterThanOrEqual(6);
  for (const command of documentedAwsCommands())
    expect([command, runs.has(command)]).toEqual([command, true]);
});

test.each(documentedStatements())('PartiQL on DynamoDB Local: %s', async (statement) => {
  // Act
  const items = await executeStatement(onDynamoDbLocal(statement));

  // Assess
  expectDocumentedResult(statement, items);
});

test.each(
  documentedAwsCommands().filter((command) => WHERE_EACH_RUNS[awsOperationOf(command)] === 'DynamoDB Local'),
)('aws on DynamoDB Local: %s', (command) => {
  // Act: the command ran in beforeAll, with the others, a few at a time.
  const ran = runs.get(command);

  // Assess: the CLI follows every page itself, so what it printed is the whole answer.
  expectSucceeded(ran);
  const output = JSON.parse(ran.stdout) as { Item?: Record<string, AttributeValue>; Items?: Item[] };
  expect(output).not.toHaveProperty('LastEvaluatedKey');
  expect(output).not.toHaveProperty('NextToken');
  const items = output.Item ? [output.Item] : (output.Items ?? []);
  expectDocumentedResult(
    command,
    items.map((item) => unmarshall(item as Record<string, AttributeValue>)),
  );
});

test("aws on moto: the README's put-parameter stores the stage's secret, which the runbook's get-parameter exports", async () => {
  // Act
  const stored = runs.get(documented(documentedAwsCommands(), 'ssm put-parameter'));
  const exported = runs.get(documented(documentedAwsCommands(), 'ssm get-parameter'));

  // Assess: a SecureString under the name the prod stage's function reads, and the shell holds it exactly.
  expectSucceeded(stored);
  expectSucceeded(exported);
  const ssm = new SSMClient({ endpoint: moto.endpoint, region: prod.region, credentials: DUMMY_CREDENTIALS });
  const { Parameter } = await ssm.send(
    new GetParameterCommand({
      Name: prod.environment.FREECLIMB_SIGNING_SECRET_PARAMETER,
      WithDecryption: true,
    }),
  );
  ssm.destroy();
  expect(Parameter).toMatchObject({ Type: 'SecureString', Value: TEST_SECRET });
  expect(exported.stdout).toBe(TEST_SECRET);
});

test("aws on moto: the runbook's filter-log-events writes the function's log lines to lines.json, which recover reads", async () => {
  // Act
  const ran = runs.get(documented(documentedAwsCommands(), 'logs filter-log-events'));

  // Assess: moto does not apply the JSON filter pattern (it returns every event, see the next test), so
  // here the export holds all four lines, and recover finds the two deliveries that were not stored.
  expectSucceeded(ran);
  expect(ran.stdout).toBe('');
  const file = path.join(ran.cwd, 'lines.json');
  const exported = JSON.parse(readFileSync(file, 'utf8')) as {
    events: Array<{ message: string }>;
    nextToken?: string;
  };
  expect(exported.nextToken).toBeUndefined();
  expect(exported.events.map((event) => JSON.parse(event.message))).toEqual(logged.lines);
  expect(await recoverableCallIds(file, TEST_SECRET)).toEqual(logged.notStoredCallIds);
});

test("aws on moto: the runbook's get-query-results, for the documented Logs Insights query, gives recover the same lines", async () => {
  // Act
  const ran = runs.get(documented(documentedAwsCommands(), 'logs get-query-results'));

  // Assess
  expectSucceeded(ran);
  const file = path.join(ran.cwd, 'lines.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as { status: string; results: unknown[][] };
  expect(results.status).toBe('Complete');
  expect(results.results).toHaveLength(logged.lines.length);
  expect(await recoverableCallIds(file, TEST_SECRET)).toEqual(logged.notStoredCallIds);
});

/** The `IndexName\tIndexStatus` lines describe-table printed (`--output text`), sorted. */
function indexLines(ran: AwsCliRun): string[] {
  return ran.stdout.trim().split('\n').sort();
}

test("aws on DynamoDB Local: docs/deploying.md's loop waits for a missing index until it is ACTIVE, and describe-table lists it", () => {
  // Act: the steps ran in beforeAll, on a copy of the calls table without the index.
  const { index, others, waitsWithout, statusWhenLoopEnded } = indexAdded;
  const loop = runs.get(documented(documentedAwsCommands(), 'dynamodb describe-table', /^until /));
  const after = runs.get(documented(documentedAwsCommands(), 'dynamodb describe-table', /^aws /));

  // Assess: without the index the loop would go on waiting (its sleep, replaced, exits 3); once the index
  // is added, it ends when the index is ACTIVE, and step 1 lists it with the others.
  expect(others.length).toBeGreaterThan(0);
  expect(waitsWithout).toMatchObject({ code: 3, stdout: '', stderr: '' });
  expect(loop).toMatchObject({ code: 0, stdout: '', stderr: '' });
  expect(statusWhenLoopEnded).toBe('ACTIVE');
  expectSucceeded(after);
  expect(indexLines(after)).toEqual([...others, index].map((name) => `${name}\tACTIVE`).sort());
});

test.each([STAGE_CALLS_TABLE, ANY_TABLE])(
  "aws on DynamoDB Local: docs/deploying.md's update-table then delete-table on %s deletes a table protected from deletion",
  (placeholder) => {
    // Act: the commands ran in beforeAll, on a copy of the calls table of their own.
    const { refusedBefore, after } = tablesDeleted.get(placeholder) ?? { refusedBefore: '', after: '' };
    const unprotected = runs.get(documented(documentedAwsCommands(), 'dynamodb update-table', placeholder));
    const deleted = runs.get(documented(documentedAwsCommands(), 'dynamodb delete-table', placeholder));

    // Assess: protection refused the deletion; the first command lifts it, the second deletes the table.
    expect(refusedBefore).toMatch(/^ValidationException: .*protected against deletion/);
    expectSucceeded(unprotected);
    expect(JSON.parse(unprotected.stdout).TableDescription.DeletionProtectionEnabled).toBe(false);
    expectSucceeded(deleted);
    expect(after).toMatch(/^ResourceNotFoundException: /);
  },
);

test("aws on moto: docs/deploying.md's describe-log-groups notes a kept log group's key, delete-log-group deletes the group, schedule-key-deletion the key in 30 days", () => {
  // Act: the commands ran in beforeAll, on the function's log group of the export above.
  const { logGroupName, keyArn, left, scheduledAt } = logGroupRemoved;
  const noted = runs.get(documented(documentedAwsCommands(), 'logs describe-log-groups'));
  const deleted = runs.get(documented(documentedAwsCommands(), 'logs delete-log-group'));
  const scheduled = runs.get(documented(documentedAwsCommands(), 'kms schedule-key-deletion'));

  // Assess
  expectSucceeded(noted);
  expect(JSON.parse(noted.stdout)).toBe(keyArn);
  expectSucceeded(deleted);
  expect(deleted.stdout).toBe('');
  expect(left).not.toContain(logGroupName);
  expectSucceeded(scheduled);
  const { KeyId, DeletionDate } = JSON.parse(scheduled.stdout) as {
    KeyId: string;
    DeletionDate: number | string;
  };
  expect(keyArn.endsWith(`/${KeyId}`)).toBe(true);
  // The CLI prints a time as seconds since the epoch (1.x) or as ISO 8601 text (2.x).
  const deletionMs = typeof DeletionDate === 'number' ? DeletionDate * 1000 : Date.parse(DeletionDate);
  const days = (deletionMs - scheduledAt) / 86_400_000;
  expect(days).toBeGreaterThanOrEqual(30 - 1 / 24);
  expect(days).toBeLessThanOrEqual(30 + 1 / 24);
});

test('the runbook picks log lines by status ≥ 500, which are exactly the lines of deliveries not stored', () => {
  // moto evaluates neither a JSON filter pattern nor a Logs Insights `filter`, so what they select is
  // checked on the lines themselves: every request's line carries its numeric `status`.
  // Prepare
  const filterPattern = documented(documentedAwsCommands(), 'logs filter-log-events');
  const patternThreshold = /--filter-pattern '\{ \$\.status >= (\d+) \}'/.exec(filterPattern)?.[1];
  const queryThreshold = /^\| filter status >= (\d+)$/m.exec(documentedLogsInsightsQuery())?.[1];

  // Act
  const selected = logged.lines.filter((line) => (line.status as number) >= Number(patternThreshold));

  // Assess
  expect([patternThreshold, queryThreshold]).toEqual(['500', '500']);
  expect(logged.lines.map((line) => line.status)).toEqual([204, 401, 503, 503]);
  expect(selected.map((line) => [line.level, line.rawBody !== undefined])).toEqual([
    ['ERROR', true],
    ['ERROR', true],
  ]);
});
