import * as v from 'valibot';
import { AccountId, CallId } from './call-status-webhook';
import { isoUtc, parseIsoTime } from './freeclimb-time';

const COUNT_MESSAGE = 'must be a whole number';
const count = (min: number) =>
  v.pipe(v.number(COUNT_MESSAGE), v.safeInteger(COUNT_MESSAGE), v.minValue(min, `must be at least ${min}`));

/**
 * One record's enrichment, as it travels from the stream to the retry queue and back: which call, whose
 * account, the number of the attempt it is for, when the first attempt was made (the give-up age counts from
 * it) and how many 404s FreeClimb gave so far (the not-found budget).
 */
export const EnrichmentJob = v.object(
  {
    callId: CallId,
    accountId: AccountId,
    attempt: count(1),
    firstTriedAt: v.pipe(
      v.string('must be an ISO 8601 time'),
      v.check((text) => parseIsoTime(text) !== undefined, 'must be an ISO 8601 time'),
    ),
    notFoundAnswers: v.optional(count(0), 0),
  },
  (issue) => (issue.path === undefined ? 'must be a JSON object' : 'is required'),
);

/** A checked job; serialise it with JSON.stringify (an SQS message body). */
export type EnrichmentJob = v.InferOutput<typeof EnrichmentJob>;

/** A message that is a job, or why it is none (poison), with the call id and attempt when it has them. */
export type JobReading =
  | { ok: true; job: EnrichmentJob }
  | { ok: false; reason: string; callId?: string; attempts: number };

/**
 * The first job of a new record (a stream's INSERT image), attempt 1 from `nowMs`. Not checked here: a record
 * without a usable account id is poison, which {@link readEnrichmentJob} tells.
 */
export function firstJob(record: { callId?: unknown; accountId?: unknown }, nowMs: number): unknown {
  return { callId: record.callId, accountId: record.accountId, attempt: 1, firstTriedAt: isoUtc(nowMs) };
}

/** Checks a job, given as an object or as its JSON text (an SQS message body). */
export function readEnrichmentJob(input: unknown): JobReading {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return { ok: false, reason: 'the job is not JSON', attempts: 1 };
    }
  }
  const parsed = v.safeParse(EnrichmentJob, value);
  if (parsed.success) {
    return { ok: true, job: parsed.output };
  }
  const issues = parsed.issues.map((issue) => `${v.getDotPath(issue) ?? 'job'}: ${issue.message}`);
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    ok: false,
    reason: `the job is not valid: ${issues.join('; ')}`,
    callId: v.is(CallId, fields.callId) ? fields.callId : undefined,
    attempts: v.is(count(1), fields.attempt) ? fields.attempt : 1,
  };
}
