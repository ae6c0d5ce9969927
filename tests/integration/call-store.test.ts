import { ConditionalCheckFailedException, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createDocumentClient } from '../../lib/aws-clients';
import { toCallRecord } from '../../lib/call-record';
import { parseCallStatusWebhook } from '../../lib/call-status-webhook';
import {
  type CallStore,
  getCall,
  getRejectedDelivery,
  listLegs,
  listRejectedDeliveries,
  markRejectedDeliveryReplayed,
  saveCallDetails,
  saveCallRecord,
  saveEnrichmentGaveUp,
  saveRejectedDelivery,
  scanRejectedDeliveries,
} from '../../lib/call-store';
import { toRejectedDelivery } from '../../lib/rejected-delivery';
import { onConditionFailure } from '../support/condition-failure';
import { testDocumentClient } from '../support/dynamodb';
import { recordSentRequests } from '../support/engine-requests';
import { DEFAULT_CALL_DETAILS } from '../support/fake-freeclimb';
import { bodyFixture, clockAt, readCall, testStore, withFreshIds } from '../support/webhook';

// What the store really sends to the engine, captured by SDK middleware next to the transport: the engine's
// answers are real, and so are the requests the assertions read.

const store = testStore();

/** A fresh call record, as the handler would build it from a fixture body. */
function newRecord(change: (text: string) => string = (text) => text) {
  const rawBody = Buffer.from(change(withFreshIds(bodyFixture('completed-inbound')).toString('utf8')));
  const parsed = parseCallStatusWebhook(JSON.parse(rawBody.toString('utf8')));
  if (!parsed.ok) throw new Error('the fixture must be a valid callStatus body');
  return toCallRecord(parsed.payload, { receivedAtMs: clockAt(2)(), rawBody }, 0);
}

/** A store whose client records what it sends. */
function recordingStore(overrides: Partial<CallStore> = {}) {
  const doc = createDocumentClient();
  const sent = recordSentRequests(doc);
  return { store: { ...store, doc, ...overrides }, doc, sent };
}

describe('saveCallRecord', () => {
  test('a first write is one put, conditional on the callId, asking for the stored item back', async () => {
    // Prepare
    const record = newRecord();
    const { store: recording, sent } = recordingStore();

    // Act
    const saved = await saveCallRecord(recording, record);

    // Assess
    expect(saved).toEqual({ outcome: 'stored' });
    expect(sent).toEqual([
      {
        operation: 'PutItem',
        body: expect.objectContaining({
          TableName: store.callsTable,
          Item: marshall(record),
          ConditionExpression: 'attribute_not_exists(callId)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      },
    ]);
    expect(await readCall(store, record.callId)).toEqual(record);
  });

  test('a condition failure without the stored item is followed by a strongly consistent read', async () => {
    // Prepare: the engine refuses the second put for real; the item it may send back is dropped, as an
    // engine without ReturnValuesOnConditionCheckFailure would, so the store must read.
    const record = newRecord();
    await saveCallRecord(store, record);
    const { store: recording, doc, sent } = recordingStore();
    onConditionFailure(doc, (error) => {
      delete error.Item;
    });

    // Act
    const saved = await saveCallRecord(recording, record);

    // Assess
    expect(saved).toEqual({ outcome: 'duplicate' });
    expect(sent.map((request) => request.operation)).toEqual(['PutItem', 'GetItem']);
    expect(sent[1]?.body).toEqual({
      TableName: store.callsTable,
      Key: { callId: { S: record.callId } },
      ConsistentRead: true,
    });
  });

  test('a condition failure that carries the stored item (as DynamoDB returns it) needs no read', async () => {
    // Prepare: the engine refuses the put for real; the stored item is attached as real DynamoDB's
    // ALL_OLD answer carries it (read straight from the table when the engine does not send it).
    const first = newRecord();
    const second = {
      ...first,
      callDuration: 48,
      rawBody: first.rawBody.replace('"callDuration":47', '"callDuration":48'),
    };
    await saveCallRecord(store, first);
    const raw = testDocumentClient();
    const { store: recording, doc, sent } = recordingStore();
    const attached: unknown[] = [];
    onConditionFailure(doc, async (error) => {
      error.Item ??= (
        await raw.send(
          new GetItemCommand({ TableName: store.callsTable, Key: { callId: { S: first.callId } } }),
        )
      ).Item;
      attached.push(error.Item);
    });

    // Act
    const saved = await saveCallRecord(recording, second);

    // Assess
    expect(attached).toHaveLength(1);
    expect(saved).toEqual({ outcome: 'conflict', existing: first });
    expect(sent.map((request) => request.operation)).toEqual(['PutItem']);
    expect(await readCall(store, first.callId)).toEqual(first);
  });

  test('a write the engine refuses for another reason fails as it is, and is never read back', async () => {
    // Prepare: a table that does not exist: the engine's own ResourceNotFoundException.
    const record = newRecord();
    const { store: recording, sent } = recordingStore({ callsTable: `${store.callsTable}-missing` });

    // Act
    const failure = await saveCallRecord(recording, record).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(sent.map((request) => request.operation)).toEqual(['PutItem']);
  });
});

describe('what the store sends', () => {
  test('a rejected delivery is read back strongly consistent, by its day and id', async () => {
    // Prepare
    const rawBody = Buffer.from('not json');
    const item = toRejectedDelivery(
      { receivedAtMs: clockAt(2)(), rawBody },
      { reason: 'malformed', issues: [] },
      0,
    );
    await saveRejectedDelivery(store, item);
    const { store: recording, sent } = recordingStore();

    // Act
    const read = await getRejectedDelivery(recording, item.rejectionId);

    // Assess
    expect(read).toEqual(item);
    expect(sent).toEqual([
      {
        operation: 'GetItem',
        body: {
          TableName: store.rejectedTable,
          Key: { receivedDate: { S: item.receivedDate }, rejectionId: { S: item.rejectionId } },
          ConsistentRead: true,
        },
      },
    ]);
  });

  test('a rejected delivery is written once: a second save leaves the first item, replay marks and expiry included', async () => {
    // Prepare
    const rawBody = Buffer.from(`not json ${newRecord().callId}`);
    const delivery = { receivedAtMs: clockAt(2)(), rawBody };
    const first = toRejectedDelivery(delivery, { reason: 'malformed', issues: [] }, 30);
    await saveRejectedDelivery(store, first);
    const mark = { replayedAt: '2025-11-26T00:00:00.000Z', replayOutcome: 'malformed' as const };
    await markRejectedDeliveryReplayed(store, first.rejectionId, mark);
    const again = toRejectedDelivery(delivery, { reason: 'malformed', issues: [] }, 90);
    const { store: recording, sent } = recordingStore();

    // Act
    const outcomes = [await saveRejectedDelivery(recording, again)];

    // Assess
    expect(outcomes).toEqual(['duplicate']);
    expect(again.rejectionId).toBe(first.rejectionId);
    expect(await getRejectedDelivery(store, first.rejectionId)).toEqual({ ...first, ...mark });
    expect(sent).toEqual([
      {
        operation: 'PutItem',
        body: expect.objectContaining({
          TableName: store.rejectedTable,
          ConditionExpression: 'attribute_not_exists(rejectionId)',
        }),
      },
    ]);
  });

  test('a first rejected delivery is stored', async () => {
    // Prepare
    const rawBody = Buffer.from(`not json ${newRecord().callId}`);
    const item = toRejectedDelivery(
      { receivedAtMs: clockAt(2)(), rawBody },
      { reason: 'malformed', issues: [] },
      0,
    );

    // Act
    const outcome = await saveRejectedDelivery(store, item);

    // Assess
    expect(outcome).toBe('stored');
    expect(await getRejectedDelivery(store, item.rejectionId)).toEqual(item);
  });

  test('a store that refuses a put yet shows no item fails with a message naming the call', async () => {
    // Prepare: every put of the calls table is answered with a failed condition, and no item is there.
    const record = newRecord();
    const { store: recording, doc } = recordingStore();
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') {
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: {},
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'refusePuts' },
    );

    // Act
    const failure = await saveCallRecord(recording, record).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect((failure as Error).message).toBe(
      `The conditional put of ${record.callId} failed, yet no item is stored`,
    );
  });

  test.each<[string, (options: { abortSignal: AbortSignal }) => Promise<unknown>]>([
    ['saveCallRecord', (options) => saveCallRecord(store, newRecord(), options)],
    [
      'saveCallDetails',
      (options) =>
        saveCallDetails(
          store,
          'CA0000000000000000000000000000000000000000',
          { ...DEFAULT_CALL_DETAILS, enrichedAt: '2026-01-15T09:31:00.000Z' },
          options,
        ),
    ],
    [
      'saveEnrichmentGaveUp',
      (options) =>
        saveEnrichmentGaveUp(
          store,
          'CA0000000000000000000000000000000000000000',
          { gaveUpAt: '2026-01-16T09:31:00.000Z', reason: 'FreeClimb does not know this call', attempts: 3 },
          options,
        ),
    ],
    ['getCall', (options) => getCall(store, 'CA0000000000000000000000000000000000000000', options)],
    ['listLegs', (options) => listLegs(store, 'CA0000000000000000000000000000000000000000', options)],
    [
      'saveRejectedDelivery',
      (options) =>
        saveRejectedDelivery(
          store,
          toRejectedDelivery(
            { receivedAtMs: 0, rawBody: Buffer.from('x') },
            { reason: 'malformed', issues: [] },
            0,
          ),
          options,
        ),
    ],
    ['getRejectedDelivery', (options) => getRejectedDelivery(store, '2025-11-25T14:30:02.000Z#0', options)],
    ['listRejectedDeliveries', (options) => listRejectedDeliveries(store, '2025-11-25', options)],
    ['scanRejectedDeliveries', (options) => scanRejectedDeliveries(store, options)],
    [
      'markRejectedDeliveryReplayed',
      (options) =>
        markRejectedDeliveryReplayed(
          store,
          '2025-11-25T14:30:02.000Z#0',
          { replayedAt: '2025-11-26T00:00:00.000Z', replayOutcome: 'stored' },
          options,
        ),
    ],
  ])('%s gives up as soon as its abort signal has fired', async (_name, call) => {
    // Prepare
    const controller = new AbortController();
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));

    // Act
    const failure = await call({ abortSignal: controller.signal }).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ name: 'AbortError' });
  });
});

describe('the document client', () => {
  test('leaves out attributes whose value is undefined instead of refusing the item', async () => {
    // Prepare
    const doc = createDocumentClient();
    const callId = newRecord().callId;

    // Act
    await doc.send(
      new PutCommand({
        TableName: store.callsTable,
        Item: { callId, parentCallId: undefined, issues: [{ path: 'to', message: undefined }] },
      }),
    );

    // Assess
    expect(await readCall(store, callId)).toEqual({ callId, issues: [{ path: 'to' }] });
  });
});
