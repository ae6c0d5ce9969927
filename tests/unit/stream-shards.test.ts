import type { Shard } from '@aws-sdk/client-dynamodb-streams';
import { createStreamShards } from '../../local/stream-shards';

// Which shards of a DynamoDB stream the local enricher reads, and from where, given DescribeStream's lists
// (shaped as DynamoDB Local answers them). DynamoDB Local rolls a shard over only after 4 hours, so the
// lineage is checked here on the lists themselves.

function shard(shardId: string, options: { parent?: string; closed?: boolean } = {}): Shard {
  return {
    ShardId: shardId,
    ...(options.parent === undefined ? {} : { ParentShardId: options.parent }),
    SequenceNumberRange: {
      StartingSequenceNumber: '000000000000000000001',
      ...(options.closed ? { EndingSequenceNumber: '000000000000000000042' } : {}),
    },
  };
}

test('at start: the open shard is read from its latest record on, a closed one (an earlier run’s) not at all', () => {
  // Prepare
  const shards = createStreamShards();

  // Act
  shards.learn([shard('old', { closed: true }), shard('open', { parent: 'old' })]);

  // Assess
  expect(shards.readable()).toEqual([{ shardId: 'open', parentShardId: 'old', start: 'LATEST' }]);
});

test('a shard that appears later is read from its first record, once its parent is read to the end', () => {
  // Prepare
  const shards = createStreamShards();
  shards.learn([shard('first')]);

  // Act
  shards.learn([shard('first', { closed: true }), shard('child-a', { parent: 'first' })]);
  const whileParentOpen = shards.readable().map((cursor) => cursor.shardId);
  shards.finish('first');
  shards.learn([
    shard('first', { closed: true }),
    shard('child-a', { parent: 'first' }),
    shard('child-b', { parent: 'first' }),
  ]);

  // Assess
  expect(whileParentOpen).toEqual(['first']);
  expect(shards.readable()).toEqual([
    { shardId: 'child-a', parentShardId: 'first', start: 'TRIM_HORIZON' },
    { shardId: 'child-b', parentShardId: 'first', start: 'TRIM_HORIZON' },
  ]);
});

test('listing the stream again keeps where each shard was, and never reopens a finished one', () => {
  // Prepare
  const shards = createStreamShards();
  shards.learn([shard('a'), shard('b')]);
  const [a] = shards.readable();
  if (a === undefined) throw new Error('no shard to read');
  a.iterator = 'iterator-after-7';
  a.lastSequenceNumber = '7';
  shards.finish('b');

  // Act
  shards.learn([shard('a'), shard('b', { closed: true })]);

  // Assess
  expect(shards.readable()).toEqual([
    { shardId: 'a', start: 'LATEST', iterator: 'iterator-after-7', lastSequenceNumber: '7' },
  ]);
});
