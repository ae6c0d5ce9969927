import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createDocumentClient } from '../../lib/aws-clients';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { getRejectedDelivery, listLegs } from '../../lib/call-store';
import { createMetrics } from '../../lib/delivery-metrics';
import { infoLogger, withCapturedLogs } from '../support/captured-logs';
import { refuseRequests } from '../support/engine-requests';
import { freePort } from '../support/free-port';
import { silentEndpoint } from '../support/silent-endpoint';
import { ssmStandIn, ssmThrottling } from '../support/ssm-stand-in';
import {
  bodyFixture,
  clockAt,
  eventFixture,
  FIXTURE_SIGNED_AT,
  freshId,
  lambdaContext,
  readCall,
  signedEvent,
  TEST_SECRET,
  testEnv,
  testStore,
  withFreshIds,
} from '../support/webhook';

// The real handler code against the local DynamoDB engine over HTTP: one test per row of the outcome table.

const store = testStore();
const now = clockAt(2);
const handle = createCallStatusHandler({ env: testEnv(), now });
const receivedAt = new Date(now()).toISOString();

/** The rejected-table id a delivery of `body` received at `receivedAt` gets. */
function rejectionIdFor(body: Buffer, at = receivedAt): string {
  return `${at}#${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
}

function callIdIn(body: Buffer): string {
  return JSON.parse(body.toString('utf8')).callId;
}

describe('valid first delivery', () => {
  test('the API Gateway event fixture is stored and answered 204 with an empty body', async () => {
    // Prepare
    const event = eventFixture('call-status-completed-inbound');
    const body = bodyFixture('completed-inbound');

    // Act
    const response = await handle(event, lambdaContext);

    // Assess
    expect(response).toEqual({ statusCode: 204 });
    const item = await readCall(store, callIdIn(body));
    const sent = JSON.parse(body.toString('utf8'));
    expect(item).toEqual({
      requestType: 'callStatus',
      callId: sent.callId,
      accountId: sent.accountId,
      from: sent.from,
      to: sent.to,
      callStatus: sent.callStatus,
      callEndedReason: sent.callEndedReason,
      direction: sent.direction,
      callDuration: sent.callDuration,
      receivedAt,
      callLogShard: expect.stringMatching(new RegExp(`^${receivedAt.slice(0, 10)}#\\d+$`)),
      signedAt: new Date(FIXTURE_SIGNED_AT * 1000).toISOString(),
      rawBody: body.toString('utf8'),
      schemaVersion: 1,
    });
    expect(item).not.toHaveProperty('parentCallId');
    expect(item).not.toHaveProperty('conferenceId');
    expect(item).not.toHaveProperty('expiresAt');
  });

  test('a base64-encoded event (child leg) is verified over the decoded bytes and indexed by its parent', async () => {
    // Prepare
    const event = eventFixture('call-status-child-leg-base64');
    const body = bodyFixture('child-leg-outbound-dial');
    const sent = JSON.parse(body.toString('utf8'));

    // Act
    const response = await handle(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(204);
    const item = await readCall(store, sent.callId);
    expect(item).toMatchObject({ parentCallId: sent.parentCallId, to: sent.to, direction: 'outboundDial' });
    expect(item?.rawBody).toBe(body.toString('utf8'));
    const legs = await listLegs(store, sent.parentCallId);
    expect(legs.items.map((leg) => leg.callId)).toEqual([sent.callId]);
  });

  test.each([
    ['with-recording', { callDuration: 95, recordingDurationSec: 88 }],
    ['zero-length-recording', { callDuration: 2, recordingDurationSec: 0 }],
    ['busy-outbound-api', { callStatus: 'busy', direction: 'outboundAPI', callDuration: 0 }],
    ['no-answer-with-unknown-field', { callStatus: 'noAnswer', direction: 'outbound', callDuration: 30 }],
  ])('%s is stored with the right attributes', async (fixture, expected) => {
    // Prepare
    const body = withFreshIds(bodyFixture(fixture));
    const sent = JSON.parse(body.toString('utf8'));

    // Act
    const response = await handle(signedEvent(body), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(204);
    const item = await readCall(store, sent.callId);
    expect(item).toMatchObject(expected);
    expect(item?.rawBody).toBe(body.toString('utf8'));
    for (const [key, value] of Object.entries(item ?? {})) {
      expect([key, value]).not.toEqual([key, null]);
      expect([key, value]).not.toEqual([key, '']);
    }
    expect(item).not.toHaveProperty('parentCallId');
  });

  test('the zero-length recording keeps its zero duration but no empty id or URL', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('zero-length-recording'));

    // Act
    await handle(signedEvent(body), lambdaContext);

    // Assess
    const item = await readCall(store, callIdIn(body));
    expect(item).toHaveProperty('recordingDurationSec', 0);
    expect(item).not.toHaveProperty('recordingId');
    expect(item).not.toHaveProperty('recordingUrl');
  });

  test('a retention period sets the TTL attribute in epoch seconds', async () => {
    // Prepare
    const retaining = createCallStatusHandler({ env: testEnv({ RETENTION_DAYS: '30' }), now });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    await retaining(signedEvent(body), lambdaContext);

    // Assess
    const item = await readCall(store, callIdIn(body));
    expect(item?.expiresAt).toBe(Math.floor(now() / 1000) + 30 * 86_400);
  });
});

describe('duplicates', () => {
  test('the same body again answers the same 204 and changes nothing', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const later = createCallStatusHandler({ env: testEnv(), now: clockAt(60) });
    await handle(signedEvent(body), lambdaContext);
    const first = await readCall(store, callIdIn(body));

    // Act
    const response = await later(signedEvent(body, { signedAt: FIXTURE_SIGNED_AT + 59 }), lambdaContext);

    // Assess
    expect(response).toEqual({ statusCode: 204 });
    expect(await readCall(store, callIdIn(body))).toEqual(first);
    expect(
      await getRejectedDelivery(store, rejectionIdFor(body, new Date(clockAt(60)()).toISOString())),
    ).toBeUndefined();
  });

  test('the same callId with a different body keeps the first item and quarantines the second', async () => {
    // Prepare
    const first = withFreshIds(bodyFixture('completed-inbound'));
    const callId = callIdIn(first);
    const second = Buffer.from(first.toString('utf8').replace('"callDuration":47', '"callDuration":48'));
    await handle(signedEvent(first), lambdaContext);

    // Act
    const response = await handle(signedEvent(second), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(204);
    expect((await readCall(store, callId))?.callDuration).toBe(47);
    const rejected = await getRejectedDelivery(store, rejectionIdFor(second));
    expect(rejected).toMatchObject({ reason: 'conflict', callId, rawBody: second.toString('utf8') });
    expect(rejected?.issues).toEqual([
      { path: 'callId', message: 'is already stored with a different body; the stored record is kept' },
    ]);
  });
});

describe('signature failures answer 401 and store nothing', () => {
  const cases: Array<[string, (body: Buffer) => ReturnType<typeof signedEvent>]> = [
    ['missing', (body) => signedEvent(body, { headers: { 'freeclimb-signature': undefined } })],
    ['malformed', (body) => signedEvent(body, { headers: { 'freeclimb-signature': 't=abc,v1=zz' } })],
    ['wrong secret', (body) => signedEvent(body, { secrets: ['sigsec_someone_else'] })],
    ['stale', (body) => signedEvent(body, { signedAt: FIXTURE_SIGNED_AT - 301 })],
    ['future', (body) => signedEvent(body, { signedAt: FIXTURE_SIGNED_AT + 400 })],
    [
      'signed over other bytes',
      (body) => ({
        ...signedEvent(body),
        body: body.toString('utf8').replace('"callDuration":47', '"callDuration":1'),
      }),
    ],
  ];

  test.each(cases)('%s', async (_name, makeEvent) => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const response = await handle(makeEvent(body), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body ?? '{}').message).toMatch(/FreeClimb-Signature/);
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
    expect(await getRejectedDelivery(store, rejectionIdFor(body))).toBeUndefined();
  });
});

describe('bodies that are not JSON', () => {
  test.each([
    ['empty', 400, '', 'application/json'],
    ['not JSON', 400, 'callId=CA123&callStatus=completed', 'application/json'],
    ['wrong content type', 415, '{"requestType":"callStatus"}', 'application/x-www-form-urlencoded'],
    ['no content type', 415, '{"requestType":"callStatus"}', undefined],
  ])('%s → %i', async (_name, status, text, contentType) => {
    // Prepare
    const body = Buffer.from(text);
    const event = signedEvent(body, { headers: { 'content-type': contentType } });

    // Act
    const response = await handle(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(status);
    // Authentic, so kept for replay even though it is not a call record.
    expect(await getRejectedDelivery(store, rejectionIdFor(body))).toMatchObject({ rawBody: text });
  });

  test.each([
    ['null, as serverless-offline and other local runners send it', { body: null }],
    ['left out, as API Gateway does', { body: undefined }],
    ['null and marked base64', { body: null, isBase64Encoded: true }],
  ])('an empty body %s is a 400, kept like any other', async (_name, shape) => {
    // Prepare
    const empty = Buffer.alloc(0);
    const event = { ...signedEvent(empty), ...shape } as unknown as APIGatewayProxyEventV2;
    const at = new Date(now() + 1000).toISOString();
    const handleLater = createCallStatusHandler({ env: testEnv(), now: () => Date.parse(at) });

    // Act
    const response = await handleLater(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '{}')).toEqual({ message: 'The body is empty' });
    expect(await getRejectedDelivery(store, rejectionIdFor(empty, at))).toMatchObject({
      reason: 'malformed',
      rawBody: '',
    });
  });

  test('a 415 keeps the callId of a body that has a well-formed one, as 400 and 422 do', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const event = signedEvent(body, { headers: { 'content-type': 'text/plain' } });

    // Act
    const response = await handle(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(415);
    expect(JSON.parse(response.body ?? '{}')).toEqual({ message: 'Content-Type must be application/json' });
    expect(await getRejectedDelivery(store, rejectionIdFor(body))).toMatchObject({
      reason: 'unsupported-media-type',
      callId: callIdIn(body),
      contentType: 'text/plain',
      issues: [{ path: '', message: 'Content-Type must be application/json' }],
    });
  });

  test('a JSON media type in any case, with parameters and spaces, is JSON', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const event = signedEvent(body, { headers: { 'content-type': ' Application/JSON ; charset=UTF-8' } });

    // Act
    const response = await handle(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(204);
    expect((await readCall(store, callIdIn(body)))?.rawBody).toBe(body.toString('utf8'));
  });

  test('an unsigned non-JSON body is refused 401 before anything is kept', async () => {
    // Prepare
    const body = Buffer.from(`not json ${freshId('CA')}`);
    const event = signedEvent(body, { headers: { 'freeclimb-signature': undefined } });

    // Act
    const response = await handle(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(await getRejectedDelivery(store, rejectionIdFor(body))).toBeUndefined();
  });
});

describe('body over the size limit', () => {
  test('answers 413 without storing anything, signed or not', async () => {
    // Prepare
    const small = createCallStatusHandler({ env: testEnv({ MAX_BODY_BYTES: '1024' }), now });
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const padded = Buffer.from(body.toString('utf8').replace('{', `{"padding":"${'x'.repeat(1024)}",`));

    // Act
    const response = await small(signedEvent(padded), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(413);
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
    expect(await getRejectedDelivery(store, rejectionIdFor(padded))).toBeUndefined();
  });
});

describe('JSON that is not a valid callStatus', () => {
  test('answers 422 with field paths, echoes nothing, and keeps the exact body in the rejected table', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const invalid = Buffer.from(
      body
        .toString('utf8')
        .replace('"callStatus":"completed"', '"callStatus":"SENTINEL_STATUS"')
        .replace('"to":"+18475550199"', '"to":12345'),
    );

    // Act
    const response = await handle(signedEvent(invalid), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(422);
    const answer = JSON.parse(response.body ?? '{}');
    expect(answer.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['callStatus', 'to']);
    expect(response.body).not.toContain('SENTINEL_STATUS');
    expect(response.body).not.toContain('12345');
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
    const rejected = await getRejectedDelivery(store, rejectionIdFor(invalid));
    expect(rejected).toMatchObject({
      reason: 'invalid',
      callId: callIdIn(body),
      rawBody: invalid.toString('utf8'),
    });
    expect(rejected?.issues).toEqual(answer.issues);
  });

  test.each([
    ['another webhook type', () => withFreshIds(bodyFixture('inbound-call-webhook')), 'requestType'],
    [
      'a __proto__ key',
      () =>
        Buffer.from(
          withFreshIds(bodyFixture('completed-inbound')).toString().replace('{', '{"__proto__":{"x":1},'),
        ),
      '__proto__',
    ],
    [
      'a nested constructor key',
      () =>
        Buffer.from(
          withFreshIds(bodyFixture('completed-inbound'))
            .toString()
            .replace('{', '{"extra":{"constructor":1},'),
        ),
      'extra.constructor',
    ],
    [
      'deep nesting',
      () =>
        Buffer.from(
          withFreshIds(bodyFixture('completed-inbound'))
            .toString()
            .replace('{', `{"deep":${'['.repeat(20)}${']'.repeat(20)},`),
        ),
      'deep',
    ],
  ])('%s → 422', async (_name, makeBody, path) => {
    // Prepare
    const body = makeBody();

    // Act
    const response = await handle(signedEvent(body), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body ?? '{}').issues[0].path).toContain(path);
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
    expect(await getRejectedDelivery(store, rejectionIdFor(body))).toMatchObject({ reason: 'invalid' });
  });
});

describe('DynamoDB unavailable', () => {
  test('a store that refuses the put yet shows no item gets two tries, then a 503', async () => {
    // Prepare: SDK middleware answers every PutItem on the calls table with a failed condition.
    const doc = createDocumentClient();
    const refused = failCallPutsOnCondition(doc);
    const refusing = createCallStatusHandler({ env: testEnv(), now, store: { ...store, doc } });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const response = await refusing(signedEvent(body), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(refused.puts()).toBe(2);
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
  });

  test('answers 503 after the retries, stores nothing, and logs the body for replay', async () => {
    // Prepare: a port nothing listens on, so every attempt is refused at the network level.
    const port = await freePort();
    const failing = {
      ...store,
      doc: createDocumentClient({ endpoint: `http://127.0.0.1:${port}` }),
    };
    const unavailable = createCallStatusHandler({
      env: testEnv(),
      now,
      store: failing,
      logger: infoLogger(),
    });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { result: response, logs } = await withCapturedLogs(() =>
      unavailable(signedEvent(body, { signedAt: FIXTURE_SIGNED_AT }), lambdaContext),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe(JSON.stringify({ message: 'Service Unavailable' }));
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
    const event = signedEvent(body);
    const errorLine = logs.find((line) => line.level === 'ERROR');
    expect(errorLine).toMatchObject({
      message: 'Delivery not stored: recover it from this line',
      error: { name: 'StoreUnavailableError', message: 'Could not store the call record' },
      outcome: 'store-failed',
      status: 503,
      verified: true,
      receivedAt: receivedAt,
      signature: event.headers['freeclimb-signature'],
      rawBody: body.toString('utf8'),
      isBase64Encoded: false,
    });
  });

  test('a missing setting answers 503 for every request, naming the variable in the log', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { result: response, logs } = await withCapturedLogs(async () => {
      const misconfigured = createCallStatusHandler({
        env: testEnv({ CALLS_TABLE: undefined }),
        now,
        logger: infoLogger(),
      });
      return misconfigured(signedEvent(body), lambdaContext);
    });

    // Assess
    expect(response.statusCode).toBe(503);
    const notSet = 'CALLS_TABLE is not set: it must hold the name of the calls table';
    expect(logs[0]).toMatchObject({
      level: 'ERROR',
      message: 'Invalid configuration: every delivery will be answered 503',
      error: { name: 'ConfigError', message: notSet },
    });
    expect(logs.find((line) => line.rawBody === body.toString('utf8'))).toMatchObject({
      message: 'Request not verified, not stored',
      outcome: 'unverified',
      verified: false,
      error: { message: 'The service is not configured', cause: { message: notSet } },
    });
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
  });
});

describe('an error nothing expected', () => {
  test('is answered 500 and logged as an internal error, with the request to recover it from', async () => {
    // Prepare: a logger that fails on the stored line, after the record was written.
    class FailingInfoLogger extends Logger {
      override info(): void {
        throw new TypeError('the log destination is gone');
      }
    }
    const failing = createCallStatusHandler({
      env: testEnv(),
      now,
      logger: new FailingInfoLogger({ serviceName: 'freeclimb-call-records-test', logLevel: 'INFO' }),
      metrics: enabledMetrics(),
    });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { result: response, logs } = await withCapturedLogs(() =>
      failing(signedEvent(body), lambdaContext),
    );

    // Assess
    expect(response).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: '{"message":"Internal Server Error"}',
    });
    expect(logs.find((line) => line.level === 'ERROR')).toMatchObject({
      outcome: 'internal-error',
      status: 500,
      verified: true,
      rawBody: body.toString('utf8'),
      error: { name: 'TypeError' },
    });
    expect(logs.find((line) => line._aws !== undefined)).toMatchObject({ StoreFailure: 1 });
  });
});

describe('requests without any headers', () => {
  test('a misconfigured function still answers 503 and logs the request, with no signature to log', async () => {
    // Prepare
    const misconfigured = createCallStatusHandler({
      env: testEnv({ CALLS_TABLE: undefined }),
      now,
      logger: infoLogger(),
    });
    const event = { ...signedEvent('{}'), headers: undefined } as unknown as ReturnType<typeof signedEvent>;

    // Act
    const { result: response, logs } = await withCapturedLogs(() => misconfigured(event, lambdaContext));

    // Assess
    expect(response.statusCode).toBe(503);
    const line = logs.find((entry) => entry.rawBody === '{}');
    expect(line).toMatchObject({ outcome: 'unverified', verified: false });
    expect(line).not.toHaveProperty('signature');
  });
});

describe('a signed delivery the rejected table cannot keep is answered 503, never 4xx or 204', () => {
  /** A handler whose rejected-table writes DynamoDB answers with its own 500, every attempt. */
  function quarantineFailing() {
    const doc = createDocumentClient();
    const refusal = refuseRequests(
      doc,
      (request) => request.operation === 'PutItem' && request.body.TableName === store.rejectedTable,
    );
    const handler = createCallStatusHandler({
      env: testEnv(),
      now,
      store: { ...store, doc },
      logger: infoLogger(),
    });
    return { handler, refusal };
  }

  test.each([
    [
      'a signed invalid body (422)',
      'application/json',
      (body: Buffer) => body.toString().replace('"inbound"', '"x"'),
    ],
    [
      'a signed body that is not JSON (400)',
      'application/json',
      (body: Buffer) => `callId=${callIdIn(body)}`,
    ],
    ['a signed body of another content type (415)', 'text/plain', (body: Buffer) => body.toString()],
  ])('%s: 503 and the ERROR line it can be recovered from', async (_name, contentType, makeText) => {
    // Prepare
    const { handler, refusal } = quarantineFailing();
    const body = Buffer.from(makeText(withFreshIds(bodyFixture('completed-inbound'))));
    const event = signedEvent(body, { headers: { 'content-type': contentType } });

    // Act
    const { result: response, logs } = await withCapturedLogs(() => handler(event, lambdaContext));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(refusal.refused()).toBe(3);
    expect(logs.find((line) => line.level === 'ERROR')).toMatchObject({
      message: 'Delivery not stored: recover it from this line',
      outcome: 'store-failed',
      status: 503,
      verified: true,
      rawBody: body.toString('utf8'),
      error: { message: 'Could not keep the rejected delivery', cause: { name: 'InternalServerError' } },
    });
    expect(await getRejectedDelivery(store, rejectionIdFor(body))).toBeUndefined();
  });

  test('a conflicting delivery whose quarantine fails is answered 503, and the first record is kept', async () => {
    // Prepare
    const { handler, refusal } = quarantineFailing();
    const first = withFreshIds(bodyFixture('completed-inbound'));
    const second = Buffer.from(first.toString('utf8').replace('"callDuration":47', '"callDuration":48'));
    await handle(signedEvent(first), lambdaContext);

    // Act
    const { result: response, logs } = await withCapturedLogs(() =>
      handler(signedEvent(second), lambdaContext),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(refusal.refused()).toBe(3);
    expect(logs.find((line) => line.level === 'ERROR')).toMatchObject({
      outcome: 'store-failed',
      verified: true,
      rawBody: second.toString('utf8'),
    });
    expect((await readCall(store, callIdIn(first)))?.rawBody).toBe(first.toString('utf8'));
    expect(await getRejectedDelivery(store, rejectionIdFor(second))).toBeUndefined();
  });
});

describe('a DynamoDB that hangs on every call is given up on: 503 before the Lambda deadline', () => {
  // An invocation with 1.05 s left: the handler's deadline (1 s kept back to answer) fires long before the
  // SDK's own timeouts (2 s per attempt, 3 attempts), so an answer in time means every call was aborted.
  /** The Lambda context of the invocation: 1.05 s left, of which the handler keeps 1 s to answer. */
  const REMAINING_MS = 1050;

  const scenarios: Array<[string, (doc: DynamoDBDocumentClient) => Promise<Buffer>]> = [
    ['the first write of the record', async () => withFreshIds(bodyFixture('completed-inbound'))],
    [
      'the rejected-table write of a signed invalid body',
      async () =>
        Buffer.from(withFreshIds(bodyFixture('completed-inbound')).toString().replace('"inbound"', '"x"')),
    ],
    [
      'the read after a failed condition',
      async (doc) => {
        failCallPutsOnCondition(doc);
        return withFreshIds(bodyFixture('completed-inbound'));
      },
    ],
    [
      'the rejected-table write of a conflicting delivery',
      async (doc) => {
        const first = withFreshIds(bodyFixture('completed-inbound'));
        await handle(signedEvent(first), lambdaContext);
        failCallPutsOnCondition(doc, await readCall(store, callIdIn(first)));
        return Buffer.from(first.toString('utf8').replace('"callDuration":47', '"callDuration":48'));
      },
    ],
  ];

  test.each(scenarios)('%s', async (_name, prepare) => {
    // Prepare: every request that reaches the network goes to an endpoint that never answers.
    const silent = await silentEndpoint();
    const doc = createDocumentClient({ endpoint: silent.endpoint });
    const body = await prepare(doc);
    const hanging = createCallStatusHandler({
      env: testEnv(),
      now,
      store: { ...store, doc },
      logger: infoLogger(),
    });

    // Act
    const started = performance.now();
    const { result: response, logs } = await withCapturedLogs(() =>
      hanging(signedEvent(body), { getRemainingTimeInMillis: () => REMAINING_MS }),
    );
    const tookMs = performance.now() - started;
    silent.close();

    // Assess
    expect(response.statusCode).toBe(503);
    expect(tookMs).toBeLessThan(REMAINING_MS);
    const errorLine = logs.find((line) => line.level === 'ERROR');
    expect(errorLine).toMatchObject({
      outcome: 'store-failed',
      verified: true,
      rawBody: body.toString('utf8'),
    });
    // Aborted by the deadline, not timed out by the SDK.
    expect(errorLine?.error).toMatchObject({
      cause: { name: 'AbortError', message: 'TimeoutError: The operation was aborted due to timeout' },
    });
  });
});

describe('requests that cannot be verified', () => {
  const madeUp = '{"callId":"CA0000000000000000000000000000000000000000","from":"+13125550100"}';
  const unsignedEvent = () => signedEvent(madeUp, { headers: { 'freeclimb-signature': undefined } });

  test('with no secret configured, a made-up unsigned body is answered 503, logged as not verified and counted apart', async () => {
    // Prepare
    const options = { env: { CALLS_TABLE: 'x', REJECTED_TABLE: 'y' }, now, metrics: enabledMetrics() };

    // Act
    const { result: response, logs } = await withCapturedLogs(() =>
      createCallStatusHandler({ ...options, logger: infoLogger() })(unsignedEvent(), lambdaContext),
    );

    // Assess
    expect(response.statusCode).toBe(503);
    const line = logs.find((entry) => entry.rawBody === madeUp);
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'Request not verified, not stored',
      outcome: 'unverified',
      verified: false,
      receivedAt,
    });
    expect(line).not.toHaveProperty('signature');
    expect(JSON.stringify(logs)).not.toContain('Delivery not stored');
    const emf = logs.filter((entry) => entry._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ UnverifiedNotStored: 1 });
    expect(emf[0]).not.toHaveProperty('StoreFailure');
  });

  test('with SSM never readable, a signed delivery is answered 503 not verified, with its signature for recovery', async () => {
    // Prepare
    const { client, inputs } = ssmStandIn([ssmThrottling()]);
    const handler = createCallStatusHandler({
      env: testEnv({ FREECLIMB_SIGNING_SECRET: undefined, FREECLIMB_SIGNING_SECRET_PARAMETER: '/x/secret' }),
      now,
      logger: infoLogger(),
      ssm: client,
    });
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const event = signedEvent(body, { base64: true });

    // Act
    const { result: response, logs } = await withCapturedLogs(() => handler(event, lambdaContext));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(inputs).toHaveLength(1);
    expect(logs.find((entry) => entry.level === 'ERROR' && entry.rawBody !== undefined)).toMatchObject({
      error: {
        name: 'UnverifiedRequestError',
        message: 'No signing secret to verify the request with',
        cause: { name: 'ConfigError' },
      },
      message: 'Request not verified, not stored',
      outcome: 'unverified',
      verified: false,
      receivedAt,
      signature: event.headers['freeclimb-signature'],
      rawBody: body.toString('base64'),
      isBase64Encoded: true,
    });
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
  });

  test('once SSM has been read, its failures cost an authentic delivery nothing and a forged one still gets 401', async () => {
    // Prepare: SSM answers once, then throttles; the refreshes are due (5-minute expiry, 30 s after a mismatch).
    const { client } = ssmStandIn([TEST_SECRET, ssmThrottling()]);
    let nowMs = now();
    const handler = createCallStatusHandler({
      env: testEnv({ FREECLIMB_SIGNING_SECRET: undefined, FREECLIMB_SIGNING_SECRET_PARAMETER: '/x/secret' }),
      now: () => nowMs,
      ssm: client,
    });
    const deliver = (forged: boolean) => {
      const body = withFreshIds(bodyFixture('completed-inbound'));
      const signedAt = Math.floor(nowMs / 1000);
      return handler(
        signedEvent(body, { signedAt, secrets: forged ? ['sigsec_forged'] : [TEST_SECRET] }),
        lambdaContext,
      ).then((response) => response.statusCode ?? 0);
    };

    // Act
    const statuses: number[] = [await deliver(false)];
    nowMs += 31_000;
    statuses.push(await deliver(true), await deliver(false));
    nowMs += 5 * 60_000;
    statuses.push(await deliver(false), await deliver(true), await deliver(false));

    // Assess
    expect(statuses).toEqual([204, 401, 204, 204, 401, 204]);
  });
});

describe('a rotated signing secret', () => {
  const OLD_SECRET = 'sigsec_before_rotation_0d3c2b1a';
  const NEW_SECRET = 'sigsec_after_rotation_9f8e7d6c';

  /** A container reading its secrets from the SSM stand-in, on a clock the test moves. */
  function rotatingContainer(replies: string[]) {
    const ssm = ssmStandIn(replies);
    const clock = { ms: now() };
    const handler = createCallStatusHandler({
      env: testEnv({ FREECLIMB_SIGNING_SECRET: undefined, FREECLIMB_SIGNING_SECRET_PARAMETER: '/x/secret' }),
      now: () => clock.ms,
      ssm: ssm.client,
    });
    const deliver = async (event: ReturnType<typeof signedEvent>) =>
      (await handler(event, lambdaContext)).statusCode;
    const signed = (body: Buffer, secrets: string[]) =>
      signedEvent(body, { secrets, signedAt: Math.floor(clock.ms / 1000) });
    return { ssm, clock, deliver, signed };
  }

  test('a delivery signed only with the new secret is stored once SSM holds it, not refused for the 5-minute cache', async () => {
    // Prepare: the container read the old secret; then SSM gets the new one and FreeClimb signs with it alone.
    const { ssm, clock, deliver, signed } = rotatingContainer([OLD_SECRET, `${OLD_SECRET},${NEW_SECRET}`]);
    const before = withFreshIds(bodyFixture('completed-inbound'));
    const after = withFreshIds(bodyFixture('completed-inbound'));
    const first = await deliver(signed(before, [OLD_SECRET]));
    clock.ms += 31_000;

    // Act
    const status = await deliver(signed(after, [NEW_SECRET]));

    // Assess
    expect(first).toBe(204);
    expect(status).toBe(204);
    expect(ssm.inputs).toHaveLength(2);
    expect((await readCall(store, callIdIn(after)))?.rawBody).toBe(after.toString('utf8'));
  });

  test('only a signature that does not match makes SSM be read again; a missing, malformed, stale or future one never does', async () => {
    // Prepare: 31 s after the first read, a mismatch would be allowed its re-read.
    const { ssm, clock, deliver, signed } = rotatingContainer([OLD_SECRET]);
    await deliver(signed(withFreshIds(bodyFixture('completed-inbound')), [OLD_SECRET]));
    clock.ms += 31_000;
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const signedAt = Math.floor(clock.ms / 1000);
    const unusable = [
      signedEvent(body, { headers: { 'freeclimb-signature': undefined } }),
      signedEvent(body, { headers: { 'freeclimb-signature': 't=abc,v1=zz' } }),
      signedEvent(body, { secrets: [OLD_SECRET], signedAt: signedAt - 301 }),
      signedEvent(body, { secrets: [OLD_SECRET], signedAt: signedAt + 301 }),
    ];

    // Act
    const statuses = [];
    for (const event of unusable) statuses.push(await deliver(event));
    const readsAfterUnusable = ssm.inputs.length;
    const mismatch = await deliver(signed(body, ['sigsec_forged']));

    // Assess
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(readsAfterUnusable).toBe(1);
    expect(mismatch).toBe(401);
    expect(ssm.inputs).toHaveLength(2);
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
  });
});

describe('the limits the README states, as numbers', () => {
  /** A valid body padded with an unknown field to exactly `bytes` bytes. */
  function bodyOfSize(bytes: number): Buffer {
    const body = withFreshIds(bodyFixture('completed-inbound')).toString('utf8');
    const padding = bytes - Buffer.byteLength(body) - '"padding":"",'.length;
    return Buffer.from(body.replace('{', `{"padding":"${'x'.repeat(padding)}",`));
  }

  test('by default a body of 65536 bytes (64 KiB) is stored, one of 65537 is refused 413', async () => {
    // Prepare
    const defaults = createCallStatusHandler({ env: testEnv({ MAX_BODY_BYTES: undefined }), now });
    const largest = bodyOfSize(65536);
    const tooLarge = bodyOfSize(65537);

    // Act
    const stored = await defaults(signedEvent(largest), lambdaContext);
    const refused = await defaults(signedEvent(tooLarge), lambdaContext);

    // Assess
    expect([largest.length, tooLarge.length]).toEqual([65536, 65537]);
    expect(stored.statusCode).toBe(204);
    expect((await readCall(store, callIdIn(largest)))?.rawBody).toBe(largest.toString('utf8'));
    expect(refused.statusCode).toBe(413);
    expect(await readCall(store, callIdIn(tooLarge))).toBeUndefined();
  });

  test('by default a signature 300 s old or ahead is accepted, one 301 s old or ahead is refused 401', async () => {
    // Prepare
    const defaults = createCallStatusHandler({
      env: testEnv({ SIGNATURE_TOLERANCE_SECONDS: undefined }),
      now,
    });
    const nowSeconds = now() / 1000;
    const offsets = [-300, 300, -301, 301];
    const bodies = offsets.map(() => withFreshIds(bodyFixture('completed-inbound')));

    // Act
    const statuses = [];
    for (const [index, offset] of offsets.entries()) {
      const body = bodies[index] as Buffer;
      statuses.push(
        (await defaults(signedEvent(body, { signedAt: nowSeconds + offset }), lambdaContext)).statusCode,
      );
    }

    // Assess
    expect(statuses).toEqual([204, 204, 401, 401]);
  });

  test('a body nested 8 levels deep is stored, one nested 9 levels deep is refused 422', async () => {
    // Prepare: the body itself is the first level; an unknown field carries the rest.
    const nested = (levels: number) =>
      Buffer.from(
        withFreshIds(bodyFixture('completed-inbound'))
          .toString('utf8')
          .replace('{', `{"deep":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)},`),
      );
    const eight = nested(8);
    const nine = nested(9);

    // Act
    const accepted = await handle(signedEvent(eight), lambdaContext);
    const refused = await handle(signedEvent(nine), lambdaContext);

    // Assess
    expect(accepted.statusCode).toBe(204);
    expect(refused.statusCode).toBe(422);
    expect(JSON.parse(refused.body ?? '{}').issues).toEqual([
      { path: 'deep.0.0.0.0.0.0.0', message: 'is nested deeper than 8 levels' },
    ]);
  });
});

describe('logging', () => {
  test('one line per stored delivery, with masked phone numbers and no secret', async () => {
    // Prepare
    const logged = createCallStatusHandler({ env: testEnv(), now, logger: infoLogger() });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { logs } = await withCapturedLogs(() => logged(signedEvent(body), lambdaContext));

    // Assess
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      outcome: 'stored',
      status: 204,
      callId: callIdIn(body),
      from: '+*******0142',
    });
    const text = JSON.stringify(logs);
    expect(text).not.toContain('3125550142');
    expect(text).not.toContain('8475550199');
    expect(text).not.toContain(TEST_SECRET);
  });

  test('the stored line of a conflicting child leg names its parent, its status, the masked number and where the body was kept', async () => {
    // Prepare
    const logged = createCallStatusHandler({ env: testEnv(), now, logger: infoLogger() });
    const first = withFreshIds(bodyFixture('child-leg-outbound-dial'));
    const sent = JSON.parse(first.toString('utf8'));
    const second = Buffer.from(first.toString('utf8').replace('"callDuration":31', '"callDuration":32'));
    await handle(signedEvent(first), lambdaContext);

    // Act
    const { logs } = await withCapturedLogs(() => logged(signedEvent(second), lambdaContext));

    // Assess
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      message: 'Delivery stored',
      outcome: 'conflict',
      status: 204,
      callId: sent.callId,
      parentCallId: sent.parentCallId,
      callStatus: 'completed',
      from: '+*******0199',
      to: 'sip:a****@pbx.example.com',
      rejectionId: rejectionIdFor(second),
    });
  });

  test('a refused signed delivery is one WARN line with its outcome, reason, issues, call id and rejection id, and no body', async () => {
    // Prepare
    const logged = createCallStatusHandler({ env: testEnv(), now, logger: infoLogger() });
    const body = Buffer.from(
      withFreshIds(bodyFixture('completed-inbound')).toString().replace('"inbound"', '"x"'),
    );

    // Act
    const { result: response, logs } = await withCapturedLogs(() => logged(signedEvent(body), lambdaContext));

    // Assess
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'WARN',
      message: 'Delivery refused',
      outcome: 'invalid',
      status: 422,
      reason: 'The body is not a valid FreeClimb callStatus webhook',
      issues: JSON.parse(response.body ?? '{}').issues,
      callId: callIdIn(body),
      rejectionId: rejectionIdFor(body),
    });
    expect(JSON.stringify(logs)).not.toContain('3125550142');
    expect(logs[0]).not.toHaveProperty('rawBody');
  });

  test('a forged request is one WARN line with its outcome and reason only', async () => {
    // Prepare
    const logged = createCallStatusHandler({ env: testEnv(), now, logger: infoLogger() });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { logs } = await withCapturedLogs(() =>
      logged(signedEvent(body, { secrets: ['sigsec_forged'] }), lambdaContext),
    );

    // Assess
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'WARN',
      message: 'Delivery refused',
      outcome: 'unauthorized',
      status: 401,
      reason: 'FreeClimb-Signature does not match the request body',
    });
    for (const absent of ['issues', 'callId', 'rejectionId', 'rawBody', 'signature']) {
      expect(logs[0]).not.toHaveProperty(absent);
    }
  });
});

describe('metrics', () => {
  test.each([
    ['a stored delivery', 'CallRecordStored', (body: Buffer) => signedEvent(body)],
    [
      'a forged delivery',
      'Unauthorized',
      (body: Buffer) => signedEvent(body, { secrets: ['sigsec_forged'] }),
    ],
    [
      'an invalid delivery',
      'DeliveryRejected',
      (body: Buffer) => signedEvent(body.toString().replace('"inbound"', '"x"')),
    ],
  ])('%s is counted as %s in an embedded-metric log line', async (_name, metricName, makeEvent) => {
    // Prepare
    const metrics = enabledMetrics();
    const counted = createCallStatusHandler({ env: testEnv(), now, metrics });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { logs } = await withCapturedLogs(() => counted(makeEvent(body), lambdaContext));

    // Assess
    const emf = logs.filter((line) => line._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ [metricName]: 1 });
    expect(JSON.stringify(emf[0])).toContain('"Namespace":"FreeClimbCallRecords"');
  });

  test.each([
    ['the same body again', 'duplicate', 'DuplicateDelivery', (body: Buffer) => body],
    [
      'a different body under a stored callId',
      'conflict',
      'ConflictingDuplicate',
      (body: Buffer) => Buffer.from(body.toString('utf8').replace('"callDuration":47', '"callDuration":48')),
    ],
  ])(
    '%s is logged as a %s and counted as %s, never as a failure',
    async (_name, outcome, metricName, makeSecond) => {
      // Prepare
      const metrics = enabledMetrics();
      const counted = createCallStatusHandler({ env: testEnv(), now, metrics, logger: infoLogger() });
      const first = withFreshIds(bodyFixture('completed-inbound'));
      await handle(signedEvent(first), lambdaContext);

      // Act
      const { logs } = await withCapturedLogs(() => counted(signedEvent(makeSecond(first)), lambdaContext));

      // Assess
      expect(logs.find((line) => line.message === 'Delivery stored')).toMatchObject({ outcome, status: 204 });
      const emf = logs.filter((line) => line._aws !== undefined);
      expect(emf).toHaveLength(1);
      expect(emf[0]).toMatchObject({ [metricName]: 1 });
      expect(emf[0]).not.toHaveProperty('StoreFailure');
    },
  );
});

describe('local development without verification', () => {
  test('stores unsigned deliveries only when explicitly switched off', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { result: response, logs } = await withCapturedLogs(async () => {
      const unverified = createCallStatusHandler({
        env: testEnv({
          FREECLIMB_SIGNING_SECRET: undefined,
          FREECLIMB_SIGNATURE_VERIFICATION: 'disabled-for-local-development',
        }),
        now,
        logger: infoLogger(),
      });
      return unverified(signedEvent(body, { headers: { 'freeclimb-signature': undefined } }), lambdaContext);
    });

    // Assess
    expect(response.statusCode).toBe(204);
    expect(logs[0]).toMatchObject({
      level: 'WARN',
      message: 'Signature verification is switched off (local development only)',
    });
    expect(await readCall(store, callIdIn(body))).not.toHaveProperty('signedAt');
  });
});

describe('legs of a call', () => {
  test('lists every leg in time order across pages', async () => {
    // Prepare
    const parent = withFreshIds(bodyFixture('completed-inbound'));
    const parentId = callIdIn(parent);
    await handle(signedEvent(parent), lambdaContext);
    const childTemplate = bodyFixture('child-leg-outbound-dial');
    const templateParent = JSON.parse(childTemplate.toString('utf8')).parentCallId;
    const childIds: string[] = [];
    for (let second = 1; second <= 5; second += 1) {
      const child = withFreshIds(childTemplate, { [templateParent]: parentId });
      childIds.push(callIdIn(child));
      const at = createCallStatusHandler({ env: testEnv(), now: clockAt(2 + second) });
      expect((await at(signedEvent(child), lambdaContext)).statusCode).toBe(204);
    }

    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listLegs(store, parentId, { limit: 2, cursor });
      seen.push(...page.items.map((leg) => leg.callId));
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined);

    // Assess
    expect(seen).toEqual(childIds);
    expect(pages).toBeGreaterThanOrEqual(3);
  });
});

/** A Metrics instance that writes even though the test environment switches metrics off. */
function enabledMetrics(): Metrics {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    return createMetrics();
  } finally {
    if (previous === undefined) {
      delete process.env.POWERTOOLS_METRICS_DISABLED;
    } else {
      process.env.POWERTOOLS_METRICS_DISABLED = previous;
    }
  }
}

/**
 * SDK middleware that answers every PutItem on the calls table with a failed condition, carrying `stored`
 * (as DynamoDB's ALL_OLD does) when given. Returns how many puts it answered.
 */
function failCallPutsOnCondition(
  doc: DynamoDBDocumentClient,
  stored?: Record<string, unknown>,
): { puts(): number } {
  let puts = 0;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string };
      if (context.commandName === 'PutItemCommand' && input.TableName === store.callsTable) {
        puts += 1;
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: stored === undefined ? undefined : marshall(stored),
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failCallPutsOnCondition' },
  );
  return { puts: () => puts };
}
