import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type Shard,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { createAuthPause } from '../lib/auth-pause';
import { createDocumentClient, createSsmClient } from '../lib/aws-clients';
import type { Env } from '../lib/config';
import { type EnricherConfig, loadEnricherConfig } from '../lib/enricher-config';
import type { EnrichmentDependencies } from '../lib/enrichment';
import { type BatchItem, type ItemResult, runEnrichmentBatch, streamItems } from '../lib/enrichment-batch';
import type { EnrichmentJob } from '../lib/enrichment-job';
import { messageOf } from '../lib/errors';
import { createFreeClimbApiKey } from '../lib/freeclimb-api-key';
import { DUMMY_CREDENTIALS } from './local-dynamodb';
import { createLocalEnrichmentQueue } from './local-enrichment-queue';
import { createStreamShards, type ShardCursor } from './stream-shards';

/**
 * The enricher of a local run: it reads the calls table's DynamoDB stream on DynamoDB Local (the Streams API,
 * as AWS's event source mapping does for the deployed function), turns each INSERT into a first job, and runs
 * the same batch as the deployed enricher (lib/enrichment-batch.ts), with its queues in this process
 * (local/local-enrichment-queue.ts): a timer per retry, an ERROR line for the dead-letter queue.
 */

/**
 * The local retry schedule, unless the environment sets its own: from 1 s, doubling, at most 30 s between
 * attempts, so a call FreeClimb answers is enriched within a minute, also after an outage.
 */
export const LOCAL_RETRY_DEFAULTS = {
  ENRICH_RETRY_BASE_SECONDS: '1',
  ENRICH_RETRY_MAX_SECONDS: '30',
} as const;

/** The enricher's configuration for a local run: the deployed one's checks, with the local retry schedule. */
export function localEnricherConfig(env: Env): EnricherConfig {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  return loadEnricherConfig({ ...LOCAL_RETRY_DEFAULTS, ...defined });
}

/** How often the stream is read when it had nothing new. */
const POLL_INTERVAL_MS = 250;
/** Records per GetRecords, attempted at the same time: the deployed event source mapping's batch size. */
const BATCH_SIZE = 10;
/** DynamoDB Local answers at once or not at all. */
const REQUEST_TIMEOUT_MS = 5000;

export interface StreamEnricherOptions {
  /** DynamoDB Local's endpoint: it serves the Streams API too. */
  endpoint: string;
  region: string;
  /** The table (`config.callsTable`) must have its stream enabled. */
  config: EnricherConfig;
  pollIntervalMs?: number;
  /** One line per attempt's outcome; `console.log` when absent. */
  log?: (line: string) => void;
  /** The dead-letter line, a refused API key, a stream that cannot be read; `console.error` when absent. */
  logError?: (line: string) => void;
}

export interface StreamEnricher {
  streamArn: string;
  /**
   * Stops reading the stream, cancels the waiting retries and the attempts under way, and resolves once
   * nothing of it runs any more, with the number of jobs left unfinished (`enrich` completes them).
   */
  stop(): Promise<{ dropped: number }>;
}

/** Thrown when the table has no enabled stream to read. */
export class StreamMissingError extends Error {
  constructor(tableName: string, options?: { cause?: unknown }) {
    super(`The table ${tableName} has no enabled DynamoDB stream`, options);
    this.name = 'StreamMissingError';
  }
}

/**
 * Finds the table's stream and the shards open now, and resolves once each has its iterator, so every record
 * written from then on is read; then reads on in the background until `stop`.
 */
export async function startStreamEnricher(options: StreamEnricherOptions): Promise<StreamEnricher> {
  const log = options.log ?? console.log;
  const logError = options.logError ?? console.error;
  const { config } = options;
  const pollIntervalMs = options.pollIntervalMs ?? POLL_INTERVAL_MS;
  const clientOptions = {
    endpoint: options.endpoint,
    region: options.region,
    credentials: DUMMY_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS },
  };
  const streams = new DynamoDBStreamsClient(clientOptions);
  const doc = createDocumentClient(clientOptions);
  const stopping = new AbortController();
  const deps: EnrichmentDependencies = {
    // Enrichment writes the calls table only; the rejected table is the webhook's. DynamoDB Local returns the
    // item with a failed condition, as DynamoDB does: as deployed, a refused write is told apart unread.
    store: { doc, callsTable: config.callsTable, rejectedTable: '', returnsItemOnConditionFailure: true },
    api: config.api,
    apiKey: createFreeClimbApiKey(config.apiKey, createSsmClient),
    policy: config.retry,
    pause: createAuthPause(config.authPauseMs),
    onAuthFailure: (status) =>
      logError(
        `ERROR FreeClimb refused the API key (${status}): check FREECLIMB_API_KEY; no request to FreeClimb ` +
          `for ${config.authPauseMs / 1000} s`,
      ),
    abortSignal: stopping.signal,
  };
  const running = new Set<Promise<void>>();
  const runBatch = (items: BatchItem[]): Promise<void> => {
    const run = runEnrichmentBatch(deps, queue, items).then((results) => {
      for (const result of results) report(result, log, logError);
    });
    running.add(run);
    return run.finally(() => running.delete(run));
  };
  const queue = createLocalEnrichmentQueue({
    run: (job: EnrichmentJob) => {
      runBatch([{ id: `${job.callId} attempt ${job.attempt}`, input: job }]);
    },
    logError,
  });

  const destroy = () => {
    streams.destroy();
    doc.destroy();
  };
  let streamArn: string;
  const shards = createStreamShards();
  try {
    streamArn = await enabledStream(streams, config.callsTable);
    shards.learn(await listShards(streams, streamArn));
    for (const cursor of shards.readable()) await openShard(streams, streamArn, cursor);
  } catch (error) {
    destroy();
    throw error;
  }

  const reader = readStream({
    streams,
    streamArn,
    shards,
    pollIntervalMs,
    signal: stopping.signal,
    onRecords: (records) => runBatch(streamItems(records, Date.now())),
    log,
    logError,
  });

  return {
    streamArn,
    async stop() {
      // The waiting retries first, so none starts meanwhile; the attempts under way end at once (aborted),
      // and their retries are dropped too.
      queue.stop();
      stopping.abort();
      await reader;
      while (running.size > 0) await Promise.all([...running]);
      destroy();
      return { dropped: queue.stop() };
    },
  };
}

/** The table's newest stream (its label is its creation time), which must be enabled. */
async function enabledStream(streams: DynamoDBStreamsClient, tableName: string): Promise<string> {
  const { Streams = [] } = await streams.send(new ListStreamsCommand({ TableName: tableName }));
  const newest = [...Streams].sort((a, b) => (b.StreamLabel ?? '').localeCompare(a.StreamLabel ?? ''))[0];
  if (newest?.StreamArn === undefined) throw new StreamMissingError(tableName);
  const { StreamDescription } = await streams.send(
    new DescribeStreamCommand({ StreamArn: newest.StreamArn }),
  );
  if (StreamDescription?.StreamStatus !== 'ENABLED' && StreamDescription?.StreamStatus !== 'ENABLING') {
    throw new StreamMissingError(tableName);
  }
  return newest.StreamArn;
}

/** Every shard of the stream, page by page. */
async function listShards(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  signal?: AbortSignal,
): Promise<Shard[]> {
  const shards: Shard[] = [];
  let after: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: after }),
      { abortSignal: signal },
    );
    shards.push(...(StreamDescription?.Shards ?? []));
    after = StreamDescription?.LastEvaluatedShardId;
  } while (after !== undefined);
  return shards;
}

/** Gives the cursor an iterator: after the last record it saw, else from its start. */
async function openShard(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  cursor: ShardCursor,
  signal?: AbortSignal,
): Promise<void> {
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: cursor.shardId,
      ...(cursor.lastSequenceNumber === undefined
        ? { ShardIteratorType: cursor.start }
        : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.lastSequenceNumber }),
    }),
    { abortSignal: signal },
  );
  cursor.iterator = ShardIterator;
}

interface Reading {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  shards: ReturnType<typeof createStreamShards>;
  pollIntervalMs: number;
  signal: AbortSignal;
  /** Runs a page's records; the shard's next page waits for it, as a shard's next batch does in AWS. */
  onRecords(records: Parameters<typeof streamItems>[0]): Promise<void>;
  log(line: string): void;
  logError(line: string): void;
}

/**
 * Reads every readable shard, page after page, until `signal` aborts: a full page is followed at once, an
 * empty round by a pause. A shard read to its end makes the stream be listed again (its children). A
 * failure is reported once, not every round, and the round is tried again.
 */
async function readStream(reading: Reading): Promise<void> {
  const { streams, streamArn, shards, signal } = reading;
  let listAgain = false;
  let lastFailure: string | undefined;
  while (!signal.aborted) {
    let more = false;
    try {
      if (listAgain) {
        shards.learn(await listShards(streams, streamArn, signal));
        listAgain = false;
      }
      const readable = shards.readable();
      // None open (all read to their end): their children may not be listed yet.
      if (readable.length === 0) listAgain = true;
      for (const cursor of readable) {
        if (cursor.iterator === undefined) await openShard(streams, streamArn, cursor, signal);
        const page = await readPage(streams, cursor, signal);
        if (page.ended) {
          shards.finish(cursor.shardId);
          listAgain = true;
        }
        if (page.records.length > 0) await reading.onRecords(page.records);
        more ||= page.records.length === BATCH_SIZE || page.ended;
      }
      if (lastFailure !== undefined) {
        reading.log(`The stream of the calls table is readable again (${streamArn})`);
        lastFailure = undefined;
      }
    } catch (error) {
      if (signal.aborted) break;
      const message = `ERROR the stream of the calls table could not be read: ${messageOf(error)}`;
      if (message !== lastFailure) reading.logError(message);
      lastFailure = message;
      listAgain = true;
    }
    if (!more) await sleep(reading.pollIntervalMs, undefined, { signal }).catch(() => undefined);
  }
}

/** One GetRecords; an expired or trimmed iterator is dropped, so the next round asks for a new one. */
async function readPage(
  streams: DynamoDBStreamsClient,
  cursor: ShardCursor,
  signal: AbortSignal,
): Promise<{ records: NonNullable<Parameters<typeof streamItems>[0]>; ended: boolean }> {
  try {
    const page = await streams.send(
      new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: BATCH_SIZE }),
      {
        abortSignal: signal,
      },
    );
    const records = page.Records ?? [];
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last !== undefined) cursor.lastSequenceNumber = last;
    cursor.iterator = page.NextShardIterator;
    return { records, ended: page.NextShardIterator === undefined };
  } catch (error) {
    if (error instanceof ExpiredIteratorException) {
      cursor.iterator = undefined;
      return { records: [], ended: false };
    }
    if (error instanceof TrimmedDataAccessException) {
      // What it pointed at is gone (older than the stream keeps): from the oldest record still there.
      cursor.iterator = undefined;
      cursor.lastSequenceNumber = undefined;
      cursor.start = 'TRIM_HORIZON';
      return { records: [], ended: false };
    }
    throw error;
  }
}

/** One line per item: enriched, done already, or tried again later (a give-up is the dead-letter line). */
function report(result: ItemResult, log: (line: string) => void, logError: (line: string) => void): void {
  const { outcome } = result;
  if (result.handover === 'failed') {
    logError(`ERROR enrichment of ${result.id} failed and was not handed over: ${messageOf(result.error)}`);
    return;
  }
  switch (outcome?.kind) {
    case 'enriched': {
      const talk =
        outcome.details.connectDuration === undefined
          ? ''
          : `, talk time ${outcome.details.connectDuration} s`;
      log(`enrich ${outcome.callId} → enriched (${outcome.details.status}${talk})`);
      return;
    }
    case 'already-enriched':
      log(`enrich ${outcome.callId} → already enriched`);
      return;
    case 'gone':
      log(`enrich ${outcome.callId} → no longer in the table`);
      return;
    case 'retry':
      log(
        `enrich ${outcome.callId} → again in ${outcome.afterSeconds} s (attempt ${outcome.next.attempt}): ${outcome.reason}`,
      );
      return;
    default:
      // Gave up: the dead-letter line says it.
      return;
  }
}
