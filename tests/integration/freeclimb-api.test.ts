import { inspect } from 'node:util';
import { type CallAnswer, type FreeClimbApi, readFreeClimbCall } from '../../lib/freeclimb-api';
import { callResource, type FakeFreeClimb, rfc1123, startFakeFreeClimb } from '../support/fake-freeclimb';
import { freePort } from '../support/free-port';
import { freshId } from '../support/webhook';

// The real client against the FreeClimb-shaped fake, over loopback HTTP: every answer the API can give,
// classified, and the key kept out of everything a failure carries.

const API_KEY = 'fc_test_key_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const TIMEOUT_MS = 300;

let fake: FakeFreeClimb;
let api: FreeClimbApi;

beforeAll(async () => {
  fake = await startFakeFreeClimb({ apiKey: API_KEY });
  api = { baseUrl: fake.url, timeoutMs: TIMEOUT_MS };
});

afterAll(async () => {
  await fake.close();
});

/** A call the fake knows, and the request for it with the right key. */
function knownCall(
  options: Parameters<typeof callResource>[2] = {},
  overrides: Record<string, unknown> = {},
) {
  const callId = freshId('CA');
  const accountId = freshId('AC');
  fake.setCall(callResource(callId, accountId, options, overrides));
  return { callId, accountId, apiKey: API_KEY };
}

function failureOf(answer: CallAnswer) {
  if (answer.kind !== 'failed') throw new Error(`expected a failure, got ${answer.kind}`);
  return answer.error;
}

describe('readFreeClimbCall', () => {
  test('reads a completed call with one GET of the Call resource, Basic auth and Accept JSON', async () => {
    // Prepare
    const request = knownCall();
    const before = fake.requests.length;

    // Act
    const answer = await readFreeClimbCall(api, request);

    // Assess
    expect(answer).toEqual({
      kind: 'ok',
      call: expect.objectContaining({
        callId: request.callId,
        status: 'completed',
        endTime: '2026-01-15T09:30:47.000Z',
      }),
    });
    expect(fake.requests.slice(before)).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: `/apiserver/Accounts/${request.accountId}/Calls/${request.callId}`,
        user: request.accountId,
        accept: 'application/json',
        status: 200,
      }),
    ]);
  });

  test('reads RFC 1123 times where the API sends no ISO ones', async () => {
    // Prepare
    const request = knownCall({ times: 'rfc1123-only', startedAtMs: Date.UTC(2026, 5, 3, 7, 5, 9) });

    // Act
    const answer = await readFreeClimbCall(api, request);

    // Assess
    expect(answer).toMatchObject({ kind: 'ok', call: { startTime: '2026-06-03T07:05:09.000Z' } });
    expect(answer.kind === 'ok' && 'startTimeISO' in answer.call).toBe(false);
  });

  test.each([
    ['queued', { status: 'queued' }, 'FreeClimb shows the call as queued'],
    ['ringing', { status: 'ringing' }, 'FreeClimb shows the call as ringing'],
    ['in progress', { status: 'inProgress' }, 'FreeClimb shows the call as inProgress'],
    [
      'completed without its times',
      { status: 'completed', times: 'none' },
      'FreeClimb shows the call completed without its startTime, connectTime, endTime',
    ],
  ] as const)('a call %s is not final, with the reason', async (_name, options, reason) => {
    // Prepare
    const request = knownCall(options);

    // Act
    const answer = await readFreeClimbCall(api, request);

    // Assess
    expect(answer).toMatchObject({ kind: 'not-final', reason, call: { callId: request.callId } });
  });

  test('a wrong key is unauthorized (401), with FreeClimb’s code and text', async () => {
    // Prepare
    const request = { ...knownCall(), apiKey: 'fc_wrong_key' };

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error).toMatchObject({
      name: 'FreeClimbApiError',
      kind: 'unauthorized',
      status: 401,
      message: 'FreeClimb answered 401 (code 401: Unauthorized)',
    });
  });

  test('the fake checks that the Basic auth user is the account of the path', async () => {
    // Prepare
    const request = knownCall();
    const otherAccount = freshId('AC');
    const credentials = Buffer.from(`${otherAccount}:${API_KEY}`).toString('base64');

    // Act
    const response = await fetch(`${fake.url}/Accounts/${request.accountId}/Calls/${request.callId}`, {
      headers: { Authorization: `Basic ${credentials}` },
    });

    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 401,
      call: 'Unauthorized',
      url: 'https://docs.freeclimb.com/reference/error-and-warning-dictionary#401',
      details: {},
    });
  });

  test.each([
    [403, 'forbidden'],
    [404, 'not-found'],
    [500, 'server-error'],
    [502, 'server-error'],
    [503, 'server-error'],
    [408, 'timeout'],
    [400, 'unexpected-status'],
    [302, 'unexpected-status'],
    [204, 'unexpected-status'],
  ])('answered %i, the failure is %s', async (status, kind) => {
    // Prepare
    const request = knownCall();
    fake.fail({ status }, { callId: request.callId, times: 1 });

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error).toMatchObject({ kind, status, retryAfterSeconds: undefined });
    expect(error.message).toMatch(new RegExp(`^FreeClimb answered ${status}`));
  });

  test('a call the API does not know is not found', async () => {
    // Prepare
    const request = { callId: freshId('CA'), accountId: freshId('AC'), apiKey: API_KEY };

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error).toMatchObject({
      kind: 'not-found',
      status: 404,
      message: 'FreeClimb answered 404 (code 404: Not Found)',
    });
  });

  test('another account’s call is not found, even with the right key', async () => {
    // Prepare
    const request = { ...knownCall(), accountId: freshId('AC') };

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error.kind).toBe('not-found');
  });

  test('429 is rate-limited, with Retry-After in seconds', async () => {
    // Prepare
    const request = knownCall();
    fake.fail({ status: 429, retryAfter: '37' }, { callId: request.callId, times: 1 });

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterSeconds: 37 });
  });

  test('503 with Retry-After as an HTTP date counts the seconds from the clock it is given', async () => {
    // Prepare
    const request = knownCall();
    const nowMs = Date.UTC(2026, 0, 15, 9, 30, 0);
    fake.fail({ status: 503, retryAfter: rfc1123(nowMs + 120_000) }, { callId: request.callId, times: 1 });

    // Act
    const error = failureOf(await readFreeClimbCall(api, request, { now: () => nowMs }));

    // Assess
    expect(error).toMatchObject({ kind: 'server-error', status: 503, retryAfterSeconds: 120 });
  });

  test('FreeClimb’s CLI-style error body (message in place of call) is read too', async () => {
    // Prepare
    const request = knownCall();
    fake.fail(
      { status: 500, body: { code: 0, message: 'Internal Failure', url: 'u' } },
      { callId: request.callId, times: 1 },
    );

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error.message).toBe('FreeClimb answered 500 (code 0: Internal Failure)');
  });

  test.each([
    ['not JSON', { rawBody: 'Service Unavailable' }],
    ['empty', { rawBody: '' }],
    ['JSON without code or text', { body: { details: {} } }],
    ['JSON null', { rawBody: 'null' }],
    ['a code that is no number and an empty text', { body: { code: 'x', call: '' } }],
  ])('an error body that is %s adds nothing to the message', async (_name, body) => {
    // Prepare
    const request = knownCall();
    fake.fail({ status: 500, ...body }, { callId: request.callId, times: 1 });

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error.message).toBe('FreeClimb answered 500');
  });

  test('FreeClimb’s error text is cut to 200 characters', async () => {
    // Prepare
    const request = knownCall();
    fake.fail(
      { status: 500, body: { code: 0, call: 'x'.repeat(500) } },
      { callId: request.callId, times: 1 },
    );

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error.message).toBe(`FreeClimb answered 500 (code 0: ${'x'.repeat(200)})`);
  });

  test('an answer slower than the timeout is a timeout, and the request ends then', async () => {
    // Prepare
    const request = knownCall();
    fake.fail({ delayMs: TIMEOUT_MS * 4 }, { callId: request.callId, times: 1 });
    const startedAt = performance.now();

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error).toMatchObject({
      kind: 'timeout',
      message: `FreeClimb did not answer within ${TIMEOUT_MS} ms`,
    });
    expect(error.cause).toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - startedAt).toBeLessThan(TIMEOUT_MS * 4);
  });

  test('the caller’s abort signal ends the request too, said apart from the timeout', async () => {
    // Prepare
    const request = knownCall();
    fake.fail({ delayMs: TIMEOUT_MS * 4 }, { callId: request.callId, times: 1 });
    const caller = new AbortController();
    const reason = new Error('the invocation is out of time');
    setTimeout(() => caller.abort(reason), 20);

    // Act
    const error = failureOf(await readFreeClimbCall(api, request, { abortSignal: caller.signal }));

    // Assess
    expect(error).toMatchObject({
      kind: 'timeout',
      message: 'The request to FreeClimb was aborted by its caller',
    });
    expect(error.cause).toBe(reason);
  });

  test('a caller’s signal that never fires changes nothing', async () => {
    // Prepare
    const request = knownCall();

    // Act
    const answer = await readFreeClimbCall(api, request, { abortSignal: new AbortController().signal });

    // Assess
    expect(answer.kind).toBe('ok');
  });

  test('nothing listening is a network failure, with the cause', async () => {
    // Prepare
    const closed = { baseUrl: `http://127.0.0.1:${await freePort()}/apiserver`, timeoutMs: TIMEOUT_MS };

    // Act
    const error = failureOf(await readFreeClimbCall(closed, knownCall()));

    // Assess
    expect(error).toMatchObject({ kind: 'network', message: 'FreeClimb could not be reached' });
    expect(error.cause).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });

  test.each([
    ['not JSON', '<html>maintenance</html>', 'FreeClimb answered 200 with a body that is not JSON'],
    [
      'JSON that is not a Call resource',
      JSON.stringify({ status: 'ended', startTime: 'yesterday' }),
      'FreeClimb answered 200 with a body that is not a Call resource: status: must be one of: queued, ringing, ' +
        'inProgress, canceled, completed, failed, busy, noAnswer; startTime: must be empty or an RFC 1123 time in GMT',
    ],
    [
      'a JSON array',
      '[]',
      'FreeClimb answered 200 with a body that is not a Call resource: status: is required',
    ],
    [
      'JSON null',
      'null',
      'FreeClimb answered 200 with a body that is not a Call resource: body: must be a JSON object',
    ],
  ])('a 200 whose body is %s is an invalid answer, saying why', async (_name, rawBody, message) => {
    // Prepare
    const request = knownCall();
    fake.fail({ status: 200, rawBody }, { callId: request.callId, times: 1 });

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error).toMatchObject({ kind: 'invalid-answer', status: 200, message });
    expect(error.message).not.toContain('yesterday');
  });

  test('a 200 with another call than the one asked for is an invalid answer', async () => {
    // Prepare
    const request = knownCall();
    fake.fail(
      { status: 200, body: callResource(freshId('CA'), request.accountId) },
      { callId: request.callId, times: 1 },
    );

    // Act
    const error = failureOf(await readFreeClimbCall(api, request));

    // Assess
    expect(error).toMatchObject({
      kind: 'invalid-answer',
      message: 'FreeClimb answered 200 with another call than the one asked for',
    });
  });

  test('a 200 without a call id is taken as the call asked for', async () => {
    // Prepare
    const request = knownCall();
    const { callId: _callId, ...withoutId } = callResource(request.callId, request.accountId);
    fake.fail({ status: 200, body: withoutId }, { callId: request.callId, times: 1 });

    // Act
    const answer = await readFreeClimbCall(api, request);

    // Assess
    expect(answer.kind).toBe('ok');
  });

  describe('the key never shows', () => {
    const credentials = (request: { accountId: string; apiKey: string }) =>
      Buffer.from(`${request.accountId}:${request.apiKey}`).toString('base64');
    /** Everything a log line or a metric could take from a failure: message, cause chain, own fields. */
    const everythingIn = (error: unknown) =>
      [
        JSON.stringify(error),
        String(error),
        inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
        (error as Error).stack ?? '',
      ].join('\n');

    const failures: Array<[string, (request: { callId: string }) => void | Promise<void>]> = [
      ['401', (request) => fake.fail({ status: 401 }, { callId: request.callId, times: 1 })],
      ['429', (request) => fake.fail({ status: 429, retryAfter: '5' }, { callId: request.callId, times: 1 })],
      [
        'a timeout',
        (request) => fake.fail({ delayMs: TIMEOUT_MS * 3 }, { callId: request.callId, times: 1 }),
      ],
      [
        'an invalid answer',
        (request) => fake.fail({ status: 200, body: { status: 1 } }, { callId: request.callId, times: 1 }),
      ],
    ];

    test.each(failures)('in a failure after %s', async (_name, inject) => {
      // Prepare
      const request = knownCall();
      await inject(request);

      // Act
      const error = failureOf(await readFreeClimbCall(api, request));

      // Assess
      const text = everythingIn(error);
      expect(text).toContain('FreeClimbApiError');
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(credentials(request));
      expect(text).not.toMatch(/Basic /);
    });

    test('in a network failure', async () => {
      // Prepare
      const request = knownCall();
      const closed = { baseUrl: `http://127.0.0.1:${await freePort()}/apiserver`, timeoutMs: TIMEOUT_MS };

      // Act
      const error = failureOf(await readFreeClimbCall(closed, request));

      // Assess
      const text = everythingIn(error);
      expect(text).toContain('fetch failed');
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(credentials(request));
    });

    test('even when the answer echoes the key and the header back', async () => {
      // Prepare: a misbehaving proxy that repeats what it was sent.
      const request = knownCall();
      const echo = `bad key ${API_KEY} in Basic ${credentials(request)}`;
      fake.fail({ status: 403, body: { code: 3, message: echo } }, { callId: request.callId, times: 1 });

      // Act
      const error = failureOf(await readFreeClimbCall(api, request));

      // Assess
      expect(error.message).toBe('FreeClimb answered 403 (code 3: bad key [redacted] in Basic [redacted])');
      expect(everythingIn(error)).not.toContain(API_KEY);
    });
  });
});
