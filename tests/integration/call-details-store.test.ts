import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createDocumentClient } from '../../lib/aws-clients';
import type { CallDetails } from '../../lib/call-details';
import {
  type CallStore,
  type StoreOptions,
  saveCallDetails,
  saveEnrichmentGaveUp,
} from '../../lib/call-store';
import { onConditionFailure } from '../support/condition-failure';
import { testDocumentClient } from '../support/dynamodb';
import { recordSentRequests } from '../support/engine-requests';
import { DEFAULT_CALL_DETAILS } from '../support/fake-freeclimb';
import { storeCall } from '../support/stored-calls';
import { freshId, readCall, testStore } from '../support/webhook';

// saveCallDetails and saveEnrichmentGaveUp against the engine, on records the real webhook handler stored:
// one conditional UpdateItem each, at most once, never recreating a record, never touching the webhook's
// attributes. What the store sends is captured next to the transport; the engine's answers are real.

const store = testStore();

const DETAILS: CallDetails = { ...DEFAULT_CALL_DETAILS, enrichedAt: '2026-01-15T09:31:00.000Z' };

const GAVE_UP = {
  gaveUpAt: '2026-01-16T09:31:00.000Z',
  reason: 'FreeClimb does not know this call',
  attempts: 3,
};

/** A store whose client records what it sends. */
function recordingStore(): {
  store: CallStore;
  doc: DynamoDBDocumentClient;
  sent: ReturnType<typeof recordSentRequests>;
} {
  const doc = createDocumentClient();
  return { store: { ...store, doc }, doc, sent: recordSentRequests(doc) };
}

async function deleteRecord(callId: string): Promise<void> {
  await testDocumentClient().send(new DeleteCommand({ TableName: store.callsTable, Key: { callId } }));
}

describe('saveCallDetails', () => {
  test('adds the details with one conditional UpdateItem, leaving every webhook attribute and rawBody as stored', async () => {
    // Prepare
    const record = await storeCall();
    const { store: recording, sent } = recordingStore();

    // Act
    const outcome = await saveCallDetails(recording, record.callId, DETAILS);

    // Assess
    expect(outcome).toBe('enriched');
    expect(await readCall(store, record.callId)).toEqual({ ...record, details: DETAILS });
    expect(sent).toEqual([
      {
        operation: 'UpdateItem',
        body: {
          TableName: store.callsTable,
          Key: { callId: { S: record.callId } },
          UpdateExpression: 'SET details = :value REMOVE enrichment',
          ConditionExpression: 'attribute_exists(callId) AND attribute_not_exists(details)',
          ExpressionAttributeValues: { ':value': { M: marshall(DETAILS) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ]);
  });

  test('enriches once: a second write leaves the first details, enrichedAt included', async () => {
    // Prepare
    const record = await storeCall();
    await saveCallDetails(store, record.callId, DETAILS);
    const later = { ...DETAILS, connectDuration: 40, enrichedAt: '2026-01-15T10:00:00.000Z' };

    // Act
    const outcome = await saveCallDetails(store, record.callId, later);

    // Assess
    expect(outcome).toBe('already-enriched');
    expect(await readCall(store, record.callId)).toEqual({ ...record, details: DETAILS });
  });

  test('without the stored item on the condition failure (as dynalite answers), a consistent read tells "already enriched"', async () => {
    // Prepare
    const record = await storeCall();
    await saveCallDetails(store, record.callId, DETAILS);
    const { store: recording, doc, sent } = recordingStore();
    onConditionFailure(doc, (error) => {
      delete error.Item;
    });

    // Act
    const outcome = await saveCallDetails(recording, record.callId, DETAILS);

    // Assess
    expect(outcome).toBe('already-enriched');
    expect(sent.map((request) => request.operation)).toEqual(['UpdateItem', 'GetItem']);
    expect(sent[1]?.body).toEqual({
      TableName: store.callsTable,
      Key: { callId: { S: record.callId } },
      ConsistentRead: true,
    });
  });

  test('with the stored item on the condition failure (as DynamoDB answers), no read is needed', async () => {
    // Prepare: the item is attached as DynamoDB's ALL_OLD answer carries it (read straight from the table
    // when the engine does not send it).
    const record = await storeCall();
    await saveCallDetails(store, record.callId, DETAILS);
    const { store: recording, doc, sent } = recordingStore();
    const raw = testDocumentClient();
    onConditionFailure(doc, async (error) => {
      error.Item ??= (
        await raw.send(
          new GetItemCommand({ TableName: store.callsTable, Key: { callId: { S: record.callId } } }),
        )
      ).Item;
    });

    // Act
    const outcome = await saveCallDetails(recording, record.callId, DETAILS);

    // Assess
    expect(outcome).toBe('already-enriched');
    expect(sent.map((request) => request.operation)).toEqual(['UpdateItem']);
  });

  test('a write the engine refuses for another reason fails as it is, and is never read back', async () => {
    // Prepare
    const { store: recording, sent } = recordingStore();
    const missingTable = { ...recording, callsTable: `${store.callsTable}-missing` };

    // Act
    const failure = await saveCallDetails(missingTable, freshId('CA'), DETAILS).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(sent.map((request) => request.operation)).toEqual(['UpdateItem']);
  });
});

describe('saveEnrichmentGaveUp', () => {
  test('notes why enrichment gave up, and nothing else changes', async () => {
    // Prepare
    const record = await storeCall();
    const { store: recording, sent } = recordingStore();

    // Act
    const outcome = await saveEnrichmentGaveUp(recording, record.callId, GAVE_UP);

    // Assess
    expect(outcome).toBe('marked');
    expect(await readCall(store, record.callId)).toEqual({ ...record, enrichment: GAVE_UP });
    expect(sent).toEqual([
      {
        operation: 'UpdateItem',
        body: expect.objectContaining({
          UpdateExpression: 'SET enrichment = :value',
          ConditionExpression: 'attribute_exists(callId) AND attribute_not_exists(details)',
          ExpressionAttributeValues: { ':value': { M: marshall(GAVE_UP) } },
        }),
      },
    ]);
  });

  test('leaves an enriched record as it is', async () => {
    // Prepare
    const record = await storeCall();
    await saveCallDetails(store, record.callId, DETAILS);

    // Act
    const outcome = await saveEnrichmentGaveUp(store, record.callId, GAVE_UP);

    // Assess
    expect(outcome).toBe('already-enriched');
    expect(await readCall(store, record.callId)).toEqual({ ...record, details: DETAILS });
  });

  test('a later give-up replaces the earlier note; details stored afterwards remove it', async () => {
    // Prepare
    const record = await storeCall();
    await saveEnrichmentGaveUp(store, record.callId, GAVE_UP);
    const again = { ...GAVE_UP, attempts: 4, gaveUpAt: '2026-01-17T09:31:00.000Z' };

    // Act
    const remarked = await saveEnrichmentGaveUp(store, record.callId, again);
    const markedRecord = await readCall(store, record.callId);
    const enriched = await saveCallDetails(store, record.callId, DETAILS);

    // Assess
    expect(remarked).toBe('marked');
    expect(markedRecord).toEqual({ ...record, enrichment: again });
    expect(enriched).toBe('enriched');
    expect(await readCall(store, record.callId)).toEqual({ ...record, details: DETAILS });
  });
});

/** Both enrichment writes, each with its value: they share one condition (the record exists, without details). */
const BOTH_WRITES: Array<
  [string, (target: CallStore, callId: string, options?: StoreOptions) => Promise<string>]
> = [
  ['saveCallDetails', (target, callId, options) => saveCallDetails(target, callId, DETAILS, options)],
  [
    'saveEnrichmentGaveUp',
    (target, callId, options) => saveEnrichmentGaveUp(target, callId, GAVE_UP, options),
  ],
];

test.each(BOTH_WRITES)('%s never recreates a deleted record', async (_name, write) => {
  // Prepare
  const record = await storeCall();
  await deleteRecord(record.callId);

  // Act
  const outcome = await write(store, record.callId);

  // Assess
  expect(outcome).toBe('gone');
  expect(await readCall(store, record.callId)).toBeUndefined();
});

test.each(BOTH_WRITES)(
  '%s never creates a record for a call id the table never had',
  async (_name, write) => {
    // Prepare
    const callId = freshId('CA');

    // Act
    const outcome = await write(store, callId);

    // Assess
    expect(outcome).toBe('gone');
    expect(await readCall(store, callId)).toBeUndefined();
  },
);

test.each(BOTH_WRITES)(
  '%s passes its abort signal to the read after a condition failure',
  async (_name, write) => {
    // Prepare: the condition fails for real (no record); the signal fires before the read that follows.
    const { store: recording, doc, sent } = recordingStore();
    const controller = new AbortController();
    onConditionFailure(doc, (error) => {
      delete error.Item;
      controller.abort();
    });

    // Act
    const failure = await write(recording, freshId('CA'), { abortSignal: controller.signal }).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ name: 'AbortError' });
    expect(sent.map((request) => request.operation)).toEqual(['UpdateItem', 'GetItem']);
  },
);
