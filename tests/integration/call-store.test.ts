import { ConditionalCheckFailedException, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createDocumentClient } from '../../lib/aws-clients';
import { toCallRecord } from '../../lib/call-record';
import { parseCallStatusWebhook } from '../../lib/call-status-webhook';
import { type CallStore, saveCallRecord } from '../../lib/call-store';
import { testDocumentClient } from '../support/dynamodb';
import { recordSentRequests } from '../support/engine-requests';
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

/** Lets a test change the engine's real ConditionalCheckFailedException before the store sees it. */
function onConditionFailure(
  doc: DynamoDBDocumentClient,
  change: (error: ConditionalCheckFailedException) => void | Promise<void>,
): void {
  doc.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) await change(error);
        throw error;
      }
    },
    { step: 'initialize', name: 'changeConditionFailure' },
  );
}
