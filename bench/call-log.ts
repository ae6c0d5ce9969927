import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lib/aws-clients';
import { type CallLogCost, readCallLog } from '../lib/call-log';
import {
  DUMMY_CREDENTIALS,
  ENGINE_LABELS,
  type LocalEngine,
  startLocalDynamoDb,
} from '../local/local-dynamodb';
import type { ServiceDefinition } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { measureCallLogWriteUnits, type WriteUnits } from './call-log-write-units';
import { BATCH_WRITE_LIMIT, callsTableOf, putBatch } from './scratch-tables';
import { callRecordOf, freshBody } from './workload';

/**
 * "What happened in this hour", out of a table of N records and then of 10·N: through `callLog-index`
 * (one Query per shard of the hour's day) against a Scan with a filter on `receivedAt`, the only way
 * without the index. The same hour holds the same calls in both tables; only the rest of the table grows.
 */

export interface CallLogReads {
  /** Records in the table. */
  records: number;
  /** Calls in the hour, found by both ways (checked). */
  inHour: number;
  index: ReadCost;
  scan: ReadCost;
}

export interface ReadCost {
  requests: number;
  /** Items the engine read (ScannedCount), before any filter. */
  itemsRead: number;
  /** Read capacity units the engine reports (TOTAL). */
  readUnits: number;
  ms: number;
}

/** The hour asked for; the table's other records are spread over the 30 days before it and the rest of its day. */
const HOUR_START_MS = Date.UTC(2026, 10, 20, 14);
const HOUR_MS = 3_600_000;
const SPREAD_DAYS = 30;
/** Calls in the hour: the same in both tables. */
const CALLS_IN_HOUR = 300;
const PARALLEL_BATCHES = 8;

/** Loads N records, measures, loads 9·N more outside the hour, measures again; removes its table after. */
export async function measureCallLogReads(
  endpoint: string,
  callsTable: CreateTableCommandInput,
  region: string,
  records: number,
  progress: (step: string) => void,
): Promise<CallLogReads[]> {
  const doc = createDocumentClient({
    endpoint,
    region,
    credentials: DUMMY_CREDENTIALS,
    // A Scan page of 1 MB over 200,000 items takes the emulator seconds, beyond the function's 2 s budget.
    requestHandler: { connectionTimeout: 1000, requestTimeout: 120_000 },
  });
  const table = `call-log-reads-${randomBytes(4).toString('hex')}`;
  await doc.send(new CreateTableCommand({ ...callsTable, TableName: table }));
  try {
    const results: CallLogReads[] = [];
    let loaded = 0;
    for (const size of [records, records * 10]) {
      progress(
        `call log: loading ${(size - loaded).toLocaleString('en-US')} records (table of ${size.toLocaleString('en-US')})`,
      );
      await load(doc, table, loaded, size);
      loaded = size;
      progress(
        `call log: one hour out of ${size.toLocaleString('en-US')} records, by the index and by a Scan`,
      );
      results.push(await readHour(doc, table, size));
    }
    return results;
  } finally {
    await doc.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    doc.destroy();
  }
}

/** Records `from` to `to` (exclusive) of the sequence: the first CALLS_IN_HOUR in the hour, the rest outside it. */
async function load(doc: DynamoDBDocumentClient, table: string, from: number, to: number): Promise<void> {
  const spreadMs = SPREAD_DAYS * 86_400_000;
  const outside = () => {
    // Anywhere in the 30 days before the hour or in the rest of its day, never inside the hour.
    const offset = Math.floor(Math.random() * (spreadMs - HOUR_MS));
    const at = HOUR_START_MS - spreadMs + HOUR_MS + offset;
    return at >= HOUR_START_MS ? at + HOUR_MS : at;
  };
  const pending: Array<Promise<void>> = [];
  for (let start = from; start < to; start += BATCH_WRITE_LIMIT) {
    const items = [];
    for (let index = start; index < Math.min(start + BATCH_WRITE_LIMIT, to); index += 1) {
      const at =
        index < CALLS_IN_HOUR ? HOUR_START_MS + Math.floor((index * HOUR_MS) / CALLS_IN_HOUR) : outside();
      items.push(callRecordOf(freshBody(index), at));
    }
    pending.push(putBatch(doc, table, items));
    if (pending.length >= PARALLEL_BATCHES) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

async function readHour(doc: DynamoDBDocumentClient, table: string, records: number): Promise<CallLogReads> {
  const store = { doc, callsTable: table, rejectedTable: '' };
  const window = { fromMs: HOUR_START_MS, untilMs: HOUR_START_MS + HOUR_MS };

  // Once untimed first: the emulator's JIT otherwise makes the first read at N look slower than at 10·N.
  for await (const _day of readCallLog(store, window)) {
    // only warming up
  }
  const cost: CallLogCost = { queries: 0, scannedCount: 0, readCapacityUnits: 0 };
  let started = performance.now();
  let byIndex = 0;
  for await (const day of readCallLog(store, window, {}, {}, cost)) byIndex += day.entries.length;
  const indexMs = performance.now() - started;

  started = performance.now();
  const scan: ReadCost = { requests: 0, itemsRead: 0, readUnits: 0, ms: 0 };
  let byScan = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#at >= :from AND #at < :until',
        ExpressionAttributeNames: { '#at': 'receivedAt' },
        ExpressionAttributeValues: {
          ':from': new Date(window.fromMs).toISOString(),
          ':until': new Date(window.untilMs).toISOString(),
        },
        ExclusiveStartKey: startKey,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    scan.requests += 1;
    scan.itemsRead += page.ScannedCount ?? 0;
    scan.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
    byScan += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  scan.ms = performance.now() - started;

  if (byIndex !== CALLS_IN_HOUR || byScan !== CALLS_IN_HOUR) {
    throw new BrokenBenchmarkError(
      `the hour holds ${CALLS_IN_HOUR} calls, but the index found ${byIndex} and the Scan ${byScan}`,
    );
  }
  return {
    records,
    inHour: CALLS_IN_HOUR,
    index: {
      requests: cost.queries,
      itemsRead: cost.scannedCount,
      readUnits: cost.readCapacityUnits,
      ms: indexMs,
    },
    scan,
  };
}

/** Both call log measurements, on an engine of their own made from serverless.yml's tables. */
export interface CallLogBench {
  engine: string;
  reads: CallLogReads[];
  writeUnits: WriteUnits[];
}

/** The engine: AWS's own emulator, the one that reports write units per index and sizes as DynamoDB does. */
const CALL_LOG_ENGINE: LocalEngine = 'dynamodb-local';

/** Starts the engine, measures the reads at N and 10·N and the write units of one webhook, stops it. */
export async function measureCallLog(
  definition: ServiceDefinition,
  records: number,
  progress: (step: string) => void,
): Promise<CallLogBench> {
  const callsTable = callsTableOf(definition);
  progress(`call log: starting ${ENGINE_LABELS[CALL_LOG_ENGINE]}`);
  const engine = await startLocalDynamoDb({
    engine: CALL_LOG_ENGINE,
    port: 0,
    tables: [],
    region: definition.region,
  });
  try {
    const reads = await measureCallLogReads(
      engine.endpoint,
      callsTable,
      definition.region,
      records,
      progress,
    );
    progress('call log: write units of one webhook, before and after the index');
    const writeUnits = await measureCallLogWriteUnits(engine.endpoint, callsTable, definition.region);
    return { engine: ENGINE_LABELS[CALL_LOG_ENGINE], reads, writeUnits };
  } finally {
    await engine.close();
  }
}
