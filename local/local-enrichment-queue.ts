import type { EnrichmentQueue } from '../lib/enrichment-batch';
import type { EnrichmentJob } from '../lib/enrichment-job';

/**
 * The enricher's queues in a local run, in this process: a retry is a timer that runs the job again after
 * its delay (in AWS a delayed SQS message), and the dead-letter queue is one ERROR line with the reason and
 * the job (in AWS a message an alarm watches). The record itself says why enrichment gave up either way:
 * the attempt writes its `enrichment` mark.
 */
export interface LocalEnrichmentQueue extends EnrichmentQueue {
  /** Retries waiting for their time. */
  readonly pending: number;
  /** Cancels every waiting retry, and refuses later ones; returns how many were dropped in all. */
  stop(): number;
}

export interface LocalEnrichmentQueueOptions {
  /** Runs a job whose retry is due. */
  run(job: EnrichmentJob): void;
  /** Where the dead-letter line goes. */
  logError(line: string): void;
}

export function createLocalEnrichmentQueue(options: LocalEnrichmentQueueOptions): LocalEnrichmentQueue {
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let dropped = 0;

  return {
    get pending() {
      return timers.size;
    },
    async retryLater(job, delaySeconds) {
      if (stopped) {
        dropped += 1;
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        options.run(job);
      }, delaySeconds * 1000);
      timers.add(timer);
    },
    async deadLetter(input, reason) {
      options.logError(
        `ERROR enrichment gave up on ${describeInput(input)}: ${reason} (local dead-letter queue)`,
      );
    },
    stop() {
      stopped = true;
      dropped += timers.size;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return dropped;
    },
  };
}

/** The fields a job carries; nothing else of an input is printed (a stream record's image holds phone numbers). */
const JOB_FIELDS = ['callId', 'accountId', 'attempt', 'firstTriedAt', 'notFoundAnswers'] as const;

/** A job as its JSON (control characters escaped); a stream record no job could be made of by its sequence number. */
function describeInput(input: unknown): string {
  if (typeof input !== 'object' || input === null) return `an input that is no job (${typeof input})`;
  const fields = input as Record<string, unknown>;
  const sequenceNumber = (fields.dynamodb as { SequenceNumber?: unknown } | undefined)?.SequenceNumber;
  if (sequenceNumber !== undefined) return `stream record ${JSON.stringify(sequenceNumber)}`;
  const job = Object.fromEntries(
    JOB_FIELDS.filter((name) => name in fields).map((name) => [name, fields[name]]),
  );
  return `job ${JSON.stringify(job)}`;
}
