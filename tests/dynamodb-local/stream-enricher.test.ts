import { setTimeout as sleep } from 'node:timers/promises';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CallRecord } from '../../lib/call-record';
import { cachedServiceDefinition } from '../../local/service-definition-cache';
import { localEnricherConfig, type StreamEnricher, startStreamEnricher } from '../../local/stream-enricher';
import { copyOfCallsTable } from '../support/calls-table-copy';
import { testDocumentClient, testTables } from '../support/dynamodb';
import {
  callResource,
  DEFAULT_CALL_DETAILS,
  type FakeFreeClimb,
  startFakeFreeClimb,
} from '../support/fake-freeclimb';
import { storeCall } from '../support/stored-calls';
import { waitUntil } from '../support/wait-until';
import { freshId, readCall, testStore } from '../support/webhook';

// The local enricher (local/stream-enricher.ts) on DynamoDB Local's real stream of a copy of the calls table,
// with the stream serverless.yml declares, against the FreeClimb-shaped fake, with npm start's own
// configuration (the local retry schedule from 1 s).

const API_KEY = 'fc_test_key_5e6f708192a3b4c5d6e7f8091a2b3c4d';

let fake: FakeFreeClimb;
let callsTable: string;
let enricher: StreamEnricher;
const lines: string[] = [];
const errors: string[] = [];

beforeAll(async () => {
  const definition = await cachedServiceDefinition('test');
  const declared = definition.tables.find((table) => table.create.TableName === testTables().callsTable);
  if (declared?.stream === undefined) throw new Error('serverless.yml declares no stream on the calls table');
  ({ callsTable } = await copyOfCallsTable({ stream: declared.stream }));
  fake = await startFakeFreeClimb({ apiKey: API_KEY });
  enricher = await startStreamEnricher({
    endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB as string,
    region: 'us-east-1',
    config: localEnricherConfig({
      CALLS_TABLE: callsTable,
      FREECLIMB_API_KEY: API_KEY,
      FREECLIMB_API_URL: fake.url,
    }),
    log: (line) => lines.push(line),
    logError: (line) => errors.push(line),
  });
}, 30_000);

afterAll(async () => {
  await enricher?.stop();
  await fake?.close();
});

const store = () => ({ ...testStore(), callsTable });

/** A record stored by the real webhook handler in the copy, for a call the fake knows (unless told not). */
async function storedCall(known = true): Promise<CallRecord> {
  const callId = freshId('CA');
  const accountId = freshId('AC');
  if (known) fake.setCall(callResource(callId, accountId));
  return storeCall({ callId, accountId }, 'completed-inbound', callsTable);
}

/** Resolves once every record has details (or after `timeoutMs`), with the records as stored. */
async function enriched(records: CallRecord[], timeoutMs: number) {
  return waitUntil(
    'enrichment of every record',
    async () => {
      const stored = await Promise.all(records.map((record) => readCall(store(), record.callId)));
      return stored.every((item) => detailsOf(item) !== undefined) ? stored : undefined;
    },
    { timeoutMs },
  );
}

/** The details map of a record as read back (the record's type holds only the webhook's attributes). */
function detailsOf(item: CallRecord | undefined): unknown {
  return (item as { details?: unknown } | undefined)?.details;
}

function statusesFor(callId: string): number[] {
  return fake.requests.filter((request) => request.callId === callId).map((request) => request.status);
}

test('several records on the shard: each enriched with FreeClimb’s values, asked for once (its own writes start nothing)', async () => {
  // Prepare
  const records = await Promise.all(Array.from({ length: 6 }, () => storedCall()));

  // Act
  const { value: stored } = await enriched(records, 20_000);
  // Four poll rounds more: the enricher's own writes (MODIFY records) must not lead to a second request.
  await sleep(1000);

  // Assess
  for (const item of stored) {
    expect(detailsOf(item)).toEqual({ ...DEFAULT_CALL_DETAILS, enrichedAt: expect.any(String) });
  }
  expect(records.map((record) => statusesFor(record.callId))).toEqual(records.map(() => [200]));
  for (const record of records) {
    expect(lines).toContain(`enrich ${record.callId} → enriched (completed, talk time 41 s)`);
  }
});

test('FreeClimb failing for seconds, then back: nothing is lost, and the retries follow the 1 s schedule', async () => {
  // Prepare
  fake.fail({ status: 503 });
  const records = await Promise.all(Array.from({ length: 3 }, () => storedCall()));

  // Act: down until 2 s after every call's first attempt, so each is refused twice (after 0 and 1 s).
  await waitUntil(
    'a first attempt for every call',
    () => (records.every((record) => fake.requestsFor(record.callId) > 0) ? true : undefined),
    { timeoutMs: 10_000 },
  );
  await sleep(2000);
  fake.heal();
  await enriched(records, 20_000);

  // Assess
  for (const record of records) {
    const requests = fake.requests.filter((request) => request.callId === record.callId);
    expect(requests.map((request) => request.status)).toEqual([503, 503, 200]);
    const gaps = requests.slice(1).map((request, index) => request.atMs - (requests[index]?.atMs ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(950);
    expect(gaps[1]).toBeGreaterThanOrEqual(1950);
    expect(lines).toContain(
      `enrich ${record.callId} → again in 1 s (attempt 2): FreeClimb answered 503 (code 0: Service Unavailable)`,
    );
    expect(lines).toContain(
      `enrich ${record.callId} → again in 2 s (attempt 3): FreeClimb answered 503 (code 0: Service Unavailable)`,
    );
  }
}, 30_000);

test('a poison record (no account id) reaches the local dead-letter line with its reason, and the record keeps it', async () => {
  // Prepare
  const callId = freshId('CA');

  // Act
  await testDocumentClient().send(
    new PutCommand({ TableName: callsTable, Item: { callId, receivedAt: new Date().toISOString() } }),
  );
  const { value: line } = await waitUntil(
    'the dead-letter line',
    () => errors.find((error) => error.includes(callId)),
    { timeoutMs: 10_000 },
  );

  // Assess
  const stored = (await readCall(store(), callId)) as Record<string, unknown> | undefined;
  const reason = (stored?.enrichment as { reason?: string } | undefined)?.reason;
  expect(reason).toMatch(/^the job is not valid: accountId: /);
  expect(line).toMatch(
    new RegExp(
      `^ERROR enrichment gave up on job \\{"callId":"${callId}","attempt":1,"firstTriedAt":"[^"]+"\\}: `,
    ),
  );
  expect(line.endsWith(`: ${reason} (local dead-letter queue)`)).toBe(true);
  expect(fake.requestsFor(callId)).toBe(0);
});

test('stop: the waiting retry is dropped and counted, and nothing is read, asked or run afterwards', async () => {
  // Prepare
  const failing = await storedCall();
  fake.fail({ status: 503 }, { callId: failing.callId });
  await waitUntil('the first attempt', () => (fake.requestsFor(failing.callId) > 0 ? true : undefined), {
    timeoutMs: 10_000,
  });

  // Act
  const { dropped } = await enricher.stop();
  const linesAtStop = [...lines, ...errors];
  const later = await storedCall();
  // Past the failing call's retry (1 s) and several poll rounds.
  await sleep(1500);

  // Assess
  expect(dropped).toBe(1);
  expect(fake.requestsFor(failing.callId)).toBe(1);
  expect(fake.requestsFor(later.callId)).toBe(0);
  expect([...lines, ...errors]).toEqual(linesAtStop);
  expect(detailsOf(await readCall(store(), later.callId))).toBeUndefined();
});
