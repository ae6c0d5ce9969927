import type { Shard, ShardIteratorType } from '@aws-sdk/client-dynamodb-streams';

/**
 * Which shards of a DynamoDB stream a reader reads, and from where. A stream is a family of shards: when one
 * closes (AWS splits or rolls it over; DynamoDB Local rolls each shard after 4 hours) its children carry on,
 * and a child is read only once its parent is read to the end, so a record's changes come in order.
 * At start, only the shards still open are read, from their latest record on: what came before belongs to an
 * earlier run (the CLI's `enrich` catches up on it). A shard learnt of later began during this run, so it is
 * read from its first record.
 */

/** One shard being read: where the next GetRecords goes, and the last record seen (to resume after it). */
export interface ShardCursor {
  shardId: string;
  parentShardId?: string;
  /** How its first iterator is asked for. */
  start: Extract<ShardIteratorType, 'LATEST' | 'TRIM_HORIZON'>;
  /** The next GetRecords' iterator; absent until asked for, or after it expired. */
  iterator?: string;
  lastSequenceNumber?: string;
}

export interface StreamShards {
  /** Takes in what DescribeStream lists; the first call marks the start of this run. */
  learn(shards: readonly Shard[]): void;
  /** The shards to read now: being read, and without a parent still being read. */
  readable(): ShardCursor[];
  /** The shard was read to its end (GetRecords gave no next iterator): its children may follow. */
  finish(shardId: string): void;
}

export function createStreamShards(): StreamShards {
  const cursors = new Map<string, ShardCursor>();
  /** Read to the end, or closed before this run began: never read (again). */
  const finished = new Set<string>();
  let started = false;

  return {
    learn(shards) {
      for (const shard of shards) {
        const shardId = shard.ShardId;
        if (shardId === undefined || cursors.has(shardId) || finished.has(shardId)) continue;
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        if (!started && closed) {
          finished.add(shardId);
          continue;
        }
        cursors.set(shardId, {
          shardId,
          ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
          start: started ? 'TRIM_HORIZON' : 'LATEST',
        });
      }
      started = true;
    },
    readable() {
      return [...cursors.values()].filter(
        (cursor) => cursor.parentShardId === undefined || !cursors.has(cursor.parentShardId),
      );
    },
    finish(shardId) {
      cursors.delete(shardId);
      finished.add(shardId);
    },
  };
}
