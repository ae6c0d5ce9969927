import type { CallStatusWebhook } from './call-status-webhook';
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
    signedAt?: string;
    rawBody: string;
    schemaVersion: number;
    expiresAt?: number;
  };

/**
 * Maps a validated payload to its item. Nulls and empty strings are left out: `parentCallId` is the index's
 * key, and DynamoDB refuses null or "" there, while an absent attribute keeps the index sparse.
 */
export function toCallRecord(
  payload: CallStatusWebhook,
  delivery: Delivery,
  retentionDays: number,
): CallRecord {
  const fields = Object.fromEntries(
    Object.entries(payload).filter(([, value]) => value !== null && value !== undefined && value !== ''),
  ) as Partial<Present<CallStatusWebhook>>;
  return withoutUndefined({
    ...fields,
    requestType: payload.requestType,
    callId: payload.callId,
    accountId: payload.accountId,
    from: payload.from,
    to: payload.to,
    callStatus: payload.callStatus,
    callEndedReason: payload.callEndedReason,
    direction: payload.direction,
    callDuration: payload.callDuration,
    receivedAt: new Date(delivery.receivedAtMs).toISOString(),
    signedAt: signedAtIso(delivery),
    rawBody: delivery.rawBody.toString('utf8'),
    schemaVersion: CALL_RECORD_SCHEMA_VERSION,
    expiresAt: expiresAt(delivery.receivedAtMs, retentionDays),
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
