/**
 * The partition key of the call log (`callLog-index` in serverless.yml): the UTC day a record was received
 * and a shard derived from its `callId`, e.g. `2026-11-25#7`. The webhook writes it, `calls` and `summary`
 * read by it, and `backfill` gives it to older records: all three use this file.
 */

/** The index's name, as serverless.yml defines it. */
export const CALL_LOG_INDEX = 'callLog-index';

/** The partition key attribute; the sort key is `receivedAt`. */
export const CALL_LOG_SHARD_ATTRIBUTE = 'callLogShard';

/**
 * Shards per day. One index partition takes about 1,000 write units a second and an index entry costs one,
 * so 16 shards sustain about 16,000 webhooks a second, above API Gateway's default 10,000 requests a second
 * per account and region: the index is never the first limit. A window is read one Query per day and shard.
 * Changing this number moves every record to another partition: it is fixed.
 */
export const CALL_LOG_SHARDS = 16;

/** The shard of a call: FNV-1a of its id, so the same call always lands in the same partition. */
export function callLogShardOf(callId: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < callId.length; at += 1) {
    hash ^= callId.charCodeAt(at);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % CALL_LOG_SHARDS;
}

/** The partition key value of a record received at `receivedAt` (ISO-8601 UTC). */
export function callLogKey(callId: string, receivedAt: string): string {
  return `${receivedAt.slice(0, 10)}#${callLogShardOf(callId)}`;
}

/** Every partition of one UTC day (`YYYY-MM-DD`), shard 0 first. */
export function callLogPartitionsOf(day: string): string[] {
  return Array.from({ length: CALL_LOG_SHARDS }, (_, shard) => `${day}#${shard}`);
}
