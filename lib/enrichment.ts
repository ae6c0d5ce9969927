import type { Admission, AuthPause, KeyVerdict } from './auth-pause';
import type { CallDetails } from './call-details';
import { type CallStore, saveCallDetails, saveEnrichmentGaveUp } from './call-store';
import { type EnrichmentJob, readEnrichmentJob } from './enrichment-job';
import { messageOf } from './errors';
import {
  type CallAnswer,
  type FreeClimbApi,
  type FreeClimbApiError,
  type FreeClimbFailure,
  readFreeClimbCall,
} from './freeclimb-api';
import type { FreeClimbApiKey } from './freeclimb-api-key';
import { toCallDetails } from './freeclimb-call';
import { isoUtc, parseIsoTime } from './freeclimb-time';

/** The metric an alarm watches: FreeClimb refused the API key (401 or 403). Count it in `onAuthFailure`. */
export const AUTH_FAILED_METRIC = 'EnrichmentAuthFailed';

/** When to try a job again, and when to stop. */
export interface RetryPolicy {
  /** The wait after the first attempt; it doubles with each further attempt. */
  baseSeconds: number;
  /** The longest wait (SQS's longest message delay is 900 s); a refused key always waits this long. */
  maxSeconds: number;
  /** A job whose first attempt is older than this gives up instead of retrying. */
  giveUpAfterMs: number;
  /** A call FreeClimb answers 404 for this many times is given up (the resource may lag the webhook). */
  notFoundAttempts: number;
}

/**
 * What one attempt learnt: FreeClimb's answer, or that no request was sent because the container is pausing
 * after a refused key, or because no API key could be read.
 */
export type AttemptResult =
  | CallAnswer
  | { kind: 'paused'; pausedForMs: number }
  | { kind: 'no-key'; error: unknown };

/** What to do after an attempt: store the details, try again later with the next job, or give up. */
export type Decision =
  | { kind: 'store'; details: CallDetails }
  | { kind: 'retry'; afterSeconds: number; reason: string; next: EnrichmentJob }
  | { kind: 'give-up'; reason: string };

/**
 * How a job's attempt ended. `enriched`, `already-enriched` and `gone` are done (a record that has details
 * or no longer exists is never written). `retry`: send `next` again after `afterSeconds`. `gave-up`: the
 * record says why (`marked`, unless it could not be written or the job named no call) and the job belongs
 * in the dead-letter queue with `reason`.
 */
export type EnrichmentOutcome =
  | { kind: 'enriched'; callId: string; details: CallDetails }
  | { kind: 'already-enriched'; callId: string }
  | { kind: 'gone'; callId: string }
  | {
      kind: 'retry';
      callId: string;
      afterSeconds: number;
      reason: string;
      next: EnrichmentJob;
      error?: unknown;
    }
  | { kind: 'gave-up'; callId?: string; reason: string; attempts: number; marked: boolean; error?: unknown };

/** What an attempt needs; one `pause` per container, shared by every job. */
export interface EnrichmentDependencies {
  store: CallStore;
  api: FreeClimbApi;
  apiKey: FreeClimbApiKey;
  policy: RetryPolicy;
  pause: AuthPause;
  now?: () => number;
  /** Called once for each 401 or 403 FreeClimb answers (count {@link AUTH_FAILED_METRIC}). */
  onAuthFailure?: (status: number) => void;
  /** Ends the request to FreeClimb and the writes early (the invocation is running out of time). */
  abortSignal?: AbortSignal;
}

/**
 * The decision after one attempt, pure: a final call is stored; a call not final yet, a 429, 5xx, timeout,
 * network failure or unreadable answer is retried after `baseSeconds × 2^(attempt-1)`, at least
 * `Retry-After`, at most `maxSeconds`; a 404 is retried until `notFoundAttempts` of them; a refused key (or a
 * pause after one) waits `maxSeconds`; any other status gives up at once, as does every retry once the job
 * is older than `giveUpAfterMs`.
 */
export function decide(
  result: AttemptResult,
  job: EnrichmentJob,
  policy: RetryPolicy,
  nowMs: number,
): Decision {
  const later = (reason: string, atLeastSeconds = 0, notFoundAnswers = job.notFoundAnswers) =>
    retryLater(job, policy, nowMs, reason, atLeastSeconds, notFoundAnswers);
  switch (result.kind) {
    case 'ok':
      return { kind: 'store', details: toCallDetails(result.call, nowMs) };
    case 'not-final':
      return later(result.reason);
    case 'paused':
      return later(
        `FreeClimb refused the API key: no request for another ${Math.ceil(result.pausedForMs / 1000)} s`,
        policy.maxSeconds,
      );
    case 'no-key':
      return later(`No FreeClimb API key could be read: ${messageOf(result.error)}`);
    case 'failed':
      return afterFailure(result.error, job, policy, later);
  }
}

function afterFailure(
  error: FreeClimbApiError,
  job: EnrichmentJob,
  policy: RetryPolicy,
  later: (reason: string, atLeastSeconds?: number, notFoundAnswers?: number) => Decision,
): Decision {
  switch (error.kind) {
    case 'not-found': {
      const notFoundAnswers = job.notFoundAnswers + 1;
      return notFoundAnswers >= policy.notFoundAttempts
        ? {
            kind: 'give-up',
            reason: `FreeClimb does not know this call (404 on ${notFoundAnswers} attempts)`,
          }
        : later(error.message, 0, notFoundAnswers);
    }
    case 'unauthorized':
    case 'forbidden':
      return later(`${error.message}: check the API key`, policy.maxSeconds);
    case 'unexpected-status':
      return { kind: 'give-up', reason: error.message };
    default:
      return later(error.message, error.retryAfterSeconds);
  }
}

function retryLater(
  job: EnrichmentJob,
  policy: RetryPolicy,
  nowMs: number,
  reason: string,
  atLeastSeconds: number,
  notFoundAnswers: number,
): Exclude<Decision, { kind: 'store' }> {
  const ageMs = nowMs - (parseIsoTime(job.firstTriedAt) as number);
  if (ageMs >= policy.giveUpAfterMs) {
    const hours = Math.floor(ageMs / 3_600_000);
    return {
      kind: 'give-up',
      reason: `Not enriched ${hours} h after the first attempt, in ${job.attempt} attempts; the last: ${reason}`,
    };
  }
  const backoffSeconds = policy.baseSeconds * 2 ** (job.attempt - 1);
  return {
    kind: 'retry',
    afterSeconds: Math.min(Math.max(backoffSeconds, atLeastSeconds), policy.maxSeconds),
    reason,
    next: { ...job, attempt: job.attempt + 1, notFoundAnswers },
  };
}

/**
 * One attempt for a job (an object, or its JSON text): asks FreeClimb for the call unless the container is
 * pausing after a refused key, decides (see {@link decide}), and writes what it decided: the details, or why
 * it gave up. A poison job (not a job, or a record without an account id) gives up at once. Never rejects on
 * FreeClimb's or DynamoDB's account: a details write that fails is retried like an unanswered request, and a
 * give-up mark that fails is reported as `marked: false`.
 */
export async function enrichCall(deps: EnrichmentDependencies, input: unknown): Promise<EnrichmentOutcome> {
  const now = deps.now ?? Date.now;
  const reading = readEnrichmentJob(input);
  if (!reading.ok) {
    return giveUp(deps, reading.callId, reading.reason, reading.attempts, now());
  }
  const { job } = reading;
  const result = await attempt(deps, job, now);
  const decision = decide(result, job, deps.policy, now());
  if (decision.kind === 'retry') {
    return { ...decision, callId: job.callId, error: errorOf(result) };
  }
  if (decision.kind === 'give-up') {
    return giveUp(deps, job.callId, decision.reason, job.attempt, now());
  }
  try {
    const written = await saveCallDetails(deps.store, job.callId, decision.details, {
      abortSignal: deps.abortSignal,
    });
    return written === 'enriched'
      ? { kind: 'enriched', callId: job.callId, details: decision.details }
      : { kind: written, callId: job.callId };
  } catch (error) {
    const reason = `The details could not be stored: ${messageOf(error)}`;
    const retry = retryLater(job, deps.policy, now(), reason, 0, job.notFoundAnswers);
    return retry.kind === 'retry'
      ? { ...retry, callId: job.callId, error }
      : giveUp(deps, job.callId, retry.reason, job.attempt, now());
  }
}

/** Asks FreeClimb, if the pause lets it, and tells the pause (and the metric) what the answer said of the key. */
async function attempt(
  deps: EnrichmentDependencies,
  job: EnrichmentJob,
  now: () => number,
): Promise<AttemptResult> {
  const admission = deps.pause.admit(now());
  if (!admission.go) {
    return { kind: 'paused', pausedForMs: admission.pausedForMs };
  }
  let result: Exclude<AttemptResult, { kind: 'paused' }>;
  try {
    const apiKey = await deps.apiKey({ refresh: admission.probe });
    result = await readFreeClimbCall(
      deps.api,
      { accountId: job.accountId, callId: job.callId, apiKey },
      { abortSignal: deps.abortSignal, now },
    );
  } catch (error) {
    // Only the key's read rejects: the request answers every outcome, a refused connection included.
    result = { kind: 'no-key', error };
  }
  settle(deps, admission, result, now());
  return result;
}

function settle(
  deps: EnrichmentDependencies,
  admission: Admission & { go: true },
  result: Exclude<AttemptResult, { kind: 'paused' }>,
  nowMs: number,
): void {
  const verdict = result.kind === 'failed' ? keyVerdictOf(result.error) : VERDICTS[result.kind];
  if (verdict === 'refused') {
    deps.onAuthFailure?.((result as { error: FreeClimbApiError }).error.status as number);
  }
  deps.pause.settle(admission, verdict, nowMs);
}

/** What each attempt says about the key: any answer about the call accepts it; no key says nothing. */
const VERDICTS = { ok: 'accepted', 'not-final': 'accepted', 'no-key': 'unknown' } as const;

/** What FreeClimb's failures say about the key; the others (429, 5xx, no answer…) say nothing. */
const KEY_VERDICTS: Partial<Record<FreeClimbFailure, KeyVerdict>> = {
  unauthorized: 'refused',
  forbidden: 'refused',
  'not-found': 'accepted',
};

function keyVerdictOf(error: FreeClimbApiError): KeyVerdict {
  // Stryker disable next-line StringLiteral: the pause takes any verdict but "refused" and "accepted" as "unknown"
  return KEY_VERDICTS[error.kind] ?? 'unknown';
}

async function giveUp(
  deps: EnrichmentDependencies,
  callId: string | undefined,
  reason: string,
  attempts: number,
  nowMs: number,
): Promise<EnrichmentOutcome> {
  if (callId === undefined) {
    return { kind: 'gave-up', reason, attempts, marked: false };
  }
  try {
    const mark = { gaveUpAt: isoUtc(nowMs), reason, attempts };
    const written = await saveEnrichmentGaveUp(deps.store, callId, mark, { abortSignal: deps.abortSignal });
    return written === 'marked'
      ? { kind: 'gave-up', callId, reason, attempts, marked: true }
      : { kind: written, callId };
  } catch (error) {
    return { kind: 'gave-up', callId, reason, attempts, marked: false, error };
  }
}

function errorOf(result: AttemptResult): unknown {
  // Only a failure and a missing key carry one.
  return (result as { error?: unknown }).error;
}
