import { marshall } from '@aws-sdk/util-dynamodb';
import type { CallRecord } from '../../lib/call-record';
import type { EnrichmentDependencies } from '../../lib/enrichment';
import {
  type BatchItem,
  type EnrichmentQueue,
  failedItemIds,
  type ItemResult,
  queueItems,
  runEnrichmentBatch,
  type StreamRecord,
  streamItems,
} from '../../lib/enrichment-batch';
import type { EnrichmentJob } from '../../lib/enrichment-job';
import { ENRICHMENT_START_MS, testEnricher } from '../support/enricher';
import { callResource, type FakeFreeClimb, startFakeFreeClimb } from '../support/fake-freeclimb';
import { storeCall } from '../support/stored-calls';
import { freshId, readCall, testStore } from '../support/webhook';

// A trigger's batch through the real enricher (lib/enrichment.ts) against the FreeClimb-shaped fake and the
// test engine: every item attempted at once, each outcome handed to the queue, and the items that could not
// be handed over reported. The queue here is the interface's in-memory form (it records what it is given and
// fails on demand); its SQS form is tested against moto in enrich-handler.test.ts.

const API_KEY = 'fc_test_key_batch_5e6f708192a3b4c5d6e7f8091a2b3c4d';
const TIMEOUT_MS = 400;

const store = testStore();
let fake: FakeFreeClimb;

beforeAll(async () => {
  fake = await startFakeFreeClimb({ apiKey: API_KEY });
});

afterAll(async () => {
  await fake.close();
});

/** A queue that keeps what it is handed, and refuses the calls named in `refuse`. */
function recordingQueue(refuse: { retry?: Set<string>; deadLetter?: boolean } = {}) {
  const retries: Array<{ job: EnrichmentJob; delaySeconds: number; reason: string }> = [];
  const deadLetters: Array<{ input: unknown; reason: string }> = [];
  const queue: EnrichmentQueue = {
    retryLater: async (job, delaySeconds, reason) => {
      if (refuse.retry?.has(job.callId)) throw new Error('SendMessage failed');
      retries.push({ job, delaySeconds, reason });
    },
    deadLetter: async (input, reason) => {
      if (refuse.deadLetter) throw new Error('the dead-letter queue is unreachable');
      deadLetters.push({ input, reason });
    },
  };
  return { queue, retries, deadLetters };
}

/** A container's enricher against this file's fake and the test engine, its clock standing still. */
function deps(change: Partial<EnrichmentDependencies> = {}): EnrichmentDependencies {
  return testEnricher({ fake, store, timeoutMs: TIMEOUT_MS }, change).deps;
}

/** A stream record as DynamoDB Streams delivers a new item (NEW_IMAGE). */
function insertOf(record: CallRecord, sequenceNumber: string): StreamRecord {
  return {
    eventName: 'INSERT',
    dynamodb: {
      NewImage: marshall(record, { removeUndefinedValues: true }),
      SequenceNumber: sequenceNumber,
    },
  };
}

async function storedWithCall(options: Parameters<typeof callResource>[2] = {}): Promise<CallRecord> {
  const record = await storeCall();
  fake.setCall(callResource(record.callId, record.accountId, options));
  return record;
}

/** An auth pause that throws: an attempt that fails with a bug, not with an outcome. */
const BROKEN_PAUSE = {
  admit: () => {
    throw new Error('pause broken');
  },
  settle: () => undefined,
};

const byId = (results: ItemResult[]) => new Map(results.map((result) => [result.id, result]));

describe('stream records become first jobs', () => {
  test('each INSERT is a first job made from its NEW_IMAGE; MODIFY and REMOVE make none', () => {
    // Prepare
    const callId = freshId('CA');
    const accountId = freshId('AC');
    const image = marshall({ callId, accountId, callStatus: 'completed' });
    const records: StreamRecord[] = [
      { eventName: 'MODIFY', dynamodb: { NewImage: image, SequenceNumber: '100' } },
      { eventName: 'INSERT', dynamodb: { NewImage: image, SequenceNumber: '200' } },
      { eventName: 'REMOVE', dynamodb: { SequenceNumber: '300' } },
    ];

    // Act
    const items = streamItems(records, ENRICHMENT_START_MS);

    // Assess
    expect(items).toEqual([
      {
        id: '200',
        input: { callId, accountId, attempt: 1, firstTriedAt: '2026-01-15T09:31:00.000Z' },
      },
    ]);
  });

  test('an INSERT without a readable image is an unreadable item, named by its position without a sequence number', () => {
    // Prepare
    const records: StreamRecord[] = [
      { eventName: 'INSERT', dynamodb: { SequenceNumber: '7' } },
      { eventName: 'INSERT', dynamodb: { NewImage: { callId: { Q: 'x' } } } },
      { eventName: 'INSERT' },
    ];

    // Act
    const items = streamItems(records, ENRICHMENT_START_MS);

    // Assess
    expect(items).toEqual([
      { id: '7', input: records[0], unreadable: 'the stream record has no NEW_IMAGE' },
      {
        id: 'record-1',
        input: records[1],
        unreadable: "the stream record's NEW_IMAGE is unreadable: Unsupported type passed: Q",
      },
      { id: 'record-2', input: records[2], unreadable: 'the stream record has no NEW_IMAGE' },
    ]);
  });

  test('SQS messages become items by message id, their bodies the jobs', () => {
    // Prepare
    const messages = [
      { messageId: 'm-1', body: '{"callId":"x"}' },
      { messageId: 'm-2', body: 'not json' },
    ];

    // Act
    const items = queueItems(messages);

    // Assess
    expect(items).toEqual([
      { id: 'm-1', input: '{"callId":"x"}' },
      { id: 'm-2', input: 'not json' },
    ]);
  });
});

describe('runEnrichmentBatch', () => {
  test('enriches what FreeClimb knows and queues the rest with their delays and next jobs', async () => {
    // Prepare
    const completed = await storedWithCall();
    const ringing = await storedWithCall({ status: 'ringing' });
    const unknown = await storeCall();
    const { queue, retries, deadLetters } = recordingQueue();
    const items = streamItems(
      [insertOf(completed, '1'), insertOf(ringing, '2'), insertOf(unknown, '3')],
      ENRICHMENT_START_MS,
    );

    // Act
    const results = await runEnrichmentBatch(deps(), queue, items);

    // Assess
    expect(results.map(({ id, handover, outcome }) => [id, handover, outcome?.kind])).toEqual([
      ['1', 'done', 'enriched'],
      ['2', 'retry-queued', 'retry'],
      ['3', 'retry-queued', 'retry'],
    ]);
    expect(await readCall(store, completed.callId)).toMatchObject({ details: { status: 'completed' } });
    expect(await readCall(store, ringing.callId)).not.toHaveProperty('details');
    const next = (record: CallRecord, notFoundAnswers: number) => ({
      callId: record.callId,
      accountId: record.accountId,
      attempt: 2,
      firstTriedAt: '2026-01-15T09:31:00.000Z',
      notFoundAnswers,
    });
    expect(retries.sort((a, b) => a.job.notFoundAnswers - b.job.notFoundAnswers)).toEqual([
      { job: next(ringing, 0), delaySeconds: 30, reason: 'FreeClimb shows the call as ringing' },
      {
        job: next(unknown, 1),
        delaySeconds: 30,
        reason: 'FreeClimb answered 404 (code 404: Not Found)',
      },
    ]);
    expect(deadLetters).toEqual([]);
    expect(failedItemIds(results)).toEqual([]);
  });

  test('attempts every item at once: a slow call costs the batch one timeout, not one per item', async () => {
    // Prepare
    const records = await Promise.all([1, 2, 3, 4].map(() => storedWithCall()));
    for (const record of records) {
      fake.fail({ delayMs: TIMEOUT_MS * 3 }, { callId: record.callId, times: 1 });
    }
    const fast = await storedWithCall();
    const { queue, retries } = recordingQueue();
    const items = streamItems(
      [...records, fast].map((record, index) => insertOf(record, String(index))),
      ENRICHMENT_START_MS,
    );

    // Act
    const started = Date.now();
    const results = await runEnrichmentBatch(deps(), queue, items);
    const elapsedMs = Date.now() - started;

    // Assess: four sequential timeouts would take 1.6 s; together they take one.
    expect(results.map((result) => result.handover)).toEqual([
      'retry-queued',
      'retry-queued',
      'retry-queued',
      'retry-queued',
      'done',
    ]);
    expect(retries.map((retry) => retry.reason)).toEqual(
      records.map(() => `FreeClimb did not answer within ${TIMEOUT_MS} ms`),
    );
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS * 3);
  });

  test('a job that gives up and an unreadable record go to the dead-letter queue with their reasons', async () => {
    // Prepare
    const { queue, retries, deadLetters } = recordingQueue();
    const items: BatchItem[] = [
      { id: 'm-1', input: 'not json' },
      { id: 'r-2', input: { eventName: 'INSERT' }, unreadable: 'the stream record has no NEW_IMAGE' },
    ];

    // Act
    const results = await runEnrichmentBatch(deps(), queue, items);

    // Assess
    expect(results).toEqual([
      {
        id: 'm-1',
        handover: 'dead-lettered',
        reason: 'the job is not JSON',
        outcome: { kind: 'gave-up', reason: 'the job is not JSON', attempts: 1, marked: false },
      },
      { id: 'r-2', handover: 'dead-lettered', reason: 'the stream record has no NEW_IMAGE' },
    ]);
    // Handed over as each attempt ends, in no particular order.
    expect(deadLetters).toHaveLength(2);
    expect(deadLetters).toEqual(
      expect.arrayContaining([
        { input: 'not json', reason: 'the job is not JSON' },
        { input: { eventName: 'INSERT' }, reason: 'the stream record has no NEW_IMAGE' },
      ]),
    );
    expect(retries).toEqual([]);
    expect(failedItemIds(results)).toEqual([]);
  });

  test('from SQS (each message delivered again on its own), an item whose retry cannot be queued is reported, the others are handed over', async () => {
    // Prepare
    const refused = await storedWithCall({ status: 'inProgress' });
    const queued = await storedWithCall({ status: 'inProgress' });
    const { queue, retries } = recordingQueue({ retry: new Set([refused.callId]) });
    const items = streamItems([insertOf(refused, '10'), insertOf(queued, '11')], ENRICHMENT_START_MS);

    // Act
    const results = await runEnrichmentBatch(deps(), queue, items);

    // Assess
    const result = byId(results).get('10');
    expect(result).toMatchObject({
      handover: 'failed',
      outcome: { kind: 'retry', callId: refused.callId },
      error: { message: 'SendMessage failed' },
    });
    expect(byId(results).get('11')?.handover).toBe('retry-queued');
    expect(retries.map((retry) => retry.job.callId)).toEqual([queued.callId]);
    expect(failedItemIds(results)).toEqual(['10']);
  });

  test('from a stream (delivered again from the first reported record on), nothing after a failed handover is handed over', async () => {
    // Prepare
    const refused = await storedWithCall({ status: 'inProgress' });
    const later = await storedWithCall({ status: 'inProgress' });
    const completed = await storedWithCall();
    const { queue, retries, deadLetters } = recordingQueue({ retry: new Set([refused.callId]) });
    const items = [
      ...streamItems(
        [insertOf(refused, '20'), insertOf(later, '21'), insertOf(completed, '22')],
        ENRICHMENT_START_MS,
      ),
      { id: '23', input: {}, unreadable: 'the stream record has no NEW_IMAGE' },
      { id: '24', input: 'not json' },
    ];

    // Act
    const results = await runEnrichmentBatch(deps(), queue, items, { redeliversFromFirstFailure: true });

    // Assess
    expect(results).toEqual([
      expect.objectContaining({ id: '20', handover: 'failed', error: new Error('SendMessage failed') }),
      {
        id: '21',
        handover: 'failed',
        outcome: expect.objectContaining({ kind: 'retry', callId: later.callId }),
        reason: "left to the trigger's next delivery, which starts at 20, not handed over",
      },
      { id: '22', handover: 'done', outcome: expect.objectContaining({ kind: 'enriched' }) },
      {
        id: '23',
        handover: 'failed',
        reason: "left to the trigger's next delivery, which starts at 20, not handed over",
      },
      {
        id: '24',
        handover: 'failed',
        outcome: expect.objectContaining({ kind: 'gave-up', reason: 'the job is not JSON' }),
        reason: "left to the trigger's next delivery, which starts at 20, not handed over",
      },
    ]);
    expect([...retries, ...deadLetters]).toEqual([]);
    expect(await readCall(store, completed.callId)).toMatchObject({ details: { status: 'completed' } });
    expect(failedItemIds(results)).toEqual(['20', '21', '23', '24']);
  });

  test('from a stream, outcomes are handed over in the shard’s order, however the attempts end', async () => {
    // Prepare: the first record's answer comes last.
    const slow = await storedWithCall({ status: 'inProgress' });
    fake.fail({ delayMs: TIMEOUT_MS / 2 }, { callId: slow.callId, times: 1 });
    const fast = await storedWithCall({ status: 'inProgress' });
    const items = streamItems([insertOf(slow, '30'), insertOf(fast, '31')], ENRICHMENT_START_MS);
    const stream = recordingQueue();
    const sqs = recordingQueue();

    // Act
    await runEnrichmentBatch(deps(), stream.queue, items, { redeliversFromFirstFailure: true });
    fake.fail({ delayMs: TIMEOUT_MS / 2 }, { callId: slow.callId, times: 1 });
    await runEnrichmentBatch(deps(), sqs.queue, items);

    // Assess
    expect(stream.retries.map((retry) => retry.job.callId)).toEqual([slow.callId, fast.callId]);
    expect(sqs.retries.map((retry) => retry.job.callId)).toEqual([fast.callId, slow.callId]);
  });

  test('from a stream, an attempt that throws stops the handovers after it too', async () => {
    // Prepare
    const record = await storedWithCall();
    const { queue, retries, deadLetters } = recordingQueue();
    const items = [
      ...streamItems([insertOf(record, '40')], ENRICHMENT_START_MS),
      { id: '41', input: {}, unreadable: 'the stream record has no NEW_IMAGE' },
    ];

    // Act
    const results = await runEnrichmentBatch(deps({ pause: BROKEN_PAUSE }), queue, items, {
      redeliversFromFirstFailure: true,
    });

    // Assess
    expect(failedItemIds(results)).toEqual(['40', '41']);
    expect([...retries, ...deadLetters]).toEqual([]);
  });

  test('a dead letter that cannot be sent is reported, for a give-up and for an unreadable record', async () => {
    // Prepare
    const { queue } = recordingQueue({ deadLetter: true });
    const items: BatchItem[] = [
      { id: 'm-1', input: '{"callId":' },
      { id: 'r-2', input: {}, unreadable: 'the stream record has no NEW_IMAGE' },
    ];

    // Act
    const results = await runEnrichmentBatch(deps(), queue, items);

    // Assess
    expect(results).toEqual([
      {
        id: 'm-1',
        handover: 'failed',
        reason: 'the job is not JSON',
        outcome: expect.objectContaining({ kind: 'gave-up' }),
        error: new Error('the dead-letter queue is unreachable'),
      },
      {
        id: 'r-2',
        handover: 'failed',
        reason: 'the stream record has no NEW_IMAGE',
        error: new Error('the dead-letter queue is unreachable'),
      },
    ]);
    expect(failedItemIds(results)).toEqual(['m-1', 'r-2']);
  });

  test('an attempt that throws (a bug) is reported for its trigger to deliver again', async () => {
    // Prepare
    const record = await storedWithCall();
    const { queue, retries, deadLetters } = recordingQueue();
    const items = streamItems([insertOf(record, '5')], ENRICHMENT_START_MS);

    // Act
    const results = await runEnrichmentBatch(deps({ pause: BROKEN_PAUSE }), queue, items);

    // Assess
    expect(results).toEqual([{ id: '5', handover: 'failed', error: new Error('pause broken') }]);
    expect([...retries, ...deadLetters]).toEqual([]);
    expect(await readCall(store, record.callId)).not.toHaveProperty('details');
  });

  test('an empty batch hands nothing over', async () => {
    // Prepare
    const { queue, retries, deadLetters } = recordingQueue();

    // Act
    const results = await runEnrichmentBatch(deps(), queue, []);

    // Assess
    expect(results).toEqual([]);
    expect([...retries, ...deadLetters]).toEqual([]);
  });
});
