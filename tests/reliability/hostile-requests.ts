import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { CallStatusWebhook } from '../../lib/call-status-webhook';
import { signatureHeader } from '../../lib/signature';
import { callStatusBodyNames, readBody } from '../support/fixture-bodies';
import { eventFixture, freshId, TEST_SECRET, withFreshIds } from '../support/webhook';

/**
 * Hostile API Gateway v2 events for the property test. An arbitrary yields a plan (what to send and how); the
 * plan becomes an event with fresh call ids at run time, so no two runs share a record.
 */

const FIELDS = [...Object.keys(CallStatusWebhook.entries), 'someFieldFreeClimbAddsLater'];

/** Number literals JSON.stringify cannot write but a sender can. */
const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '9007199254740993',
  '42.0',
  '-0',
  '1E2',
  '0.0000001',
];

const AWKWARD_STRINGS = [
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '😀'.repeat(300),
  '١٢٣',
  ' 42',
  '42 ',
  '0x2a',
  '4e1',
  '-0',
  '+42',
  '00042',
  '9'.repeat(16),
  '9'.repeat(400),
  'null',
  'CA',
  '<script>alert(1)</script>',
  '%s%n',
];

type Mutation =
  | { op: 'drop' }
  | { op: 'null' }
  | { op: 'retype'; value: unknown }
  | { op: 'lengthen'; times: number }
  | { op: 'string'; value: string }
  | { op: 'rawNumber'; text: string };

export type BodyPlan =
  | { kind: 'mutated'; fixture: string; field: string; mutation: Mutation }
  | { kind: 'random-json'; text: string }
  | { kind: 'random-bytes'; bytes: Uint8Array }
  | { kind: 'deep'; depth: number; shape: 'array' | 'object'; inValidBody: boolean }
  | { kind: 'forbidden-key'; key: string; nested: boolean; value: unknown }
  | { kind: 'duplicate-key'; field: string; sameValue: boolean }
  | { kind: 'oversized'; bytes: number };

export type SignaturePlan =
  | { kind: 'valid' }
  | { kind: 'valid-with-spaces' }
  | { kind: 'valid-among'; others: number }
  | { kind: 'many-v1'; count: number }
  | { kind: 'missing' }
  | { kind: 'duplicated' }
  | { kind: 'truncated'; keep: number }
  | { kind: 'other-case-name' }
  | { kind: 'upper-case-keys' }
  | { kind: 'wrong-secret' }
  | { kind: 'stale' }
  | { kind: 'over-sent-text' };

export type TransportPlan = 'text' | 'base64' | 'base64-flag-lies-true' | 'base64-flag-lies-false';

export interface RequestPlan {
  body: BodyPlan;
  signature: SignaturePlan;
  transport: TransportPlan;
  contentType: string | undefined;
}

const json = fc.jsonValue({ maxDepth: 3 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ op: 'drop' as const }),
  fc.constant({ op: 'null' as const }),
  fc.record({
    op: fc.constant('retype' as const),
    value: fc.oneof(fc.integer(), fc.double(), fc.boolean(), json, fc.constant([]), fc.constant({})),
  }),
  fc.record({ op: fc.constant('lengthen' as const), times: fc.integer({ min: 2, max: 3000 }) }),
  fc.record({
    op: fc.constant('string' as const),
    value: fc.oneof(fc.constantFrom(...AWKWARD_STRINGS), fc.string({ unit: 'binary', maxLength: 64 })),
  }),
  fc.record({ op: fc.constant('rawNumber' as const), text: fc.constantFrom(...RAW_NUMBERS) }),
);

const body: fc.Arbitrary<BodyPlan> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('mutated' as const),
      fixture: fc.constantFrom(...callStatusBodyNames()),
      field: fc.constantFrom(...FIELDS),
      mutation,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random-json' as const), text: fc.json() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('random-bytes' as const),
      bytes: fc.uint8Array({ maxLength: 300 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep' as const),
      depth: fc.integer({ min: 1, max: 30_000 }),
      shape: fc.constantFrom('array' as const, 'object' as const),
      inValidBody: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('forbidden-key' as const),
      key: fc.constantFrom('__proto__', 'constructor', 'prototype'),
      nested: fc.boolean(),
      value: json,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('duplicate-key' as const),
      field: fc.constantFrom(...FIELDS),
      sameValue: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('oversized' as const),
      bytes: fc.integer({ min: 65_537, max: 300_000 }),
    }),
  },
);

const signature: fc.Arbitrary<SignaturePlan> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'valid-with-spaces' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('valid-among' as const),
      others: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('many-v1' as const), count: fc.integer({ min: 5, max: 150 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'duplicated' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('truncated' as const), keep: fc.integer({ min: 0, max: 85 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'other-case-name' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'upper-case-keys' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wrong-secret' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stale' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'over-sent-text' as const }) },
);

/** Whole hostile requests: body, signature, transport encoding and content type, each chosen freely. */
export const hostileRequest: fc.Arbitrary<RequestPlan> = fc.record({
  body,
  signature,
  transport: fc.oneof(
    { weight: 6, arbitrary: fc.constant('text' as const) },
    { weight: 2, arbitrary: fc.constant('base64' as const) },
    { weight: 1, arbitrary: fc.constant('base64-flag-lies-true' as const) },
    { weight: 1, arbitrary: fc.constant('base64-flag-lies-false' as const) },
  ),
  contentType: fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'Application/JSON',
        ' application/json ',
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/jsonp',
        'application/json, text/plain',
      ),
    },
  ),
});

/** A materialised plan: the event, the exact bytes the handler will see, and what the signature proves. */
export interface HostileRequest {
  event: APIGatewayProxyEventV2;
  /** Bytes after API Gateway's (possibly lying) base64 flag is honoured, as the handler decodes them. */
  seenBytes: Buffer;
  /** True when the header carries a valid signature over `seenBytes`, by the contract. */
  authentic: boolean;
}

/** Builds the event for `plan`, with fresh ids, signed (or not) at `signedAt` unix seconds. */
export function materialise(plan: RequestPlan, signedAt: number): HostileRequest {
  const sentBytes = bodyBytes(plan.body);
  const sentText = sentBytes.toString('utf8');
  let eventBody: string;
  let isBase64Encoded: boolean;
  switch (plan.transport) {
    case 'text':
      // API Gateway only passes UTF-8 text through as is; anything else arrives base64-encoded.
      isBase64Encoded = Buffer.from(sentText, 'utf8').equals(sentBytes) === false;
      eventBody = isBase64Encoded ? sentBytes.toString('base64') : sentText;
      break;
    case 'base64':
      isBase64Encoded = true;
      eventBody = sentBytes.toString('base64');
      break;
    case 'base64-flag-lies-true':
      isBase64Encoded = true;
      eventBody = sentText;
      break;
    case 'base64-flag-lies-false':
      isBase64Encoded = false;
      eventBody = sentBytes.toString('base64');
      break;
  }
  const seenBytes = isBase64Encoded ? Buffer.from(eventBody, 'base64') : Buffer.from(eventBody, 'utf8');
  const { header, authentic, headerName } = signatureFor(plan.signature, seenBytes, sentBytes, signedAt);
  const template = eventFixture('call-status-completed-inbound');
  const headers: Record<string, string> = { ...template.headers, 'content-length': String(sentBytes.length) };
  delete headers['content-type'];
  delete headers['freeclimb-signature'];
  if (plan.contentType !== undefined) headers['content-type'] = plan.contentType;
  if (header !== undefined) headers[headerName] = header;
  return {
    event: { ...template, headers, body: eventBody, isBase64Encoded },
    seenBytes,
    authentic,
  };
}

function signatureFor(
  plan: SignaturePlan,
  seen: Buffer,
  sent: Buffer,
  signedAt: number,
): { header: string | undefined; authentic: boolean; headerName: string } {
  const valid = signatureHeader([TEST_SECRET], signedAt, seen);
  const v1 = valid.slice(valid.indexOf('v1='));
  const other = () => `v1=${freshId('CA').slice(2, 66).padEnd(64, '0')}`;
  const name = 'freeclimb-signature';
  switch (plan.kind) {
    case 'valid':
      return { header: valid, authentic: true, headerName: name };
    case 'valid-with-spaces':
      return { header: ` t = ${signedAt} ,  ${v1.replace('=', ' = ')} `, authentic: true, headerName: name };
    case 'valid-among': {
      const parts = [...Array.from({ length: plan.others }, other), v1];
      return { header: `t=${signedAt},${parts.join(',')}`, authentic: true, headerName: name };
    }
    case 'many-v1': {
      const parts = [...Array.from({ length: plan.count - 1 }, other), v1];
      return { header: `t=${signedAt},${parts.join(',')}`, authentic: false, headerName: name };
    }
    case 'missing':
      return { header: undefined, authentic: false, headerName: name };
    case 'duplicated':
      // Two headers of the same name reach a Lambda joined by a comma.
      return {
        header: `${valid},${signatureHeader([TEST_SECRET], signedAt - 1, seen)}`,
        authentic: false,
        headerName: name,
      };
    case 'truncated':
      return {
        header: valid.slice(0, Math.min(plan.keep, valid.length - 1)),
        authentic: false,
        headerName: name,
      };
    case 'other-case-name':
      // HTTP APIs lower-case header names; a handler given another case must not find a signature.
      return { header: valid, authentic: false, headerName: 'FreeClimb-Signature' };
    case 'upper-case-keys':
      return { header: valid.replace('t=', 'T=').replace('v1=', 'V1='), authentic: false, headerName: name };
    case 'wrong-secret':
      return {
        header: signatureHeader(['sigsec_forged'], signedAt, seen),
        authentic: false,
        headerName: name,
      };
    case 'stale':
      return {
        header: signatureHeader([TEST_SECRET], signedAt - 301, seen),
        authentic: false,
        headerName: name,
      };
    case 'over-sent-text':
      // Signed over the bytes before API Gateway's flag was (mis)applied: genuine only when they are the same.
      return {
        header: signatureHeader([TEST_SECRET], signedAt, sent),
        authentic: sent.equals(seen),
        headerName: name,
      };
  }
}

function bodyBytes(plan: BodyPlan): Buffer {
  switch (plan.kind) {
    case 'mutated':
      return mutated(plan.fixture, plan.field, plan.mutation);
    case 'random-json':
      return Buffer.from(plan.text, 'utf8');
    case 'random-bytes':
      return Buffer.from(plan.bytes);
    case 'deep': {
      const [open, close] = plan.shape === 'array' ? ['[', ']'] : ['{"a":', '}'];
      const deep = `${open.repeat(plan.depth)}1${close.repeat(plan.depth)}`;
      return plan.inValidBody ? withExtraField('deep', deep) : Buffer.from(deep, 'utf8');
    }
    case 'forbidden-key': {
      const member = `${JSON.stringify(plan.key)}:${JSON.stringify(plan.value)}`;
      return withExtraField(plan.nested ? 'extra' : undefined, plan.nested ? `{${member}}` : member);
    }
    case 'duplicate-key': {
      const base = freshBody('completed-inbound.json');
      const value = plan.sameValue ? JSON.parse(base.toString('utf8'))[plan.field] : freshId('CA');
      return Buffer.from(
        base
          .toString('utf8')
          .replace(/}\s*$/, `,${JSON.stringify(plan.field)}:${JSON.stringify(value ?? null)}}`),
      );
    }
    case 'oversized':
      return withExtraField('padding', JSON.stringify('x'.repeat(plan.bytes)));
  }
}

function freshBody(fixture: string): Buffer {
  return withFreshIds(readBody(fixture));
}

/** A fresh valid body with one more member: `"name":<raw json>`, or a raw member when name is undefined. */
function withExtraField(name: string | undefined, rawJson: string): Buffer {
  const text = freshBody('completed-inbound.json').toString('utf8');
  const member = name === undefined ? rawJson : `${JSON.stringify(name)}:${rawJson}`;
  return Buffer.from(text.replace('{', `{${member},`), 'utf8');
}

const RAW_MARKER = '"\u0001raw\u0001"';

function mutated(fixture: string, field: string, mutation: Mutation): Buffer {
  const value = JSON.parse(freshBody(fixture).toString('utf8')) as Record<string, unknown>;
  const current = value[field];
  switch (mutation.op) {
    case 'drop':
      delete value[field];
      break;
    case 'null':
      value[field] = null;
      break;
    case 'retype':
      value[field] = mutation.value;
      break;
    case 'lengthen':
      value[field] = String(current ?? 'x').repeat(mutation.times);
      break;
    case 'string':
      value[field] = mutation.value;
      break;
    case 'rawNumber':
      value[field] = '\u0001raw\u0001';
      return Buffer.from(JSON.stringify(value).replace(RAW_MARKER, mutation.text), 'utf8');
  }
  return Buffer.from(JSON.stringify(value), 'utf8');
}
