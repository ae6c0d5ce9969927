import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../lib/aws-clients';
import { backfillCallLog } from '../../../lib/call-log-backfill';
import { type CallRecord, toCallRecord } from '../../../lib/call-record';
import { parseCallStatusWebhook } from '../../../lib/call-status-webhook';
import type { CallStore } from '../../../lib/call-store';
import { type CallsTableCopy, copyOfCallsTable } from '../../support/calls-table-copy';
import { runRecords } from '../../support/cli';
import { testDocumentClient, testTables } from '../../support/dynamodb';
import { bodyFixture, freshId } from '../../support/webhook';

// `freeclimb-records backfill`: records stored before the call log existed (written here as the webhook
// wrote them then, without `callLogShard`) get their key, once, and nothing else changes.

let table: CallsTableCopy;
const direct = testDocumentClient();

afterAll(() => direct.destroy());

/** A record as the webhook stored it before the index: the same mapping, without the call log key. */
function oldRecord(receivedAt: string): CallRecord {
  const body = { ...JSON.parse(bodyFixture('completed-inbound').toString('utf8')), callId: freshId('CA') };
  const parsed = parseCallStatusWebhook(body);
  if (!parsed.ok) throw new Error('the fixture should be valid');
  const rawBody = Buffer.from(JSON.stringify(body));
  const { callLogShard: _dropped, ...record } = toCallRecord(
    parsed.payload,
    { receivedAtMs: Date.parse(receivedAt), rawBody },
    0,
  );
  return record as CallRecord;
}

async function putOld(records: CallRecord[]): Promise<void> {
  for (const record of records) {
    await direct.send(new PutCommand({ TableName: table.callsTable, Item: record }));
  }
}

async function read(callId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await direct.send(
    new GetCommand({ TableName: table.callsTable, Key: { callId }, ConsistentRead: true }),
  );
  return Item;
}

function records(argv: string[]) {
  return runRecords(argv, { localTargetsDir: table.localTargetsDir });
}

const DAY = ['--from', '2029-06-01', '--until', '2029-06-03'];

describe('backfill', () => {
  beforeAll(async () => {
    table = await copyOfCallsTable();
  });

  test('old records are not listed until backfilled; a dry run counts them, a run adds them, a second run adds nothing', async () => {
    // Prepare
    const old = Array.from({ length: 7 }, (_, i) => oldRecord(`2029-06-0${1 + (i % 2)}T10:0${i}:00.000Z`));
    await putOld(old);

    // Act
    const before = await records(['calls', ...DAY, '--json']);
    const dryRun = await records(['backfill', '--dry-run', '--page-size', '3']);
    const afterDryRun = await records(['calls', ...DAY, '--json']);
    const run = await records(['backfill', '--page-size', '3']);
    const after = await records(['calls', ...DAY, '--json']);
    const again = await records(['backfill', '--json']);

    // Assess
    expect(JSON.parse(before.stdout)).toEqual([]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toBe(
      `7 scanned, 7 would be added to the call log (dry run: nothing written) in ${table.callsTable}\n`,
    );
    // Progress, one line per Scan page of 3 (the last page may be empty).
    expect(dryRun.stderr.split('\n')[0]).toBe(
      'backfill: 3 scanned, 3 would be added to the call log (dry run: nothing written)',
    );
    expect(JSON.parse(afterDryRun.stdout)).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`7 scanned, 7 added to the call log in ${table.callsTable}\n`);
    expect(run.stderr).toContain('backfill: 6 scanned, 6 added to the call log\n');
    const listed = JSON.parse(after.stdout) as Array<{ callId: string }>;
    expect(listed.map((entry) => entry.callId).sort()).toEqual(old.map((record) => record.callId).sort());
    expect(JSON.parse(again.stdout)).toEqual({
      dryRun: false,
      scanned: 7,
      missing: 0,
      updated: 0,
      changedMeanwhile: 0,
      unplaceable: 0,
    });
  });

  test('sets only the key: every other attribute of a record stays as stored', async () => {
    // Prepare
    const record = oldRecord('2029-06-02T23:59:59.999Z');
    await putOld([record]);

    // Act
    const run = await records(['backfill']);
    const stored = await read(record.callId);

    // Assess
    expect(run.code).toBe(0);
    const { callLogShard, ...rest } = stored ?? {};
    expect(rest).toEqual(record);
    expect(callLogShard).toMatch(/^2029-06-02#\d+$/);
  });

  test('never overwrites a write that lands between the Scan and the update, and never recreates a deleted record', async () => {
    // Prepare: two old records; just before the first update is sent, one is replaced by a newer record
    // (with its own key) and the other is deleted.
    const separate = await copyOfCallsTable();
    const replaced = oldRecord('2029-06-01T08:00:00.000Z');
    const deleted = oldRecord('2029-06-01T08:00:01.000Z');
    for (const record of [replaced, deleted]) {
      await direct.send(new PutCommand({ TableName: separate.callsTable, Item: record }));
    }
    const newer = { ...replaced, receivedAt: '2029-06-05T09:00:00.000Z', callLogShard: '2029-06-05#3' };
    const doc = createDocumentClient({ maxAttempts: 1 });
    // Every update waits for the concurrent writer, which runs once, when the first update is about to go.
    let interference: Promise<void> | undefined;
    const interfere = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      const target = (args as { request?: { headers?: Record<string, string> } }).request?.headers?.[
        'x-amz-target'
      ];
      if (target === 'DynamoDB_20120810.UpdateItem') {
        interference ??= (async () => {
          await direct.send(new PutCommand({ TableName: separate.callsTable, Item: newer }));
          await direct.send(
            new DeleteCommand({ TableName: separate.callsTable, Key: { callId: deleted.callId } }),
          );
        })();
        await interference;
      }
      return next(args);
    };
    doc.middlewareStack.add(interfere as never, { step: 'finalizeRequest', name: 'concurrentWriter' });
    const store: CallStore = {
      doc,
      callsTable: separate.callsTable,
      rejectedTable: testTables().rejectedTable,
    };

    // Act
    const progress = await backfillCallLog(store);
    doc.destroy();

    // Assess
    expect(interference).toBeDefined();
    expect(progress).toMatchObject({ scanned: 2, missing: 2, updated: 0, changedMeanwhile: 2 });
    const after = await direct.send(
      new GetCommand({
        TableName: separate.callsTable,
        Key: { callId: replaced.callId },
        ConsistentRead: true,
      }),
    );
    expect(after.Item).toEqual(newer);
    const gone = await direct.send(
      new GetCommand({
        TableName: separate.callsTable,
        Key: { callId: deleted.callId },
        ConsistentRead: true,
      }),
    );
    expect(gone.Item).toBeUndefined();
  });
});
