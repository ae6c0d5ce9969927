import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from './errors';

/** Header that carries FreeClimb's request signature (HTTP APIs deliver header names lower-cased). */
export const SIGNATURE_HEADER = 'freeclimb-signature';

/** Longest header we parse: two secrets need ~150 characters, so anything near this is not FreeClimb. */
const MAX_HEADER_LENGTH = 1024;
/** FreeClimb sends one `v1` per active secret: at most two during a rotation. */
const MAX_SIGNATURES = 4;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^[0-9]{1,12}$/;

export interface ParsedSignatureHeader {
  timestamp: number;
  signatures: Buffer[];
}

/** Splits `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; unknown schemes are ignored, malformed parts refused. */
export function parseSignatureHeader(header: string | undefined): ParsedSignatureHeader {
  if (header === undefined || header.trim() === '') {
    throw new SignatureError('missing', 'Missing FreeClimb-Signature header');
  }
  if (header.length > MAX_HEADER_LENGTH) {
    throw new SignatureError('malformed', 'Malformed FreeClimb-Signature header');
  }
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, Math.max(separator, 0)).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') {
      // A second `t` means two headers were joined: we cannot tell which one the signatures belong to.
      if (timestamp !== undefined || !UNIX_SECONDS.test(value)) {
        throw new SignatureError('malformed', 'Malformed FreeClimb-Signature header');
      }
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value) || signatures.length === MAX_SIGNATURES) {
        throw new SignatureError('malformed', 'Malformed FreeClimb-Signature header');
      }
      signatures.push(Buffer.from(value, 'hex'));
    } else if (key === '') {
      throw new SignatureError('malformed', 'Malformed FreeClimb-Signature header');
    }
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new SignatureError('malformed', 'Malformed FreeClimb-Signature header');
  }
  return { timestamp, signatures };
}

/** HMAC-SHA256 of `"<t>.<raw body>"` keyed with the whole signing secret, as FreeClimb computes it. */
export function computeSignature(secret: string, timestamp: number, rawBody: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/** Builds a `FreeClimb-Signature` header value: one `v1` per secret, as FreeClimb does during rotation. */
export function signatureHeader(secrets: readonly string[], timestamp: number, rawBody: Buffer): string {
  const parts = secrets.map((secret) => `v1=${computeSignature(secret, timestamp, rawBody).toString('hex')}`);
  return [`t=${timestamp}`, ...parts].join(',');
}

export interface VerifySignatureInput {
  header: string | undefined;
  rawBody: Buffer;
  secrets: readonly string[];
  /** Allowed distance between the signature's time and ours, in seconds, in either direction. */
  toleranceSeconds: number;
  nowMs: number;
}

/**
 * Verifies a `FreeClimb-Signature` header over the exact received bytes.
 * Returns the signature's time (unix seconds); throws {@link SignatureError} otherwise.
 */
export function verifySignature(input: VerifySignatureInput): number {
  const { timestamp, signatures } = parseSignatureHeader(input.header);
  const skew = timestamp - Math.floor(input.nowMs / 1000);
  if (skew < -input.toleranceSeconds) {
    throw new SignatureError('stale', 'FreeClimb-Signature timestamp is too old');
  }
  if (skew > input.toleranceSeconds) {
    throw new SignatureError('future', 'FreeClimb-Signature timestamp is in the future');
  }
  let matched = false;
  // Every pair is compared so the time taken does not tell which secret or signature came close.
  for (const secret of input.secrets) {
    const expected = computeSignature(secret, timestamp, input.rawBody);
    for (const candidate of signatures) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        matched = true;
      }
    }
  }
  if (!matched) {
    throw new SignatureError('mismatch', 'FreeClimb-Signature does not match the request body');
  }
  return timestamp;
}
