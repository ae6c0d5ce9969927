import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createDocumentClient } from '../../lib/aws-clients';
import { type CallStore, getCall } from '../../lib/call-store';
import { signatureHeader } from '../../lib/signature';
import { readBody } from './fixture-bodies';

/** The test-only secret the event fixtures are signed with (see tests/fixtures/events/README.md). */
export const TEST_SECRET = 'sigsec_test_only_4e1f0c2b9a7d6e5f4c3b2a1908f7e6d5c4b3a291';
/** When the event fixtures were signed, in unix seconds. */
export const FIXTURE_SIGNED_AT = 1764081000;

const fixtures = join(__dirname, '..', 'fixtures');

/** A fixture body's exact bytes, by name without `.json`. */
export function bodyFixture(name: string): Buffer {
  return readBody(`${name}.json`);
}

/** An API Gateway v2 event fixture, as Lambda receives it. */
export function eventFixture(name: string): APIGatewayProxyEventV2 {
  return JSON.parse(readFileSync(join(fixtures, 'events', `${name}.json`), 'utf8'));
}

/** A new random id in FreeClimb's form (`CA`/`AC`/`RE` + 40 hex digits). */
export function freshId(prefix: 'CA' | 'AC' | 'RE'): string {
  return `${prefix}${randomBytes(20).toString('hex')}`;
}

/** The body with its ids swapped for fresh ones, byte for byte otherwise, so tests never collide. */
export function withFreshIds(body: Buffer, replacements: Record<string, string> = {}): Buffer {
  let text = body.toString('utf8');
  for (const id of new Set(text.match(/\bCA[0-9a-fA-F]{40}\b/g) ?? [])) {
    text = text.replaceAll(id, replacements[id] ?? freshId('CA'));
  }
  return Buffer.from(text, 'utf8');
}

export interface EventOptions {
  secrets?: string[];
  signedAt?: number;
  base64?: boolean;
  headers?: Record<string, string | undefined>;
}

/** A real-shaped API Gateway v2 event carrying `body`, signed like FreeClimb signs it. */
export function signedEvent(body: Buffer | string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const template = eventFixture('call-status-completed-inbound');
  const signedAt = options.signedAt ?? FIXTURE_SIGNED_AT;
  const headers: Record<string, string | undefined> = {
    ...template.headers,
    'content-length': String(bytes.length),
    'freeclimb-signature': signatureHeader(options.secrets ?? [TEST_SECRET], signedAt, bytes),
    ...options.headers,
  };
  return {
    ...template,
    headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<
      string,
      string
    >,
    body: options.base64 ? bytes.toString('base64') : bytes.toString('utf8'),
    isBase64Encoded: options.base64 === true,
  };
}

/** A clock standing `offsetSeconds` after the fixtures' signing time. */
export function clockAt(offsetSeconds = 2): () => number {
  return () => (FIXTURE_SIGNED_AT + offsetSeconds) * 1000;
}

/** A Lambda context with plenty of time left. */
export const lambdaContext = { getRemainingTimeInMillis: () => 15_000 };

/** The environment a handler runs with in tests: the test engine's tables and the test secret. */
export function testEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    CALLS_TABLE: process.env.CALLS_TABLE,
    REJECTED_TABLE: process.env.REJECTED_TABLE,
    FREECLIMB_SIGNING_SECRET: TEST_SECRET,
    ...overrides,
  };
}

/** The test engine's tables, through the same client code the handler uses. */
export function testStore(): CallStore {
  return {
    doc: createDocumentClient(),
    callsTable: requiredEnv('CALLS_TABLE'),
    rejectedTable: requiredEnv('REJECTED_TABLE'),
  };
}

/** Reads a call item straight from the table. */
export function readCall(store: CallStore, callId: string) {
  return getCall(store, callId, { consistentRead: true });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined) {
    throw new Error(`${name} is not set: the jest global setup starts the local engine`);
  }
  return value;
}
