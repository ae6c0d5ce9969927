import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A FreeClimb-shaped REST API on loopback, written after FreeClimb's published OpenAPI description
 * (operation `get-a-call`, schemas `CallResult` and `PlatformError`, security scheme `fc`): tests and local
 * runs point the real enricher at it with `FREECLIMB_API_URL`. It serves
 * `GET /apiserver/Accounts/{accountId}/Calls/{callId}` behind HTTP Basic auth (user: the path's account id,
 * password: the key it was started with), answers the calls it was given, fails on demand (any status, with
 * `Retry-After` and a body, or slowly), and counts every request so tests can show there is no retry storm.
 *
 * Run it by hand: `FREECLIMB_API_KEY=… npx tsx tests/support/fake-freeclimb.ts [port]`. It then knows every
 * call: an id it was not given is answered as a call completed a few seconds ago.
 */

/** `CallStatus` of the description. */
export type FakeCallStatus =
  | 'queued'
  | 'ringing'
  | 'inProgress'
  | 'canceled'
  | 'completed'
  | 'failed'
  | 'busy'
  | 'noAnswer';

/** A `CallResult` as the API serialises it; empty values are `null` unless a test sets `""`. */
export type CallResource = Record<string, unknown> & {
  callId: string;
  accountId: string;
  status: FakeCallStatus;
};

/** How a call's times are written: both formats (newer API versions), RFC 1123 only (older ones), or none. */
export type TimeFormats = 'rfc1123-and-iso' | 'rfc1123-only' | 'none';

export interface CallOptions {
  status?: FakeCallStatus;
  times?: TimeFormats;
  /** When the call was dialled, in epoch ms (its other times follow from the ring and talk seconds). */
  startedAtMs?: number;
  ringSeconds?: number;
  talkSeconds?: number;
  /** Set only with answering-machine detection; null otherwise. */
  answeredBy?: 'human' | 'machine' | null;
  /** CNAM; null when unavailable. */
  callerName?: string | null;
}

/**
 * A way to fail: answer this status (with `Retry-After`, and a body of its own if given: `body` as JSON,
 * `rawBody` exactly as written), or answer slowly (`delayMs`, then as usual).
 */
export type Failure =
  | { status: number; retryAfter?: string; body?: unknown; rawBody?: string }
  | { delayMs: number };

/** One request as the fake saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  accountId?: string;
  callId?: string;
  /** The Basic auth user name sent (never the password). */
  user?: string;
  /** The Accept header sent. */
  accept?: string;
  status: number;
  atMs: number;
}

export interface FakeFreeClimb {
  /** The API's base URL, as `FREECLIMB_API_URL` takes it (`http://127.0.0.1:<port>/apiserver`). */
  url: string;
  port: number;
  /** The key it accepts. */
  apiKey: string;
  /** Adds or replaces a call (see {@link callResource}). */
  setCall(call: CallResource): void;
  /** Forgets a call: it is answered 404 from now on (unless the fake knows every call). */
  deleteCall(callId: string): void;
  /**
   * Fails the requests for `callId` (every request when absent), `times` times (always when absent).
   * Failures for one call come before failures for all; among each, the oldest first.
   */
  fail(failure: Failure, options?: { callId?: string; times?: number }): void;
  /** Drops the failures for `callId`, or every failure. */
  heal(callId?: string): void;
  /** Every request, in order. */
  readonly requests: readonly SeenRequest[];
  /** How many requests asked for `callId`. */
  requestsFor(callId: string): number;
  close(): Promise<void>;
}

export interface FakeOptions {
  apiKey: string;
  port?: number;
  /** Answers an unknown call id as a call completed seconds ago, instead of 404 (for runs by hand). */
  knowsEveryCall?: boolean;
}

const CALL_PATH = /^\/apiserver\/Accounts\/([^/]+)\/Calls\/([^/]+)$/;
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A time as the API's RFC 1123 fields write it (`Mon, 15 Jun 2009 20:45:30 GMT`). */
export function rfc1123(ms: number): string {
  const date = new Date(ms);
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${DAY_NAMES[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} GMT`
  );
}

/**
 * A `CallResult` for `callId` in `accountId`, shaped by status as the description's field notes say: no
 * times while queued, a start time once dialled, a connect time once answered, an end time and the durations
 * only once completed. Defaults: a completed inbound call with both time formats, answered by a human, with a
 * caller name. `overrides` replace fields last.
 */
export function callResource(
  callId: string,
  accountId: string,
  options: CallOptions = {},
  overrides: Record<string, unknown> = {},
): CallResource {
  const status = options.status ?? 'completed';
  const times = options.times ?? 'rfc1123-and-iso';
  const startMs = options.startedAtMs ?? Date.UTC(2026, 0, 15, 9, 30, 0);
  const connectMs = startMs + (options.ringSeconds ?? 6) * 1000;
  const endMs = connectMs + (options.talkSeconds ?? 41) * 1000;
  const dialled = status !== 'queued';
  const answered = status === 'inProgress' || status === 'completed';
  const completed = status === 'completed';
  const time = (name: string, ms: number, present: boolean) => ({
    [name]: present && times !== 'none' ? rfc1123(ms) : null,
    ...(times === 'rfc1123-and-iso' ? { [`${name}ISO`]: present ? new Date(ms).toISOString() : null } : {}),
  });
  const createdMs = startMs - 1000;
  const updatedMs = completed ? endMs : startMs;
  return {
    uri: `/Accounts/${accountId}/Calls/${callId}`,
    dateCreated: rfc1123(createdMs),
    dateUpdated: rfc1123(updatedMs),
    revision: completed ? 3 : 1,
    ...(times === 'rfc1123-and-iso'
      ? {
          dateCreatedISO: new Date(createdMs).toISOString(),
          dateUpdatedISO: new Date(updatedMs).toISOString(),
        }
      : {}),
    callId,
    parentCallId: null,
    accountId,
    from: '+13125550142',
    to: '+13125550199',
    phoneNumberId: 'PN0123456789abcdef0123456789abcdef01234567',
    status,
    ...time('startTime', startMs, dialled),
    ...time('connectTime', connectMs, answered),
    ...time('endTime', endMs, completed),
    duration: completed ? Math.round((endMs - startMs) / 1000) : null,
    connectDuration: completed ? Math.round((endMs - connectMs) / 1000) : null,
    audioStreamDuration: null,
    direction: 'inbound',
    answeredBy: options.answeredBy === undefined ? 'human' : options.answeredBy,
    callerName: options.callerName === undefined ? 'ACME SUPPORT' : options.callerName,
    webRTC: false,
    subresourceUris: {
      logs: `/Accounts/${accountId}/Calls/${callId}/Logs`,
      recordings: `/Accounts/${accountId}/Calls/${callId}/Recordings`,
    },
    applicationId: 'AP0123456789abcdef0123456789abcdef01234567',
    ...overrides,
  } as CallResource;
}

/**
 * The details a record takes from {@link callResource}'s default call (no options, no overrides), less
 * `enrichedAt`: what tests expect after enriching against the fake.
 */
export const DEFAULT_CALL_DETAILS = {
  status: 'completed',
  startTime: '2026-01-15T09:30:00.000Z',
  connectTime: '2026-01-15T09:30:06.000Z',
  endTime: '2026-01-15T09:30:47.000Z',
  duration: 47,
  connectDuration: 41,
  answeredBy: 'human',
  callerName: 'ACME SUPPORT',
  phoneNumberId: 'PN0123456789abcdef0123456789abcdef01234567',
  applicationId: 'AP0123456789abcdef0123456789abcdef01234567',
} as const;

/** Starts the fake on 127.0.0.1 (a free port unless `port` is given). */
export async function startFakeFreeClimb(options: FakeOptions): Promise<FakeFreeClimb> {
  const calls = new Map<string, CallResource>();
  let failures: Array<{ callId?: string; failure: Failure; left: number }> = [];
  const requests: SeenRequest[] = [];

  const takeFailure = (callId: string | undefined): Failure | undefined => {
    const entry =
      failures.find(
        (candidate) => candidate.left > 0 && candidate.callId !== undefined && candidate.callId === callId,
      ) ?? failures.find((candidate) => candidate.left > 0 && candidate.callId === undefined);
    if (entry === undefined) return undefined;
    entry.left -= 1;
    return entry.failure;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const match = CALL_PATH.exec(path);
    const accountId = match ? decodeURIComponent(match[1] as string) : undefined;
    const callId = match ? decodeURIComponent(match[2] as string) : undefined;
    const seen: SeenRequest = {
      method: request.method ?? '',
      path,
      accountId,
      callId,
      accept: request.headers.accept,
      status: 0,
      atMs: Date.now(),
    };
    requests.push(seen);
    const answer = (
      status: number,
      body: unknown,
      headers: Record<string, string> = {},
      rawBody?: string,
    ) => {
      seen.status = status;
      // The client may have given up (a slow answer): nothing to write to.
      if (response.destroyed) return;
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(rawBody ?? JSON.stringify(body));
    };

    if (match === null) return answer(404, platformError(404, 'Not Found'));
    if (request.method !== 'GET') return answer(405, platformError(405, 'Method Not Allowed'));

    let failure = takeFailure(callId);
    if (failure !== undefined && 'delayMs' in failure) {
      // The wait ends with the connection (a client that gave up, or the fake closing): no timer outlives it
      // to keep a test's process from exiting.
      const gone = new AbortController();
      response.once('close', () => gone.abort());
      const waited = await sleep(failure.delayMs, true, { signal: gone.signal }).catch(() => false);
      if (!waited) return;
      failure = undefined;
    }
    if (failure !== undefined) {
      const headers: Record<string, string> =
        failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter };
      return answer(
        failure.status,
        failure.body ?? platformError(failure.status, reasonOf(failure.status)),
        headers,
        failure.rawBody,
      );
    }

    const credentials = basicCredentials(request.headers.authorization);
    seen.user = credentials?.user;
    if (
      credentials === undefined ||
      credentials.user !== accountId ||
      credentials.password !== options.apiKey
    ) {
      return answer(401, platformError(401, 'Unauthorized'), {
        'www-authenticate': 'Basic realm="FreeClimb"',
      });
    }
    const call =
      calls.get(callId as string) ??
      (options.knowsEveryCall
        ? callResource(callId as string, accountId as string, { startedAtMs: Date.now() - 60_000 })
        : undefined);
    if (call === undefined || call.accountId !== accountId) {
      return answer(404, platformError(404, 'Not Found'));
    }
    return answer(200, call);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/apiserver`,
    port,
    apiKey: options.apiKey,
    setCall: (call) => {
      calls.set(call.callId, call);
    },
    deleteCall: (callId) => {
      calls.delete(callId);
    },
    fail: (failure, where = {}) => {
      failures.push({ callId: where.callId, failure, left: where.times ?? Number.POSITIVE_INFINITY });
    },
    heal: (callId) => {
      failures = callId === undefined ? [] : failures.filter((entry) => entry.callId !== callId);
    },
    requests,
    requestsFor: (callId) => requests.filter((seen) => seen.callId === callId).length,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A `PlatformError` body; the codes are illustrative, the shape is the description's. */
function platformError(status: number, text: string): Record<string, unknown> {
  const code = status >= 500 ? 0 : status;
  return {
    code,
    call: text,
    url: `https://docs.freeclimb.com/reference/error-and-warning-dictionary#${code}`,
    details: {},
  };
}

function reasonOf(status: number): string {
  const reasons: Record<number, string> = {
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    429: 'Too Many Requests',
    500: 'Internal Failure',
    503: 'Service Unavailable',
  };
  return reasons[status] ?? 'Error';
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function main(): Promise<void> {
  const apiKey = process.env.FREECLIMB_API_KEY;
  if (apiKey === undefined || apiKey === '') {
    console.error('Set FREECLIMB_API_KEY: the fake accepts that key, with any account id as the user.');
    process.exit(1);
  }
  const port = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const fake = await startFakeFreeClimb({ apiKey, port, knowsEveryCall: true });
  console.log(`Fake FreeClimb API at ${fake.url} (every call id is a completed call). Ctrl-C stops it.`);
  process.once('SIGINT', () => {
    console.log(`${fake.requests.length} requests served.`);
    fake.close().then(() => process.exit(0));
  });
}

if (require.main === module) main();
