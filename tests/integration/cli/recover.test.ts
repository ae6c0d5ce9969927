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
  freshId,
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

function fileOf(content: string | Buffer): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'recover-')), 'lines.json');
  writeFileSync(file, content);
  return file;
}

const jsonLines = (logs: unknown[]) => logs.map((line) => JSON.stringify(line)).join('\n');
const callIdOf = (body: Buffer): string => JSON.parse(body.toString('utf8')).callId;
const fresh = () => withFreshIds(bodyFixture('completed-inbound'));

type LogLine = Record<string, unknown>;

/** The 503 lines among a handler's log lines. */
const notStoredLogLines = (logs: LogLine[]) => logs.filter((line) => line.rawBody !== undefined);

/** A Logs Insights row of these columns: values as Insights gives them (booleans as "1"/"0"). */
function insightsRow(line: LogLine, columns: readonly string[]): Record<string, string> {
  const value = (column: string): string => {
    if (column === '@timestamp') return '2025-11-25 14:30:02.000';
    if (column === '@message') return JSON.stringify(line);
    if (column === '@ptr') return 'CmQKKwonMTIzNDU2Nzg5MDEyOi9hd3MvbGFtYmRhL2ZyZWVjbGltYhAA';
    const field = line[column];
    return typeof field === 'boolean' ? (field ? '1' : '0') : String(field);
  };
  return Object.fromEntries(columns.map((column) => [column, value(column)]));
}

/** `aws logs get-query-results` output: rows as lists of {field, value}, indented as the AWS CLI prints. */
function queryResults(rows: Array<Record<string, string>>): string {
  const results = rows.map((row) => Object.entries(row).map(([field, value]) => ({ field, value })));
  return JSON.stringify(
    { results, statistics: { recordsMatched: rows.length }, status: 'Complete' },
    null,
    4,
  );
}

const WHOLE = ['@timestamp', '@message'];
const WHOLE_AND_MORE = ['@timestamp', 'receivedAt', 'signature', 'isBase64Encoded', '@message'];
const FIELDS = ['@timestamp', 'receivedAt', 'signature', 'contentType', 'rawBody', 'isBase64Encoded'];

/** Every export the runbook names, each with and without extra columns, as its tool writes it. */
const EXPORTS: ReadonlyArray<{ name: string; write: (logs: LogLine[]) => string }> = [
  {
    name: 'JSON Lines as the function logs them, between other lines',
    write: (logs) =>
      ['START RequestId: 0f6e Version: $LATEST', ...logs.map((line) => JSON.stringify(line)), ''].join('\n'),
  },
  {
    name: 'aws logs filter-log-events output',
    write: (logs) =>
      JSON.stringify(
        {
          events: logs.map((line, index) => ({
            logStreamName: '2025/11/25/[$LATEST]0f6e',
            timestamp: 1764081002000,
            message: `${JSON.stringify(line)}\n`,
            ingestionTime: 1764081003000,
            eventId: String(index),
          })),
          searchedLogStreams: [],
        },
        null,
        4,
      ),
  },
  ...[
    ['fields @timestamp, @message', WHOLE],
    ['fields @timestamp, receivedAt, signature, isBase64Encoded, @message', WHOLE_AND_MORE],
    ['the five fields without @message', FIELDS],
  ].flatMap(([query, columns]) => [
    {
      name: `a Logs Insights download (${query})`,
      write: (logs: LogLine[]) =>
        JSON.stringify(notStoredLogLines(logs).map((line) => insightsRow(line, columns as string[]))),
    },
    {
      name: `aws logs get-query-results output (${query})`,
      write: (logs: LogLine[]) =>
        queryResults(
          notStoredLogLines(logs).map((line) => insightsRow(line, [...(columns as string[]), '@ptr'])),
        ),
    },
  ]),
];

/** Text as each tool writes it to a file. */
const ENCODINGS: ReadonlyArray<{ name: string; write: (text: string) => Buffer }> = [
  { name: 'UTF-8 (the AWS CLI, a browser download)', write: (text) => Buffer.from(text, 'utf8') },
  {
    name: 'UTF-8 with a byte order mark (PowerShell 7 -Encoding utf8BOM, Notepad)',
    write: (text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]),
  },
  {
    name: "UTF-16 LE with a byte order mark and CRLF (Windows PowerShell 5.1's >)",
    write: (text) => Buffer.from(`\ufeff${text.replaceAll('\n', '\r\n')}`, 'utf16le'),
  },
  {
    name: 'UTF-16 BE with a byte order mark',
    write: (text) => Buffer.from(`\ufeff${text}`, 'utf16le').swap16(),
  },
];

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

  test('a dry run gives the verdict the real run gives: a body not sent as JSON would be kept as such', async () => {
    // Prepare
    const notJson = fresh();
    const logs = await logLinesOf(ssmDown(), [
      signedEvent(notJson, { headers: { 'content-type': 'text/plain' } }),
    ]);

    // Act
    const run = await runRecords(['recover', fileOf(jsonLines(logs)), '--dry-run', '--json'], withSecret);

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      {
        source: expect.any(String),
        receivedAt,
        callId: callIdOf(notJson),
        outcome: 'unsupported-media-type',
      },
    ]);
  });

  test('an issue path made of the sender’s own keys reaches the terminal escaped, never raw', async () => {
    // Prepare: an authentic body nested too deep under a key that clears the screen.
    const nested = `${'{"a":'.repeat(64)}1${'}'.repeat(64)}`;
    const body = Buffer.from(`{"callId":"${freshId('CA')}","\\u001b[2J":${nested}}`);
    const logs = await logLinesOf(ssmDown(), [signedEvent(body)]);

    // Act
    const run = await runRecords(['recover', fileOf(jsonLines(logs)), '--dry-run'], withSecret);

    // Assess
    expect(run.stdout).toContain('\\u001b[2J.a.a');
    expect(run.stdout).not.toMatch(/\p{Cc}(?<!\n)/u);
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

  test.each(
    EXPORTS.flatMap((shape) =>
      ENCODINGS.map((encoding) => [shape.name, encoding.name, shape, encoding] as const),
    ),
  )('stores every delivery of %s, written as %s', async (_shape, _encoding, shape, encoding) => {
    // Prepare: one delivery as text, one base64-encoded, and the function's other lines around them.
    const bodies = [fresh(), fresh()];
    const logs = await logLinesOf(ssmDown(), [
      signedEvent(bodies[0] as Buffer),
      signedEvent(bodies[1] as Buffer, { base64: true }),
    ]);
    const file = fileOf(encoding.write(shape.write(logs)));

    // Act
    const run = await runRecords(['recover', file, '--json'], withSecret);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(
      bodies.map((body) => ({
        source: expect.any(String),
        receivedAt,
        callId: callIdOf(body),
        outcome: 'stored',
      })),
    );
    for (const body of bodies) {
      expect((await readCall(store, callIdOf(body)))?.rawBody).toBe(body.toString('utf8'));
    }
  });

  test.each(['signature', 'isBase64Encoded', 'contentType'])(
    'a Logs Insights row of fields without %s (and without @message) is refused as unreadable, never judged',
    async (missing) => {
      // Prepare
      const body = fresh();
      const logs = await logLinesOf(ssmDown(), [signedEvent(body, { base64: true })]);
      const rows = notStoredLogLines(logs).map((line) =>
        insightsRow(
          line,
          FIELDS.filter((column) => column !== missing),
        ),
      );

      // Act
      const run = await runRecords(['recover', fileOf(JSON.stringify(rows)), '--dry-run'], withSecret);

      // Assess
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`unreadable line (nothing stored): the row has no ${missing}`);
      expect(run.stdout).toContain('export whole lines (fields @timestamp, @message)');
      expect(run.stdout).not.toContain('not authentic');
    },
  );

  test.each([
    [
      'a Latin-1 file',
      Buffer.from('{"message":"caf\xe9"}\n', 'latin1'),
      'is not UTF-8 text (perhaps Windows-1252 or Latin-1)',
    ],
    [
      'UTF-16 LE without a byte order mark',
      Buffer.from('{"a":1}\n', 'utf16le'),
      'is not UTF-8 text (it looks like UTF-16 LE without a byte order mark)',
    ],
    [
      'UTF-32 LE',
      Buffer.from([0xff, 0xfe, 0, 0, 0x7b, 0, 0, 0]),
      'is UTF-32 LE text, which recover does not read',
    ],
    [
      'UTF-16 LE with a mark but cut in a character',
      Buffer.from([0xff, 0xfe, 0x7b, 0, 0x3d]),
      'starts with a UTF-16 LE byte order mark but is not valid UTF-16 LE',
    ],
  ])('%s is refused with one line naming the encoding, exit 1', async (_name, bytes, message) => {
    // Prepare
    const file = fileOf(bytes);

    // Act
    const run = await runRecords(['recover', file], withSecret);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `freeclimb-records: ${file} ${message}: save it as UTF-8 and run recover again\n`,
    );
  });

  test.each([
    ['an empty file', '', 'it holds no log line at all'],
    [
      'a file of other log lines only',
      [
        'START RequestId: 0f6e Version: $LATEST',
        '{"level":"INFO","message":"Delivery stored"}',
        'END RequestId: 0f6e',
      ].join('\n'),
      'it holds 3 other log lines, none of them "Delivery not stored: recover it from this line" or "Request not verified, not stored"',
    ],
    [
      'an Insights download of other fields',
      JSON.stringify([{ '@timestamp': '2025-11-25 14:30:02.000', status: '204' }]),
      'it holds 1 other log line',
    ],
  ])('%s: no 503 line found is exit 1, saying what was found', async (_name, text, found) => {
    // Prepare
    const file = fileOf(text);

    // Act
    const run = await runRecords(['recover', file], withSecret);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`No 503 line of the webhook in ${file}: ${found}`);
    expect(run.stderr).toContain('Nothing was recovered');
  });

  test('a second recover leaves the rejected item as it was: replay marks and expiry kept, and says so', async () => {
    // Prepare: an authentic line that is not a valid callStatus, recovered once and then replayed.
    const invalid = Buffer.from(fresh().toString('utf8').replace('"completed"', '"ringing"'));
    const file = fileOf(jsonLines(await logLinesOf(ssmDown(), [signedEvent(invalid)])));
    const first = await runRecords(['recover', file, '--json', '--retention-days', '30'], withSecret);
    const rejectionId = String((JSON.parse(first.stdout) as Array<{ rejectionId?: string }>)[0]?.rejectionId);
    await runRecords(['rejected', 'replay', rejectionId], withSecret);
    const before = await getRejectedDelivery(store, rejectionId);

    // Act
    const again = await runRecords(['recover', file, '--retention-days', '90'], withSecret);

    // Assess
    expect(before).toMatchObject({ replayOutcome: 'invalid', replayedAt: expect.any(String) });
    expect(await getRejectedDelivery(store, rejectionId)).toEqual(before);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      `authentic but not a valid callStatus, already in the rejected table (left as it was, replay marks included) as ${rejectionId}`,
    );
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
