import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import {
  createEnrichCallHandler,
  type EnrichCallHandler,
  HANDOVER_METRICS,
} from '../../handlers/enrich-call';
import type { CallRecord } from '../../lib/call-record';
import { createMetrics } from '../../lib/delivery-metrics';
import { AUTH_FAILED_METRIC } from '../../lib/enrichment';
import { createSqsEnrichmentQueue } from '../../lib/enrichment-sqs-queue';
import { withCapturedLogs } from '../support/captured-logs';
import { testDocumentClient } from '../support/dynamodb';
import { callResource, type FakeFreeClimb, startFakeFreeClimb } from '../support/fake-freeclimb';
import { MotoRecorder } from '../support/moto-recorder';
import { type MotoServer, startMotoServer } from '../support/moto-server';
import { storeCall } from '../support/stored-calls';
import { freshId, readCall, testStore } from '../support/webhook';

// The enricher's real handler (handlers/enrich-call.ts), built as in AWS but for its environment, against the
// FreeClimb-shaped fake, the test engine's calls table and moto's SQS. What the handler sent to the queues is
// read back from moto: the retry queue's messages through moto's request recording (a delayed message cannot
// be received before its delay, and these tests move the job's clock, not real time), the dead-letter queue's
// by receiving them. The triggers' events are shaped as Lambda delivers them.

const API_KEY = 'fc_test_key_handler_9a8b7c6d5e4f30211203f4e5d6c7b8a9';
const TIMEOUT_MS = 400;
const START_MS = Date.UTC(2026, 0, 15, 9, 31, 0);
const REGION = 'us-east-1';
const context = { getRemainingTimeInMillis: () => 30_000 };

let fake: FakeFreeClimb;
let moto: MotoServer;
let recordingDir: string;
let recorder: MotoRecorder;
const store = testStore();

beforeAll(async () => {
  recordingDir = await mkdtemp(path.join(tmpdir(), 'enrich-handler-moto-'));
  [fake, moto] = await Promise.all([
    startFakeFreeClimb({ apiKey: API_KEY }),
    startMotoServer({ MOTO_RECORDER_FILEPATH: path.join(recordingDir, 'recording.jsonl') }),
  ]);
  recorder = new MotoRecorder(moto.endpoint);
  await recorder.start();
}, 60_000);

afterEach(() => {
  fake.heal();
});

afterAll(async () => {
  await Promise.all([fake?.close(), moto?.close()]);
  await rm(recordingDir, { recursive: true, force: true });
});

/** One test's view of moto: its own access key (so the recording tells its calls apart) and queues. */
async function queuesOfTest() {
  const accessKey = `TEST${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`;
  const sqs = new SQSClient({
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: accessKey, secretAccessKey: 'moto' },
  });
  const name = `enrich-${randomUUID().slice(0, 8)}`;
  const [retry, deadLetter] = (await Promise.all(
    [`${name}-retry`, `${name}-dead-letter`].map(
      async (QueueName) => (await sqs.send(new CreateQueueCommand({ QueueName }))).QueueUrl as string,
    ),
  )) as [string, string];
  /** The messages the handler sent to the retry queue since the last call, as moto received them. */
  let seen = 0;
  const sentRetries = async () => {
    const sends = (await recorder.requestsOf(accessKey))
      .filter((request) => request.headers['X-Amz-Target'] === 'AmazonSQS.SendMessage')
      .map((request) => {
        const body = request.body_encoded
          ? Buffer.from(request.body as string, 'base64').toString('utf8')
          : (request.body as string);
        return JSON.parse(body) as SentMessage;
      })
      .filter((message) => message.QueueUrl === retry);
    const fresh = sends.slice(seen);
    seen = sends.length;
    return fresh;
  };
  const deadLetters = async () => {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetter,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    // Every attribute moto holds, by name, so that one without a value still shows.
    return (received.Messages ?? []).map((message) => ({
      body: JSON.parse(message.Body as string),
      attributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([key, value]) => [
          key,
          value.StringValue ?? null,
        ]),
      ),
    }));
  };
  return { sqs, retry, deadLetter, sentRetries, deadLetters };
}

interface SentMessage {
  QueueUrl: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, { StringValue: string }>;
}

/** A metrics instance that writes although the test environment switches metrics off. */
function writtenMetrics(): Metrics {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const metrics = createMetrics();
  process.env.POWERTOOLS_METRICS_DISABLED = previous;
  return metrics;
}

type Queues = Awaited<ReturnType<typeof queuesOfTest>>;

/**
 * The handler of one container, with a clock the test moves, logging from `logLevel` on and writing its
 * metrics (for tests that capture them; the test environment's own metrics write nothing).
 */
function enricher(
  queues: Queues,
  env: Record<string, string> = {},
  logLevel: 'SILENT' | 'INFO' | 'DEBUG' = 'SILENT',
  metrics = writtenMetrics(),
) {
  const clock = { nowMs: START_MS };
  const handle: EnrichCallHandler = createEnrichCallHandler({
    env: {
      CALLS_TABLE: store.callsTable,
      FREECLIMB_API_URL: fake.url,
      FREECLIMB_API_KEY: API_KEY,
      ENRICH_TIMEOUT_MS: String(TIMEOUT_MS),
      ENRICH_RETRY_QUEUE_URL: queues.retry,
      ENRICH_DEAD_LETTER_QUEUE_URL: queues.deadLetter,
      ...env,
    },
    now: () => clock.nowMs,
    logger: new Logger({ serviceName: 'freeclimb-call-records-test', logLevel }),
    metrics,
    sqs: queues.sqs,
  });
  return { handle, clock };
}

/** Stream records as Lambda delivers the calls table's INSERTs (NEW_IMAGE). */
function streamEvent(items: Array<Record<string, unknown>>, eventName = 'INSERT'): DynamoDBStreamEvent {
  return {
    Records: items.map((item, index) => ({
      eventID: randomUUID(),
      eventName: eventName as 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      eventSourceARN: `arn:aws:dynamodb:${REGION}:123456789012:table/${store.callsTable}/stream/2026-01-15T09:00:00.000`,
      dynamodb: {
        ApproximateCreationDateTime: START_MS / 1000,
        Keys: { callId: { S: String(item.callId) } },
        NewImage: marshall(item, { removeUndefinedValues: true }) as never,
        SequenceNumber: String(1000 + index),
        SizeBytes: 500,
        StreamViewType: 'NEW_IMAGE',
      },
    })),
  };
}

/** Messages as Lambda delivers them from the retry queue. */
function sqsEvent(bodies: string[], queueUrl: string): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(START_MS),
        SenderId: 'AROAEXAMPLE',
        ApproximateFirstReceiveTimestamp: String(START_MS),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:123456789012:${queueUrl.split('/').pop()}`,
      awsRegion: REGION,
    })),
  };
}

/** What the handler sent to the retry queue, as Lambda delivers it once the messages' delay is over. */
function redelivered(sent: SentMessage[], queues: Queues): SQSEvent {
  return sqsEvent(
    sent.map((message) => message.MessageBody),
    queues.retry,
  );
}

async function storedWithCall(options: Parameters<typeof callResource>[2] = {}): Promise<CallRecord> {
  const record = await storeCall();
  fake.setCall(callResource(record.callId, record.accountId, options));
  return record;
}

const emfLines = (logs: Array<Record<string, unknown>>) => logs.filter((line) => line._aws !== undefined);

test('a stream batch enriches what FreeClimb knows and queues the rest with their delays', async () => {
  // Prepare
  const queues = await queuesOfTest();
  const { handle } = enricher(queues);
  const completed = await storedWithCall();
  const ringing = await storedWithCall({ status: 'ringing' });
  const unknown = await storeCall();
  const inserts = streamEvent([completed, ringing, unknown]);
  const modify = streamEvent([completed], 'MODIFY').Records;

  // Act
  const { result, logs } = await withCapturedLogs(() =>
    handle({ Records: [...inserts.Records, ...modify] }, context),
  );

  // Assess
  expect(result).toEqual({ batchItemFailures: [] });
  expect(await readCall(store, completed.callId)).toMatchObject({ details: { status: 'completed' } });
  expect(await readCall(store, ringing.callId)).not.toHaveProperty('details');
  const sent = (await queues.sentRetries()).sort((a, b) => a.MessageBody.localeCompare(b.MessageBody));
  const expected = [ringing, unknown]
    .map((record) => ({
      QueueUrl: queues.retry,
      DelaySeconds: 30,
      job: {
        callId: record.callId,
        accountId: record.accountId,
        attempt: 2,
        firstTriedAt: '2026-01-15T09:31:00.000Z',
        notFoundAnswers: record === unknown ? 1 : 0,
      },
      callIdAttribute: record.callId,
    }))
    .sort((a, b) => JSON.stringify(a.job).localeCompare(JSON.stringify(b.job)));
  expect(
    sent.map((message) => ({
      QueueUrl: message.QueueUrl,
      DelaySeconds: message.DelaySeconds,
      job: JSON.parse(message.MessageBody),
      callIdAttribute: message.MessageAttributes?.callId?.StringValue,
    })),
  ).toEqual(expected);
  expect(sent.map((message) => message.MessageAttributes?.reason?.StringValue).sort()).toEqual([
    'FreeClimb answered 404 (code 404: Not Found)',
    'FreeClimb shows the call as ringing',
  ]);
  const attributes = await queues.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queues.retry, AttributeNames: ['All'] }),
  );
  expect(attributes.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('2');
  expect(emfLines(logs)).toEqual([
    expect.objectContaining({ [HANDOVER_METRICS.done]: 1, [HANDOVER_METRICS['retry-queued']]: 2 }),
  ]);
  expect(fake.requestsFor(completed.callId)).toBe(1);
}, 30_000);

test('an SQS retry batch, received from the retry queue once its delay is over, enriches or queues again', async () => {
  // Prepare: a one-second backoff, so that moto delivers the retries in real time.
  const queues = await queuesOfTest();
  const { handle, clock } = enricher(queues, { ENRICH_RETRY_BASE_SECONDS: '1' }, 'SILENT', createMetrics());
  const answered = await storedWithCall({ status: 'inProgress' });
  const stillRinging = await storedWithCall({ status: 'ringing' });
  await handle(streamEvent([answered, stillRinging]), context);
  fake.setCall(callResource(answered.callId, answered.accountId));
  clock.nowMs += 1000;
  const received = [];
  for (let tries = 0; received.length < 2 && tries < 20; tries += 1) {
    const answer = await queues.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.retry, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    received.push(...(answer.Messages ?? []));
  }
  await queues.sentRetries();

  // Act
  const result = await handle(
    sqsEvent(
      received.map((message) => message.Body as string),
      queues.retry,
    ),
    context,
  );

  // Assess
  expect(received).toHaveLength(2);
  expect(result).toEqual({ batchItemFailures: [] });
  expect(await readCall(store, answered.callId)).toMatchObject({ details: { status: 'completed' } });
  const again = await queues.sentRetries();
  expect(again.map((message) => [JSON.parse(message.MessageBody), message.DelaySeconds])).toEqual([
    [expect.objectContaining({ callId: stillRinging.callId, attempt: 3 }), 2],
  ]);
}, 60_000);

test('FreeClimb down for an hour, then back: nothing lost, one request per record per backoff step', async () => {
  // Prepare
  const queues = await queuesOfTest();
  const { handle, clock } = enricher(queues);
  const records = await Promise.all([1, 2, 3].map(() => storedWithCall()));
  fake.fail({ status: 503, retryAfter: '5' });
  const delays: number[] = [];
  const failures: unknown[] = [];

  // Act: each invocation takes what the last one queued, once the job's clock passed its delay.
  const { logs } = await withCapturedLogs(async () => {
    let result = await handle(streamEvent(records), context);
    for (let invocation = 1; invocation < 50; invocation += 1) {
      failures.push(...result.batchItemFailures);
      const sent = await queues.sentRetries();
      if (sent.length === 0) return;
      expect(sent).toHaveLength(records.length);
      const delay = Math.max(...sent.map((message) => message.DelaySeconds ?? 0));
      delays.push(delay);
      clock.nowMs += delay * 1000;
      if (clock.nowMs - START_MS >= 3_600_000) fake.heal();
      result = await handle(redelivered(sent, queues), context);
    }
  });

  // Assess: 30, 60, …, 480 s, then SQS's longest delay; back after the 9th request of each record.
  expect(delays).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  expect(failures).toEqual([]);
  for (const record of records) {
    expect(fake.requestsFor(record.callId)).toBe(9);
    expect(await readCall(store, record.callId)).toMatchObject({ details: { status: 'completed' } });
  }
  expect(await queues.deadLetters()).toEqual([]);
  const counted = emfLines(logs);
  expect(counted).toHaveLength(9);
  expect(counted.at(-1)).toMatchObject({ [HANDOVER_METRICS.done]: 3 });
}, 60_000);

test('a poison record lands in the dead-letter queue with its reason, and the record says why', async () => {
  // Prepare: a record the webhook could not have stored (its account id is not FreeClimb's form).
  const queues = await queuesOfTest();
  const poison = { callId: freshId('CA'), accountId: 'AC-not-an-account', callStatus: 'completed' };
  const { handle: quiet } = enricher(queues, {}, 'SILENT', createMetrics());
  await testDocumentClient().send(new PutCommand({ TableName: store.callsTable, Item: poison }));
  const notAJob = 'this is not a job';

  // Act
  const [fromStream, fromQueue] = await Promise.all([
    quiet(streamEvent([poison]), context),
    quiet(sqsEvent([notAJob], queues.retry), context),
  ]);

  // Assess
  expect([fromStream, fromQueue]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
  const reason = 'the job is not valid: accountId: an account id must be AC followed by 40 hex digits';
  const letters = await queues.deadLetters();
  expect(letters).toHaveLength(2);
  expect(letters).toEqual(
    expect.arrayContaining([
      {
        body: {
          reason,
          job: {
            callId: poison.callId,
            accountId: poison.accountId,
            attempt: 1,
            firstTriedAt: '2026-01-15T09:31:00.000Z',
          },
        },
        attributes: { reason, callId: poison.callId },
      },
      {
        body: { reason: 'the job is not JSON', job: notAJob },
        attributes: { reason: 'the job is not JSON' },
      },
    ]),
  );
  expect(await readCall(store, poison.callId)).toMatchObject({
    enrichment: { reason, attempts: 1, gaveUpAt: '2026-01-15T09:31:00.000Z' },
  });
  expect(fake.requestsFor(poison.callId)).toBe(0);
  expect(await queues.sentRetries()).toEqual([]);
});

test('a dead letter carries its job as JSON, and names the call only when the job does', async () => {
  // Prepare: a retry of a job a day old (it gives up), and messages that are JSON but no job.
  const queues = await queuesOfTest();
  const { handle, clock } = enricher(queues, {}, 'SILENT', createMetrics());
  const record = await storedWithCall({ status: 'ringing' });
  const oldJob = {
    callId: record.callId,
    accountId: record.accountId,
    attempt: 20,
    firstTriedAt: '2026-01-14T09:31:00.000Z',
    notFoundAnswers: 0,
  };
  clock.nowMs = START_MS;
  const bodies = [JSON.stringify(oldJob), 'null', '{"callId":42}', '{"callId":""}'];

  // Act
  const result = await handle(sqsEvent(bodies, queues.retry), context);

  // Assess
  expect(result).toEqual({ batchItemFailures: [] });
  const letters = await queues.deadLetters();
  const byJob = new Map(letters.map((letter) => [JSON.stringify(letter.body.job), letter]));
  expect(byJob.get(JSON.stringify(oldJob))?.attributes).toEqual({
    reason: expect.stringMatching(/^Not enriched 24 h after the first attempt, in 20 attempts; the last: /),
    callId: record.callId,
  });
  for (const job of [null, { callId: 42 }, { callId: '' }]) {
    expect(byJob.get(JSON.stringify(job))?.attributes).toEqual({
      reason: expect.stringMatching(/^the job is not valid: /),
    });
  }
  expect(letters).toHaveLength(4);
  expect(await readCall(store, record.callId)).toMatchObject({ enrichment: { attempts: 20 } });
});

/** The SQS form of the enrichment queue on a test's queues. */
function sqsQueueOf(queues: Queues, abortSignal?: AbortSignal) {
  const urls = { retryQueueUrl: queues.retry, deadLetterQueueUrl: queues.deadLetter };
  return createSqsEnrichmentQueue(queues.sqs, urls, { abortSignal });
}

describe('the SQS queue on its own', () => {
  const job = {
    callId: freshId('CA'),
    accountId: freshId('AC'),
    attempt: 2,
    firstTriedAt: '2026-01-15T09:31:00.000Z',
    notFoundAnswers: 0,
  };

  test('a retry is delayed by its backoff rounded up, within SQS’s 0 to 900 s', async () => {
    // Prepare
    const queues = await queuesOfTest();
    const queue = sqsQueueOf(queues);

    // Act
    for (const delay of [29.2, 1800, -3]) await queue.retryLater(job, delay, `after ${delay}`);

    // Assess
    const sent = await queues.sentRetries();
    expect(
      sent.map((message) => [message.DelaySeconds, message.MessageAttributes?.reason?.StringValue]),
    ).toEqual([
      [30, 'after 29.2'],
      [900, 'after 1800'],
      [0, 'after -3'],
    ]);
    expect(sent.map((message) => JSON.parse(message.MessageBody))).toEqual([job, job, job]);
  });

  test('a long reason is cut to 1,000 characters in its attribute and kept whole in the body', async () => {
    // Prepare
    const queues = await queuesOfTest();
    const queue = sqsQueueOf(queues);
    const reason = `FreeClimb answered 500 ${'x'.repeat(1500)}`;

    // Act
    await queue.deadLetter(job, reason);

    // Assess
    const [letter] = await queues.deadLetters();
    expect(letter?.body).toEqual({ reason, job });
    expect(letter?.attributes).toEqual({ reason: reason.slice(0, 1000), callId: job.callId });
  });

  test('a send the invocation aborted rejects, so its item is reported', async () => {
    // Prepare
    const queues = await queuesOfTest();
    const queue = sqsQueueOf(queues, AbortSignal.abort());

    // Act
    const sent = queue.retryLater(job, 30, 'a retry');

    // Assess
    await expect(sent).rejects.toThrow(/abort/i);
    expect(await queues.sentRetries()).toEqual([]);
  });
});

test('a refused key is counted for the alarm and costs one request per record of the first batch, then one probe per pause', async () => {
  // Prepare
  const queues = await queuesOfTest();
  const { handle, clock } = enricher(queues, { FREECLIMB_API_KEY: 'fc_revoked_key' }, 'INFO');
  const records = await Promise.all([1, 2].map(() => storedWithCall()));

  // Act
  const { logs } = await withCapturedLogs(async () => {
    await handle(streamEvent(records), context);
    const first = await queues.sentRetries();
    clock.nowMs += 60_000;
    await handle(redelivered(first, queues), context);
    const paused = await queues.sentRetries();
    clock.nowMs += 300_000;
    await handle(redelivered(paused, queues), context);
    return [first, paused, await queues.sentRetries()];
  });

  // Assess
  const requests = records.map((record) => fake.requestsFor(record.callId));
  expect(requests.reduce((sum, count) => sum + count, 0)).toBe(3);
  const counted = emfLines(logs).map((line) => line[AUTH_FAILED_METRIC] ?? 0);
  // Powertools writes a metric counted twice in one invocation as a list of values.
  expect(counted).toEqual([[1, 1], 0, 1]);
  const refusals = logs.filter(
    (line) => line.message === 'FreeClimb refused the API key: check the SSM parameter',
  );
  expect(refusals).toHaveLength(3);
  expect(refusals[0]).toMatchObject({ level: 'ERROR', status: 401 });
  expect(JSON.stringify(logs)).not.toContain('fc_revoked_key');
}, 30_000);

test('a retry that cannot be sent is a batch item failure, so the stream delivers the record again', async () => {
  // Prepare
  const queues = await queuesOfTest();
  const { handle } = enricher(
    queues,
    { ENRICH_RETRY_QUEUE_URL: `${moto.endpoint}/123456789012/no-such-queue` },
    'INFO',
  );
  const completed = await storedWithCall();
  const ringing = await storedWithCall({ status: 'ringing' });
  const event = streamEvent([completed, ringing]);

  // Act
  const { result, logs } = await withCapturedLogs(() => handle(event, context));

  // Assess
  expect(result).toEqual({
    batchItemFailures: [{ itemIdentifier: event.Records[1]?.dynamodb?.SequenceNumber }],
  });
  expect(await readCall(store, completed.callId)).toMatchObject({ details: { status: 'completed' } });
  expect(await readCall(store, ringing.callId)).not.toHaveProperty('details');
  expect(logs).toContainEqual(
    expect.objectContaining({
      level: 'ERROR',
      message: 'Enrichment not handed over: its trigger delivers it again',
      callId: ringing.callId,
      error: expect.objectContaining({ name: 'QueueDoesNotExist' }),
    }),
  );
  expect(emfLines(logs)).toEqual([
    expect.objectContaining({ [HANDOVER_METRICS.done]: 1, [HANDOVER_METRICS.failed]: 1 }),
  ]);
});

test('on a stream, the records after one whose retry cannot be sent are left to the next delivery, not handed over twice', async () => {
  // Prepare: SQS refuses the first record's retry; the stream will deliver it and every record after it again.
  const queues = await queuesOfTest();
  const refused = await storedWithCall({ status: 'ringing' });
  queues.sqs.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.input as { MessageBody?: string }).MessageBody ?? '';
      if (body.includes(refused.callId)) throw new Error('SendMessage failed');
      return next(args);
    },
    { step: 'initialize', name: 'refuseOneRetry' },
  );
  const { handle } = enricher(queues);
  const later = await storedWithCall({ status: 'ringing' });
  const completed = await storedWithCall();
  const event = streamEvent([refused, later, completed]);

  // Act
  const { result } = await withCapturedLogs(() => handle(event, context));
  const redelivery = await withCapturedLogs(() => handle(event, context));

  // Assess: the later record's retry is sent once, by the delivery that could hand it over in order.
  const sequence = (index: number) => event.Records[index]?.dynamodb?.SequenceNumber;
  expect(result).toEqual({
    batchItemFailures: [{ itemIdentifier: sequence(0) }, { itemIdentifier: sequence(1) }],
  });
  expect(redelivery.result).toEqual(result);
  expect(await readCall(store, completed.callId)).toMatchObject({ details: { status: 'completed' } });
  expect(await queues.sentRetries()).toEqual([]);
}, 30_000);

test('neither the key nor the Authorization header is in any log line, metric or error, whatever FreeClimb answers', async () => {
  // Prepare: FreeClimb refuses, fails, echoes the key in its error text, or is too slow; a send fails.
  const queues = await queuesOfTest();
  const { handle } = enricher(
    queues,
    {
      ENRICH_DEAD_LETTER_QUEUE_URL: `${moto.endpoint}/123456789012/no-such-dead-letter-queue`,
    },
    'DEBUG',
  );
  const records = await Promise.all([1, 2, 3, 4].map(() => storedWithCall()));
  const [refused, echoed, slow] = records as [CallRecord, CallRecord, CallRecord, CallRecord];
  fake.fail({ status: 403 }, { callId: refused.callId });
  fake.fail(
    { status: 500, body: { code: 0, message: `bad credentials ${API_KEY} Basic x` } },
    { callId: echoed.callId },
  );
  fake.fail({ delayMs: TIMEOUT_MS * 2 }, { callId: slow.callId });
  const credentials = Buffer.from(`${refused.accountId}:${API_KEY}`).toString('base64');

  // Act
  const { logs } = await withCapturedLogs(() =>
    handle(
      { Records: [...streamEvent(records).Records, ...sqsEvent(['{"poison":'], queues.retry).Records] },
      context,
    ),
  );

  // Assess
  const written = JSON.stringify(logs);
  expect(logs.length).toBeGreaterThan(4);
  expect(written).not.toContain(API_KEY);
  expect(written).not.toContain(credentials);
  expect(written.toLowerCase()).not.toContain('authorization');
  expect(written).toContain('[redacted]');
});

test('without its configuration every item is reported for its trigger, and the variable is named', async () => {
  // Prepare
  const queues = await queuesOfTest();
  const record = await storedWithCall();
  const logged = await withCapturedLogs(async () =>
    createEnrichCallHandler({
      env: {
        CALLS_TABLE: store.callsTable,
        FREECLIMB_API_KEY: API_KEY,
        ENRICH_RETRY_QUEUE_URL: queues.retry,
      },
      logger: new Logger({ serviceName: 'freeclimb-call-records-test', logLevel: 'INFO' }),
      metrics: writtenMetrics(),
      sqs: queues.sqs,
    }),
  );
  const event = streamEvent([record]);

  // Act
  const { result, logs } = await withCapturedLogs(() => logged.result(event, context));

  // Assess
  expect(result).toEqual({
    batchItemFailures: [{ itemIdentifier: event.Records[0]?.dynamodb?.SequenceNumber }],
  });
  expect(logged.logs).toContainEqual(
    expect.objectContaining({
      level: 'ERROR',
      error: expect.objectContaining({
        name: 'ConfigError',
        message: 'ENRICH_DEAD_LETTER_QUEUE_URL is not set: it must hold the URL of the dead-letter queue',
      }),
    }),
  );
  expect(emfLines(logs)).toEqual([expect.objectContaining({ [HANDOVER_METRICS.failed]: 1 })]);
  expect(fake.requestsFor(record.callId)).toBe(0);
});

test('an event of neither trigger, or an empty one, reports nothing', async () => {
  // Prepare
  const queues = await queuesOfTest();
  const { handle } = enricher(queues);

  // Act
  const results = await Promise.all([
    handle({ Records: [] }, context),
    handle({ Records: [{ eventSource: 'aws:kinesis' }] } as never, context),
    handle({} as never, context),
  ]);

  // Assess
  expect(results).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
});
