import * as v from 'valibot';
import { type AttemptResult, AUTH_FAILED_METRIC, decide, type RetryPolicy } from '../../lib/enrichment';
import type { EnrichmentJob } from '../../lib/enrichment-job';
import { FreeClimbApiError, type FreeClimbFailure } from '../../lib/freeclimb-api';
import { FreeClimbCall } from '../../lib/freeclimb-call';
import { callResource } from '../support/fake-freeclimb';

// The enricher's decision table, row by row: what one attempt's result makes of a job.

const POLICY: RetryPolicy = {
  baseSeconds: 30,
  maxSeconds: 900,
  giveUpAfterMs: 24 * 3_600_000,
  notFoundAttempts: 3,
};
const FIRST_TRIED_MS = Date.UTC(2026, 0, 15, 9, 31, 0);
const CALL_ID = `CA${'1'.repeat(40)}`;
const ACCOUNT_ID = `AC${'2'.repeat(40)}`;

function job(change: Partial<EnrichmentJob> = {}): EnrichmentJob {
  return {
    callId: CALL_ID,
    accountId: ACCOUNT_ID,
    attempt: 1,
    firstTriedAt: new Date(FIRST_TRIED_MS).toISOString(),
    notFoundAnswers: 0,
    ...change,
  };
}

function failed(
  kind: FreeClimbFailure,
  details: { status?: number; retryAfterSeconds?: number } = {},
): AttemptResult {
  return {
    kind: 'failed',
    error: new FreeClimbApiError(kind, `FreeClimb failed: ${kind}`, details),
  };
}

function call(options: Parameters<typeof callResource>[2] = {}): FreeClimbCall {
  return v.parse(FreeClimbCall, callResource(CALL_ID, ACCOUNT_ID, options));
}

const minutesAfterFirstTry = (minutes: number) => FIRST_TRIED_MS + minutes * 60_000;

describe('decide', () => {
  test('a final call is stored, with the details read now', () => {
    // Prepare
    const result: AttemptResult = { kind: 'ok', call: call({ talkSeconds: 41 }) };

    // Act
    const decision = decide(result, job(), POLICY, minutesAfterFirstTry(0));

    // Assess
    expect(decision).toEqual({
      kind: 'store',
      details: expect.objectContaining({
        status: 'completed',
        connectDuration: 41,
        enrichedAt: '2026-01-15T09:31:00.000Z',
      }),
    });
  });

  test('a call not final yet is retried after the base wait, with the next attempt number', () => {
    // Prepare
    const result: AttemptResult = {
      kind: 'not-final',
      call: call({ status: 'ringing' }),
      reason: 'still ringing',
    };

    // Act
    const decision = decide(result, job(), POLICY, minutesAfterFirstTry(0));

    // Assess
    expect(decision).toEqual({
      kind: 'retry',
      afterSeconds: 30,
      reason: 'still ringing',
      next: job({ attempt: 2 }),
    });
  });

  test.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [4, 240],
    [5, 480],
    [6, 900],
    [7, 900],
    [40, 900],
  ])('after attempt %i the wait is base × 2^(attempt-1), capped: %i s', (attempt, seconds) => {
    // Prepare
    const result = failed('server-error', { status: 503 });

    // Act
    const decision = decide(result, job({ attempt }), POLICY, minutesAfterFirstTry(1));

    // Assess
    expect(decision).toMatchObject({ kind: 'retry', afterSeconds: seconds, next: { attempt: attempt + 1 } });
  });

  test.each(['rate-limited', 'server-error', 'timeout', 'network', 'invalid-answer'] as FreeClimbFailure[])(
    '%s is retried with the failure as the reason',
    (kind) => {
      // Prepare
      const result = failed(kind);

      // Act
      const decision = decide(result, job({ attempt: 2 }), POLICY, minutesAfterFirstTry(1));

      // Assess
      expect(decision).toEqual({
        kind: 'retry',
        afterSeconds: 60,
        reason: `FreeClimb failed: ${kind}`,
        next: job({ attempt: 3 }),
      });
    },
  );

  test.each([
    ['longer than the backoff: it wins', 1, 120, 120],
    ['shorter than the backoff: the backoff wins', 3, 5, 120],
    ['longer than the cap: the cap wins (SQS delays no longer)', 1, 3600, 900],
    ['zero (a date already past): the backoff', 1, 0, 30],
  ])('Retry-After %s', (_name, attempt, retryAfterSeconds, seconds) => {
    // Prepare
    const result = failed('rate-limited', { status: 429, retryAfterSeconds });

    // Act
    const decision = decide(result, job({ attempt }), POLICY, minutesAfterFirstTry(1));

    // Assess
    expect(decision).toMatchObject({ kind: 'retry', afterSeconds: seconds });
  });

  test('a 404 is retried, counting toward the not-found budget', () => {
    // Prepare
    const result = failed('not-found', { status: 404 });

    // Act
    const first = decide(result, job(), POLICY, minutesAfterFirstTry(0));
    const second = decide(result, job({ attempt: 2, notFoundAnswers: 1 }), POLICY, minutesAfterFirstTry(1));

    // Assess
    expect(first).toEqual({
      kind: 'retry',
      afterSeconds: 30,
      reason: 'FreeClimb failed: not-found',
      next: job({ attempt: 2, notFoundAnswers: 1 }),
    });
    expect(second).toMatchObject({
      kind: 'retry',
      afterSeconds: 60,
      next: { attempt: 3, notFoundAnswers: 2 },
    });
  });

  test('the third 404 gives up: FreeClimb does not know the call', () => {
    // Prepare
    const result = failed('not-found', { status: 404 });

    // Act
    const decision = decide(result, job({ attempt: 5, notFoundAnswers: 2 }), POLICY, minutesAfterFirstTry(5));

    // Assess
    expect(decision).toEqual({
      kind: 'give-up',
      reason: 'FreeClimb does not know this call (404 on 3 attempts)',
    });
  });

  test('the not-found budget counts 404s, not attempts: other failures leave it as it was', () => {
    // Prepare
    const timeout = failed('timeout');

    // Act
    const decision = decide(
      timeout,
      job({ attempt: 4, notFoundAnswers: 2 }),
      POLICY,
      minutesAfterFirstTry(5),
    );

    // Assess
    expect(decision).toMatchObject({ kind: 'retry', next: { attempt: 5, notFoundAnswers: 2 } });
  });

  test('a budget of one 404 gives up on the first', () => {
    // Prepare
    const policy = { ...POLICY, notFoundAttempts: 1 };

    // Act
    const decision = decide(failed('not-found', { status: 404 }), job(), policy, minutesAfterFirstTry(0));

    // Assess
    expect(decision).toEqual({
      kind: 'give-up',
      reason: 'FreeClimb does not know this call (404 on 1 attempts)',
    });
  });

  test.each([
    ['unauthorized', 401],
    ['forbidden', 403],
  ] as Array<[FreeClimbFailure, number]>)(
    '%s (%i) waits the longest backoff, even on the first attempt',
    (kind, status) => {
      // Prepare
      const result = failed(kind, { status });

      // Act
      const decision = decide(result, job(), POLICY, minutesAfterFirstTry(0));

      // Assess
      expect(decision).toEqual({
        kind: 'retry',
        afterSeconds: 900,
        reason: `FreeClimb failed: ${kind}: check the API key`,
        next: job({ attempt: 2 }),
      });
    },
  );

  test('a container pausing after a refused key retries at the longest backoff, saying how long the pause lasts', () => {
    // Prepare
    const result: AttemptResult = { kind: 'paused', pausedForMs: 120_001 };

    // Act
    const decision = decide(result, job(), POLICY, minutesAfterFirstTry(0));

    // Assess
    expect(decision).toEqual({
      kind: 'retry',
      afterSeconds: 900,
      reason: 'FreeClimb refused the API key: no request for another 121 s',
      next: job({ attempt: 2 }),
    });
  });

  test('no API key to send is retried with the backoff, with the reason', () => {
    // Prepare
    const result: AttemptResult = { kind: 'no-key', error: new Error('SSM is throttling') };
    const notAnError: AttemptResult = { kind: 'no-key', error: 'SSM down' };

    // Act
    const decision = decide(result, job({ attempt: 2 }), POLICY, minutesAfterFirstTry(1));
    const fromText = decide(notAnError, job(), POLICY, minutesAfterFirstTry(1));

    // Assess
    expect(decision).toEqual({
      kind: 'retry',
      afterSeconds: 60,
      reason: 'No FreeClimb API key could be read: SSM is throttling',
      next: job({ attempt: 3 }),
    });
    expect(fromText).toMatchObject({ reason: 'No FreeClimb API key could be read: SSM down' });
  });

  test('any other status (a redirect, a 400) gives up at once: no retry changes it', () => {
    // Prepare
    const result = failed('unexpected-status', { status: 400 });

    // Act
    const decision = decide(result, job(), POLICY, minutesAfterFirstTry(0));

    // Assess
    expect(decision).toEqual({ kind: 'give-up', reason: 'FreeClimb failed: unexpected-status' });
  });

  describe('the give-up age', () => {
    // Built inside each test, so a broken parser fails the tests rather than the file's loading.
    const everyRetry: Array<[string, () => AttemptResult]> = [
      [
        'a call not final',
        () => ({ kind: 'not-final', call: call({ status: 'inProgress' }), reason: 'in progress' }),
      ],
      ['a 503', () => failed('server-error', { status: 503 })],
      ['a 404', () => failed('not-found', { status: 404 })],
      ['a 401', () => failed('unauthorized', { status: 401 })],
      ['a pause', () => ({ kind: 'paused', pausedForMs: 1000 })],
      ['no key', () => ({ kind: 'no-key', error: new Error('no key') })],
    ];

    test.each(everyRetry)('%s one millisecond before it is still retried', (_name, result) => {
      // Prepare
      const now = FIRST_TRIED_MS + POLICY.giveUpAfterMs - 1;

      // Act
      const decision = decide(result(), job({ attempt: 60 }), POLICY, now);

      // Assess
      expect(decision.kind).toBe('retry');
    });

    test.each(everyRetry)('%s at the give-up age gives up, saying what last failed', (_name, result) => {
      // Prepare
      const now = FIRST_TRIED_MS + POLICY.giveUpAfterMs;

      // Act
      const decision = decide(result(), job({ attempt: 60 }), POLICY, now);

      // Assess
      expect(decision).toEqual({
        kind: 'give-up',
        reason: expect.stringMatching(
          /^Not enriched 24 h after the first attempt, in 60 attempts; the last: .+/,
        ),
      });
    });

    test('the age counts from the first attempt, in whole hours', () => {
      // Prepare
      const policy = { ...POLICY, giveUpAfterMs: 3_600_000 };
      const now = FIRST_TRIED_MS + 2.9 * 3_600_000;

      // Act
      const decision = decide(failed('timeout'), job({ attempt: 9 }), policy, now);

      // Assess
      expect(decision).toEqual({
        kind: 'give-up',
        reason:
          'Not enriched 2 h after the first attempt, in 9 attempts; the last: FreeClimb failed: timeout',
      });
    });

    test('a final call is stored however old the job is', () => {
      // Prepare
      const now = FIRST_TRIED_MS + 10 * POLICY.giveUpAfterMs;

      // Act
      const decision = decide({ kind: 'ok', call: call() }, job({ attempt: 99 }), POLICY, now);

      // Assess
      expect(decision.kind).toBe('store');
    });
  });
});

test('the metric an alarm watches for a refused key is EnrichmentAuthFailed', () => {
  // Prepare
  const alarmMetric = 'EnrichmentAuthFailed';

  // Act
  const name = AUTH_FAILED_METRIC;

  // Assess
  expect(name).toBe(alarmMetric);
});
