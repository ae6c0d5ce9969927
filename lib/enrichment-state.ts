import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import type { CallDetails } from './call-details';
import type { CallStore, EnrichmentGaveUp, StoreOptions } from './call-store';

/**
 * What enrichment knows of a record, read for many records at once: the account to ask FreeClimb with, the
 * details when they arrived, why enrichment gave up when it did. The call log's index projects none of
 * these (a projection cannot change in place), so the CLI reads them from the table, 100 keys a request:
 * a read per listed row, half a read unit each for a record under 4 KB (docs/performance.md weighs it
 * against a second index).
 */
export interface EnrichmentState {
  callId: string;
  accountId?: string;
  details?: CallDetails;
  enrichment?: EnrichmentGaveUp;
}

/** DynamoDB's most keys in one BatchGetItem. */
export const BATCH_GET_LIMIT = 100;
/** Tries of the keys DynamoDB left unprocessed (throttling), with a doubling pause from 50 ms. */
const UNPROCESSED_TRIES = 8;
const FIRST_PAUSE_MS = 50;

const ATTRIBUTES = ['callId', 'accountId', 'details', 'enrichment'] as const;

/**
 * The enrichment state of each call id that has a record (an id without one is absent from the map).
 * Eventually consistent unless asked: a listing does not need the last second's writes.
 */
export async function readEnrichmentStates(
  store: CallStore,
  callIds: readonly string[],
  options: StoreOptions & { consistentRead?: boolean } = {},
): Promise<Map<string, EnrichmentState>> {
  const states = new Map<string, EnrichmentState>();
  // BatchGetItem refuses a request that names one key twice.
  const unique = [...new Set(callIds)];
  for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
    const keys = unique.slice(start, start + BATCH_GET_LIMIT).map((callId) => ({ callId }));
    for (const item of await batchGet(store, keys, options)) {
      states.set(item.callId, item);
    }
  }
  return states;
}

async function batchGet(
  store: CallStore,
  keys: Array<{ callId: string }>,
  options: StoreOptions & { consistentRead?: boolean },
): Promise<EnrichmentState[]> {
  const items: EnrichmentState[] = [];
  let pending: Array<Record<string, unknown>> = keys;
  for (let tries = 1; ; tries += 1) {
    const result = await store.doc.send(
      new BatchGetCommand({
        RequestItems: {
          [store.callsTable]: {
            Keys: pending,
            ProjectionExpression: ATTRIBUTES.map((_, index) => `#a${index}`).join(', '),
            ExpressionAttributeNames: Object.fromEntries(
              ATTRIBUTES.map((name, index) => [`#a${index}`, name]),
            ),
            ConsistentRead: options.consistentRead,
          },
        },
      }),
      { abortSignal: options.abortSignal },
    );
    items.push(...((result.Responses?.[store.callsTable] ?? []) as EnrichmentState[]));
    pending = result.UnprocessedKeys?.[store.callsTable]?.Keys ?? [];
    if (pending.length === 0) return items;
    if (tries === UNPROCESSED_TRIES) {
      throw new Error(`DynamoDB left ${pending.length} keys unread after ${UNPROCESSED_TRIES} tries`);
    }
    await new Promise((resolve) => setTimeout(resolve, FIRST_PAUSE_MS * 2 ** (tries - 1)));
  }
}

/** BatchGetItem requests a listing keeps in flight while it goes on reading the index. */
export const READ_AHEAD = 4;

/**
 * Each entry with its record's enrichment state (undefined when the record is gone), in order. The states
 * are read 100 at a time as the entries come, up to {@link READ_AHEAD} requests ahead: a long window is
 * never held whole, and its reads overlap instead of queueing one behind the other.
 */
export async function* withEnrichmentStates<T extends { callId: string }>(
  store: CallStore,
  entries: AsyncIterable<T>,
  options: StoreOptions = {},
): AsyncGenerator<[T, EnrichmentState | undefined]> {
  const inFlight: Array<Promise<Array<[T, EnrichmentState | undefined]>>> = [];
  const start = (batch: T[]) => {
    const pairs = readEnrichmentStates(
      store,
      batch.map((entry) => entry.callId),
      options,
    ).then((states) =>
      batch.map((entry): [T, EnrichmentState | undefined] => [entry, states.get(entry.callId)]),
    );
    // Awaited in order below; until then a failure must not count as unhandled.
    pairs.catch(() => undefined);
    inFlight.push(pairs);
  };
  let batch: T[] = [];
  for await (const entry of entries) {
    batch.push(entry);
    if (batch.length === BATCH_GET_LIMIT) {
      start(batch);
      batch = [];
      // The oldest read is awaited only once the next ones are sent.
      if (inFlight.length === READ_AHEAD) {
        for (const oldest of inFlight.splice(0, 1)) yield* await oldest;
      }
    }
  }
  // The last batch, perhaps empty: reading no ids sends no request.
  start(batch);
  for (const pairs of inFlight) yield* await pairs;
}
