import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type EnrichmentDependencies, type EnrichmentOutcome, enrichCall } from './enrichment';
import { type EnrichmentJob, firstJob } from './enrichment-job';
import { messageOf } from './errors';

/**
 * Where a batch hands what it did not finish: a job to try again later, or one that gave up (or could not be
 * read). In AWS the retry queue and the dead-letter queue (lib/enrichment-sqs-queue.ts); locally a timer and
 * a log line. A rejection means the job was NOT handed over: the batch then reports its item as failed, so
 * the trigger delivers it again and nothing is lost.
 */
export interface EnrichmentQueue {
  /** Runs `job` (the next attempt, already counted) again after `delaySeconds`. */
  retryLater(job: EnrichmentJob, delaySeconds: number, reason: string): Promise<void>;
  /** Keeps an input that will not be enriched, with why: a job that gave up, or one that is not a job. */
  deadLetter(input: unknown, reason: string): Promise<void>;
}

/**
 * One item of a trigger's batch: the id the trigger knows it by (a stream record's sequence number, an SQS
 * message id), what to attempt (a job, or an SQS body holding one), and, for a record no job can be made of,
 * why (it goes straight to the dead-letter queue).
 */
export interface BatchItem {
  id: string;
  input: unknown;
  unreadable?: string;
}

/** What became of an item: finished, queued for a retry, dead-lettered, or not handed over (`failed`). */
export type Handover = 'done' | 'retry-queued' | 'dead-lettered' | 'failed';

/** One item's attempt and its handover; `error` when the queue (or, never expected, the attempt) failed. */
export interface ItemResult {
  id: string;
  handover: Handover;
  /** Absent for an unreadable record, or when the attempt itself threw. */
  outcome?: EnrichmentOutcome;
  /** For `dead-lettered`: the reason the dead-letter queue was given. */
  reason?: string;
  error?: unknown;
}

/**
 * A DynamoDB stream record, as Lambda delivers it and as the Streams API's GetRecords returns it (only the
 * fields read here).
 */
export interface StreamRecord {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, unknown>; SequenceNumber?: string };
}

/** An SQS message, as Lambda delivers it (only the fields read here). */
export interface QueueMessage {
  messageId: string;
  body: string;
}

/**
 * The batch items of stream records: each INSERT's first job (attempt 1 from `nowMs`), made from the record's
 * NEW_IMAGE. Other records are none of the enricher's business and make no item: MODIFY is the enricher's
 * own write (or a later webhook's), REMOVE a TTL expiry. In AWS the event source mapping's filter already
 * drops them; a local poller of the stream sees them all.
 */
export function streamItems(records: readonly StreamRecord[], nowMs: number): BatchItem[] {
  return records.flatMap((record, index): BatchItem[] => {
    if (record.eventName !== 'INSERT') return [];
    const id = record.dynamodb?.SequenceNumber ?? `record-${index}`;
    const image = record.dynamodb?.NewImage;
    if (image === undefined) {
      return [{ id, input: record, unreadable: 'the stream record has no NEW_IMAGE' }];
    }
    let item: Record<string, unknown>;
    try {
      item = unmarshall(image as Record<string, AttributeValue>);
    } catch (error) {
      return [
        { id, input: record, unreadable: `the stream record's NEW_IMAGE is unreadable: ${messageOf(error)}` },
      ];
    }
    return [{ id, input: firstJob(item, nowMs) }];
  });
}

/** The batch items of SQS messages: each body is a job's JSON (lib/enrichment-job.ts reads and checks it). */
export function queueItems(messages: readonly QueueMessage[]): BatchItem[] {
  return messages.map((message) => ({ id: message.messageId, input: message.body }));
}

/** How the trigger delivers a batch again when items of it are reported. */
export interface BatchOptions {
  /**
   * A DynamoDB stream delivers again every record from the first one reported on, the ones after it too;
   * SQS delivers only the messages reported. When `true`, an item's retry or dead letter is handed over only
   * once every item before it was: after the first item not handed over, the later ones that still need a
   * handover are left to that delivery, so none of them starts a second chain of retries.
   */
  redeliversFromFirstFailure?: boolean;
}

/**
 * Attempts every item of a batch at the same time and hands each outcome over: a retry to
 * `queue.retryLater` with its delay, a give-up (or an unreadable record) to `queue.deadLetter` with its
 * reason. No attempt waits for another: each is bounded by the API's short timeout and the store's own
 * budget, so one slow call holds up its batch for one timeout at most, never its shard or queue for longer.
 * The record is enriched on its own, once (the write is conditional), so per-shard order matters only for
 * the handovers ({@link BatchOptions}). Never rejects; the results say which items were not handed over
 * ({@link failedItemIds}).
 */
export async function runEnrichmentBatch(
  deps: EnrichmentDependencies,
  queue: EnrichmentQueue,
  items: readonly BatchItem[],
  options: BatchOptions = {},
): Promise<ItemResult[]> {
  const attempts = items.map((item) => attempt(deps, item));
  if (!options.redeliversFromFirstFailure) {
    return Promise.all(attempts.map(async (attempted) => handOver(queue, await attempted)));
  }
  const results: ItemResult[] = [];
  let firstFailed: string | undefined;
  for (const attempted of attempts) {
    const result =
      firstFailed === undefined
        ? await handOver(queue, await attempted)
        : leftToRedelivery(await attempted, firstFailed);
    if (result.handover === 'failed') firstFailed ??= result.id;
    results.push(result);
  }
  return results;
}

/**
 * The ids to report as batch item failures (`batchItemFailures[].itemIdentifier`): the items not handed
 * over, which the trigger then delivers again (a stream from the first of them on; SQS each message).
 */
export function failedItemIds(results: readonly ItemResult[]): string[] {
  return results.filter((result) => result.handover === 'failed').map((result) => result.id);
}

/** An item's attempt: its outcome, or why there is none (an unreadable record, or a bug in the attempt). */
type Attempted =
  | { item: BatchItem; outcome: EnrichmentOutcome }
  | { item: BatchItem; unreadable: string }
  | { item: BatchItem; error: unknown };

async function attempt(deps: EnrichmentDependencies, item: BatchItem): Promise<Attempted> {
  if (item.unreadable !== undefined) return { item, unreadable: item.unreadable };
  try {
    return { item, outcome: await enrichCall(deps, item.input) };
  } catch (error) {
    // enrichCall answers every failure it knows with an outcome: this is a bug, and the trigger tries again.
    return { item, error };
  }
}

async function handOver(queue: EnrichmentQueue, attempted: Attempted): Promise<ItemResult> {
  const { item } = attempted;
  if ('error' in attempted) return { id: item.id, handover: 'failed', error: attempted.error };
  if ('unreadable' in attempted) return deadLetter(queue, item, attempted.unreadable);
  const { outcome } = attempted;
  switch (outcome.kind) {
    case 'retry':
      try {
        await queue.retryLater(outcome.next, outcome.afterSeconds, outcome.reason);
        return { id: item.id, handover: 'retry-queued', outcome };
      } catch (error) {
        return { id: item.id, handover: 'failed', outcome, error };
      }
    case 'gave-up':
      return { ...(await deadLetter(queue, item, outcome.reason)), outcome };
    default:
      return { id: item.id, handover: 'done', outcome };
  }
}

/**
 * An item after one that was not handed over, on a trigger that delivers it again anyway: a finished one
 * stays done (delivered again, it finds its record enriched), one that needs a handover is not given one.
 */
function leftToRedelivery(attempted: Attempted, firstFailed: string): ItemResult {
  const outcome = 'outcome' in attempted ? attempted.outcome : undefined;
  const { id } = attempted.item;
  if (outcome !== undefined && outcome.kind !== 'retry' && outcome.kind !== 'gave-up') {
    return { id, handover: 'done', outcome };
  }
  return {
    id,
    handover: 'failed',
    outcome,
    reason: `left to the trigger's next delivery, which starts at ${firstFailed}, not handed over`,
  };
}

async function deadLetter(queue: EnrichmentQueue, item: BatchItem, reason: string): Promise<ItemResult> {
  try {
    await queue.deadLetter(item.input, reason);
    return { id: item.id, handover: 'dead-lettered', reason };
  } catch (error) {
    return { id: item.id, handover: 'failed', reason, error };
  }
}
