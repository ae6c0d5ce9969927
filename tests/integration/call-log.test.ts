import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type CallLogCost, type CallLogEntry, readCallLog } from '../../lib/call-log';
import { backfillCallLog } from '../../lib/call-log-backfill';
import { callLogPartitionsOf } from '../../lib/call-log-key';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { type CallsTableCopy, copyOfCallsTable } from '../support/calls-table-copy';
import { testDocumentClient } from '../support/dynamodb';
import { bodyFixture, lambdaContext, signedEvent, testEnv, testStore } from '../support/webhook';

// readCallLog against the test engine, on a calls table of this file's own (so a window sees only what the
// tests stored there), every call stored by the real handler with its clock at the call's receive time.

const DAY = '2031-04-05';
const NOON_MS = Date.parse(`${DAY}T12:00:00.000Z`);

let table: CallsTableCopy;

beforeAll(async () => {
  table = await copyOfCallsTable();
});

/** Stores a call with this id, received at `atMs`, through the handler. */
async function storeAt(callId: string, atMs: number): Promise<void> {
  const body = { ...JSON.parse(bodyFixture('completed-inbound').toString('utf8')), callId };
  const handle = createCallStatusHandler({
    env: testEnv({ CALLS_TABLE: table.callsTable }),
    now: () => atMs,
  });
  const response = await handle(
    signedEvent(JSON.stringify(body), { signedAt: Math.floor(atMs / 1000) }),
    lambdaContext,
  );
  expect(response.statusCode).toBe(204);
}

function storeOfTheCopy() {
  return { ...testStore(), callsTable: table.callsTable };
}

async function read(
  window: { fromMs: number; untilMs: number },
  cost: CallLogCost,
  abortSignal?: AbortSignal,
) {
  const days: Array<{ day: string; entries: CallLogEntry[] }> = [];
  for await (const day of readCallLog(storeOfTheCopy(), window, {}, { abortSignal }, cost)) days.push(day);
  return days;
}

test('lists a day newest first, calls of the same instant by call id, and counts what the reading cost', async () => {
  // Prepare
  // Six calls of one instant, stored out of order: the shards they land in answer in another order again.
  const sameInstant = ['f', '1', '9', '3', 'c', '5'].map((digit) => `CA${digit.repeat(40)}`);
  const later = `CA${'7'.repeat(40)}`;
  for (const callId of sameInstant) await storeAt(callId, NOON_MS);
  await storeAt(later, NOON_MS + 1000);
  const cost = { queries: 0, scannedCount: 0, readCapacityUnits: 0 };

  // Act
  const days = await read({ fromMs: NOON_MS - 3_600_000, untilMs: NOON_MS + 3_600_000 }, cost);

  // Assess
  expect(days.map((day) => [day.day, day.entries.map((entry) => entry.callId)])).toEqual([
    [DAY, [later, ...[...sameInstant].sort()]],
  ]);
  expect(cost.queries).toBe(callLogPartitionsOf(DAY).length);
  expect(cost.scannedCount).toBe(7);
  expect(cost.readCapacityUnits).toBeGreaterThan(0);
});

test('an empty window reads nothing and costs nothing', async () => {
  // Prepare
  const cost = { queries: 0, scannedCount: 0, readCapacityUnits: 0 };

  // Act
  const days = await read({ fromMs: NOON_MS, untilMs: NOON_MS }, cost);

  // Assess
  expect(days).toEqual([]);
  expect(cost.queries).toBe(0);
});

test('gives up as soon as its abort signal has fired', async () => {
  // Prepare
  const controller = new AbortController();
  controller.abort();

  // Act
  const failure = await read(
    { fromMs: NOON_MS, untilMs: NOON_MS + 1000 },
    { queries: 0, scannedCount: 0, readCapacityUnits: 0 },
    controller.signal,
  ).then(
    () => undefined,
    (error: unknown) => error,
  );

  // Assess
  expect(failure).toMatchObject({ name: 'AbortError' });
});

describe('backfillCallLog', () => {
  test('keys every item that has a receive time, in batches, and counts the ones it cannot place', async () => {
    // Prepare: a table of its own holding items written before the call log (no shard), 9 placeable ones
    // (more than one batch of updates) and 4 whose receive time is missing or not an ISO time.
    const copy = await copyOfCallsTable();
    const doc = testDocumentClient();
    const items: Array<Record<string, unknown>> = [
      ...Array.from({ length: 9 }, (_, index) => ({
        callId: `CA${String(index).repeat(40)}`,
        receivedAt: `2031-04-05T12:00:0${index}.000Z`,
      })),
      { callId: `CA${'a'.repeat(40)}` },
      { callId: `CA${'b'.repeat(40)}`, receivedAt: 'yesterday' },
      { callId: `CA${'c'.repeat(40)}`, receivedAt: '2031-04-05T12:00:00.000Z!' },
      { callId: `CA${'d'.repeat(40)}`, receivedAt: 'x2031-04-05T12:00:00.000Z' },
    ];
    for (const item of items) await doc.send(new PutCommand({ TableName: copy.callsTable, Item: item }));

    // Act
    const progress = await backfillCallLog({ ...testStore(), callsTable: copy.callsTable });

    // Assess
    expect(progress).toEqual({ scanned: 13, missing: 13, updated: 9, changedMeanwhile: 0, unplaceable: 4 });
  });

  test('gives up as soon as its abort signal has fired', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort();

    // Act
    const failure = await backfillCallLog(storeOfTheCopy(), { abortSignal: controller.signal }).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ name: 'AbortError' });
  });
});
