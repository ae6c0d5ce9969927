import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { handlerTarget } from '../../bench/engine';
import { benchContext, benchSecret, freshBody, signedEvent } from '../../bench/workload';
import { callLogShardOf } from '../../lib/call-log-key';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { DUMMY_CREDENTIALS } from '../../local/local-dynamodb';
import type { ServiceDefinition } from '../../local/service-definition';
import { cachedServiceDefinition } from '../../local/service-definition-cache';
import {
  type AwsCliRequest,
  awsCliRequest,
  documentedAwsCommands,
  documentedStatements,
  sendAwsCliRequest,
} from '../support/documented-queries';

// Every PartiQL statement and `aws dynamodb` command the README and docs/ show, run as written (stage names mapped
// to the test tables, `CA…` to a stored call, the example date to the day of a stored rejection) on AWS's
// own emulator, which, unlike dynalite, speaks PartiQL. Each must return what the text says it finds.

type Item = Record<string, unknown>;

interface Seeded {
  parent: string;
  legs: string[];
  rejectionId: string;
  receivedDate: string;
}

let client: DynamoDBClient;
let seeded: Seeded;
/** Documented text → test values: the stages' table names, `CA…`, the example date. */
let substitute: (text: string) => string;

beforeAll(async () => {
  const [testStage, prod, local] = (await Promise.all(
    ['test', 'prod', 'local'].map((stage) => cachedServiceDefinition(stage)),
  )) as [ServiceDefinition, ServiceDefinition, ServiceDefinition];
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB as string;
  client = new DynamoDBClient({ endpoint, region: testStage.region, credentials: DUMMY_CREDENTIALS });
  seeded = await storeACallWithTwoLegsAndARejection(testStage, endpoint);
  const tableNames = new Map<string, string>();
  for (const other of [prod, local]) {
    for (const variable of ['CALLS_TABLE', 'REJECTED_TABLE']) {
      tableNames.set(other.environment[variable] as string, testStage.environment[variable] as string);
    }
  }
  substitute = (text) => {
    let result = text
      .replaceAll('CA…', seeded.parent)
      // A time ("the last hour") becomes the start of the stored calls' day, so it covers them.
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, `${seeded.receivedDate}T00:00:00.000Z`)
      .replace(/\d{4}-\d{2}-\d{2}/g, seeded.receivedDate);
    for (const [name, testName] of tableNames) result = result.replaceAll(name, testName);
    return result;
  };
});

afterAll(() => client.destroy());

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
    const response = await handler(signedEvent(body, secret, clock), benchContext);
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
  const rejections = await sendAwsCliRequest(client, {
    operation: 'Query',
    input: {
      TableName: definition.environment.REJECTED_TABLE,
      KeyConditionExpression: 'receivedDate = :d',
      ExpressionAttributeValues: { ':d': { S: receivedDate } },
    },
    client: {},
  });
  const ours = rejections.map((item) => unmarshall(item)).find((item) => item.callId === parent);
  if (!ours) throw new Error('The invalid delivery left no rejected item');
  return { parent, legs, rejectionId: ours.rejectionId as string, receivedDate };
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

test('the README and docs/ show PartiQL statements and AWS CLI commands for each way of finding records', () => {
  // Act
  const statements = documentedStatements();
  const commands = documentedAwsCommands();

  // Assess
  expect(statements.length).toBeGreaterThanOrEqual(6);
  expect(commands.length).toBeGreaterThanOrEqual(5);
});

test.each(documentedStatements())('PartiQL: %s', async (statement) => {
  // Prepare: as `aws dynamodb execute-statement --statement …` sends it.
  const request: AwsCliRequest = {
    operation: 'ExecuteStatement',
    input: { Statement: substitute(statement) },
    client: {},
  };

  // Act
  const items = (await sendAwsCliRequest(client, request)).map((item) => unmarshall(item));

  // Assess
  expectDocumentedResult(statement, items);
});

test.each(documentedAwsCommands())('AWS CLI: %s', async (command) => {
  // Prepare
  const request = awsCliRequest(substitute(command));

  // Act
  const items = (await sendAwsCliRequest(client, request)).map((item) => unmarshall(item));

  // Assess
  expectDocumentedResult(command, items);
});
