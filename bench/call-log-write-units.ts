import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
} from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lib/aws-clients';
import { CALL_LOG_INDEX } from '../lib/call-log-key';
import { DUMMY_CREDENTIALS } from '../local/local-dynamodb';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { callRecordOf, freshBody } from './workload';

/**
 * The write units one new webhook costs, before the call log and with it: the store's own PutItem of the
 * same record into a table shaped as serverless.yml defines it, with and without `callLog-index`, asking
 * the engine for the capacity per table and index (`ReturnConsumedCapacity: INDEXES`; DynamoDB Local
 * reports it, dynalite does not report indexes).
 */

export interface WriteUnits {
  /** What was written, e.g. `child leg (740 B body)`. */
  record: string;
  itemBytes: number;
  before: UnitsByTarget;
  after: UnitsByTarget;
  /** The same write had the call log projected ALL instead of the few attributes it shows. */
  afterIfAll: UnitsByTarget;
}

/** Write units by `table` and by index name, and their `total`. */
export type UnitsByTarget = Record<string, number>;

/** The bodies measured: a call, a leg (which the parent index also holds), and a leg with a large body. */
function samples(): Array<{ name: string; body: Buffer }> {
  const leg = freshBody(1);
  const other = freshBody(1);
  // FreeClimb may add fields; the raw body keeps them, so a record can be as large as the body limit allows.
  const large = Buffer.from(
    JSON.stringify({ ...JSON.parse(other.toString('utf8')), sipHeaders: 'x'.repeat(60_000) }),
  );
  return [
    { name: 'call', body: freshBody(0) },
    { name: 'child leg', body: leg },
    { name: 'child leg, 60 KB body', body: large },
  ];
}

/** Measures on the engine at `endpoint`, in two scratch tables copied from `callsTable` (removed after). */
export async function measureCallLogWriteUnits(
  endpoint: string,
  callsTable: CreateTableCommandInput,
  region: string,
): Promise<WriteUnits[]> {
  const doc = createDocumentClient({ endpoint, region, credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  const suffix = randomBytes(4).toString('hex');
  const after: CreateTableCommandInput = { ...callsTable, TableName: `call-log-after-${suffix}` };
  const before: CreateTableCommandInput = {
    ...callsTable,
    TableName: `call-log-before-${suffix}`,
    GlobalSecondaryIndexes: callsTable.GlobalSecondaryIndexes?.filter(
      (index) => index.IndexName !== CALL_LOG_INDEX,
    ),
    AttributeDefinitions: callsTable.AttributeDefinitions?.filter(
      (attribute) => attribute.AttributeName !== 'callLogShard',
    ),
  };
  const all: CreateTableCommandInput = {
    ...callsTable,
    TableName: `call-log-all-${suffix}`,
    GlobalSecondaryIndexes: callsTable.GlobalSecondaryIndexes?.map((index) =>
      index.IndexName === CALL_LOG_INDEX ? { ...index, Projection: { ProjectionType: 'ALL' } } : index,
    ),
  };
  const tables = [before, after, all];
  try {
    for (const table of tables) await doc.send(new CreateTableCommand(table));
    const results: WriteUnits[] = [];
    for (const sample of samples()) {
      const record = callRecordOf(sample.body);
      const { callLogShard: _notYet, ...old } = record;
      const withIndex = await unitsOf(doc, after.TableName as string, record);
      if (withIndex[CALL_LOG_INDEX] === undefined) {
        throw new BrokenBenchmarkError('the engine reports no capacity per index: use DynamoDB Local');
      }
      results.push({
        record: `${sample.name} (${sample.body.length.toLocaleString('en-US')} B body)`,
        itemBytes: Buffer.byteLength(JSON.stringify(record)),
        before: await unitsOf(doc, before.TableName as string, old),
        after: withIndex,
        afterIfAll: await unitsOf(doc, all.TableName as string, record),
      });
    }
    return results;
  } finally {
    for (const table of tables) {
      await doc.send(new DeleteTableCommand({ TableName: table.TableName })).catch(() => undefined);
    }
    doc.destroy();
  }
}

async function unitsOf(
  doc: ReturnType<typeof createDocumentClient>,
  table: string,
  item: Record<string, unknown>,
): Promise<UnitsByTarget> {
  // The store's own write: the conditional PutItem of a new record.
  const result = await doc.send(
    new PutCommand({
      TableName: table,
      Item: item,
      ConditionExpression: 'attribute_not_exists(callId)',
      ReturnConsumedCapacity: 'INDEXES',
    }),
  );
  const consumed = result.ConsumedCapacity;
  if (consumed?.CapacityUnits === undefined) {
    throw new BrokenBenchmarkError('the engine reports no consumed capacity: use DynamoDB Local');
  }
  const units: UnitsByTarget = { table: consumed.Table?.CapacityUnits ?? 0 };
  for (const [index, capacity] of Object.entries(consumed.GlobalSecondaryIndexes ?? {})) {
    units[index] = capacity.CapacityUnits ?? 0;
  }
  units.total = consumed.CapacityUnits;
  return units;
}
