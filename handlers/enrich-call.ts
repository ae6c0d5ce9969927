import { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Context, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { createAuthPause } from '../lib/auth-pause';
import { AWS_CALL_BUDGET, createDocumentClient, createSqsClient, createSsmClient } from '../lib/aws-clients';
import type { InvocationContext } from '../lib/call-status-service';
import type { CallStore } from '../lib/call-store';
import { type Env, required } from '../lib/config';
import { createMetrics } from '../lib/delivery-metrics';
import { type EnricherConfig, loadEnricherConfig } from '../lib/enricher-config';
import { AUTH_FAILED_METRIC, type EnrichmentDependencies } from '../lib/enrichment';
import {
  type BatchItem,
  type BatchOptions,
  failedItemIds,
  type ItemResult,
  queueItems,
  runEnrichmentBatch,
  streamItems,
} from '../lib/enrichment-batch';
import { createSqsEnrichmentQueue, type EnrichmentQueueUrls } from '../lib/enrichment-sqs-queue';
import { ConfigError } from '../lib/errors';
import { createFreeClimbApiKey } from '../lib/freeclimb-api-key';

/** What triggers the enricher: the calls table's stream (new records), or its retry queue. */
export type EnrichCallEvent = DynamoDBStreamEvent | SQSEvent;

/** The items its trigger must deliver again (a stream record's sequence number, an SQS message id). */
export interface EnrichCallResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export type EnrichCallHandler = (
  event: EnrichCallEvent,
  context: InvocationContext,
) => Promise<EnrichCallResponse>;

export interface EnrichCallOptions {
  env?: Env;
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
  /** The calls table; in AWS a bounded client that trusts DynamoDB's ALL_OLD and so never reads. */
  store?: CallStore;
  /** The client that reads the API key parameter; a bounded SDK client when absent. */
  ssm?: SSMClient;
  /** The client that sends to the retry and dead-letter queues; a bounded SDK client when absent. */
  sqs?: SQSClient;
}

/**
 * Time kept back from the Lambda timeout for the handover to the queues after the attempts: one SQS send at
 * its worst (every attempt timing out, with the back-off between them), and 2 s for the log lines and the
 * metrics after it. Attempts still running then are aborted and retried later. An invocation that timed out
 * would be delivered again whole, and a retry already handed over would then start a second chain.
 */
export const HANDOVER_MARGIN_MS =
  AWS_CALL_BUDGET.maxAttempts * (AWS_CALL_BUDGET.connectionTimeoutMs + AWS_CALL_BUDGET.requestTimeoutMs) +
  AWS_CALL_BUDGET.maxBackoffMs +
  2000;

/** The metric each handover counts in (the `EnrichmentAuthFailed` alarm's metric is counted per refusal). */
export const HANDOVER_METRICS: Record<ItemResult['handover'], string> = {
  done: 'EnrichmentDone',
  'retry-queued': 'EnrichmentRetryQueued',
  'dead-lettered': 'EnrichmentDeadLettered',
  failed: 'EnrichmentNotHandedOver',
};

/**
 * Builds the enricher's handler once per container: configuration (lib/enricher-config.ts and the two
 * queue URLs), clients, the auth pause and the logger are made here, not per invocation. A configuration
 * error does not crash the container: every item is then reported as a batch item failure, so its trigger
 * delivers it again (and, after its retries, to the dead-letter queue) while the error is logged.
 */
export function createEnrichCallHandler(options: EnrichCallOptions = {}): EnrichCallHandler {
  const logger = options.logger ?? new Logger();
  const metrics = options.metrics ?? createMetrics();
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  let config: EnricherConfig;
  let urls: EnrichmentQueueUrls;
  try {
    config = loadEnricherConfig(env);
    urls = {
      retryQueueUrl: queueUrl(env, 'ENRICH_RETRY_QUEUE_URL', 'the retry queue'),
      deadLetterQueueUrl: queueUrl(env, 'ENRICH_DEAD_LETTER_QUEUE_URL', 'the dead-letter queue'),
    };
  } catch (error) {
    logger.error('Invalid configuration: no record is enriched, each is left to its trigger', { error });
    return async (event) => {
      const { items } = batchOf(event, now());
      logger.error('Not configured: every item is reported for its trigger to deliver again', {
        items: items.length,
      });
      countHandovers(
        metrics,
        items.map((item) => ({ id: item.id, handover: 'failed' })),
      );
      return { batchItemFailures: items.map((item) => ({ itemIdentifier: item.id })) };
    };
  }
  const store: CallStore = options.store ?? {
    doc: createDocumentClient(),
    callsTable: config.callsTable,
    // The enricher writes only call records.
    rejectedTable: '',
    // DynamoDB returns the stored item when a condition fails: the role then needs no GetItem.
    returnsItemOnConditionFailure: true,
  };
  let ssm: SSMClient | undefined;
  const apiKey = createFreeClimbApiKey(
    config.apiKey,
    () => (ssm ??= options.ssm ?? createSsmClient()),
    now,
    logger,
  );
  const queue = createSqsEnrichmentQueue(options.sqs ?? createSqsClient(), urls);
  // One per container: a refused key pauses every job this container runs.
  const pause = createAuthPause(config.authPauseMs);

  return async (event, context) => {
    const { items, redeliversFromFirstFailure } = batchOf(event, now());
    const attempts = AbortSignal.timeout(
      Math.max(context.getRemainingTimeInMillis() - HANDOVER_MARGIN_MS, 1),
    );
    const deps: EnrichmentDependencies = {
      store,
      api: config.api,
      apiKey,
      policy: config.retry,
      pause,
      now,
      abortSignal: attempts,
      onAuthFailure: (status) => {
        logger.error('FreeClimb refused the API key: check the SSM parameter', {
          status,
          parameter: config.apiKey.kind === 'ssm' ? config.apiKey.parameterName : undefined,
        });
        metrics.addMetric(AUTH_FAILED_METRIC, MetricUnit.Count, 1);
      },
    };
    const results = await runEnrichmentBatch(deps, queue, items, { redeliversFromFirstFailure });
    for (const result of results) logResult(logger, result);
    countHandovers(metrics, results);
    return { batchItemFailures: failedItemIds(results).map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/**
 * The batch items of either trigger, and how it delivers them again: a stream from the first reported
 * record on, SQS each reported message. An event of neither kind has none (it names no item to report).
 */
function batchOf(event: EnrichCallEvent, nowMs: number): { items: BatchItem[] } & BatchOptions {
  const records = (event as { Records?: unknown }).Records;
  if (!Array.isArray(records) || records.length === 0) return { items: [] };
  const source = (records[0] as { eventSource?: unknown }).eventSource;
  if (source === 'aws:dynamodb') {
    return {
      items: streamItems((event as DynamoDBStreamEvent).Records, nowMs),
      redeliversFromFirstFailure: true,
    };
  }
  if (source === 'aws:sqs') return { items: queueItems((event as SQSEvent).Records) };
  return { items: [] };
}

function queueUrl(env: Env, name: string, what: string): string {
  const value = required(env, name, `the URL of ${what}`);
  if (!URL.canParse(value)) throw new ConfigError(`${name} must be the URL of ${what}`);
  return value;
}

/** One line per item: what was attempted and what became of it; never the key (errors and reasons hold none). */
function logResult(logger: Logger, result: ItemResult): void {
  const { outcome } = result;
  const fields = { itemId: result.id, callId: outcome?.callId, outcome: outcome?.kind };
  switch (result.handover) {
    case 'done':
      logger.info('Enrichment done', fields);
      return;
    case 'retry-queued': {
      const retry = outcome as Extract<typeof outcome, { kind: 'retry' }>;
      logger.info('Enrichment retried later', {
        ...fields,
        nextAttempt: retry.next.attempt,
        afterSeconds: retry.afterSeconds,
        reason: retry.reason,
      });
      return;
    }
    case 'dead-lettered':
      logger.warn('Enrichment gave up: in the dead-letter queue', {
        ...fields,
        reason: result.reason,
        attempts: outcome?.kind === 'gave-up' ? outcome.attempts : undefined,
        marked: outcome?.kind === 'gave-up' ? outcome.marked : undefined,
      });
      return;
    case 'failed':
      logger.error('Enrichment not handed over: its trigger delivers it again', {
        ...fields,
        reason: result.reason ?? (outcome?.kind === 'retry' ? outcome.reason : undefined),
        error: result.error,
      });
      return;
  }
}

/** One embedded-metric line per invocation with items, with how many ended each way. */
function countHandovers(metrics: Metrics, results: ReadonlyArray<Pick<ItemResult, 'handover'>>): void {
  const counts = new Map<string, number>();
  for (const { handover } of results) {
    const name = HANDOVER_METRICS[handover];
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  for (const [name, count] of counts) metrics.addMetric(name, MetricUnit.Count, count);
  // An empty batch has nothing to count (a refused key is counted as it happens, within a batch).
  if (counts.size > 0) metrics.publishStoredMetrics();
}

/** Built once per container. */
const handleEnrichment = createEnrichCallHandler();

/** The calls table's stream (INSERT records) and the retry queue: FreeClimb's details added to new records. */
export const handler = (event: EnrichCallEvent, context: Context): Promise<EnrichCallResponse> =>
  handleEnrichment(event, context);
