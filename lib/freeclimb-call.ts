import * as v from 'valibot';
import type { CallDetails, FinalStatus } from './call-details';
import { Seconds } from './call-status-webhook';
import { isoUtc, parseIsoTime, parseRfc1123 } from './freeclimb-time';

/**
 * FreeClimb's Call resource (`GET /Accounts/{accountId}/Calls/{callId}`, schema `CallResult` of its OpenAPI
 * description), reduced to the fields a record's `details` take, and what those details are. Every message
 * here is ours and never repeats a received value.
 */

/** Every `status` a Call can have (`CallStatus`). */
export const CALL_RESOURCE_STATUSES = [
  'queued',
  'ringing',
  'inProgress',
  'canceled',
  'completed',
  'failed',
  'busy',
  'noAnswer',
] as const;

/** The statuses a call ends in; the others say it is still going on. */
export const FINAL_STATUSES: readonly FinalStatus[] = ['canceled', 'completed', 'failed', 'busy', 'noAnswer'];

/** The times a `completed` call must have before its details are final. */
const COMPLETED_TIMES = ['startTime', 'connectTime', 'endTime'] as const;

/** Identifiers and names are short; the bound keeps a misbehaving answer from filling the item. */
const MAX_TEXT = 256;

/**
 * FreeClimb marks "no value" three ways (the key absent, `null`, or `""`, as its docs say "empty"): all
 * three come out as undefined, and anything else must pass `schema`.
 */
const orEmpty = <TSchema extends v.GenericSchema>(schema: TSchema, message: string) =>
  v.pipe(
    v.nullish(v.union([v.literal(''), schema], message)),
    v.transform((value) => (value === '' || value === null ? undefined : value)),
  );

/** A time in one of FreeClimb's formats, read into ISO 8601 UTC, or refused with `message`. */
const timeIn = (parse: (text: string) => number | undefined, message: string) =>
  orEmpty(
    v.pipe(
      v.string(message),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const ms = parse(dataset.value);
        if (ms === undefined) {
          // The union around it words the issue (`message`), whatever the input was.
          addIssue();
          return NEVER;
        }
        return isoUtc(ms);
      }),
    ),
    message,
  );

const RFC_1123_MESSAGE = 'must be empty or an RFC 1123 time in GMT';
const ISO_MESSAGE = 'must be empty or an ISO 8601 time';
const rfc1123Time = () => timeIn(parseRfc1123, RFC_1123_MESSAGE);
const isoTime = () => timeIn(parseIsoTime, ISO_MESSAGE);

// The webhook's reading of seconds: FreeClimb documents integers, yet writes some as strings of digits.
const seconds = () => orEmpty(Seconds, 'must be empty or a whole number of seconds');

const TEXT_MESSAGE = `must be empty or a string of at most ${MAX_TEXT} characters`;
const text = () => orEmpty(v.pipe(v.string(TEXT_MESSAGE), v.maxLength(MAX_TEXT, TEXT_MESSAGE)), TEXT_MESSAGE);

/**
 * The Call resource's fields that enrichment reads, checked and normalised: times in ISO 8601 UTC (from
 * either format), empty values as undefined. Other fields are dropped. `answeredBy` is kept as sent, not
 * limited to `human`/`machine`, so a value FreeClimb adds later never blocks a record's details.
 */
export const FreeClimbCall = v.object(
  {
    callId: text(),
    status: v.picklist(CALL_RESOURCE_STATUSES, `must be one of: ${CALL_RESOURCE_STATUSES.join(', ')}`),
    startTime: rfc1123Time(),
    startTimeISO: isoTime(),
    connectTime: rfc1123Time(),
    connectTimeISO: isoTime(),
    endTime: rfc1123Time(),
    endTimeISO: isoTime(),
    duration: seconds(),
    connectDuration: seconds(),
    answeredBy: text(),
    callerName: text(),
    phoneNumberId: text(),
    applicationId: text(),
  },
  (issue) => (issue.path === undefined ? 'must be a JSON object' : 'is required'),
);

/** A checked Call resource: times already in ISO 8601 UTC, every empty value undefined. */
export type FreeClimbCall = v.InferOutput<typeof FreeClimbCall>;

type TimeField = (typeof COMPLETED_TIMES)[number];

/** A time of the call: the ISO field where FreeClimb sent one, else the RFC 1123 field, else undefined. */
function timeOf(call: FreeClimbCall, field: TimeField): string | undefined {
  return call[`${field}ISO`] ?? call[field];
}

/**
 * Why the call's details are not final yet, or undefined when they are: a call still queued, ringing or in
 * progress, or completed without its start, connect or end time (FreeClimb may fill them in a little later).
 */
export function whyNotFinal(call: FreeClimbCall): string | undefined {
  if (!(FINAL_STATUSES as readonly string[]).includes(call.status)) {
    return `FreeClimb shows the call as ${call.status}`;
  }
  if (call.status !== 'completed') {
    return undefined;
  }
  const missing = COMPLETED_TIMES.filter((field) => timeOf(call, field) === undefined);
  return missing.length === 0
    ? undefined
    : `FreeClimb shows the call completed without its ${missing.join(', ')}`;
}

/**
 * The details of a final call (see {@link whyNotFinal}), read at `enrichedAtMs`. Only fields with a value
 * are set, so the map never holds an empty string or a null.
 */
export function toCallDetails(call: FreeClimbCall, enrichedAtMs: number): CallDetails {
  const details: Record<string, string | number> = { status: call.status };
  const values: Record<string, string | number | undefined> = {
    startTime: timeOf(call, 'startTime'),
    connectTime: timeOf(call, 'connectTime'),
    endTime: timeOf(call, 'endTime'),
    duration: call.duration,
    connectDuration: call.connectDuration,
    answeredBy: call.answeredBy,
    callerName: call.callerName,
    phoneNumberId: call.phoneNumberId,
    applicationId: call.applicationId,
  };
  for (const [field, value] of Object.entries(values)) {
    if (value !== undefined) details[field] = value;
  }
  details.enrichedAt = isoUtc(enrichedAtMs);
  return details as unknown as CallDetails;
}
