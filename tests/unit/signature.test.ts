import { createHmac } from 'node:crypto';
import { SignatureError, type SignatureFailure } from '../../lib/errors';
import { computeSignature, parseSignatureHeader, verifySignature } from '../../lib/signature';
import { readBody } from '../support/fixture-bodies';

const OLD_SECRET = 'sigsec_0000000000000000000000000000000000000000';
const NEW_SECRET = 'sigsec_1111111111111111111111111111111111111111';
const T = 1_700_000_000;
const NOW_MS = T * 1000;
const TOLERANCE = 300;
const BODY = readBody('completed-inbound.json');

/** FreeClimb's scheme, computed here independently of lib: hex HMAC-SHA256 of "<t>.<raw body>". */
function hmacHex(secret: string, timestamp: number, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

function verify(overrides: {
  header: string | undefined;
  rawBody?: Buffer;
  secrets?: readonly string[];
  nowMs?: number;
}): number {
  return verifySignature({
    rawBody: BODY,
    secrets: [OLD_SECRET],
    toleranceSeconds: TOLERANCE,
    nowMs: NOW_MS,
    ...overrides,
  });
}

function failureOf(run: () => unknown): SignatureFailure | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof SignatureError) {
      return error.reason;
    }
    throw error;
  }
  return undefined;
}

const VALID_V1 = hmacHex(OLD_SECRET, T, BODY);

describe('computeSignature', () => {
  test("matches CONTRACT.md's worked example", () => {
    // Prepare
    const rawBody = Buffer.from('{"a":1}', 'utf8');

    // Act
    const signature = computeSignature(OLD_SECRET, 1_700_000_000, rawBody);

    // Assess
    expect(signature.toString('hex')).toBe(
      'a8794a7c403b34ee1c449ef1bcce745e3e26ea4265681229c567bf0ab5edb9f1',
    );
  });
});

describe('verifySignature accepts', () => {
  test("CONTRACT.md's worked example as a header", () => {
    // Prepare
    const header = `t=${T},v1=a8794a7c403b34ee1c449ef1bcce745e3e26ea4265681229c567bf0ab5edb9f1`;

    // Act
    const signedAt = verify({ header, rawBody: Buffer.from('{"a":1}') });

    // Assess
    expect(signedAt).toBe(T);
  });

  test('a valid signature over a fixture body, returning its time', () => {
    // Prepare
    const header = `t=${T},v1=${VALID_V1}`;

    // Act
    const signedAt = verify({ header });

    // Assess
    expect(signedAt).toBe(T);
  });

  test('a base64-delivered body once the caller has decoded it, but not the base64 text itself', () => {
    // Prepare
    const base64Text = BODY.toString('base64');
    const header = `t=${T},v1=${VALID_V1}`;

    // Act
    const decoded = failureOf(() => verify({ header, rawBody: Buffer.from(base64Text, 'base64') }));
    const undecoded = failureOf(() => verify({ header, rawBody: Buffer.from(base64Text, 'utf8') }));

    // Assess
    expect(decoded).toBeUndefined();
    expect(undecoded).toBe('mismatch');
  });

  test.each([
    ['only the old secret', [OLD_SECRET]],
    ['only the new secret', [NEW_SECRET]],
    ['both secrets', [OLD_SECRET, NEW_SECRET]],
  ])('a rotation header carrying two v1 (old and new secret) when configured with %s', (_name, secrets) => {
    // Prepare
    const header = `t=${T},v1=${hmacHex(OLD_SECRET, T, BODY)},v1=${hmacHex(NEW_SECRET, T, BODY)}`;

    // Act
    const signedAt = verify({ header, secrets });

    // Assess
    expect(signedAt).toBe(T);
  });

  test('a header signed only with the second of two configured secrets', () => {
    // Prepare
    const header = `t=${T},v1=${hmacHex(NEW_SECRET, T, BODY)}`;

    // Act
    const signedAt = verify({ header, secrets: [OLD_SECRET, NEW_SECRET] });

    // Assess
    expect(signedAt).toBe(T);
  });

  test('extra spaces around the parts', () => {
    // Prepare
    const header = `  t = ${T} ,   v1 =  ${VALID_V1}  `;

    // Act
    const signedAt = verify({ header });

    // Assess
    expect(signedAt).toBe(T);
  });

  test('unknown schemes next to v1', () => {
    // Prepare
    const header = `t=${T},v0=${'0'.repeat(64)},v1=${VALID_V1},v2=whatever`;

    // Act
    const signedAt = verify({ header });

    // Assess
    expect(signedAt).toBe(T);
  });

  test('an uppercase hex v1', () => {
    // Prepare
    const header = `t=${T},v1=${VALID_V1.toUpperCase()}`;

    // Act
    const signedAt = verify({ header });

    // Assess
    expect(signedAt).toBe(T);
  });

  test('a long header with padding up to exactly 1024 characters (the limit itself)', () => {
    // Prepare
    const prefix = `t=${T},v1=${VALID_V1},x=`;
    const header = prefix + 'a'.repeat(1024 - prefix.length);

    // Act
    const signedAt = verify({ header });

    // Assess
    expect(header).toHaveLength(1024);
    expect(signedAt).toBe(T);
  });
});

describe('verifySignature refuses', () => {
  test.each([
    ['undefined', undefined],
    ['empty', ''],
    ['only spaces', '   '],
  ])('a header that is %s as missing', (_name, header) => {
    // Prepare
    const input = { header };

    // Act
    const reason = failureOf(() => verify(input));

    // Assess
    expect(reason).toBe('missing');
  });

  const fiveSignatures = [VALID_V1, ...['1', '2', '3', '4'].map((n) => n.repeat(64))];
  test.each([
    ['no t', `v1=${VALID_V1}`],
    ['no v1', `t=${T}`],
    ['t not digits', `t=17000000x0,v1=${VALID_V1}`],
    ['t negative', `t=-${T},v1=${VALID_V1}`],
    ['t fractional', `t=${T}.5,v1=${VALID_V1}`],
    ['t empty', `t=,v1=${VALID_V1}`],
    ['duplicated t (two headers joined)', `t=${T},v1=${VALID_V1},t=${T},v1=${VALID_V1}`],
    ['v1 not hex', `t=${T},v1=${'g'.repeat(64)}`],
    ['v1 too long (65 hex)', `t=${T},v1=${VALID_V1}0`],
    ['truncated v1 (63 hex)', `t=${T},v1=${VALID_V1.slice(0, 63)}`],
    ['v1 empty', `t=${T},v1=`],
    ['garbage', 'garbage'],
    ['garbage with separators', '=,=,='],
    ['only commas', ',,,'],
    ['a part without "="', `t=${T},v1=${VALID_V1},junk`],
    ['over 1024 characters', `t=${T},v1=${VALID_V1},x=${'a'.repeat(1024)}`],
    ['more than 4 v1 values', `t=${T},${fiveSignatures.map((hex) => `v1=${hex}`).join(',')}`],
  ])('a header with %s as malformed', (_name, header) => {
    // Prepare
    const input = { header };

    // Act
    const reason = failureOf(() => verify(input));

    // Assess
    expect(reason).toBe('malformed');
  });

  test('a t older than the tolerance by 1 s as stale, and exactly at the tolerance as valid', () => {
    // Prepare
    const header = `t=${T},v1=${VALID_V1}`;
    const atLimitMs = (T + TOLERANCE) * 1000 + 999;
    const pastLimitMs = (T + TOLERANCE + 1) * 1000;

    // Act
    const atLimit = failureOf(() => verify({ header, nowMs: atLimitMs }));
    const pastLimit = failureOf(() => verify({ header, nowMs: pastLimitMs }));

    // Assess
    expect(atLimit).toBeUndefined();
    expect(pastLimit).toBe('stale');
  });

  test('a t ahead by the tolerance + 1 s as future, and exactly at the tolerance as valid', () => {
    // Prepare
    const atLimitT = T + TOLERANCE;
    const pastLimitT = T + TOLERANCE + 1;
    const atLimitHeader = `t=${atLimitT},v1=${hmacHex(OLD_SECRET, atLimitT, BODY)}`;
    const pastLimitHeader = `t=${pastLimitT},v1=${hmacHex(OLD_SECRET, pastLimitT, BODY)}`;

    // Act
    const atLimit = failureOf(() => verify({ header: atLimitHeader }));
    const pastLimit = failureOf(() => verify({ header: pastLimitHeader }));

    // Assess
    expect(atLimit).toBeUndefined();
    expect(pastLimit).toBe('future');
  });

  test('a signature made with another secret as a mismatch', () => {
    // Prepare
    const header = `t=${T},v1=${hmacHex('sigsec_not_the_configured_one', T, BODY)}`;

    // Act
    const reason = failureOf(() => verify({ header }));

    // Assess
    expect(reason).toBe('mismatch');
  });

  test('a body changed by one byte as a mismatch', () => {
    // Prepare
    const header = `t=${T},v1=${VALID_V1}`;
    const tampered = Buffer.from(BODY);
    const last = tampered.length - 1;
    tampered[last] = (tampered[last] ?? 0) ^ 0x01;

    // Act
    const reason = failureOf(() => verify({ header, rawBody: tampered }));

    // Assess
    expect(reason).toBe('mismatch');
  });

  test.each([
    ['different spacing', (value: Record<string, unknown>) => JSON.stringify(value, null, 2)],
    [
      'a different key order',
      (value: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(value).reverse())),
    ],
  ])('a signature over the JSON re-serialised with %s as a mismatch', (_name, reserialise) => {
    // Prepare
    const reserialised = reserialise(JSON.parse(BODY.toString('utf8')) as Record<string, unknown>);
    const header = `t=${T},v1=${hmacHex(OLD_SECRET, T, reserialised)}`;

    // Act
    const reason = failureOf(() => verify({ header }));

    // Assess
    expect(reserialised).not.toBe(BODY.toString('utf8'));
    expect(reason).toBe('mismatch');
  });

  test('a signature by a revoked secret that is no longer configured as a mismatch', () => {
    // Prepare
    const header = `t=${T},v1=${hmacHex(OLD_SECRET, T, BODY)}`;

    // Act
    const reason = failureOf(() => verify({ header, secrets: [NEW_SECRET] }));

    // Assess
    expect(reason).toBe('mismatch');
  });
});

describe('parseSignatureHeader says what is wrong, the same words for every malformed header', () => {
  const V1 = `v1=${'ab'.repeat(32)}`;

  test.each([
    ['longer than 1024 characters', `t=1,${V1},${'x'.repeat(1024)}`],
    ['with two t', `t=1,t=2,${V1}`],
    ['with a t that is no number', `t=x,${V1}`],
    ['with a v1 that is no SHA-256 hex', 't=1,v1=abc'],
    ['with five v1', `t=1,${[V1, V1, V1, V1, V1].join(',')}`],
    ['with a part without a key', `t=1,${V1},=zz`],
    ['without any v1', 't=1'],
  ])('a header %s', (_name, header) => {
    // Act
    const thrown = (() => {
      try {
        return parseSignatureHeader(header);
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(thrown).toBeInstanceOf(SignatureError);
    expect(thrown).toMatchObject({ reason: 'malformed', message: 'Malformed FreeClimb-Signature header' });
  });

  test('accepts four v1, the most it takes', () => {
    // Act
    const parsed = parseSignatureHeader(`t=1,${[V1, V1, V1, V1].join(',')}`);

    // Assess
    expect(parsed.signatures).toHaveLength(4);
  });
});
