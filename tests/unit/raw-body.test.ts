import { PayloadTooLargeError } from '../../lib/errors';
import { readRawBody, strictUtf8 } from '../../lib/raw-body';
import { readBody } from '../support/fixture-bodies';

const LIMIT = 1024;

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('readRawBody', () => {
  test('gives the exact bytes of a text body', () => {
    // Prepare
    const bytes = readBody('child-leg-outbound-dial.json');
    const text = bytes.toString('utf8');

    // Act
    const raw = readRawBody(text, false, 65_536);

    // Assess
    expect(raw.equals(bytes)).toBe(true);
  });

  test('gives the exact decoded bytes of a base64 body', () => {
    // Prepare
    const bytes = readBody('with-recording.json');

    // Act
    const raw = readRawBody(bytes.toString('base64'), true, 65_536);

    // Assess
    expect(raw.equals(bytes)).toBe(true);
  });

  test('keeps bytes that are not UTF-8 in a base64 body', () => {
    // Prepare
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7b]);

    // Act
    const raw = readRawBody(bytes.toString('base64'), true, LIMIT);

    // Assess
    expect([...raw]).toEqual([...bytes]);
  });

  test.each([
    ['undefined', undefined, false],
    ['null', null, false],
    ['null base64', null, true],
    ['empty', '', false],
  ])('gives no bytes for an %s body', (_name, body, isBase64Encoded) => {
    // Prepare
    const input = body;

    // Act
    const raw = readRawBody(input, isBase64Encoded, LIMIT);

    // Assess
    expect(raw.length).toBe(0);
  });

  test.each([
    ['ASCII text', 'a'.repeat(LIMIT), false],
    ['2-byte UTF-8 text', 'é'.repeat(LIMIT / 2), false],
    ['4-byte UTF-8 text', '😀'.repeat(LIMIT / 4), false],
    ['base64', Buffer.alloc(LIMIT, 0x61).toString('base64'), true],
  ])('accepts %s of exactly the limit in bytes', (_name, body, isBase64Encoded) => {
    // Prepare
    const input = body;

    // Act
    const raw = readRawBody(input, isBase64Encoded, LIMIT);

    // Assess
    expect(raw.length).toBe(LIMIT);
  });

  test.each([
    ['ASCII text one byte over', 'a'.repeat(LIMIT + 1), false],
    ['2-byte UTF-8 text with fewer characters than the limit', 'é'.repeat(LIMIT / 2 + 1), false],
    ['4-byte UTF-8 text with fewer characters than the limit', '😀'.repeat(LIMIT / 4 + 1), false],
    ['base64 one byte over', Buffer.alloc(LIMIT + 1, 0x61).toString('base64'), true],
    ['base64 far over', Buffer.alloc(LIMIT * 10, 0x61).toString('base64'), true],
  ])('refuses %s with PayloadTooLargeError', (_name, body, isBase64Encoded) => {
    // Prepare
    const read = () => readRawBody(body, isBase64Encoded, LIMIT);

    // Act
    const thrown = thrownBy(read);

    // Assess
    expect(thrown).toBeInstanceOf(PayloadTooLargeError);
    expect((thrown as PayloadTooLargeError).statusCode).toBe(413);
  });

  test('refuses a base64 body longer than 4/3 of the limit before decoding, though it would decode smaller', () => {
    // Prepare: base64 of 3 bytes, padded with spaces the decoder skips, past ceil(1024 / 3) × 4 = 1368 characters.
    const body = `QUJD${' '.repeat(1365)}`;

    // Act
    const thrown = thrownBy(() => readRawBody(body, true, LIMIT));

    // Assess
    expect(body.length).toBe(1369);
    expect(Buffer.from(body, 'base64').length).toBe(3);
    expect(thrown).toBeInstanceOf(PayloadTooLargeError);
  });

  test('accepts a base64 body of exactly ceil(limit / 3) × 4 characters', () => {
    // Prepare
    const body = `QUJD${' '.repeat(1364)}`;

    // Act
    const raw = readRawBody(body, true, LIMIT);

    // Assess
    expect(body.length).toBe(1368);
    expect(raw.toString('utf8')).toBe('ABC');
  });

  test('says the limit in its refusal', () => {
    // Act
    const thrown = thrownBy(() => readRawBody('a'.repeat(LIMIT + 1), false, LIMIT));

    // Assess
    expect((thrown as PayloadTooLargeError).message).toBe('The body is larger than 1024 bytes');
  });
});

describe('strictUtf8', () => {
  test('decodes valid UTF-8, multi-byte characters included', () => {
    // Prepare
    const text = '{"from":"+33 é 😀 日本"}';

    // Act
    const decoded = strictUtf8(Buffer.from(text, 'utf8'));

    // Assess
    expect(decoded).toBe(text);
  });

  test('keeps a BOM so the text re-encodes to the same bytes', () => {
    // Prepare
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);

    // Act
    const decoded = strictUtf8(bytes);

    // Assess
    expect(Buffer.from(decoded ?? '', 'utf8').equals(bytes)).toBe(true);
  });

  test.each([
    ['a lone continuation byte', [0x7b, 0x80, 0x7d]],
    ['an invalid byte', [0xff]],
    ['a truncated 3-byte sequence', [0xe2, 0x82]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ])('gives undefined for %s', (_name, bytes) => {
    // Prepare
    const input = Buffer.from(bytes);

    // Act
    const decoded = strictUtf8(input);

    // Assess
    expect(decoded).toBeUndefined();
  });
});
