import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/aws-clients';
import type { CallDetails } from '../../lib/call-details';
import { type CallStore, saveCallDetails, saveEnrichmentGaveUp } from '../../lib/call-store';
import { testDocumentClient } from '../support/dynamodb';
import { recordSentRequests } from '../support/engine-requests';
import { storeCall } from '../support/stored-calls';
import { testEngine } from '../support/test-engine';
import { readCall, testStore } from '../support/webhook';

// The enricher's role may only UpdateItem the calls table. DynamoDB returns the stored item with a failed
// condition (ALL_OLD), so a store told so (`returnsItemOnConditionFailure`) takes a failure without one as
// "gone" and never reads. DynamoDB Local honours ALL_OLD like DynamoDB; dynalite ignores it, so there an
// enriched record also reads as gone: both are done, neither is written.

const DETAILS: CallDetails = { status: 'busy', enrichedAt: '2026-01-15T09:31:00.000Z' };
const GAVE_UP = {
  gaveUpAt: '2026-01-16T09:31:00.000Z',
  reason: 'FreeClimb does not know this call',
  attempts: 3,
};

/** The enricher's store in AWS, recording what it sends. */
function enricherStore(returnsItemOnConditionFailure: boolean) {
  const doc = createDocumentClient();
  const store: CallStore = { ...testStore(), doc, returnsItemOnConditionFailure };
  return { store, sent: recordSentRequests(doc) };
}

/** The enricher's two writes. */
const WRITES: Array<[string, (store: CallStore, callId: string) => Promise<string>]> = [
  ['saveCallDetails', (store, callId) => saveCallDetails(store, callId, DETAILS)],
  ['saveEnrichmentGaveUp', (store, callId) => saveEnrichmentGaveUp(store, callId, GAVE_UP)],
];

/** What an already enriched record reads as when the store may not read: the engine decides. */
const ENRICHED_READS_AS = testEngine() === 'dynamodb-local' ? 'already-enriched' : 'gone';

test.each(WRITES)(
  '%s on an enriched record sends one UpdateItem and no read, and changes nothing',
  async (_name, write) => {
    // Prepare
    const record = await storeCall();
    await saveCallDetails(testStore(), record.callId, DETAILS);
    const before = await readCall(testStore(), record.callId);
    const { store, sent } = enricherStore(true);

    // Act
    const outcome = await write(store, record.callId);

    // Assess
    expect(outcome).toBe(ENRICHED_READS_AS);
    expect(sent.map((request) => request.operation)).toEqual(['UpdateItem']);
    expect(await readCall(testStore(), record.callId)).toEqual(before);
  },
);

test.each(WRITES)(
  '%s on a deleted record is gone after one UpdateItem, and recreates nothing',
  async (_name, write) => {
    // Prepare
    const record = await storeCall();
    await testDocumentClient().send(
      new DeleteCommand({ TableName: testStore().callsTable, Key: { callId: record.callId } }),
    );
    const { store, sent } = enricherStore(true);

    // Act
    const outcome = await write(store, record.callId);

    // Assess
    expect(outcome).toBe('gone');
    expect(sent.map((request) => request.operation)).toEqual(['UpdateItem']);
    expect(await readCall(testStore(), record.callId)).toBeUndefined();
  },
);

test('a new record is written with one UpdateItem either way', async () => {
  // Prepare
  const record = await storeCall();
  const { store, sent } = enricherStore(true);

  // Act
  const outcome = await saveCallDetails(store, record.callId, DETAILS);

  // Assess
  expect(outcome).toBe('enriched');
  expect(sent.map((request) => request.operation)).toEqual(['UpdateItem']);
  expect(await readCall(testStore(), record.callId)).toMatchObject({ details: DETAILS });
});

test('a store not told so reads where the engine shows no item, and tells enriched from gone', async () => {
  // Prepare
  const record = await storeCall();
  await saveCallDetails(testStore(), record.callId, DETAILS);
  const { store, sent } = enricherStore(false);

  // Act
  const outcome = await saveCallDetails(store, record.callId, DETAILS);

  // Assess
  expect(outcome).toBe('already-enriched');
  expect(sent.map((request) => request.operation)).toEqual(
    testEngine() === 'dynamodb-local' ? ['UpdateItem'] : ['UpdateItem', 'GetItem'],
  );
});
