import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../lib/aws-clients';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { getRejectedDelivery, listLegs } from '../../lib/call-store';
import { createMetrics } from '../../lib/delivery-metrics';
import { infoLogger, withCapturedLogs } from '../support/captured-logs';
import { freePort } from '../support/free-port';
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

  test('a 415 keeps the callId of a body that has a well-formed one, as 400 and 422 do', async () => {
    // Prepare
    const body = withFreshIds(bodyFixture('completed-inbound'));
    const event = signedEvent(body, { headers: { 'content-type': 'text/plain' } });

    // Act
    const response = await handle(event, lambdaContext);

    // Assess
    expect(response.statusCode).toBe(415);
    expect(await getRejectedDelivery(store, rejectionIdFor(body))).toMatchObject({
      reason: 'unsupported-media-type',
      callId: callIdIn(body),
    });
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
    let puts = 0;
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TableName?: string };
        if (context.commandName === 'PutItemCommand' && input.TableName === store.callsTable) {
          puts += 1;
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: {},
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'refuseCallPuts' },
    );
    const refusing = createCallStatusHandler({ env: testEnv(), now, store: { ...store, doc } });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const response = await refusing(signedEvent(body), lambdaContext);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(puts).toBe(2);
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
      outcome: 'store-failed',
      status: 503,
      verified: true,
      receivedAt: receivedAt,
      signature: event.headers['freeclimb-signature'],
      rawBody: body.toString('utf8'),
      isBase64Encoded: false,
    });
  });

  test('gives up on a DynamoDB that never answers when the Lambda deadline nears, and answers 503', async () => {
    // Prepare: an endpoint that accepts connections and never answers, and an invocation with 1.05 s left,
    // so the handler's deadline (1 s kept back to answer) fires long before the SDK's own timeouts.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    silent.listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const { port } = silent.address() as { port: number };
    const hanging = createCallStatusHandler({
      env: testEnv(),
      now,
      store: { ...store, doc: createDocumentClient({ endpoint: `http://127.0.0.1:${port}` }) },
      logger: infoLogger(),
    });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const { result: response, logs } = await withCapturedLogs(() =>
      hanging(signedEvent(body), { getRemainingTimeInMillis: () => 1050 }),
    );
    for (const socket of sockets) socket.destroy();
    silent.close();

    // Assess
    expect(response.statusCode).toBe(503);
    const errorLine = logs.find((line) => line.level === 'ERROR');
    expect(errorLine).toMatchObject({ outcome: 'store-failed', rawBody: body.toString('utf8') });
    // Aborted by the deadline, not timed out by the SDK (which would take its 2 s request timeout, 3 times).
    expect((errorLine?.error as { cause?: { name?: string } } | undefined)?.cause?.name).toBe('AbortError');
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
    expect(JSON.stringify(logs)).toContain('CALLS_TABLE is not set');
    expect(logs.find((line) => line.rawBody === body.toString('utf8'))).toMatchObject({
      message: 'Request not verified, not stored',
      outcome: 'unverified',
      verified: false,
    });
    expect(await readCall(store, callIdIn(body))).toBeUndefined();
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
});

describe('local development without verification', () => {
  test('stores unsigned deliveries only when explicitly switched off', async () => {
    // Prepare
    const unverified = createCallStatusHandler({
      env: testEnv({
        FREECLIMB_SIGNING_SECRET: undefined,
        FREECLIMB_SIGNATURE_VERIFICATION: 'disabled-for-local-development',
      }),
      now,
    });
    const body = withFreshIds(bodyFixture('completed-inbound'));

    // Act
    const response = await unverified(
      signedEvent(body, { headers: { 'freeclimb-signature': undefined } }),
      lambdaContext,
    );

    // Assess
    expect(response.statusCode).toBe(204);
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
