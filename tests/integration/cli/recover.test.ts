import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDocumentClient } from '../../../lib/aws-clients';
import { type CallStatusHandler, createCallStatusHandler } from '../../../lib/call-status-service';
import { getRejectedDelivery } from '../../../lib/call-store';
import { infoLogger, withCapturedLogs } from '../../support/captured-logs';
import { runRecords } from '../../support/cli';
import { freePort } from '../../support/free-port';
import { ssmStandIn, ssmThrottling } from '../../support/ssm-stand-in';
import {
  bodyFixture,
  clockAt,
  lambdaContext,
  readCall,
  signedEvent,
  TEST_SECRET,
  testEnv,
  testStore,
  withFreshIds,
} from '../../support/webhook';

// `recover` on log lines the real handler wrote while it answered 503, against the jest engine.

const store = testStore();
const now = clockAt(2);
const receivedAt = new Date(now()).toISOString();
const withSecret = { env: { TZ: 'UTC', FREECLIMB_SIGNING_SECRET: TEST_SECRET } };

type Event = ReturnType<typeof signedEvent>;

/** Runs the events through `handler` and returns every log line it wrote, as CloudWatch would keep them. */
async function logLinesOf(handler: () => CallStatusHandler, events: Event[]) {
  const { logs } = await withCapturedLogs(async () => {
    const handle = handler();
    for (const event of events) expect((await handle(event, lambdaContext)).statusCode).toBe(503);
  });
  return logs;
}

/** A handler whose DynamoDB never answers: every signed delivery is verified, then not stored. */
async function storeDown(): Promise<() => CallStatusHandler> {
  const doc = createDocumentClient({ endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 });
  return () =>
    createCallStatusHandler({ env: testEnv(), now, store: { ...store, doc }, logger: infoLogger() });
}

/** A handler that never could read its secret from SSM: every request is unverified. */
function ssmDown(): () => CallStatusHandler {
  const { client } = ssmStandIn([ssmThrottling()]);
  const env = testEnv({ FREECLIMB_SIGNING_SECRET: undefined, FREECLIMB_SIGNING_SECRET_PARAMETER: '/s' });
  return () => createCallStatusHandler({ env, now, ssm: client, logger: infoLogger() });
}

function fileOf(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'recover-')), 'lines.json');
  writeFileSync(file, text);
  return file;
}

const jsonLines = (logs: unknown[]) => logs.map((line) => JSON.stringify(line)).join('\n');
const callIdOf = (body: Buffer): string => JSON.parse(body.toString('utf8')).callId;
const fresh = () => withFreshIds(bodyFixture('completed-inbound'));

describe('recover', () => {
  test('stores the authentic deliveries of verified and unverified 503 lines, text and base64, and no forged one', async () => {
    // Prepare
    const [verifiedText, verifiedBase64, unverifiedText, unverifiedBase64] = [
      fresh(),
      fresh(),
      fresh(),
      fresh(),
    ];
    const [forgedSigned, forgedUnsigned] = [fresh(), fresh()];
    const logs = [
      ...(await logLinesOf(await storeDown(), [
        signedEvent(verifiedText),
        signedEvent(verifiedBase64, { base64: true }),
      ])),
      ...(await logLinesOf(ssmDown(), [
        signedEvent(unverifiedText),
        signedEvent(unverifiedBase64, { base64: true }),
        signedEvent(forgedSigned, { secrets: ['sigsec_forged'] }),
        signedEvent(forgedUnsigned, { headers: { 'freeclimb-signature': undefined } }),
      ])),
    ];
    const file = fileOf(jsonLines(logs));

    // Act
    const first = await runRecords(['recover', file], withSecret);
    const again = await runRecords(['recover', file], withSecret);

    // Assess
    expect(first.code).toBe(1);
    const outcomes = first.stdout.split('\n').filter((line) => line.startsWith('line '));
    expect(outcomes.map((line) => line.split('  ').slice(2).join('  '))).toEqual([
      `${callIdOf(verifiedText)}  stored`,
      `${callIdOf(verifiedBase64)}  stored`,
      `${callIdOf(unverifiedText)}  stored`,
      `${callIdOf(unverifiedBase64)}  stored`,
      '(no callId)  not authentic (refused, nothing stored): FreeClimb-Signature does not match the request body',
      '(no callId)  not authentic (refused, nothing stored): Missing FreeClimb-Signature header',
    ]);
    expect(first.stdout).toContain(
      `Recovered 6 lines from ${file} into ${store.callsTable}: 4 stored, 2 not authentic (refused, nothing stored)`,
    );
    for (const body of [verifiedText, verifiedBase64, unverifiedText, unverifiedBase64]) {
      expect(await readCall(store, callIdOf(body))).toMatchObject({
        rawBody: body.toString('utf8'),
        receivedAt,
      });
    }
    expect(await readCall(store, callIdOf(forgedSigned))).toBeUndefined();
    expect(await readCall(store, callIdOf(forgedUnsigned))).toBeUndefined();
    expect(again.stdout).toContain('4 already there, 2 not authentic (refused, nothing stored)');
  });

  test('an authentic line that is not a valid callStatus is kept in the rejected table, as the webhook would', async () => {
    // Prepare
    const invalid = withFreshIds(bodyFixture('completed-inbound'))
      .toString('utf8')
      .replace('"completed"', '"ringing"');
    const notJson = fresh();
    const logs = await logLinesOf(ssmDown(), [
      signedEvent(invalid),
      signedEvent(notJson, { headers: { 'content-type': 'text/plain' } }),
    ]);

    // Act
    const run = await runRecords(['recover', fileOf(jsonLines(logs)), '--json'], withSecret);

    // Assess
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as Array<{
      outcome: string;
      callId?: string;
      rejectionId?: string;
    }>;
    expect(results.map((result) => [result.outcome, result.callId])).toEqual([
      ['rejected', JSON.parse(invalid).callId],
      ['rejected', callIdOf(notJson)],
    ]);
    const kept = await Promise.all(
      results.map((result) => getRejectedDelivery(store, String(result.rejectionId))),
    );
    expect(kept.map((item) => [item?.reason, item?.rawBody, item?.receivedAt])).toEqual([
      ['invalid', invalid, receivedAt],
      ['unsupported-media-type', notJson.toString('utf8'), receivedAt],
    ]);
    expect(await readCall(store, callIdOf(notJson))).toBeUndefined();
  });

  test('a line that says verified: true but whose body was changed is refused', async () => {
    // Prepare
    const body = fresh();
    const [line] = (await logLinesOf(await storeDown(), [signedEvent(body)])).filter(
      (entry) => entry.rawBody !== undefined,
    );
    const tampered = {
      ...line,
      rawBody: String(line?.rawBody).replace('"callDuration":47', '"callDuration":4'),
    };

    // Act
    const run = await runRecords(['recover', fileOf(JSON.stringify(tampered))], withSecret);

    // Assess
    expect(line?.verified).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('not authentic (refused, nothing stored)');
    expect(await readCall(store, callIdOf(body))).toBeUndefined();
  });

  test('the signature time is checked against the line’s receivedAt, with the webhook’s tolerance', async () => {
    // Prepare
    const body = fresh();
    const [line] = (await logLinesOf(ssmDown(), [signedEvent(body)])).filter((e) => e.rawBody !== undefined);
    const later = { ...line, receivedAt: new Date(now() + 301_000).toISOString() };

    // Act
    const run = await runRecords(['recover', fileOf(JSON.stringify(later))], withSecret);

    // Assess
    expect(run.stdout).toContain(
      'not authentic (refused, nothing stored): FreeClimb-Signature timestamp is too old',
    );
    expect(await readCall(store, callIdOf(body))).toBeUndefined();
  });

  test('reads CloudWatch exports: filter-log-events, a Logs Insights download and get-query-results', async () => {
    // Prepare
    const bodies = [fresh(), fresh(), fresh()];
    const logs = await logLinesOf(
      ssmDown(),
      bodies.map((body) => signedEvent(body, { base64: true })),
    );
    const lines = logs.filter((entry) => entry.rawBody !== undefined);
    const asInsightsRow = (line: Record<string, unknown>) => ({
      '@timestamp': '2025-11-25 14:30:02.000',
      receivedAt: line.receivedAt,
      rawBody: line.rawBody,
      isBase64Encoded: '1',
      signature: line.signature,
    });
    const exports = {
      filterLogEvents: {
        events: logs.map((line, index) => ({
          logStreamName: 'stream',
          timestamp: now(),
          message: `${JSON.stringify(line)}\n`,
          eventId: String(index),
        })),
        searchedLogStreams: [],
      },
      insightsDownload: lines.map((line) => asInsightsRow(line)),
      queryResults: {
        status: 'Complete',
        results: lines.map((line) =>
          Object.entries(asInsightsRow(line)).map(([field, value]) => ({ field, value })),
        ),
      },
      insightsWithMessage: lines.map((line) => ({ '@message': JSON.stringify(line) })),
    };

    // Act
    const runs = await Promise.all(
      Object.values(exports).map((document) =>
        runRecords(['recover', fileOf(JSON.stringify(document)), '--dry-run', '--json'], withSecret),
      ),
    );

    // Assess
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(
        bodies.map((body) => ({
          source: expect.stringMatching(/^entry \d+$/),
          receivedAt,
          callId: callIdOf(body),
          outcome: 'valid',
        })),
      );
    }
    expect(await readCall(store, callIdOf(bodies[0] as Buffer))).toBeUndefined();
  });

  test('passes over other log lines and reports a damaged 503 line', async () => {
    // Prepare
    const body = fresh();
    const logs = await logLinesOf(ssmDown(), [signedEvent(body)]);
    const text = [
      'START RequestId: 0f6e Version: $LATEST',
      jsonLines(logs),
      '{"level":"ERROR","message":"Request not verified, not stored","rawBody":"{\\"callId',
    ].join('\n');

    // Act
    const run = await runRecords(['recover', fileOf(text), '--dry-run'], withSecret);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${receivedAt}  ${callIdOf(body)}  authentic and valid`);
    expect(run.stdout).toContain('line 4  (no receivedAt)  (no callId)  unreadable line (nothing stored)');
    expect(run.stdout).toMatch(/other log lines? ignored/);
  });

  test.each([
    [['recover'], 'recover needs a file of log lines'],
    [['recover', 'a.json', 'b.json'], 'recover takes one argument, a file of log lines'],
    [['recover', 'a.json', '--retention-days', 'x'], '--retention-days x'],
  ])('%j exits 2: %s', async (argv, message) => {
    // Act
    const run = await runRecords(argv, withSecret);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  test('without a secret it refuses to run, exit 2', async () => {
    // Act
    const run = await runRecords(['recover', fileOf('')], { env: { TZ: 'UTC' } });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No signing secret');
  });
});
