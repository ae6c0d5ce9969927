import { callLogKey } from './call-log-key';
import { CallStatusWebhook } from './call-status-webhook';
import { type Delivery, expiresAt, signedAtIso } from './delivery';

/** Bumped when the item's shape changes, so readers can tell old items from new. */
export const CALL_RECORD_SCHEMA_VERSION = 1;

type Present<T> = { [K in keyof T]: Exclude<T[K], null> };

/** One call leg as stored in the calls table: the payload's fields that have a value, plus receipt facts. */
export type CallRecord = Partial<Present<CallStatusWebhook>> &
  Pick<
    CallStatusWebhook,
    'requestType' | 'callId' | 'accountId' | 'from' | 'to' | 'callStatus' | 'callEndedReason' | 'direction'
  > & {
    callDuration: number;
    receivedAt: string;
    /** The call log's partition (`<UTC day>#<shard>`); absent on records stored before the index existed. */
    callLogShard?: string;
    signedAt?: string;
    rawBody: string;
    schemaVersion: number;
    expiresAt?: number;
  };

/** Fields every record carries as sent, even an empty `from`/`to`: the ones the contract requires. */
const ALWAYS_KEPT = new Set(
  Object.entries(CallStatusWebhook.entries)
    .filter(([, schema]) => schema.type !== 'nullish')
    .map(([key]) => key),
);

/**
 * Maps a validated payload to its item. Nulls and empty strings are left out: `parentCallId` is the index's
 * key, and DynamoDB refuses null or "" there, while an absent attribute keeps the index sparse.
 */
export function toCallRecord(
  payload: CallStatusWebhook,
  delivery: Delivery,
  retentionDays: number,
): CallRecord {
  // One pass into a plain object: this runs once per webhook, and the benchmark showed the
  // entries/fromEntries/spread version costing more than the signature check.
  const item: Record<string, unknown> = {};
  for (const key of Object.keys(payload)) {
    const value = payload[key as keyof CallStatusWebhook];
    if (value === null || value === undefined || (value === '' && !ALWAYS_KEPT.has(key))) continue;
    item[key] = value;
  }
  const receivedAt = new Date(delivery.receivedAtMs).toISOString();
  item.receivedAt = receivedAt;
  item.callLogShard = callLogKey(payload.callId, receivedAt);
  const signedAt = signedAtIso(delivery);
  if (signedAt !== undefined) item.signedAt = signedAt;
  item.rawBody = delivery.rawBody.toString('utf8');
  item.schemaVersion = CALL_RECORD_SCHEMA_VERSION;
  const expires = expiresAt(delivery.receivedAtMs, retentionDays);
  if (expires !== undefined) item.expiresAt = expires;
  return item as CallRecord;
}
