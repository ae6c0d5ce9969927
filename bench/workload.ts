import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type CallRecord, toCallRecord } from '../lib/call-record';
import { checkCallStatusBody } from '../lib/call-status-body';
import { SIGNATURE_HEADER, signatureHeader } from '../lib/signature';
import { PROJECT_ROOT } from '../local/service-definition';

/**
 * The traffic the benchmark sends: FreeClimb's own body shapes (the test fixtures: an inbound call and the
 * child leg it dialled, alternately, so half the writes also feed the legs index), each with fresh call ids,
 * signed with a secret made up for this run.
 */

const FIXTURE_BODIES = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'bodies');
const TEMPLATES = ['completed-inbound', 'child-leg-outbound-dial'].map((name) =>
  readFileSync(path.join(FIXTURE_BODIES, `${name}.json`), 'utf8'),
);
const CALL_ID = /\bCA[0-9a-fA-F]{40}\b/g;

/** A throwaway signing secret, so nothing about the benchmark needs a real one. */
export function benchSecret(): string {
  return `sigsec_${randomBytes(20).toString('hex')}`;
}

/** The `index`-th body of the run: a fixture with every call id replaced by a fresh one, byte for byte otherwise. */
export function freshBody(index: number): Buffer {
  const template = TEMPLATES[index % TEMPLATES.length] as string;
  const fresh = new Map<string, string>();
  const text = template.replace(CALL_ID, (id) => {
    let replacement = fresh.get(id);
    if (replacement === undefined) {
      replacement = `CA${randomBytes(20).toString('hex')}`;
      fresh.set(id, replacement);
    }
    return replacement;
  });
  return Buffer.from(text, 'utf8');
}

/** The HTTP headers FreeClimb sends with `body`, signed now. */
export function signedHeaders(body: Buffer, secret: string, nowMs = Date.now()): Record<string, string> {
  return {
    'content-type': 'application/json',
    [SIGNATURE_HEADER]: signatureHeader([secret], Math.floor(nowMs / 1000), body),
  };
}

/** An API Gateway HTTP API (payload 2.0) event carrying `body`, as Lambda hands it to the handler. */
export function signedEvent(body: Buffer, secret: string, nowMs = Date.now()): APIGatewayProxyEventV2 {
  const host = 'abc123.execute-api.us-east-1.amazonaws.com';
  return {
    version: '2.0',
    routeKey: 'POST /freeclimb/call-status',
    rawPath: '/freeclimb/call-status',
    rawQueryString: '',
    headers: {
      accept: '*/*',
      'content-length': String(body.length),
      host,
      'user-agent': 'FreeClimb/1.0',
      'x-forwarded-proto': 'https',
      ...signedHeaders(body, secret, nowMs),
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abc123',
      domainName: host,
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: '/freeclimb/call-status',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'FreeClimb/1.0',
      },
      requestId: randomBytes(10).toString('base64'),
      routeKey: 'POST /freeclimb/call-status',
      stage: '$default',
      time: new Date(nowMs).toUTCString(),
      timeEpoch: nowMs,
    },
    body: body.toString('utf8'),
    isBase64Encoded: false,
  };
}

/** The item the handler stores for `body`, mapped by the same lib functions, for the raw-write baseline. */
export function callRecordOf(body: Buffer, nowMs = Date.now()): CallRecord {
  const checked = checkCallStatusBody(body);
  if (!checked.ok) throw new Error(`The benchmark body is not a valid callStatus: ${checked.error.message}`);
  return toCallRecord(
    checked.payload,
    { rawBody: body, receivedAtMs: nowMs, signedAt: Math.floor(nowMs / 1000) },
    0,
  );
}

/** A Lambda context with the function's whole timeout ahead. */
export const benchContext = { getRemainingTimeInMillis: () => 15_000 };
