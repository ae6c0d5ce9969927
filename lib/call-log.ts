import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { CALL_LOG_INDEX, callLogPartitionsOf } from './call-log-key';
import type { CallRecord } from './call-record';
import { CallStatusWebhook } from './call-status-webhook';
import type { CallStore, StoreOptions } from './call-store';

/**
 * The call log: the calls received in a time window, read from `callLog-index` one Query per UTC day and
 * shard, so the cost grows with the calls in the window and never with the table. Never a Scan.
 */

/** What the index projects (serverless.yml): what `calls`, its CSV and `summary` show. */
export type CallLogEntry = Pick<
  CallRecord,
  'callId' | 'receivedAt' | 'callStatus' | 'callEndedReason' | 'direction' | 'from' | 'to' | 'callDuration'
> &
  Pick<CallRecord, 'parentCallId' | 'callLogShard'>;

/** The values `--status` and `--direction` take: the schema's own lists. */
export const CALL_LOG_STATUSES: readonly string[] = CallStatusWebhook.entries.callStatus.options;
export const CALL_LOG_DIRECTIONS: readonly string[] = CallStatusWebhook.entries.direction.options;

/** A stretch of time: from `fromMs` (included) to `untilMs` (excluded). */
export interface CallLogWindow {
  fromMs: number;
  untilMs: number;
}

/** Filters that combine (all must hold); `number` matches `from` or `to`, exactly as stored. */
export interface CallLogFilter {
  status?: string;
  direction?: string;
  number?: string;
}

export interface CallLogReadOptions extends StoreOptions {
  /** Items per Query page (DynamoDB's Limit); the default lets DynamoDB fill 1 MB pages. */
  pageSize?: number;
}

/** What reading cost: requests, items the index read (before the filter) and read units. */
export interface CallLogCost {
  queries: number;
  scannedCount: number;
  readCapacityUnits: number;
}

/** One UTC day's calls in the window, newest first, and the day (`YYYY-MM-DD`). */
export interface CallLogDay {
  day: string;
  entries: CallLogEntry[];
}

const DAY_MS = 86_400_000;

/** The UTC days a window touches, newest first. */
export function daysOf(window: CallLogWindow): string[] {
  const days: string[] = [];
  const first = Math.floor(window.fromMs / DAY_MS) * DAY_MS;
  for (let day = Math.floor((window.untilMs - 1) / DAY_MS) * DAY_MS; day >= first; day -= DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * The window's calls, one UTC day at a time, newest day first and newest call first within it: every shard
 * of the day is queried (in parallel, every page followed) and the results merged. Yielding by day lets a
 * caller print or count as it goes and stop early (`--limit`) without reading older days.
 */
export async function* readCallLog(
  store: CallStore,
  window: CallLogWindow,
  filter: CallLogFilter = {},
  options: CallLogReadOptions = {},
  cost: CallLogCost = { queries: 0, scannedCount: 0, readCapacityUnits: 0 },
): AsyncGenerator<CallLogDay> {
  if (!(window.fromMs < window.untilMs)) return;
  // Stored times are toISOString()'s, all 24 characters, so "before until" is "at most until - 1 ms" and a
  // key condition (BETWEEN includes both ends) can say it: the window's end is excluded.
  const first = new Date(window.fromMs).toISOString();
  const last = new Date(window.untilMs - 1).toISOString();
  for (const day of daysOf(window)) {
    const shards = await Promise.all(
      callLogPartitionsOf(day).map((partition) =>
        queryPartition(store, partition, first, last, filter, options, cost),
      ),
    );
    const entries = shards.flat().sort(newestFirst);
    yield { day, entries };
  }
}

async function queryPartition(
  store: CallStore,
  partition: string,
  first: string,
  last: string,
  filter: CallLogFilter,
  options: CallLogReadOptions,
  cost: CallLogCost,
): Promise<CallLogEntry[]> {
  const entries: CallLogEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const result = await store.doc.send(
      new QueryCommand({
        ...queryInput(store.callsTable, partition, first, last, filter),
        Limit: options.pageSize,
        ExclusiveStartKey: startKey,
        ReturnConsumedCapacity: 'TOTAL',
      }),
      { abortSignal: options.abortSignal },
    );
    cost.queries += 1;
    cost.scannedCount += result.ScannedCount ?? 0;
    cost.readCapacityUnits += result.ConsumedCapacity?.CapacityUnits ?? 0;
    entries.push(...((result.Items ?? []) as CallLogEntry[]));
    startKey = result.LastEvaluatedKey;
  } while (startKey !== undefined);
  return entries;
}

/** The Query of one partition between two receive times (both included), with the filters. */
function queryInput(
  table: string,
  partition: string,
  first: string,
  last: string,
  filter: CallLogFilter,
): QueryCommandInput {
  const names: Record<string, string> = { '#shard': 'callLogShard', '#at': 'receivedAt' };
  const values: Record<string, unknown> = { ':shard': partition, ':first': first, ':last': last };
  const conditions: string[] = [];
  if (filter.status !== undefined) {
    names['#status'] = 'callStatus';
    values[':status'] = filter.status;
    conditions.push('#status = :status');
  }
  if (filter.direction !== undefined) {
    names['#direction'] = 'direction';
    values[':direction'] = filter.direction;
    conditions.push('#direction = :direction');
  }
  if (filter.number !== undefined) {
    // FROM and TO are DynamoDB reserved words: always through names.
    names['#from'] = 'from';
    names['#to'] = 'to';
    values[':number'] = filter.number;
    conditions.push('(#from = :number OR #to = :number)');
  }
  return {
    TableName: table,
    IndexName: CALL_LOG_INDEX,
    KeyConditionExpression: '#shard = :shard AND #at BETWEEN :first AND :last',
    FilterExpression: conditions.length > 0 ? conditions.join(' AND ') : undefined,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
  };
}

/** Newest first; the same instant by call id, so the order never depends on which shard answered first. */
function newestFirst(a: CallLogEntry, b: CallLogEntry): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? 1 : -1;
  return a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0;
}
