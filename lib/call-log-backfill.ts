import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CALL_LOG_SHARD_ATTRIBUTE, callLogKey } from './call-log-key';
import type { CallStore, StoreOptions } from './call-store';

/**
 * Gives records stored before the call log existed their `callLogShard`, so the index lists them. The one
 * Scan of the call log: old records can only be found by visiting every item. Each update sets that one
 * attribute and only if the item is still the one seen (same `receivedAt`, still without the attribute), so
 * a newer write is never overwritten and a second run changes nothing.
 */

export interface BackfillProgress {
  /** Items the Scan read. */
  scanned: number;
  /** Items without the attribute (all of them counted in a dry run, nothing written). */
  missing: number;
  /** Updated now. */
  updated: number;
  /** Changed or deleted between the Scan and the update: left as they are. */
  changedMeanwhile: number;
  /** With no usable `receivedAt` (cannot be placed in time): left as they are. */
  unplaceable: number;
}

export interface BackfillOptions extends StoreOptions {
  dryRun?: boolean;
  /** Items per Scan page; DynamoDB's 1 MB pages when absent. */
  pageSize?: number;
  /** Called after every page, for progress reports. */
  onPage?: (progress: Readonly<BackfillProgress>) => void;
}

/** Updates sent at once; small, so a backfill does not crowd out the webhook's own writes. */
const PARALLEL_UPDATES = 8;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Scans the calls table once and adds the call log key where it is missing. */
export async function backfillCallLog(
  store: CallStore,
  options: BackfillOptions = {},
): Promise<BackfillProgress> {
  const progress: BackfillProgress = {
    scanned: 0,
    missing: 0,
    updated: 0,
    changedMeanwhile: 0,
    unplaceable: 0,
  };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.doc.send(
      new ScanCommand({
        TableName: store.callsTable,
        // Only the old items come back, and only what the key needs.
        FilterExpression: 'attribute_not_exists(#shard)',
        ProjectionExpression: 'callId, #at',
        ExpressionAttributeNames: { '#shard': CALL_LOG_SHARD_ATTRIBUTE, '#at': 'receivedAt' },
        Limit: options.pageSize,
        ExclusiveStartKey: startKey,
      }),
      { abortSignal: options.abortSignal },
    );
    progress.scanned += page.ScannedCount ?? 0;
    const items = (page.Items ?? []) as Array<{ callId: string; receivedAt?: unknown }>;
    progress.missing += items.length;
    if (options.dryRun !== true) {
      for (let start = 0; start < items.length; start += PARALLEL_UPDATES) {
        const batch = items.slice(start, start + PARALLEL_UPDATES);
        const outcomes = await Promise.all(batch.map((item) => addKey(store, item, options)));
        for (const outcome of outcomes) progress[outcome] += 1;
      }
    }
    startKey = page.LastEvaluatedKey;
    options.onPage?.(progress);
  } while (startKey !== undefined);
  return progress;
}

async function addKey(
  store: CallStore,
  item: { callId: string; receivedAt?: unknown },
  options: StoreOptions,
): Promise<'updated' | 'changedMeanwhile' | 'unplaceable'> {
  const { callId, receivedAt } = item;
  if (typeof receivedAt !== 'string' || !ISO_TIME.test(receivedAt)) return 'unplaceable';
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.callsTable,
        Key: { callId },
        UpdateExpression: 'SET #shard = :key',
        ConditionExpression: 'attribute_not_exists(#shard) AND #at = :seen',
        ExpressionAttributeNames: { '#shard': CALL_LOG_SHARD_ATTRIBUTE, '#at': 'receivedAt' },
        ExpressionAttributeValues: { ':key': callLogKey(callId, receivedAt), ':seen': receivedAt },
      }),
      { abortSignal: options.abortSignal },
    );
    return 'updated';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'changedMeanwhile';
    throw error;
  }
}
