import * as v from 'valibot';
import { FreeClimbCall, whyNotFinal } from './freeclimb-call';
import { parseRfc1123 } from './freeclimb-time';

/** Where FreeClimb's REST API is, and how long one request may take before it counts as a timeout. */
export interface FreeClimbApi {
  /** The API's base URL without a trailing slash, e.g. `https://www.freeclimb.com/apiserver`. */
  baseUrl: string;
  timeoutMs: number;
}

/** Which call to read, as whom. */
export interface CallRequest {
  accountId: string;
  callId: string;
  apiKey: string;
}

/**
 * How a request failed. `not-found`, `unauthorized` (401) and `forbidden` (403) are FreeClimb's answers about
 * the call or the key; `rate-limited` (429), `server-error` (5xx), `timeout` (no whole answer in time, or a
 * 408), `network` (no answer at all) and `invalid-answer` (a 200 that is not a Call resource) say FreeClimb
 * could not answer now; `unexpected-status` is any other status (a redirect, a 400…), which no retry changes.
 */
export type FreeClimbFailure =
  | 'not-found'
  | 'unauthorized'
  | 'forbidden'
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'network'
  | 'invalid-answer'
  | 'unexpected-status';

/**
 * A request to FreeClimb that gave no Call resource. The message is safe to log: it never holds the API
 * key or the Authorization header (a key FreeClimb's answer might echo is blanked out).
 */
export class FreeClimbApiError extends Error {
  constructor(
    readonly kind: FreeClimbFailure,
    message: string,
    details: { status?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'FreeClimbApiError';
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /** The HTTP status FreeClimb answered with, if it answered. */
  readonly status?: number;
  /** FreeClimb's `Retry-After`, in seconds from now, when it sent a usable one. */
  readonly retryAfterSeconds?: number;
}

/** What one GET of a call gave: the call with final details, a call not final yet, or a failure. */
export type CallAnswer =
  | { kind: 'ok'; call: FreeClimbCall }
  | { kind: 'not-final'; call: FreeClimbCall; reason: string }
  | { kind: 'failed'; error: FreeClimbApiError };

/** The most characters of FreeClimb's own error text an error message carries. */
const MAX_ERROR_TEXT = 200;

/**
 * `GET {baseUrl}/Accounts/{accountId}/Calls/{callId}` with Basic auth (account ID and API key), answered
 * within `api.timeoutMs` (the body included) or counted as a timeout. Never rejects: every outcome, a refused
 * connection included, is a {@link CallAnswer}. Redirects are not followed, so the credentials only ever go
 * to the configured host.
 */
export async function readFreeClimbCall(
  api: FreeClimbApi,
  request: CallRequest,
  options: { abortSignal?: AbortSignal; now?: () => number } = {},
): Promise<CallAnswer> {
  const url = `${api.baseUrl}/Accounts/${encodeURIComponent(request.accountId)}/Calls/${encodeURIComponent(request.callId)}`;
  const credentials = Buffer.from(`${request.accountId}:${request.apiKey}`).toString('base64');
  // A few requests per invocation: the timer AbortSignal.timeout leaves pending until it fires costs nothing here.
  const timeout = AbortSignal.timeout(api.timeoutMs);
  const signal =
    options.abortSignal === undefined ? timeout : AbortSignal.any([timeout, options.abortSignal]);
  let status: number;
  let retryAfter: string | null;
  let body: string;
  try {
    const response = await fetch(url, {
      headers: { Accept: 'application/json', Authorization: `Basic ${credentials}` },
      redirect: 'manual',
      signal,
    });
    status = response.status;
    retryAfter = response.headers.get('retry-after');
    body = await response.text();
  } catch (error) {
    return { kind: 'failed', error: unanswered(error, api.timeoutMs, timeout, options.abortSignal) };
  }
  if (status === 200) {
    return callIn(body, request.callId);
  }
  const retryAfterSeconds = parseRetryAfter(retryAfter, (options.now ?? Date.now)());
  const message = `FreeClimb answered ${status}${platformError(body, [request.apiKey, credentials])}`;
  return {
    kind: 'failed',
    error: new FreeClimbApiError(failureOf(status), message, { status, retryAfterSeconds }),
  };
}

/**
 * `Retry-After` in seconds from `nowMs`: delta-seconds, or an HTTP date (RFC 1123, GMT) that counts as 0
 * once past. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) {
    return undefined;
  }
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) {
    return Number(text);
  }
  const at = parseRfc1123(text);
  return at === undefined ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function failureOf(status: number): FreeClimbFailure {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate-limited';
  return status >= 500 ? 'server-error' : 'unexpected-status';
}

function unanswered(
  error: unknown,
  timeoutMs: number,
  timeout: AbortSignal,
  caller: AbortSignal | undefined,
): FreeClimbApiError {
  if (timeout.aborted) {
    return new FreeClimbApiError('timeout', `FreeClimb did not answer within ${timeoutMs} ms`, {
      cause: error,
    });
  }
  if (caller?.aborted) {
    return new FreeClimbApiError('timeout', 'The request to FreeClimb was aborted by its caller', {
      cause: error,
    });
  }
  return new FreeClimbApiError('network', 'FreeClimb could not be reached', { cause: error });
}

/** A 200's body as a call of the requested id, or an invalid answer saying what is wrong (never a value). */
function callIn(body: string, callId: string): CallAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return invalid('FreeClimb answered 200 with a body that is not JSON', error);
  }
  const parsed = v.safeParse(FreeClimbCall, json);
  if (!parsed.success) {
    const issues = parsed.issues.map((issue) => `${v.getDotPath(issue) ?? 'body'}: ${issue.message}`);
    return invalid(`FreeClimb answered 200 with a body that is not a Call resource: ${issues.join('; ')}`);
  }
  const call = parsed.output;
  if (call.callId !== undefined && call.callId !== callId) {
    return invalid('FreeClimb answered 200 with another call than the one asked for');
  }
  const reason = whyNotFinal(call);
  return reason === undefined ? { kind: 'ok', call } : { kind: 'not-final', call, reason };
}

function invalid(message: string, cause?: unknown): CallAnswer {
  return { kind: 'failed', error: new FreeClimbApiError('invalid-answer', message, { status: 200, cause }) };
}

/**
 * FreeClimb's error body (`PlatformError`: `code`, and `call` or `message`), as ` (code 5: text)`, bounded,
 * with the given secrets blanked out in case an answer echoes them. Empty when the body is not one.
 */
function platformError(body: string, secrets: string[]): string {
  let error: { code?: unknown; call?: unknown; message?: unknown };
  try {
    error = JSON.parse(body) ?? {};
  } catch {
    return '';
  }
  const parts: string[] = [];
  if (typeof error.code === 'number') parts.push(`code ${error.code}`);
  const text = typeof error.message === 'string' ? error.message : error.call;
  if (typeof text === 'string' && text !== '') parts.push(redact(text, secrets).slice(0, MAX_ERROR_TEXT));
  return parts.length === 0 ? '' : ` (${parts.join(': ')})`;
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((result, secret) => result.replaceAll(secret, '[redacted]'), text);
}
