import { createHash } from 'node:crypto';
import { type Delivery, expiresAt, signedAtIso } from './delivery';
import type { ValidationIssue } from './errors';
import { strictUtf8 } from './raw-body';

/** Why an authentic delivery was quarantined instead of stored as a call record. */
export type RejectionReason = 'invalid' | 'malformed' | 'unsupported-media-type' | 'conflict';

/** One authentic delivery kept in the rejected table, with its exact body, so it can be replayed later. */
export interface RejectedDelivery {
  /** Partition key: the UTC day it arrived, so "what was rejected lately" is a Query per day. */
  receivedDate: string;
  /** Sort key: receive time and a digest of the body, unique per delivery and ordered in time. */
  rejectionId: string;
  receivedAt: string;
  signedAt?: string;
  reason: RejectionReason;
  issues: ValidationIssue[];
  /** The call id, when the body had a string one (for finding a conflict's stored record). */
  callId?: string;
  contentType?: string;
  /** The exact body when it is UTF-8 text; otherwise {@link rawBodyBase64}. */
  rawBody?: string;
  rawBodyBase64?: string;
  expiresAt?: number;
  /** Set by the operator CLI's replay: when it last tried this delivery again, and what came of it. */
  replayedAt?: string;
  replayOutcome?: ReplayOutcome;
}

/** What replaying a rejected delivery ended in: a call record stored now, one already there, or a refusal. */
export type ReplayOutcome = 'stored' | 'duplicate' | 'conflict' | 'invalid' | 'malformed';

export interface Rejection {
  reason: RejectionReason;
  issues: ValidationIssue[];
  callId?: string;
  contentType?: string;
}

/** Builds the rejected-table item for an authentic delivery that could not become a call record. */
export function toRejectedDelivery(
  delivery: Delivery,
  rejection: Rejection,
  retentionDays: number,
): RejectedDelivery {
  const receivedAt = new Date(delivery.receivedAtMs).toISOString();
  const digest = createHash('sha256').update(delivery.rawBody).digest('hex').slice(0, 16);
  const item: RejectedDelivery = {
    receivedDate: receivedAt.slice(0, 10),
    rejectionId: `${receivedAt}#${digest}`,
    receivedAt,
    signedAt: signedAtIso(delivery),
    reason: rejection.reason,
    issues: rejection.issues,
    callId: rejection.callId,
    contentType: rejection.contentType,
    expiresAt: expiresAt(delivery.receivedAtMs, retentionDays),
    ...bodyAttribute(delivery.rawBody),
  };
  return Object.fromEntries(
    Object.entries(item).filter(([, value]) => value !== undefined),
  ) as RejectedDelivery;
}

/** The partition a rejection id lives in: ids start with their ISO receive time. */
export function receivedDateOf(rejectionId: string): string {
  return rejectionId.slice(0, 10);
}

function bodyAttribute(rawBody: Buffer): Pick<RejectedDelivery, 'rawBody' | 'rawBodyBase64'> {
  const text = strictUtf8(rawBody);
  return text === undefined ? { rawBodyBase64: rawBody.toString('base64') } : { rawBody: text };
}
