import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type AttributeValue,
  DynamoDBClient,
  ExecuteStatementCommand,
  QueryCommand,
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
// endpoint, `sigsec_…`, a query id), and must return what the text says it does. Where each runs:
const WHERE_EACH_RUNS: Record<string, 'DynamoDB Local' | 'moto'> = {
  'dynamodb get-item': 'DynamoDB Local',
  'dynamodb query': 'DynamoDB Local',
  'dynamodb scan': 'DynamoDB Local',
  // DynamoDB Local serves only DynamoDB: SSM and CloudWatch Logs run on moto's server, started here.
  'ssm put-parameter': 'moto',
  'ssm get-parameter': 'moto',
  'logs filter-log-events': 'moto',
  'logs get-query-results': 'moto',
};
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

let client: DynamoDBClient;
let moto: MotoServer;
let seeded: Seeded;
let logged: LoggedRequests;
let prod: ServiceDefinition;
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
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB as string;
  client = new DynamoDBClient({ endpoint, region: testStage.region, credentials: DUMMY_CREDENTIALS });
  seeded = await storeACallWithTwoLegsAndARejection(testStage, endpoint);
  logged = await logFourRequests();
  const tableNames = new Map<string, string>();
  for (const other of [prodStage, local]) {
    for (const variable of ['CALLS_TABLE', 'REJECTED_TABLE']) {
      tableNames.set(other.environment[variable] as string, testStage.environment[variable] as string);
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
      () => logLinesExported(commands),
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
  const cwd = mkdtempSync(path.join(tmpdir(), 'documented-aws-'));
  const result = { ...(await runAwsCli(script, { ...target, cwd })), cwd };
  runs.set(command, result);
  return result;
}

/** The one documented command for `operation` (`ssm put-parameter`). */
function documented(commands: string[], operation: string): string {
  const found = commands.filter((command) => awsOperationOf(command) === operation);
  if (found.length !== 1)
    throw new Error(`Expected one documented "aws ${operation}", found ${found.length}`);
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
 * the handler's real lines; then the runbook's filter-log-events, and its Logs Insights query (started
 * here: the docs give the query for the console) read back with the documented get-query-results.
 */
async function logLinesExported(commands: string[]): Promise<void> {
  const onMoto = { endpoint: moto.endpoint, region: prod.region };
  const logs = new CloudWatchLogsClient({ ...onMoto, credentials: DUMMY_CREDENTIALS });
  const logGroupName = `/aws/lambda/${prod.functionName}`;
  const logStreamName = '2026/12/05/[$LATEST]0f6e';
  const now = Date.now();
  await logs.send(new CreateLogGroupCommand({ logGroupName }));
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
  logs.destroy();
  const results = documented(commands, 'logs get-query-results');
  await run(results, results.replace('--query-id …', `--query-id ${queryId}`), onMoto);
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
