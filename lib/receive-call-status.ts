import { toCallRecord } from './call-record';
import { callIdIn, checkCallStatusBody } from './call-status-body';
import type { CallStatusWebhook } from './call-status-webhook';
import { type CallStore, type SaveOutcome, saveCallRecord, saveRejectedDelivery } from './call-store';
import type { Delivery } from './delivery';
import {
  SignatureError,
  StoreUnavailableError,
  UnsupportedMediaTypeError,
  UnverifiedRequestError,
  type ValidationIssue,
  type WebhookError,
} from './errors';
import { readRawBody } from './raw-body';
import { type RejectionReason, toRejectedDelivery } from './rejected-delivery';
import { SIGNATURE_HEADER, verifySignature } from './signature';
import type { SigningSecrets } from './signing-secrets';

/** One HTTP delivery, already lifted out of its API Gateway event. */
export interface WebhookRequest {
  /** Header names lower-cased, as HTTP APIs deliver them. */
  headers: Record<string, string | undefined>;
  /** Absent or `null` when the request had none (local runners send `null`): an empty body. */
  body?: string | null;
  isBase64Encoded: boolean;
  receivedAtMs: number;
}

export interface ReceiveDependencies {
  store: CallStore;
  /** Undefined only when verification was switched off for local development. */
  secrets: SigningSecrets | undefined;
  toleranceSeconds: number;
  retentionDays: number;
  maxBodyBytes: number;
  /** Fires when the answer must be given now; DynamoDB calls are abandoned then. */
  abortSignal?: AbortSignal;
  /** Called once the signature has been checked and holds: from then on, the delivery is FreeClimb's. */
  onVerified?: () => void;
}

export interface Receipt {
  outcome: SaveOutcome['outcome'];
  payload: CallStatusWebhook;
  /** Set on a conflict: where the differing delivery was kept. */
  rejectionId?: string;
  /** On a conflict: true when that delivery was already kept there (by an earlier run), left as it was. */
  keptBefore?: boolean;
}

/**
 * Decides what happens to one callStatus delivery: verify, parse, validate, store once.
 * Resolves when the record is durably stored (or already was); otherwise throws a {@link WebhookError}
 * whose status the caller answers with. Authentic deliveries that cannot be stored as a call record are kept
 * in the rejected table first; if even that fails, the error is a 503.
 */
export async function receiveCallStatus(
  request: WebhookRequest,
  deps: ReceiveDependencies,
): Promise<Receipt> {
  const rawBody = readRawBody(request.body, request.isBase64Encoded, deps.maxBodyBytes);
  const delivery: Delivery = {
    receivedAtMs: request.receivedAtMs,
    rawBody,
    signedAt: await authenticate(request, rawBody, deps),
  };
  const contentType = request.headers['content-type'];
  const reject = async (
    error: WebhookError,
    reason: RejectionReason,
    issues: ValidationIssue[],
    callId?: string,
  ) => {
    const kept = await quarantine(delivery, { reason, issues, callId, contentType }, deps);
    error.rejectionId = kept.rejectionId;
    error.keptBefore = kept.keptBefore;
    error.callId = callId;
    return error;
  };

  if (!isJsonMediaType(contentType)) {
    const error = new UnsupportedMediaTypeError('Content-Type must be application/json');
    const issues = [{ path: '', message: error.message }];
    throw await reject(error, 'unsupported-media-type', issues, callIdIn(rawBody));
  }
  const checked = checkCallStatusBody(rawBody);
  if (!checked.ok) {
    throw await reject(checked.error, checked.reason, checked.issues, checked.callId);
  }

  const record = toCallRecord(checked.payload, delivery, deps.retentionDays);
  let saved: SaveOutcome;
  try {
    saved = await saveCallRecord(deps.store, record, { abortSignal: deps.abortSignal });
  } catch (error) {
    throw new StoreUnavailableError('Could not store the call record', { cause: error });
  }
  if (saved.outcome !== 'conflict') {
    return { outcome: saved.outcome, payload: checked.payload };
  }
  const issue = {
    path: 'callId',
    message: 'is already stored with a different body; the stored record is kept',
  };
  const kept = await quarantine(
    delivery,
    { reason: 'conflict', issues: [issue], callId: record.callId, contentType },
    deps,
  );
  return { outcome: 'conflict', payload: checked.payload, ...kept };
}

/** Returns the signature's time, or undefined when verification is off; throws 401 or 503. */
async function authenticate(
  request: WebhookRequest,
  rawBody: Buffer,
  deps: ReceiveDependencies,
): Promise<number | undefined> {
  if (deps.secrets === undefined) {
    return undefined;
  }
  const verify = (secrets: readonly string[]) =>
    verifySignature({
      header: request.headers[SIGNATURE_HEADER],
      rawBody,
      secrets,
      toleranceSeconds: deps.toleranceSeconds,
      nowMs: request.receivedAtMs,
    });
  const secrets = await readSecrets(deps.secrets, false);
  let signedAt: number;
  try {
    signedAt = verify(secrets);
  } catch (error) {
    if (!(error instanceof SignatureError && error.reason === 'mismatch')) {
      throw error;
    }
    // The secret may have been rotated since this container read it: read again (rate-limited) and retry.
    // A read that fails gives back the same secrets, so a forgery gets its 401 and costs nobody else anything.
    const fresh = await readSecrets(deps.secrets, true);
    if (fresh === secrets) {
      throw error;
    }
    signedAt = verify(fresh);
  }
  deps.onVerified?.();
  return signedAt;
}

/** Only when no secret is known at all does a request go unverified: 503, never stored, never a 401. */
async function readSecrets(secrets: SigningSecrets, refresh: boolean): Promise<string[]> {
  try {
    return await secrets({ refresh });
  } catch (error) {
    throw new UnverifiedRequestError('No signing secret to verify the request with', { cause: error });
  }
}

/** Keeps the delivery in the rejected table (once: an item already there is left as it is). */
async function quarantine(
  delivery: Delivery,
  rejection: Parameters<typeof toRejectedDelivery>[1],
  deps: ReceiveDependencies,
): Promise<{ rejectionId: string; keptBefore: boolean }> {
  const item = toRejectedDelivery(delivery, rejection, deps.retentionDays);
  let saved: 'stored' | 'duplicate';
  try {
    saved = await saveRejectedDelivery(deps.store, item, { abortSignal: deps.abortSignal });
  } catch (error) {
    throw new StoreUnavailableError('Could not keep the rejected delivery', { cause: error });
  }
  return { rejectionId: item.rejectionId, keptBefore: saved === 'duplicate' };
}

/** `application/json`, in any case, with or without parameters: the only media type the webhook takes. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}
