import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type ConsumedCapacity,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lib/aws-clients';
import type { CallDetails } from '../lib/call-details';
import { type CallLogCost, readCallLog } from '../lib/call-log';
import { CALL_LOG_INDEX } from '../lib/call-log-key';
import { type CallStore, saveCallDetails } from '../lib/call-store';
import { withEnrichmentStates } from '../lib/enrichment-state';
import {
  DUMMY_CREDENTIALS,
  ENGINE_LABELS,
  type LocalEngine,
  startLocalDynamoDb,
} from '../local/local-dynamodb';
import type { ServiceDefinition } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { BATCH_WRITE_LIMIT, callsTableOf, putBatch } from './scratch-tables';
import { callRecordOf, freshBody } from './workload';

/**
 * What the whole call costs in DynamoDB, measured on AWS's emulator, which reports capacity per table and
 * index as DynamoDB does: the enricher's one UpdateItem (the store's own `saveCallDetails`, asked for its
 * consumed capacity by SDK middleware), and what `calls --csv` and `summary` pay to show the talk time. The
 * call log index does not project `details` (a projection cannot change in place), so they read each listed
 * row's state from the table; the alternative, a second index projecting `details`, is measured beside it:
 * what it would save on every listing, and what it would add to every enrichment.
 */

export interface EnrichmentCosts {
  engine: string;
  /** The enricher's UpdateItem of a typical `details` map, per record kind. */
  updates: Array<{ record: string; units: Record<string, number> }>;
  /** The same UpdateItem had a second call log index projected `details` too. */
  updatesWithDetailsIndex: Array<{ record: string; units: Record<string, number> }>;
  /** Listing a window of `rows` enriched calls. */
  listing: {
    rows: number;
    /** Through callLog-index alone (what `calls` prints): read units and time. */
    indexOnly: ListingCost;
    /** The same, plus each row's state from the table (`calls --csv`, `summary`). */
    withReadPerRow: ListingCost;
    /** Through an index that also projects `details`: no read per row. */
    withDetailsIndex: ListingCost;
  };
}

export interface ListingCost {
  readUnits: number;
  requests: number;
  ms: number;
}

/** A `details` map the size of a completed call's, as FreeClimb's Call resource fills it. */
const DETAILS: CallDetails = {
  status: 'completed',
  startTime: '2026-11-20T14:00:00.000Z',
  connectTime: '2026-11-20T14:00:06.000Z',
  endTime: '2026-11-20T14:00:47.000Z',
  duration: 47,
  connectDuration: 41,
  answeredBy: 'human',
  callerName: 'ACME SUPPORT',
  phoneNumberId: 'PN0123456789abcdef0123456789abcdef01234567',
  applicationId: 'AP0123456789abcdef0123456789abcdef01234567',
  enrichedAt: '2026-11-20T14:00:52.000Z',
};
const WINDOW_START_MS = Date.UTC(2026, 10, 20, 14);
const ENGINE: LocalEngine = 'dynamodb-local';

/** Starts the emulator, measures on scratch tables made from serverless.yml's calls table, stops it. */
export async function measureEnrichmentCosts(
  definition: ServiceDefinition,
  rows: number,
  progress: (step: string) => void,
): Promise<EnrichmentCosts> {
  const callsTable = callsTableOf(definition);
  progress(`enrichment: starting ${ENGINE_LABELS[ENGINE]}`);
  const engine = await startLocalDynamoDb({ engine: ENGINE, port: 0, tables: [], region: definition.region });
  const doc = createDocumentClient({
    endpoint: engine.endpoint,
    region: definition.region,
    credentials: DUMMY_CREDENTIALS,
  });
  const capacity = captureCapacity(doc);
  const suffix = randomBytes(4).toString('hex');
  const asDeployed: CreateTableCommandInput = { ...callsTable, TableName: `enrich-${suffix}` };
  const withDetailsIndex: CreateTableCommandInput = {
    ...callsTable,
    TableName: `enrich-details-index-${suffix}`,
    GlobalSecondaryIndexes: callsTable.GlobalSecondaryIndexes?.map((index) =>
      index.IndexName === CALL_LOG_INDEX && index.Projection?.ProjectionType === 'INCLUDE'
        ? {
            ...index,
            Projection: {
              ...index.Projection,
              NonKeyAttributes: [...(index.Projection.NonKeyAttributes ?? []), 'details'],
            },
          }
        : index,
    ),
  };
  try {
    for (const table of [asDeployed, withDetailsIndex]) await doc.send(new CreateTableCommand(table));
    progress('enrichment: write units of the enricher’s UpdateItem');
    const updates = await updateUnits(doc, capacity, asDeployed.TableName as string);
    const updatesWithDetailsIndex = await updateUnits(doc, capacity, withDetailsIndex.TableName as string);
    progress(`enrichment: listing ${rows.toLocaleString('en-US')} enriched calls three ways`);
    for (const table of [asDeployed, withDetailsIndex])
      await loadEnriched(doc, table.TableName as string, rows);
    const storeOf = (table: CreateTableCommandInput): CallStore => ({
      doc,
      callsTable: table.TableName as string,
      rejectedTable: '',
    });
    // Once untimed: the emulator's JIT otherwise makes whichever runs first look slower.
    await listing(storeOf(asDeployed), capacity, rows, true);
    const listingCosts = {
      rows,
      indexOnly: await listing(storeOf(asDeployed), capacity, rows, false),
      withReadPerRow: await listing(storeOf(asDeployed), capacity, rows, true),
      withDetailsIndex: await listing(storeOf(withDetailsIndex), capacity, rows, false),
    };
    return { engine: ENGINE_LABELS[ENGINE], updates, updatesWithDetailsIndex, listing: listingCosts };
  } finally {
    for (const table of [asDeployed, withDetailsIndex]) {
      await doc.send(new DeleteTableCommand({ TableName: table.TableName })).catch(() => undefined);
    }
    doc.destroy();
    await engine.close();
  }
}

/** The capacity every request of `doc` consumed, asked for by middleware (the store's code is unchanged). */
interface CapacityCapture {
  consumed: ConsumedCapacity[];
  requests: number;
}

function captureCapacity(doc: DynamoDBDocumentClient): CapacityCapture {
  const capture: CapacityCapture = { consumed: [], requests: 0 };
  doc.middlewareStack.add(
    (next) => async (args) => {
      const input = (args as { input: Record<string, unknown> }).input;
      input.ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      capture.requests += 1;
      const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
      const consumed = output.ConsumedCapacity;
      if (consumed !== undefined) capture.consumed.push(...(Array.isArray(consumed) ? consumed : [consumed]));
      return result;
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
  return capture;
}

async function updateUnits(
  doc: DynamoDBDocumentClient,
  capacity: CapacityCapture,
  table: string,
): Promise<Array<{ record: string; units: Record<string, number> }>> {
  const store: CallStore = { doc, callsTable: table, rejectedTable: '' };
  const results = [];
  for (const [name, index] of [
    ['call', 0],
    ['child leg', 1],
  ] as const) {
    const record = callRecordOf(freshBody(index), WINDOW_START_MS);
    await writeAll(doc, table, [record]);
    capacity.consumed.length = 0;
    const written = await saveCallDetails(store, record.callId, DETAILS);
    if (written !== 'enriched')
      throw new BrokenBenchmarkError(`the details of a new ${name} were not written`);
    const consumed = capacity.consumed.at(-1);
    if (consumed?.CapacityUnits === undefined) {
      throw new BrokenBenchmarkError('the engine reports no consumed capacity: use DynamoDB Local');
    }
    const units: Record<string, number> = { table: consumed.Table?.CapacityUnits ?? 0 };
    for (const [indexName, indexUnits] of Object.entries(consumed.GlobalSecondaryIndexes ?? {})) {
      units[indexName] = indexUnits.CapacityUnits ?? 0;
    }
    units.total = consumed.CapacityUnits;
    results.push({ record: name, units });
  }
  return results;
}

/** `rows` calls in the hour after WINDOW_START_MS, each with its details, as the enricher leaves them. */
async function loadEnriched(doc: DynamoDBDocumentClient, table: string, rows: number): Promise<void> {
  const records = Array.from({ length: rows }, (_, index) => ({
    ...callRecordOf(freshBody(index + 2), WINDOW_START_MS + 1000 + Math.floor((index * 3_000_000) / rows)),
    details: DETAILS,
  }));
  await writeAll(doc, table, records);
}

async function writeAll(doc: DynamoDBDocumentClient, table: string, items: object[]): Promise<void> {
  for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
    await putBatch(doc, table, items.slice(start, start + BATCH_WRITE_LIMIT));
  }
}

/** Lists the hour as `calls` and `summary` do, with or without each row's state; checks every row is seen. */
async function listing(
  store: CallStore,
  capacity: CapacityCapture,
  rows: number,
  readPerRow: boolean,
): Promise<ListingCost> {
  capacity.consumed.length = 0;
  capacity.requests = 0;
  const window = { fromMs: WINDOW_START_MS + 1000, untilMs: WINDOW_START_MS + 3_600_000 };
  const cost: CallLogCost = { queries: 0, scannedCount: 0, readCapacityUnits: 0 };
  const started = performance.now();
  let seen = 0;
  let withDetails = 0;
  async function* entries() {
    for await (const day of readCallLog(store, window, {}, {}, cost)) yield* day.entries;
  }
  if (readPerRow) {
    for await (const [, state] of withEnrichmentStates(store, entries())) {
      seen += 1;
      if (state?.details?.connectDuration !== undefined) withDetails += 1;
    }
  } else {
    for await (const entry of entries()) {
      seen += 1;
      if ((entry as { details?: CallDetails }).details?.connectDuration !== undefined) withDetails += 1;
    }
  }
  const ms = performance.now() - started;
  const expectedWithDetails = readPerRow || store.callsTable.includes('details-index') ? rows : 0;
  if (seen !== rows || withDetails !== expectedWithDetails) {
    throw new BrokenBenchmarkError(
      `listing ${rows} enriched calls saw ${seen}, ${withDetails} of them with their talk time`,
    );
  }
  const readUnits = capacity.consumed.reduce((sum, consumed) => sum + (consumed.CapacityUnits ?? 0), 0);
  return { readUnits, requests: capacity.requests, ms };
}
