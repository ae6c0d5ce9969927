import { PayloadTooLargeError } from './errors';

/**
 * The exact bytes of a request body. The signature covers these bytes, and records keep them, so they are
 * never re-serialised: text is decoded only when it is strict UTF-8 (which re-encodes to the same bytes).
 */
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body's bytes as API Gateway hands them over (base64 when it says so; none at all is an empty body),
 * refusing anything over
 * `maxBytes` with {@link PayloadTooLargeError}; an obviously long body is refused before it is decoded.
 */
export function readRawBody(
  body: string | null | undefined,
  isBase64Encoded: boolean,
  maxBytes: number,
): Buffer {
  if (
    // API Gateway leaves an empty body out; serverless-offline and other local runners send `null`.
    body === undefined ||
    body === null ||
    // Stryker disable next-line ConditionalExpression: '' also reaches an empty buffer by the general path; this only spares the work
    body === ''
  ) {
    return Buffer.alloc(0);
  }
  // UTF-8 needs at least one byte per UTF-16 unit; base64 needs 4 characters per 3 bytes.
  const leastLength = isBase64Encoded ? Math.ceil(maxBytes / 3) * 4 : maxBytes;
  if (body.length > leastLength) {
    throw tooLarge(maxBytes);
  }
  const bytes = isBase64Encoded
    ? Buffer.from(body, 'base64')
    : // Stryker disable next-line StringLiteral: UTF-8 is also what Buffer.from uses for an empty encoding name
      Buffer.from(body, 'utf8');
  if (bytes.length > maxBytes) {
    throw tooLarge(maxBytes);
  }
  return bytes;
}

/** The bytes as text when they are strict UTF-8, else undefined. */
export function strictUtf8(bytes: Buffer): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The body is larger than ${maxBytes} bytes`);
}
