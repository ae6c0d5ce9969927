import { createHash } from 'node:crypto';
import { callLogShardOf } from '../../lib/call-log-key';
import { CALL_RECORD_SCHEMA_VERSION, toCallRecord } from '../../lib/call-record';
import { CallStatusWebhook, parseCallStatusWebhook } from '../../lib/call-status-webhook';
import type { Delivery } from '../../lib/delivery';
import { receivedDateOf, toRejectedDelivery } from '../../lib/rejected-delivery';
import { callStatusBodyNames, readBody, readJson } from '../support/fixture-bodies';

/** 2024-03-09T17:45:12.345Z, written out by hand. */
const RECEIVED_AT_MS = Date.UTC(2024, 2, 9, 17, 45, 12, 345);
const RECEIVED_AT_ISO = '2024-03-09T17:45:12.345Z';
/** The whole second of receipt, for TTL arithmetic. */
const RECEIVED_SECOND = Date.UTC(2024, 2, 9, 17, 45, 12) / 1000;
/** 2024-03-09T17:45:10Z: the signature's t (unix seconds), two seconds before receipt. */
const SIGNED_AT = Date.UTC(2024, 2, 9, 17, 45, 10) / 1000;
const SIGNED_AT_ISO = '2024-03-09T17:45:10.000Z';

/** The schema's fields; anything else in a body is unknown. */
const KNOWN_FIELDS = new Set(Object.keys(CallStatusWebhook.entries));
const RECEIPT_FIELDS = ['receivedAt', 'signedAt', 'rawBody', 'schemaVersion'];

function payloadOf(name: string): CallStatusWebhook {
  const result = parseCallStatusWebhook(readJson(name));
  if (!result.ok) {
    throw new Error(`${name} should be a valid fixture: ${JSON.stringify(result.issues)}`);
  }
  return result.payload;
}

function delivery(name: string, overrides: Partial<Delivery> = {}): Delivery {
  return { receivedAtMs: RECEIVED_AT_MS, signedAt: SIGNED_AT, rawBody: readBody(name), ...overrides };
}

describe('toCallRecord', () => {
  test.each(callStatusBodyNames())(
    'maps %s: known fields with a value, the receipt facts, nothing else',
    (name) => {
      // Prepare
      const body = readJson(name);
      const expected: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(body)) {
        if (KNOWN_FIELDS.has(key) && value !== null && value !== '') {
          expected[key] = key === 'callDuration' ? Number(value) : value;
        }
      }
      Object.assign(expected, {
        receivedAt: RECEIVED_AT_ISO,
        // The call log's partition: the UTC day of receipt and the call's shard.
        callLogShard: `2024-03-09#${callLogShardOf(String(body.callId))}`,
        signedAt: SIGNED_AT_ISO,
        rawBody: readBody(name).toString('utf8'),
        schemaVersion: CALL_RECORD_SCHEMA_VERSION,
      });

      // Act
      const record = toCallRecord(payloadOf(name), delivery(name), 0);

      // Assess
      expect(record).toStrictEqual(expected);
      expect(typeof record.callDuration).toBe('number');
    },
  );

  test.each(callStatusBodyNames())('writes no null, empty string or undefined attribute for %s', (name) => {
    // Prepare
    const payload = payloadOf(name);

    // Act
    const record = toCallRecord(payload, delivery(name), 0);

    // Assess
    const empty = Object.entries(record).filter(
      ([, value]) => value === null || value === '' || value === undefined,
    );
    expect(empty).toEqual([]);
  });

  test('leaves parentCallId absent when the body has null, and keeps it on the child leg', () => {
    // Prepare
    const parentName = 'completed-inbound.json';
    const childName = 'child-leg-outbound-dial.json';

    // Act
    const parent = toCallRecord(payloadOf(parentName), delivery(parentName), 0);
    const child = toCallRecord(payloadOf(childName), delivery(childName), 0);

    // Assess
    expect(readJson(parentName).parentCallId).toBeNull();
    expect(Object.hasOwn(parent, 'parentCallId')).toBe(false);
    expect(child.parentCallId).toBe(readJson(childName).parentCallId);
    expect(child.parentCallId).toMatch(/^CA[0-9a-f]{40}$/i);
  });

  test('keeps recordingDurationSec 0 of a zero-length recording and drops its empty strings', () => {
    // Prepare
    const name = 'zero-length-recording.json';

    // Act
    const record = toCallRecord(payloadOf(name), delivery(name), 0);

    // Assess
    expect(record.recordingDurationSec).toBe(0);
    expect(Object.hasOwn(record, 'recordingUrl')).toBe(false);
    expect(Object.hasOwn(record, 'recordingId')).toBe(false);
    expect(Object.hasOwn(record, 'conferenceId')).toBe(false);
    expect(Object.hasOwn(record, 'queueId')).toBe(false);
  });

  test('keeps empty from and to as sent (the contract requires them), while empty optional fields are dropped', () => {
    // Prepare
    const payload = { ...payloadOf('completed-inbound.json'), from: '', to: '', recordingUrl: '' };

    // Act
    const item = toCallRecord(payload, delivery('completed-inbound.json'), 0);

    // Assess
    expect(item).toMatchObject({ from: '', to: '' });
    expect('recordingUrl' in item).toBe(false);
  });

  test('never writes a key whose value is undefined (the sparse index must not see one)', () => {
    // Prepare
    const payload = { ...payloadOf('completed-inbound.json'), parentCallId: undefined };

    // Act
    const item = toCallRecord(payload, delivery('completed-inbound.json'), 0);

    // Assess
    expect(Object.keys(item)).not.toContain('parentCallId');
  });

  test('stores a string callDuration as a number', () => {
    // Prepare
    const name = 'no-answer-with-unknown-field.json';

    // Act
    const record = toCallRecord(payloadOf(name), delivery(name), 0);

    // Assess
    expect(readJson(name).callDuration).toBe('30');
    expect(record.callDuration).toBe(30);
  });

  test('leaves signedAt absent when there is no signature time', () => {
    // Prepare
    const name = 'completed-inbound.json';

    // Act
    const record = toCallRecord(payloadOf(name), delivery(name, { signedAt: undefined }), 0);

    // Assess
    expect(Object.hasOwn(record, 'signedAt')).toBe(false);
    expect(record.receivedAt).toBe(RECEIVED_AT_ISO);
  });

  test('keeps unknown fields in rawBody only, not as top-level attributes', () => {
    // Prepare
    const name = 'no-answer-with-unknown-field.json';
    const unknown = Object.keys(readJson(name)).filter((key) => !KNOWN_FIELDS.has(key));

    // Act
    const record = toCallRecord(payloadOf(name), delivery(name), 0);

    // Assess
    expect(unknown).toEqual(['answeredBy', 'sipResponseCode']);
    for (const key of unknown) {
      expect(Object.hasOwn(record, key)).toBe(false);
      expect(record.rawBody).toContain(`"${key}":`);
    }
    expect(JSON.parse(record.rawBody)).toEqual(readJson(name));
  });

  test.each([
    [1, 86_400],
    [30, 30 * 86_400],
    [36_500, 36_500 * 86_400],
  ])('sets expiresAt to the receive second + %i days', (days, seconds) => {
    // Prepare
    const name = 'busy-outbound-api.json';

    // Act
    const record = toCallRecord(payloadOf(name), delivery(name), days);

    // Assess
    expect(record.expiresAt).toBe(RECEIVED_SECOND + seconds);
  });

  test('leaves expiresAt absent when retention is 0 (keep forever)', () => {
    // Prepare
    const name = 'busy-outbound-api.json';

    // Act
    const record = toCallRecord(payloadOf(name), delivery(name), 0);

    // Assess
    expect(Object.hasOwn(record, 'expiresAt')).toBe(false);
    expect(Object.keys(record)).toEqual(expect.arrayContaining(RECEIPT_FIELDS));
  });
});

describe('toRejectedDelivery', () => {
  const issues = [{ path: 'callStatus', message: 'must be one of: completed' }];

  test('keys the item by receive day and <ISO time>#<first 16 hex of the body SHA-256>', () => {
    // Prepare
    const rawBody = readBody('inbound-call-webhook.json');
    const digest = createHash('sha256').update(rawBody).digest('hex').slice(0, 16);

    // Act
    const item = toRejectedDelivery(
      { receivedAtMs: RECEIVED_AT_MS, signedAt: SIGNED_AT, rawBody },
      { reason: 'invalid', issues, callId: 'CA68677f5878cf7043e77b7545e6ec4230345b9631' },
      30,
    );

    // Assess
    expect(item).toStrictEqual({
      receivedDate: '2024-03-09',
      rejectionId: `${RECEIVED_AT_ISO}#${digest}`,
      receivedAt: RECEIVED_AT_ISO,
      signedAt: SIGNED_AT_ISO,
      reason: 'invalid',
      issues,
      callId: 'CA68677f5878cf7043e77b7545e6ec4230345b9631',
      rawBody: rawBody.toString('utf8'),
      expiresAt: RECEIVED_SECOND + 30 * 86_400,
    });
    expect(item.rejectionId).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{16}$/);
  });

  test('gives the same digest for the same body and a different one for a different body', () => {
    // Prepare
    const body = readBody('completed-inbound.json');
    const sameBytes = Buffer.from(body.toString('utf8'), 'utf8');
    const other = readBody('busy-outbound-api.json');
    const reject = (rawBody: Buffer, receivedAtMs: number) =>
      toRejectedDelivery({ receivedAtMs, rawBody }, { reason: 'conflict', issues: [] }, 0);
    const digestOf = (rejectionId: string) => rejectionId.split('#')[1];

    // Act
    const first = reject(body, RECEIVED_AT_MS);
    const again = reject(sameBytes, RECEIVED_AT_MS + 60_000);
    const different = reject(other, RECEIVED_AT_MS);

    // Assess
    expect(digestOf(again.rejectionId)).toBe(digestOf(first.rejectionId));
    expect(digestOf(different.rejectionId)).not.toBe(digestOf(first.rejectionId));
    expect(again.rejectionId).not.toBe(first.rejectionId);
  });

  test('keeps a body that is not UTF-8 as rawBodyBase64', () => {
    // Prepare
    const rawBody = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);

    // Act
    const item = toRejectedDelivery(
      { receivedAtMs: RECEIVED_AT_MS, signedAt: SIGNED_AT, rawBody },
      { reason: 'malformed', issues: [] },
      0,
    );

    // Assess
    expect(Object.hasOwn(item, 'rawBody')).toBe(false);
    expect(Buffer.from(item.rawBodyBase64 ?? '', 'base64').equals(rawBody)).toBe(true);
  });

  test('writes no undefined-valued attribute when the optional facts are missing', () => {
    // Prepare
    const rawBody = Buffer.from('not json', 'utf8');

    // Act
    const item = toRejectedDelivery(
      { receivedAtMs: RECEIVED_AT_MS, rawBody },
      { reason: 'malformed', issues: [] },
      0,
    );

    // Assess
    expect(Object.entries(item).filter(([, value]) => value === undefined)).toEqual([]);
    expect(Object.keys(item).sort()).toEqual(
      ['issues', 'rawBody', 'reason', 'receivedAt', 'receivedDate', 'rejectionId'].sort(),
    );
  });

  test.each([
    ['just before midnight UTC', Date.UTC(2024, 11, 31, 23, 59, 59, 999), '2024-12-31'],
    ['at midnight UTC', Date.UTC(2025, 0, 1, 0, 0, 0, 0), '2025-01-01'],
  ])('receivedDateOf gives the partition of an id received %s', (_name, receivedAtMs, day) => {
    // Prepare
    const item = toRejectedDelivery(
      { receivedAtMs, rawBody: Buffer.from('{}') },
      { reason: 'invalid', issues: [] },
      0,
    );

    // Act
    const date = receivedDateOf(item.rejectionId);

    // Assess
    expect(date).toBe(day);
    expect(item.receivedDate).toBe(day);
  });
});
