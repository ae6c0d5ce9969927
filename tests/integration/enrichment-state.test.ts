import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/aws-clients';
import type { CallDetails } from '../../lib/call-details';
import {
  BATCH_GET_LIMIT,
  READ_AHEAD,
  readEnrichmentStates,
  withEnrichmentStates,
} from '../../lib/enrichment-state';
import { recordSentRequests } from '../support/engine-requests';
import { freshId, testStore } from '../support/webhook';

// Reading what enrichment knows of many records at once (what `enrich`, `calls --csv` and `summary` do),
// against the test engine: BatchGetItem 100 keys at a time, in order, with reads overlapping.

const store = testStore();
const DETAILS: CallDetails = {
  status: 'completed',
  connectDuration: 41,
  enrichedAt: '2030-01-01T00:00:00.000Z',
};

/** `count` records, every third one enriched; returns their ids in order. */
async function putRecords(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => freshId('CA'));
  const items = ids.map((callId, index) => ({
    callId,
    accountId: `AC${'0'.repeat(40)}`,
    ...(index % 3 === 0 ? { details: DETAILS } : {}),
    rawBody: 'not read',
  }));
  for (let start = 0; start < items.length; start += 25) {
    const requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
    await store.doc.send(new BatchWriteCommand({ RequestItems: { [store.callsTable]: requests } }));
  }
  return ids;
}

async function* asEntries(ids: string[]) {
  for (const callId of ids) yield { callId };
}

describe('readEnrichmentStates', () => {
  test('reads 100 keys a request, only the state’s attributes, each id once; a missing record is absent', async () => {
    // Prepare
    const ids = await putRecords(150);
    const missing = freshId('CA');
    const doc = createDocumentClient();
    const sent = recordSentRequests(doc);

    // Act
    const states = await readEnrichmentStates({ ...store, doc }, [...ids, ids[0] as string, missing]);

    // Assess
    expect(states.size).toBe(150);
    expect(states.has(missing)).toBe(false);
    expect(states.get(ids[0] as string)).toEqual({
      callId: ids[0],
      accountId: `AC${'0'.repeat(40)}`,
      details: DETAILS,
    });
    expect(states.get(ids[1] as string)).toEqual({ callId: ids[1], accountId: `AC${'0'.repeat(40)}` });
    const keysPerRequest = sent.map(
      (request) =>
        ((request.body.RequestItems as Record<string, { Keys: unknown[] }>)[store.callsTable]?.Keys ?? [])
          .length,
    );
    expect(keysPerRequest).toEqual([BATCH_GET_LIMIT, 51]);
    expect(sent[0]?.body.RequestItems).toMatchObject({
      [store.callsTable]: {
        ProjectionExpression: '#a0, #a1, #a2, #a3',
        ExpressionAttributeNames: {
          '#a0': 'callId',
          '#a1': 'accountId',
          '#a2': 'details',
          '#a3': 'enrichment',
        },
      },
    });
  });

  test('exactly 100 ids are one request, and no ids no request', async () => {
    // Prepare
    const ids = await putRecords(BATCH_GET_LIMIT);
    const doc = createDocumentClient();
    const sent = recordSentRequests(doc);

    // Act
    const states = await readEnrichmentStates({ ...store, doc }, ids);
    const none = await readEnrichmentStates({ ...store, doc }, []);

    // Assess
    expect(states.size).toBe(BATCH_GET_LIMIT);
    expect(none.size).toBe(0);
    expect(sent).toHaveLength(1);
  });

  test('an answer without UnprocessedKeys (the API leaves it optional) is a whole answer', async () => {
    // Prepare
    const ids = await putRecords(5);
    const doc = createDocumentClient();
    const sent = recordSentRequests(doc);
    doc.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        delete (result.output as { UnprocessedKeys?: unknown }).UnprocessedKeys;
        return result;
      },
      { step: 'initialize', name: 'omitUnprocessedKeys' },
    );

    // Act
    const states = await readEnrichmentStates({ ...store, doc }, ids);

    // Assess
    expect([...states.keys()].sort()).toEqual([...ids].sort());
    expect(sent).toHaveLength(1);
  });

  test('an aborted read stops with the abort', async () => {
    // Prepare
    const ids = await putRecords(2);
    const doc = createDocumentClient();
    const abort = new AbortController();
    abort.abort();

    // Act
    const failure = await readEnrichmentStates({ ...store, doc }, ids, { abortSignal: abort.signal }).catch(
      (error: Error) => error,
    );

    // Assess
    expect(failure).toMatchObject({ name: 'AbortError' });
  });

  test('keys the engine leaves unprocessed are asked again until read', async () => {
    // Prepare: the first answer moves all but one item into UnprocessedKeys, as a throttled table does.
    const ids = await putRecords(30);
    const doc = createDocumentClient();
    let answers = 0;
    doc.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        answers += 1;
        if (answers === 1) {
          const output = result.output as {
            Responses?: Record<string, Array<{ callId: string }>>;
            UnprocessedKeys?: Record<string, { Keys: Array<{ callId: string }> }>;
          };
          const read = output.Responses?.[store.callsTable] ?? [];
          output.Responses = { [store.callsTable]: read.slice(0, 1) };
          output.UnprocessedKeys = {
            [store.callsTable]: { Keys: read.slice(1).map((item) => ({ callId: item.callId })) },
          };
        }
        return result;
      },
      { step: 'initialize', name: 'leaveKeysUnprocessed' },
    );

    // Act
    const states = await readEnrichmentStates({ ...store, doc }, ids);

    // Assess
    expect(answers).toBe(2);
    expect([...states.keys()].sort()).toEqual([...ids].sort());
  });

  test('a table that never processes the keys is asked 8 times, pausing twice as long each time, then fails naming how many were left', async () => {
    // Prepare
    const ids = await putRecords(3);
    const doc = createDocumentClient();
    const askedAt: number[] = [];
    doc.middlewareStack.add(
      (next) => async (args) => {
        askedAt.push(performance.now());
        const result = await next(args);
        const output = result.output as Record<string, unknown>;
        output.Responses = { [store.callsTable]: [] };
        output.UnprocessedKeys = { [store.callsTable]: { Keys: ids.map((callId) => ({ callId })) } };
        return result;
      },
      { step: 'initialize', name: 'neverProcess' },
    );

    // Act
    const failure = await readEnrichmentStates({ ...store, doc }, ids).catch((error: Error) => error);

    // Assess
    expect(String(failure)).toContain('DynamoDB left 3 keys unread after 8 tries');
    expect(askedAt).toHaveLength(8);
    // Pauses of at least 50, 100, … 3,200 ms (a timer fires no earlier than asked, to the millisecond).
    const pauses = askedAt.slice(1).map((at, index) => at - (askedAt[index] as number));
    pauses.forEach((pause, index) => {
      expect(pause).toBeGreaterThanOrEqual(50 * 2 ** index - 1);
    });
  }, 30_000);
});

describe('withEnrichmentStates', () => {
  test('pairs every entry with its state, in order, with reads overlapping but never more than a few ahead', async () => {
    // Prepare: enough records for more batches than the read-ahead holds, and one gone.
    const ids = await putRecords(BATCH_GET_LIMIT * (READ_AHEAD + 2) + 7);
    const gone = freshId('CA');
    const entries = [...ids.slice(0, 5), gone, ...ids.slice(5)];
    const doc = createDocumentClient();
    const sent = recordSentRequests(doc);
    let inFlight = 0;
    let mostInFlight = 0;
    doc.middlewareStack.add(
      (next) => async (args) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          return await next(args);
        } finally {
          inFlight -= 1;
        }
      },
      { step: 'initialize', name: 'countInFlight' },
    );

    // Act
    const pairs = [];
    for await (const pair of withEnrichmentStates({ ...store, doc }, asEntries(entries))) pairs.push(pair);

    // Assess
    expect(pairs.map(([entry]) => entry.callId)).toEqual(entries);
    expect(pairs[5]?.[1]).toBeUndefined();
    expect(pairs.map(([, state]) => state?.details !== undefined).filter(Boolean)).toHaveLength(
      ids.filter((_, index) => index % 3 === 0).length,
    );
    expect(pairs.every(([entry, state]) => state === undefined || state.callId === entry.callId)).toBe(true);
    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(READ_AHEAD);
    expect(sent).toHaveLength(Math.ceil(entries.length / BATCH_GET_LIMIT));
  });

  test('no entries, no request', async () => {
    // Prepare
    const doc = createDocumentClient();
    const sent = recordSentRequests(doc);

    // Act
    const pairs = [];
    for await (const pair of withEnrichmentStates({ ...store, doc }, asEntries([]))) pairs.push(pair);

    // Assess
    expect(pairs).toEqual([]);
    expect(sent).toEqual([]);
  });

  test('a read that fails fails the listing, and no failure is left unhandled', async () => {
    // Prepare
    const ids = await putRecords(BATCH_GET_LIMIT * 3);
    const doc = createDocumentClient({ maxAttempts: 1 });
    doc.middlewareStack.add(
      () => async () => {
        throw new Error('the engine is gone');
      },
      { step: 'finalizeRequest', name: 'engineGone' },
    );

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);

    // Act
    const failure = await (async () => {
      for await (const _pair of withEnrichmentStates({ ...store, doc }, asEntries(ids))) {
        // reading
      }
    })().catch((error: Error) => error);
    // Node reports an unhandled rejection once the microtasks after it have run.
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('unhandledRejection', onUnhandled);

    // Assess
    expect(String(failure)).toContain('the engine is gone');
    expect(unhandled).toEqual([]);
  });
});
