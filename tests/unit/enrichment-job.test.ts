import { firstJob, readEnrichmentJob } from '../../lib/enrichment-job';

const CALL_ID = `CA${'a'.repeat(40)}`;
const ACCOUNT_ID = `AC${'b'.repeat(40)}`;
const NOW_MS = Date.UTC(2026, 0, 15, 9, 31, 0);

describe('firstJob and readEnrichmentJob', () => {
  test('a new record becomes attempt 1 from now, with no 404 yet', () => {
    // Prepare
    const record = { callId: CALL_ID, accountId: ACCOUNT_ID, rawBody: '{}' };

    // Act
    const reading = readEnrichmentJob(firstJob(record, NOW_MS));

    // Assess
    expect(reading).toEqual({
      ok: true,
      job: {
        callId: CALL_ID,
        accountId: ACCOUNT_ID,
        attempt: 1,
        firstTriedAt: '2026-01-15T09:31:00.000Z',
        notFoundAnswers: 0,
      },
    });
  });

  test('a job comes back whole from its JSON text (an SQS body)', () => {
    // Prepare
    const job = {
      callId: CALL_ID,
      accountId: ACCOUNT_ID,
      attempt: 4,
      firstTriedAt: '2026-01-15T09:31:00.000Z',
      notFoundAnswers: 2,
    };

    // Act
    const reading = readEnrichmentJob(JSON.stringify(job));

    // Assess
    expect(reading).toEqual({ ok: true, job });
  });

  test('a record without an account id is poison, naming the field, keeping the call id', () => {
    // Prepare
    const job = firstJob({ callId: CALL_ID }, NOW_MS);

    // Act
    const reading = readEnrichmentJob(job);

    // Assess
    expect(reading).toEqual({
      ok: false,
      reason: 'the job is not valid: accountId: an account id must be a string',
      callId: CALL_ID,
      attempts: 1,
    });
  });

  test.each([
    [
      'a malformed call id',
      { callId: 'CA123' },
      'callId: a call id must be CA followed by 40 hex digits',
      undefined,
      3,
    ],
    ['attempt 0', { attempt: 0 }, 'attempt: must be at least 1', CALL_ID, 1],
    ['a fractional attempt', { attempt: 1.5 }, 'attempt: must be a whole number', CALL_ID, 1],
    ['a negative 404 count', { notFoundAnswers: -1 }, 'notFoundAnswers: must be at least 0', CALL_ID, 3],
    [
      'a first attempt time that is no time',
      { firstTriedAt: 'yesterday' },
      'firstTriedAt: must be an ISO 8601 time',
      CALL_ID,
      3,
    ],
    ['a number for a time', { firstTriedAt: 5 }, 'firstTriedAt: must be an ISO 8601 time', CALL_ID, 3],
  ])('%s is poison, with what is known of it', (_name, change, issue, callId, attempts) => {
    // Prepare
    const job = {
      callId: CALL_ID,
      accountId: ACCOUNT_ID,
      attempt: 3,
      firstTriedAt: '2026-01-15T09:31:00.000Z',
      ...change,
    };

    // Act
    const reading = readEnrichmentJob(job);

    // Assess
    expect(reading).toEqual({ ok: false, reason: `the job is not valid: ${issue}`, callId, attempts });
  });

  test.each([
    ['text that is not JSON', '{"callId":', 'the job is not JSON'],
    ['null', null, 'the job is not valid: job: must be a JSON object'],
    ['JSON of a number', '42', 'the job is not valid: job: must be a JSON object'],
  ])('%s is poison with no call id', (_name, input, reason) => {
    // Prepare
    const message = input;

    // Act
    const reading = readEnrichmentJob(message);

    // Assess
    expect(reading).toEqual({ ok: false, reason, attempts: 1 });
  });

  test('a job without an account id at all (an SQS body) says it is required', () => {
    // Prepare
    const body = JSON.stringify({ callId: CALL_ID, attempt: 2, firstTriedAt: '2026-01-15T09:31:00.000Z' });

    // Act
    const reading = readEnrichmentJob(body);

    // Assess
    expect(reading).toEqual({
      ok: false,
      reason: 'the job is not valid: accountId: is required',
      callId: CALL_ID,
      attempts: 2,
    });
  });

  test('every issue of a job is named, one after the other', () => {
    // Prepare
    const job = { callId: CALL_ID, attempt: 0, firstTriedAt: '2026-01-15T09:31:00.000Z' };

    // Act
    const reading = readEnrichmentJob(job);

    // Assess
    expect(reading).toMatchObject({
      ok: false,
      reason: 'the job is not valid: accountId: is required; attempt: must be at least 1',
    });
  });
});
