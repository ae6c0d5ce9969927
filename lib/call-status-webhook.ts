import * as v from 'valibot';
import type { ValidationIssue } from './errors';

/**
 * FreeClimb's `callStatus` webhook body, as its reference text and SDKs describe it
 * (see docs/contract.md). Every message here is ours: none repeats the received value,
 * so issues can be returned to the caller without echoing the body.
 */

const hexId = (prefix: string, what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.regex(new RegExp(`^${prefix}[0-9a-fA-F]{40}$`), `${what} must be ${prefix} followed by 40 hex digits`),
  );

export const CallId = hexId('CA', 'a call id');
export type CallId = v.InferOutput<typeof CallId>;

export const AccountId = hexId('AC', 'an account id');
export const RecordingId = hexId('RE', 'a recording id');

/** E.164 numbers normally, but dialled legs can carry a SIP URI, so only the length is bounded. */
const PartyAddress = v.pipe(v.string('must be a string'), v.maxLength(256, 'must be at most 256 characters'));

const DIGITS = /^[0-9]{1,15}$/;

/**
 * Whole seconds as a JSON integer or a string of decimal digits (FreeClimb's docs disagree on the type);
 * always a number afterwards. `12.5`, `"1e3"`, `-5` and `true` are refused.
 */
const SECONDS_MESSAGE = 'must be a whole number of seconds (an integer or a string of digits)';
export const Seconds = v.union(
  [
    v.pipe(v.number(SECONDS_MESSAGE), v.safeInteger(SECONDS_MESSAGE), v.minValue(0, SECONDS_MESSAGE)),
    v.pipe(
      v.string(SECONDS_MESSAGE),
      v.regex(DIGITS, SECONDS_MESSAGE),
      v.transform((digits) => Number(digits)),
    ),
  ],
  SECONDS_MESSAGE,
);

export const CALL_STATUSES = ['completed', 'busy', 'failed', 'noAnswer', 'canceled'] as const;

export const CALL_ENDED_REASONS = [
  'busy',
  'failed',
  'noAnswer',
  'callCanceled',
  'farEndHangup',
  'appHangup',
  'appReject',
  'appNoPercl',
  'appInvalidPercl',
  'conferenceTerminated',
  'conferenceEmptied',
  'removedFromConference',
  'machineDetected',
  'webhookFailed',
  'webhookInvalidResponse',
  'voiceDisabled',
  'configErrorNoApplication',
  'configErrorNoVoiceUrl',
  'maxRedirectsError',
  'perclProcessingError',
  'internalError',
  'grpcHangup',
  'maxDuration',
] as const;

/** The reference text says `outbound`, the SDK enum says `outboundAPI`: both are accepted and kept as sent. */
export const DIRECTIONS = ['inbound', 'outbound', 'outboundAPI', 'outboundDial'] as const;

const oneOf = <const T extends readonly string[]>(values: T) =>
  v.picklist(values, `must be one of: ${values.join(', ')}`);

/** "This is set to null": null or absent, nothing else. */
const AlwaysNull = v.nullish(v.null('must be null'));

const RECORDING_URL_MESSAGE = 'must be a URL of at most 2048 characters';

/** A zero-length recording arrives with "empty/zero information": empty strings, 0 or null. */
const emptyOr = <T extends v.GenericSchema>(schema: T) =>
  v.nullish(v.union([v.literal(''), schema], 'must be empty or a valid value'));

export const CallStatusWebhook = v.object(
  {
    requestType: v.literal('callStatus', 'must be "callStatus"'),
    callId: CallId,
    accountId: AccountId,
    from: PartyAddress,
    to: PartyAddress,
    callStatus: oneOf(CALL_STATUSES),
    callEndedReason: oneOf(CALL_ENDED_REASONS),
    direction: oneOf(DIRECTIONS),
    conferenceId: AlwaysNull,
    queueId: AlwaysNull,
    callDuration: Seconds,
    recordingUrl: emptyOr(
      v.pipe(
        v.string(RECORDING_URL_MESSAGE),
        v.maxLength(2048, RECORDING_URL_MESSAGE),
        v.url(RECORDING_URL_MESSAGE),
      ),
    ),
    recordingId: emptyOr(RecordingId),
    recordingDurationSec: emptyOr(Seconds),
    parentCallId: v.nullish(CallId),
  },
  // valibot reports a missing key with the object's message, so that case gets its own words.
  (issue) => (issue.path === undefined ? 'must be a JSON object' : 'is required'),
);

/** A validated callStatus body; unknown keys FreeClimb may add are dropped here (the raw body keeps them). */
export type CallStatusWebhook = v.InferOutput<typeof CallStatusWebhook>;

export type ParseResult = { ok: true; payload: CallStatusWebhook } | { ok: false; issues: ValidationIssue[] };

/** Validates a parsed JSON value, collecting every issue with its field path. */
export function parseCallStatusWebhook(input: unknown): ParseResult {
  if (Array.isArray(input)) {
    return { ok: false, issues: [{ path: '', message: 'body must be a JSON object' }] };
  }
  const result = v.safeParse(CallStatusWebhook, input);
  if (result.success) {
    return { ok: true, payload: result.output };
  }
  return { ok: false, issues: result.issues.map(toValidationIssue) };
}

function toValidationIssue(issue: v.BaseIssue<unknown>): ValidationIssue {
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  const message = path === '' ? `body ${issue.message}` : issue.message;
  return { path, message };
}
