import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { CallDetails } from './call-details';
import type { CallRecord } from './call-record';
import { type RejectedDelivery, type ReplayOutcome, receivedDateOf } from './rejected-delivery';

/** Name of the sparse index that lists the legs a call created. */
export const LEGS_INDEX = 'parentCallId-index';

export interface CallStore {
  doc: DynamoDBDocumentClient;
  callsTable: string;
  rejectedTable: string;
  /**
   * Set where the engine is DynamoDB itself, which returns the stored item with a failed condition
   * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`): enrichment's writes then take a failure without an item
   * as "the record is gone" and never read, so the enricher's role needs only UpdateItem. Unset, a strongly
   * consistent read tells the two cases apart on engines that do not return the item (dynalite).
   */
  returnsItemOnConditionFailure?: boolean;
}

export interface StoreOptions {
  /** Aborts the call (and its retries) so the caller can still answer in time. */
  abortSignal?: AbortSignal;
}

export type SaveOutcome =
  | { outcome: 'stored' }
  | { outcome: 'duplicate' }
  | { outcome: 'conflict'; existing: CallRecord };

/**
 * Writes a call record once: a conditional put on `callId`. A second delivery of the same bytes is a
 * duplicate; a different body under a stored `callId` is a conflict, and the stored item is never changed.
 */
export async function saveCallRecord(
  store: CallStore,
  record: CallRecord,
  options: StoreOptions = {},
): Promise<SaveOutcome> {
  return putOnce(store, record, options, 2);
}

async function putOnce(
  store: CallStore,
  record: CallRecord,
  options: StoreOptions,
  attemptsLeft: number,
): Promise<SaveOutcome> {
  let existing: CallRecord | undefined;
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.callsTable,
        Item: record,
        ConditionExpression: 'attribute_not_exists(callId)',
        // Real DynamoDB returns the stored item here, sparing a read; local engines may not.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: options.abortSignal },
    );
    return { outcome: 'stored' };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) {
      throw error;
    }
    existing = error.Item === undefined ? undefined : (unmarshall(error.Item) as CallRecord);
  }
  existing ??= await getCall(store, record.callId, { ...options, consistentRead: true });
  if (existing === undefined) {
    // Only a TTL deletion between the two calls gets here: write again, once; a store that keeps refusing
    // an item it cannot show is broken, and the caller answers 503.
    if (attemptsLeft <= 1) {
      throw new Error(`The conditional put of ${record.callId} failed, yet no item is stored`);
    }
    return putOnce(store, record, options, attemptsLeft - 1);
  }
  return existing.rawBody === record.rawBody ? { outcome: 'duplicate' } : { outcome: 'conflict', existing };
}

/** What a conditional write to a record found: it wrote, the record already had its details, or it is gone. */
export type EnrichmentWrite<TWritten extends string> = TWritten | 'already-enriched' | 'gone';

/**
 * Why enrichment gave up on a record, kept on it as its `enrichment` map until details arrive (a later
 * `enrich` run stores them and removes this).
 */
export interface EnrichmentGaveUp {
  gaveUpAt: string;
  reason: string;
  attempts: number;
}

/**
 * Adds FreeClimb's details to a record, once: an UpdateItem that sets only `details` (and removes a give-up
 * mark), conditional on the record existing without details. The webhook's attributes and `rawBody` are
 * never touched, a record that has details keeps them as they are, and a deleted record is never recreated.
 */
export async function saveCallDetails(
  store: CallStore,
  callId: string,
  details: CallDetails,
  options: StoreOptions = {},
): Promise<EnrichmentWrite<'enriched'>> {
  const written = await updateUnenriched(
    store,
    callId,
    'SET details = :value REMOVE enrichment',
    details,
    options,
  );
  return written === 'written' ? 'enriched' : written;
}

/**
 * Notes on a record why enrichment gave up (the `enrichment` map), on the same condition as
 * {@link saveCallDetails}: a record with details, or no record, is left alone and said so.
 */
export async function saveEnrichmentGaveUp(
  store: CallStore,
  callId: string,
  mark: EnrichmentGaveUp,
  options: StoreOptions = {},
): Promise<EnrichmentWrite<'marked'>> {
  const written = await updateUnenriched(store, callId, 'SET enrichment = :value', mark, options);
  return written === 'written' ? 'marked' : written;
}

/**
 * Sets one map on a record that exists and has no details. When the condition fails, an item the engine
 * shows failed it by having details. Without the item, the record is gone where the engine always returns
 * it (`returnsItemOnConditionFailure`); elsewhere a strongly consistent read tells "already enriched" from
 * "gone".
 */
async function updateUnenriched(
  store: CallStore,
  callId: string,
  updateExpression: string,
  value: object,
  options: StoreOptions,
): Promise<EnrichmentWrite<'written'>> {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.callsTable,
        Key: { callId },
        UpdateExpression: updateExpression,
        ConditionExpression: 'attribute_exists(callId) AND attribute_not_exists(details)',
        ExpressionAttributeValues: { ':value': value },
        // Real DynamoDB returns the stored item here, sparing a read; local engines may not.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: options.abortSignal },
    );
    return 'written';
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) {
      throw error;
    }
    if (error.Item !== undefined) {
      return 'already-enriched';
    }
    if (store.returnsItemOnConditionFailure === true) {
      return 'gone';
    }
  }
  const existing = await getCall(store, callId, { ...options, consistentRead: true });
  return existing === undefined ? 'gone' : 'already-enriched';
}

/** Reads one call leg by id, or undefined when there is none. */
export async function getCall(
  store: CallStore,
  callId: string,
  options: StoreOptions & { consistentRead?: boolean } = {},
): Promise<CallRecord | undefined> {
  const result = await store.doc.send(
    new GetCommand({ TableName: store.callsTable, Key: { callId }, ConsistentRead: options.consistentRead }),
    { abortSignal: options.abortSignal },
  );
  return result.Item as CallRecord | undefined;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  cursor?: string;
}

/** Lists the legs a call created, oldest first, one page at a time. */
export async function listLegs(
  store: CallStore,
  parentCallId: string,
  options: PageOptions = {},
): Promise<Page<CallRecord>> {
  return readPage<CallRecord>(
    store,
    new QueryCommand({
      TableName: store.callsTable,
      IndexName: LEGS_INDEX,
      KeyConditionExpression: 'parentCallId = :parent',
      ExpressionAttributeValues: { ':parent': parentCallId },
      ScanIndexForward: true,
      ...pageRequest(options),
    }),
    options,
  );
}

/**
 * Keeps an authentic delivery that could not become a call record, once: a conditional put on its id (receive
 * time and body digest), as a call record is written. An item already there is the same delivery kept before
 * (by the webhook, or an earlier `recover`) and is left exactly as it is, replay marks and `expiresAt` included.
 */
export async function saveRejectedDelivery(
  store: CallStore,
  rejected: RejectedDelivery,
  options: StoreOptions = {},
): Promise<'stored' | 'duplicate'> {
  try {
    await store.doc.send(
      new PutCommand({
        TableName: store.rejectedTable,
        Item: rejected,
        ConditionExpression: 'attribute_not_exists(rejectionId)',
      }),
      { abortSignal: options.abortSignal },
    );
    return 'stored';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'duplicate';
    throw error;
  }
}

/** Reads one rejected delivery by its id (`<ISO receive time>#<digest>`). */
export async function getRejectedDelivery(
  store: CallStore,
  rejectionId: string,
  options: StoreOptions = {},
): Promise<RejectedDelivery | undefined> {
  const result = await store.doc.send(
    new GetCommand({
      TableName: store.rejectedTable,
      Key: rejectedKey(rejectionId),
      ConsistentRead: true,
    }),
    { abortSignal: options.abortSignal },
  );
  return result.Item as RejectedDelivery | undefined;
}

/** Lists the deliveries rejected on one UTC day (`YYYY-MM-DD`), newest first, one page at a time. */
export async function listRejectedDeliveries(
  store: CallStore,
  receivedDate: string,
  options: PageOptions = {},
): Promise<Page<RejectedDelivery>> {
  return readPage<RejectedDelivery>(
    store,
    new QueryCommand({
      TableName: store.rejectedTable,
      KeyConditionExpression: 'receivedDate = :day',
      ExpressionAttributeValues: { ':day': receivedDate },
      ScanIndexForward: false,
      ...pageRequest(options),
    }),
    options,
  );
}

/** Lists every rejected delivery, in no particular order, one page at a time (a Scan: for replaying all). */
export async function scanRejectedDeliveries(
  store: CallStore,
  options: PageOptions = {},
): Promise<Page<RejectedDelivery>> {
  return readPage<RejectedDelivery>(
    store,
    new ScanCommand({ TableName: store.rejectedTable, ...pageRequest(options) }),
    options,
  );
}

/**
 * Notes on a rejected delivery that it was replayed, and how that ended. The item itself stays (with its
 * exact body) until its TTL: the record of what FreeClimb sent and why it was refused is kept.
 */
export async function markRejectedDeliveryReplayed(
  store: CallStore,
  rejectionId: string,
  mark: { replayedAt: string; replayOutcome: ReplayOutcome },
  options: StoreOptions = {},
): Promise<void> {
  await store.doc.send(
    new UpdateCommand({
      TableName: store.rejectedTable,
      Key: rejectedKey(rejectionId),
      UpdateExpression: 'SET replayedAt = :at, replayOutcome = :outcome',
      // Never create a stub item for an id that is not (or no longer) there.
      ConditionExpression: 'attribute_exists(rejectionId)',
      ExpressionAttributeValues: { ':at': mark.replayedAt, ':outcome': mark.replayOutcome },
    }),
    { abortSignal: options.abortSignal },
  );
}

type PageOptions = StoreOptions & { limit?: number; cursor?: string };

/** The rejected table's key of a rejection id (its partition is the id's day). */
function rejectedKey(rejectionId: string): Pick<RejectedDelivery, 'receivedDate' | 'rejectionId'> {
  return { receivedDate: receivedDateOf(rejectionId), rejectionId };
}

function pageRequest(options: PageOptions): { Limit?: number; ExclusiveStartKey?: Record<string, unknown> } {
  return { Limit: options.limit, ExclusiveStartKey: decodeCursor(options.cursor) };
}

/** Runs one Query or Scan and turns DynamoDB's last key into an opaque cursor. */
async function readPage<T>(
  store: CallStore,
  command: QueryCommand | ScanCommand,
  options: PageOptions,
): Promise<Page<T>> {
  const sendOptions = { abortSignal: options.abortSignal };
  const result =
    command instanceof QueryCommand
      ? await store.doc.send(command, sendOptions)
      : await store.doc.send(command, sendOptions);
  return { items: (result.Items ?? []) as T[], cursor: encodeCursor(result.LastEvaluatedKey) };
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  return cursor === undefined ? undefined : JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
}
