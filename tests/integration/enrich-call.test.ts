import { inspect } from 'node:util';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/aws-clients';
import type { CallRecord } from '../../lib/call-record';
import { type EnrichmentDependencies, type EnrichmentOutcome, enrichCall } from '../../lib/enrichment';
import { type EnrichmentJob, firstJob } from '../../lib/enrichment-job';
import { testDocumentClient } from '../support/dynamodb';
import { refuseRequests } from '../support/engine-requests';
import {
  DEFAULT_AUTH_PAUSE_MS,
  DEFAULT_RETRY_POLICY,
  ENRICHMENT_START_MS,
  testEnricher,
} from '../support/enricher';
import {
  callResource,
  DEFAULT_CALL_DETAILS,
  type FakeFreeClimb,
  startFakeFreeClimb,
} from '../support/fake-freeclimb';
import { storeCall } from '../support/stored-calls';
import { readCall, testStore } from '../support/webhook';

// One attempt of the real enricher (lib/enrichment.ts) against the FreeClimb-shaped fake over loopback HTTP
// and the test engine: what it writes, what it asks FreeClimb, and how often.

const API_KEY = 'fc_test_key_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TIMEOUT_MS = 300;

const store = testStore();
let fake: FakeFreeClimb;

beforeAll(async () => {
  fake = await startFakeFreeClimb({ apiKey: API_KEY });
});

afterAll(async () => {
  await fake.close();
});

/** A container's enricher against this file's fake and the test engine (see {@link testEnricher}). */
function enricher(change: Partial<EnrichmentDependencies> = {}) {
  return testEnricher({ fake, store, timeoutMs: TIMEOUT_MS }, change);
}

/** A record stored by the real webhook handler, and FreeClimb's Call resource for it. */
async function recordWithCall(
  options: Parameters<typeof callResource>[2] = {},
): Promise<{ record: CallRecord; job: unknown }> {
  const record = await storeCall();
  fake.setCall(callResource(record.callId, record.accountId, options));
  return { record, job: firstJob(record, ENRICHMENT_START_MS) };
}

/** Runs a job's retries as the retry queue would, moving the clock by each delay, until it is done. */
async function runUntilDone(
  enrich: ReturnType<typeof enricher>,
  job: unknown,
  beforeEach: (attempt: number) => void = () => undefined,
): Promise<EnrichmentOutcome[]> {
  const outcomes: EnrichmentOutcome[] = [];
  let next: unknown = job;
  for (let attempt = 1; attempt <= 200; attempt += 1) {
    beforeEach(attempt);
    const outcome = await enrichCall(enrich.deps, next);
    outcomes.push(outcome);
    if (outcome.kind !== 'retry') return outcomes;
    enrich.clock.nowMs += outcome.afterSeconds * 1000;
    next = JSON.parse(JSON.stringify(outcome.next));
  }
  throw new Error('the job never ended');
}

function withoutEnrichment(item: CallRecord | undefined) {
  const { details: _details, enrichment: _enrichment, ...webhook } = (item ?? {}) as Record<string, unknown>;
  return webhook;
}

describe('enrichCall', () => {
  test('a completed call is enriched with FreeClimb’s values in one request, the webhook’s attributes untouched', async () => {
    // Prepare
    const { record, job } = await recordWithCall({
      startedAtMs: Date.UTC(2026, 0, 15, 9, 30, 0),
      answeredBy: 'machine',
    });
    const enrich = enricher();

    // Act
    const outcome = await enrichCall(enrich.deps, job);

    // Assess
    const details = {
      ...DEFAULT_CALL_DETAILS,
      answeredBy: 'machine',
      enrichedAt: '2026-01-15T09:31:00.000Z',
    };
    expect(outcome).toEqual({ kind: 'enriched', callId: record.callId, details });
    expect(await readCall(store, record.callId)).toEqual({ ...record, details });
    expect(fake.requestsFor(record.callId)).toBe(1);
  });

  test('RFC 1123-only times (older API versions) are stored as the same ISO times', async () => {
    // Prepare
    const { record, job } = await recordWithCall({
      times: 'rfc1123-only',
      answeredBy: null,
      callerName: null,
    });
    const enrich = enricher();

    // Act
    await enrichCall(enrich.deps, job);

    // Assess
    const stored = await readCall(store, record.callId);
    const { answeredBy: _answeredBy, callerName: _callerName, ...withoutThem } = DEFAULT_CALL_DETAILS;
    expect((stored as { details?: unknown }).details).toStrictEqual({
      ...withoutThem,
      enrichedAt: '2026-01-15T09:31:00.000Z',
    });
  });

  test('enriches once: a second job for the record leaves the details and enrichedAt as they were', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    const enrich = enricher();
    await enrichCall(enrich.deps, job);
    const first = await readCall(store, record.callId);
    fake.setCall(callResource(record.callId, record.accountId, { talkSeconds: 99 }));
    enrich.clock.nowMs += 3_600_000;

    // Act
    const outcome = await enrichCall(enrich.deps, job);

    // Assess
    expect(outcome).toEqual({ kind: 'already-enriched', callId: record.callId });
    expect(await readCall(store, record.callId)).toEqual(first);
  });

  test('never recreates a record deleted before FreeClimb answered', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    await testDocumentClient().send(
      new DeleteCommand({ TableName: store.callsTable, Key: { callId: record.callId } }),
    );
    const enrich = enricher();

    // Act
    const outcome = await enrichCall(enrich.deps, job);

    // Assess
    expect(outcome).toEqual({ kind: 'gone', callId: record.callId });
    expect(await readCall(store, record.callId)).toBeUndefined();
  });

  test('a call not final yet is retried, never stored, and enriched once FreeClimb completes it', async () => {
    // Prepare
    const { record, job } = await recordWithCall({ status: 'inProgress' });
    const enrich = enricher();

    // Act
    const outcomes = await runUntilDone(enrich, job, (attempt) => {
      if (attempt === 2)
        fake.setCall(callResource(record.callId, record.accountId, { status: 'completed', times: 'none' }));
      if (attempt === 3) fake.setCall(callResource(record.callId, record.accountId));
    });

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['retry', 'retry', 'enriched']);
    expect(outcomes.slice(0, 2)).toEqual([
      expect.objectContaining({ afterSeconds: 30, reason: 'FreeClimb shows the call as inProgress' }),
      expect.objectContaining({
        afterSeconds: 60,
        reason: 'FreeClimb shows the call completed without its startTime, connectTime, endTime',
      }),
    ]);
    expect(outcomes.map((outcome) => (outcome as { error?: unknown }).error)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(fake.requestsFor(record.callId)).toBe(3);
  });

  test('FreeClimb down for an hour, then back: nothing lost, one request per backoff step, no storm', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    const enrich = enricher();
    fake.fail({ status: 503 }, { callId: record.callId });

    // Act
    const outcomes = await runUntilDone(enrich, job, () => {
      if (enrich.clock.nowMs - ENRICHMENT_START_MS >= 3_600_000) fake.heal(record.callId);
    });

    // Assess: waits 30, 60, …, 480 s, then 900 s: back after the 9th request, at 1 h 3 min.
    expect(
      outcomes.map((outcome) => (outcome.kind === 'retry' ? outcome.afterSeconds : outcome.kind)),
    ).toEqual([30, 60, 120, 240, 480, 900, 900, 900, 'enriched']);
    expect(fake.requestsFor(record.callId)).toBe(9);
    expect(outcomes[0]).toMatchObject({
      reason: 'FreeClimb answered 503 (code 0: Service Unavailable)',
      error: { name: 'FreeClimbApiError', kind: 'server-error', status: 503 },
    });
    expect(enrich.authFailures).toEqual([]);
    expect((await readCall(store, record.callId))?.callId).toBe(record.callId);
  });

  test('a 429 with Retry-After waits what FreeClimb asks', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    fake.fail({ status: 429, retryAfter: '240' }, { callId: record.callId, times: 1 });
    const enrich = enricher();

    // Act
    const outcome = await enrichCall(enrich.deps, job);

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry', afterSeconds: 240, next: { attempt: 2 } });
  });

  test('a call FreeClimb does not know is asked for three times, then given up and marked on the record', async () => {
    // Prepare
    const record = await storeCall();
    const enrich = enricher();

    // Act
    const outcomes = await runUntilDone(enrich, firstJob(record, ENRICHMENT_START_MS));

    // Assess
    const reason = 'FreeClimb does not know this call (404 on 3 attempts)';
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['retry', 'retry', 'gave-up']);
    expect(outcomes[2]).toEqual({
      kind: 'gave-up',
      callId: record.callId,
      reason,
      attempts: 3,
      marked: true,
    });
    expect(fake.requestsFor(record.callId)).toBe(3);
    expect(await readCall(store, record.callId)).toEqual({
      ...record,
      enrichment: { gaveUpAt: '2026-01-15T09:32:30.000Z', reason, attempts: 3 },
    });
  });

  test('one slow call does not hold up the others: it times out, they are enriched', async () => {
    // Prepare
    const calls = await Promise.all(Array.from({ length: 5 }, () => recordWithCall()));
    const slow = calls[2]?.record.callId as string;
    fake.fail({ delayMs: TIMEOUT_MS * 10 }, { callId: slow, times: 1 });
    const enrich = enricher();

    // Act
    const outcomes = await Promise.all(calls.map(({ job }) => enrichCall(enrich.deps, job)));

    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      'enriched',
      'enriched',
      'retry',
      'enriched',
      'enriched',
    ]);
    expect(outcomes[2]).toMatchObject({ reason: `FreeClimb did not answer within ${TIMEOUT_MS} ms` });
  });

  describe('a key FreeClimb refuses', () => {
    test('costs one request per container per pause, not one per job, and is counted each time', async () => {
      // Prepare: 30 jobs, one container, a key FreeClimb refuses.
      const calls = await Promise.all(Array.from({ length: 30 }, () => recordWithCall()));
      const enrich = enricher({ apiKey: async () => 'fc_revoked_key' });
      const before = fake.requests.length;

      // Act: one job at a time for 12 minutes, a job every 24 s.
      const outcomes: EnrichmentOutcome[] = [];
      for (const { job } of calls) {
        outcomes.push(await enrichCall(enrich.deps, job));
        enrich.clock.nowMs += 24_000;
      }

      // Assess: requests at 0, 5 and 10 minutes; every job waits the longest backoff.
      expect(fake.requests.length - before).toBe(3);
      expect(enrich.authFailures).toEqual([401, 401, 401]);
      expect(outcomes.every((outcome) => outcome.kind === 'retry' && outcome.afterSeconds === 900)).toBe(
        true,
      );
      expect(outcomes[0]).toMatchObject({
        reason: 'FreeClimb answered 401 (code 401: Unauthorized): check the API key',
      });
      expect(outcomes[1]).toMatchObject({
        reason: 'FreeClimb refused the API key: no request for another 276 s',
      });
    });

    test('a batch running at once sends one request each before the first refusal, none after', async () => {
      // Prepare
      const calls = await Promise.all(Array.from({ length: 10 }, () => recordWithCall()));
      const enrich = enricher({ apiKey: async () => 'fc_revoked_key' });
      const before = fake.requests.length;

      // Act
      const firstBatch = await Promise.all(calls.map(({ job }) => enrichCall(enrich.deps, job)));
      const secondBatch = await Promise.all(calls.map(({ job }) => enrichCall(enrich.deps, job)));

      // Assess
      expect(fake.requests.length - before).toBe(10);
      expect([...firstBatch, ...secondBatch].every((outcome) => outcome.kind === 'retry')).toBe(true);
    });

    test('after the pause one probe reads the key afresh; once it is accepted, every job goes again', async () => {
      // Prepare
      const calls = await Promise.all(Array.from({ length: 4 }, () => recordWithCall()));
      let storedKey = 'fc_revoked_key';
      const refreshes: boolean[] = [];
      const enrich = enricher({
        apiKey: async (options = {}) => {
          refreshes.push(options.refresh === true);
          return storedKey;
        },
      });
      await enrichCall(enrich.deps, calls[0]?.job);
      storedKey = API_KEY;
      enrich.clock.nowMs += DEFAULT_AUTH_PAUSE_MS;

      // Act
      const outcomes = await Promise.all(calls.map(({ job }) => enrichCall(enrich.deps, job)));
      const afterProbe = await Promise.all(calls.slice(1).map(({ job }) => enrichCall(enrich.deps, job)));

      // Assess: the probe goes (with a fresh read of the key), the other three wait while it is out.
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['enriched', 'retry', 'retry', 'retry']);
      expect(refreshes).toEqual([false, true, false, false, false]);
      expect(afterProbe.map((outcome) => outcome.kind)).toEqual(['enriched', 'enriched', 'enriched']);
    });

    /** A container whose key was refused, with its pause just over; the key is right again. */
    async function afterPause(count: number) {
      const calls = await Promise.all(Array.from({ length: count }, () => recordWithCall()));
      let apiKey = 'fc_revoked_key';
      const enrich = enricher({ apiKey: async () => apiKey });
      await enrichCall(enrich.deps, calls[0]?.job);
      apiKey = API_KEY;
      enrich.clock.nowMs += DEFAULT_AUTH_PAUSE_MS;
      return {
        calls,
        enrich,
        setKey: (key: typeof enrich.deps.apiKey) => Object.assign(enrich.deps, { apiKey: key }),
      };
    }

    test.each([
      ['a 404', { status: 404 }],
      ['a call not final yet', undefined],
    ])('a probe answered with %s shows the key works: the pause ends', async (_name, failure) => {
      // Prepare
      const { calls, enrich } = await afterPause(3);
      const probe = calls[0]?.record.callId as string;
      if (failure === undefined) {
        fake.setCall(callResource(probe, calls[0]?.record.accountId as string, { status: 'ringing' }));
      } else {
        fake.fail(failure, { callId: probe, times: 1 });
      }

      // Act
      const probed = await enrichCall(enrich.deps, calls[0]?.job);
      const others = await Promise.all(calls.slice(1).map(({ job }) => enrichCall(enrich.deps, job)));

      // Assess
      expect(probed.kind).toBe('retry');
      expect(others.map((outcome) => outcome.kind)).toEqual(['enriched', 'enriched']);
    });

    test('a probe without a key to send shows nothing: the next job probes, the others keep waiting', async () => {
      // Prepare
      const { calls, enrich, setKey } = await afterPause(3);
      setKey(async () => {
        throw new Error('SSM is throttling');
      });
      await enrichCall(enrich.deps, calls[0]?.job);
      setKey(async () => API_KEY);

      // Act
      const outcomes = await Promise.all(calls.slice(1).map(({ job }) => enrichCall(enrich.deps, job)));

      // Assess
      expect(outcomes.map((outcome) => outcome.kind)).toEqual(['enriched', 'retry']);
    });

    test('without a metric hook, a refusal is still only a retry', async () => {
      // Prepare
      const { job } = await recordWithCall();
      const enrich = enricher({ apiKey: async () => 'fc_revoked_key', onAuthFailure: undefined });

      // Act
      const outcome = await enrichCall(enrich.deps, job);

      // Assess
      expect(outcome).toMatchObject({ kind: 'retry', afterSeconds: 900 });
    });

    test('a 403 is a refusal too', async () => {
      // Prepare
      const { record, job } = await recordWithCall();
      fake.fail({ status: 403 }, { callId: record.callId, times: 1 });
      const enrich = enricher();

      // Act
      const outcome = await enrichCall(enrich.deps, job);
      const next = await enrichCall(enrich.deps, job);

      // Assess
      expect(outcome).toMatchObject({ kind: 'retry', afterSeconds: 900 });
      expect(next).toMatchObject({
        kind: 'retry',
        reason: 'FreeClimb refused the API key: no request for another 300 s',
      });
      expect(enrich.authFailures).toEqual([403]);
    });

    test('never shows the key in an outcome', async () => {
      // Prepare
      const { record, job } = await recordWithCall();
      const wrongKey = 'fc_wrong_key_5e6f7a8b9c0d';
      const enrich = enricher({ apiKey: async () => wrongKey });

      // Act
      const outcome = await enrichCall(enrich.deps, job);

      // Assess
      const text = [
        JSON.stringify(outcome),
        inspect(outcome, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      ].join('\n');
      expect(outcome.kind).toBe('retry');
      expect(text).toContain(record.callId);
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain(Buffer.from(`${record.accountId}:${wrongKey}`).toString('base64'));
    });
  });

  test('no API key to send: retried with the reason, FreeClimb not asked', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    const enrich = enricher({
      apiKey: async () => {
        throw new Error('No FreeClimb API key could be read from the SSM parameter /k');
      },
    });

    // Act
    const outcome = await enrichCall(enrich.deps, job);

    // Assess
    expect(outcome).toMatchObject({
      kind: 'retry',
      afterSeconds: 30,
      reason:
        'No FreeClimb API key could be read: No FreeClimb API key could be read from the SSM parameter /k',
      error: expect.objectContaining({
        message: 'No FreeClimb API key could be read from the SSM parameter /k',
      }),
    });
    expect(fake.requestsFor(record.callId)).toBe(0);
  });

  test('details that cannot be written are retried like an unanswered request, with the store’s error', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    const doc = createDocumentClient({ maxAttempts: 1 });
    refuseRequests(doc, (request) => request.operation === 'UpdateItem');
    const enrich = enricher({ store: { ...store, doc } });

    // Act
    const outcome = await enrichCall(enrich.deps, job);

    // Assess
    expect(outcome).toMatchObject({
      kind: 'retry',
      callId: record.callId,
      afterSeconds: 30,
      reason: 'The details could not be stored: Internal server error',
      next: { attempt: 2 },
      error: expect.objectContaining({ name: 'InternalServerError' }),
    });
    expect(withoutEnrichment(await readCall(store, record.callId))).toEqual(record);
  });

  test('details that still cannot be written at the give-up age give up', async () => {
    // Prepare
    const { record } = await recordWithCall();
    const doc = createDocumentClient({ maxAttempts: 1 });
    refuseRequests(doc, (request) => request.operation === 'UpdateItem');
    const enrich = enricher({ store: { ...store, doc } });
    const oldJob: EnrichmentJob = {
      callId: record.callId,
      accountId: record.accountId,
      attempt: 90,
      firstTriedAt: new Date(ENRICHMENT_START_MS - DEFAULT_RETRY_POLICY.giveUpAfterMs).toISOString(),
      notFoundAnswers: 0,
    };

    // Act
    const outcome = await enrichCall(enrich.deps, oldJob);

    // Assess: the mark could not be written either, and says so.
    expect(outcome).toMatchObject({
      kind: 'gave-up',
      callId: record.callId,
      attempts: 90,
      marked: false,
      reason:
        'Not enriched 24 h after the first attempt, in 90 attempts; the last: The details could not be stored: Internal server error',
      error: expect.objectContaining({ name: 'InternalServerError' }),
    });
  });

  test('a give-up on a record enriched meanwhile is no give-up', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    const enrich = enricher();
    await enrichCall(enrich.deps, job);
    fake.deleteCall(record.callId);
    const lastTry = { ...(job as object), attempt: 3, notFoundAnswers: 2 };

    // Act
    const outcome = await enrichCall(enrich.deps, lastTry);

    // Assess
    expect(outcome).toEqual({ kind: 'already-enriched', callId: record.callId });
  });

  test('a give-up on a deleted record is no give-up', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    fake.deleteCall(record.callId);
    await testDocumentClient().send(
      new DeleteCommand({ TableName: store.callsTable, Key: { callId: record.callId } }),
    );
    const lastTry = { ...(job as object), attempt: 3, notFoundAnswers: 2 };

    // Act
    const outcome = await enrichCall(enricher().deps, lastTry);

    // Assess
    expect(outcome).toEqual({ kind: 'gone', callId: record.callId });
    expect(await readCall(store, record.callId)).toBeUndefined();
  });

  describe('a poison job gives up at once, without asking FreeClimb', () => {
    test('a record without an account id is marked with the reason', async () => {
      // Prepare
      const record = await storeCall();
      const job = firstJob({ callId: record.callId }, ENRICHMENT_START_MS);
      const before = fake.requests.length;

      // Act
      const outcome = await enrichCall(enricher().deps, job);

      // Assess
      const reason = 'the job is not valid: accountId: an account id must be a string';
      expect(outcome).toEqual({ kind: 'gave-up', callId: record.callId, reason, attempts: 1, marked: true });
      expect(await readCall(store, record.callId)).toEqual({
        ...record,
        enrichment: { gaveUpAt: '2026-01-15T09:31:00.000Z', reason, attempts: 1 },
      });
      expect(fake.requests.length).toBe(before);
    });

    test('a message that is not a job is given up unmarked', async () => {
      // Prepare
      const before = fake.requests.length;

      // Act
      const outcome = await enrichCall(enricher().deps, 'not json');

      // Assess
      expect(outcome).toEqual({ kind: 'gave-up', reason: 'the job is not JSON', attempts: 1, marked: false });
      expect(fake.requests.length).toBe(before);
    });
  });

  test('the invocation’s abort signal ends the request to FreeClimb', async () => {
    // Prepare
    const { record, job } = await recordWithCall();
    fake.fail({ delayMs: TIMEOUT_MS * 3 }, { callId: record.callId, times: 1 });
    const controller = new AbortController();
    const enrich = enricher({
      abortSignal: controller.signal,
      api: { baseUrl: fake.url, timeoutMs: 10 * TIMEOUT_MS },
    });
    setTimeout(() => controller.abort(), 20);

    // Act
    const outcome = await enrichCall(enrich.deps, job);

    // Assess
    expect(outcome).toMatchObject({
      kind: 'retry',
      reason: 'The request to FreeClimb was aborted by its caller',
    });
  });

  test.each([
    ['the details write', false],
    ['the give-up mark', true],
  ])('the invocation’s abort signal reaches %s', async (_name, givingUp) => {
    // Prepare: the signal fires once FreeClimb has answered, before the write.
    const { record, job } = await recordWithCall();
    if (givingUp) fake.deleteCall(record.callId);
    const controller = new AbortController();
    const enrich = enricher({
      abortSignal: controller.signal,
      now: () => {
        if (fake.requestsFor(record.callId) > 0) controller.abort();
        return ENRICHMENT_START_MS;
      },
    });
    const attempt = givingUp ? { ...(job as object), attempt: 3, notFoundAnswers: 2 } : job;

    // Act
    const outcome = await enrichCall(enrich.deps, attempt);

    // Assess
    expect(outcome).toMatchObject(
      givingUp
        ? { kind: 'gave-up', marked: false, error: { name: 'AbortError' } }
        : { kind: 'retry', error: { name: 'AbortError' } },
    );
    expect(await readCall(store, record.callId)).toEqual(record);
  });
});
