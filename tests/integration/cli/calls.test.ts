import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CallDetails } from '../../../lib/call-details';
import { createCallStatusHandler } from '../../../lib/call-status-service';
import { saveCallDetails } from '../../../lib/call-store';
import { type CallsTableCopy, copyOfCallsTable } from '../../support/calls-table-copy';
import { runRecords } from '../../support/cli';
import { testDocumentClient } from '../../support/dynamodb';
import { bodyFixture, freshId, lambdaContext, signedEvent, testEnv } from '../../support/webhook';

// `freeclimb-records calls` and `summary` against the test engine. Every call is stored by the real
// handler (its clock set to the call's receive time) into a calls table of this file's own, so windows and
// counts see nothing but what the tests put there.

let table: CallsTableCopy;
let clock = 0;
let handle: ReturnType<typeof createCallStatusHandler>;

beforeAll(async () => {
  table = await copyOfCallsTable();
  handle = createCallStatusHandler({ env: testEnv({ CALLS_TABLE: table.callsTable }), now: () => clock });
});

interface StoredCall {
  callId: string;
  parentCallId?: string;
  receivedAt: string;
  callStatus: string;
  callEndedReason: string;
  direction: string;
  from: string;
  to: string;
  callDuration: number;
}

/** Stores one call received at `receivedAt` through the handler; returns what the record holds. */
async function storeCall(receivedAt: string, fields: Partial<StoredCall> = {}): Promise<StoredCall> {
  const body = JSON.parse(bodyFixture('completed-inbound').toString('utf8'));
  const call = {
    ...body,
    callId: freshId('CA'),
    parentCallId: null,
    ...fields,
  };
  clock = Date.parse(receivedAt);
  const response = await handle(
    signedEvent(JSON.stringify(call), { signedAt: Math.floor(clock / 1000) }),
    lambdaContext,
  );
  expect(response.statusCode).toBe(204);
  const { callId, parentCallId, callStatus, callEndedReason, direction, from, to, callDuration } = call;
  return {
    callId,
    ...(parentCallId === null ? {} : { parentCallId }),
    receivedAt,
    callStatus,
    callEndedReason,
    direction,
    from,
    to,
    callDuration,
  };
}

/** FreeClimb's details on a stored call, as the enricher writes them. */
async function enrich(callId: string, details: Partial<CallDetails>): Promise<void> {
  const store = { doc: testDocumentClient(), callsTable: table.callsTable, rejectedTable: 'unused' };
  const written = await saveCallDetails(store, callId, {
    status: 'completed',
    enrichedAt: '2030-03-01T10:00:00.000Z',
    ...details,
  });
  expect(written).toBe('enriched');
}

/** `calls` against this file's table. */
function records(argv: string[], now?: number) {
  return runRecords(argv, {
    localTargetsDir: table.localTargetsDir,
    ...(now === undefined ? {} : { now: () => now }),
  });
}

/** The call ids in the readable output, in order. */
function idsOf(stdout: string): string[] {
  return [...stdout.matchAll(/^(CA[0-9a-f]{40}) /gm)].map((match) => match[1] as string);
}

/** Newest first, as the command orders them. */
function newestFirst(calls: StoredCall[]): string[] {
  return [...calls]
    .sort((a, b) => (a.receivedAt === b.receivedAt ? 0 : a.receivedAt < b.receivedAt ? 1 : -1))
    .map((call) => call.callId);
}

describe('calls: the window', () => {
  test('lists the calls received in the window newest first, one line each as legs prints them; the start is included, the end is not', async () => {
    // Prepare: one just before the window, one at its very start, two inside, one at its very end.
    await storeCall('2030-01-05T09:59:59.999Z');
    const atStart = await storeCall('2030-01-05T10:00:00.000Z', { callDuration: 12 });
    const inside = await storeCall('2030-01-05T10:30:00.000Z', {
      direction: 'outboundDial',
      to: 'sip:agent@pbx.example.com',
      callEndedReason: 'appHangup',
    });
    const lastMs = await storeCall('2030-01-05T10:59:59.999Z');
    await storeCall('2030-01-05T11:00:00.000Z');

    // Act
    const run = await records(['calls', '--from', '2030-01-05T10:00:00Z', '--until', '2030-01-05T11:00:00Z']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(idsOf(run.stdout)).toEqual([lastMs.callId, inside.callId, atStart.callId]);
    expect(run.stdout).toContain(
      `${inside.callId}  outboundDial  completed (appHangup)  47 s  +13125550142 → sip:agent@pbx.example.com  2030-01-05T10:30:00.000Z\n`,
    );
    expect(run.stdout).toContain(`${atStart.callId}  inbound  completed (farEndHangup)  12 s`);
    expect(
      run.stdout.endsWith(
        `3 calls from 2030-01-05T10:00:00.000Z until 2030-01-05T11:00:00.000Z in ${table.callsTable}\n`,
      ),
    ).toBe(true);
  });

  test('a window across midnight (UTC) reads both days and merges them newest first', async () => {
    // Prepare
    const before = await storeCall('2030-01-06T23:50:00.000Z');
    const after = await storeCall('2030-01-07T00:10:00.000Z');
    const nextDay = await storeCall('2030-01-07T01:00:00.000Z');

    // Act
    const run = await records(['calls', '--from', '2030-01-06T23:00:00Z', '--until', '2030-01-07T00:30:00Z']);

    // Assess
    expect(run.code).toBe(0);
    expect(idsOf(run.stdout)).toEqual([after.callId, before.callId]);
    expect(idsOf(run.stdout)).not.toContain(nextDay.callId);
  });

  test('--since counts back from now (24h by default); an empty window says so, as JSON [] and as a CSV header', async () => {
    // Prepare
    const now = Date.parse('2030-01-10T12:00:00.000Z');
    const recent = await storeCall('2030-01-09T13:00:00.000Z');
    const older = await storeCall('2030-01-09T11:00:00.000Z');

    // Act
    const byDefault = await records(['calls'], now);
    const twoDays = await records(['calls', '--since', '2d'], now);
    const empty = await records(['calls', '--since', '90m'], now);
    const emptyJson = await records(['calls', '--since', '90m', '--json'], now);
    const emptyCsv = await records(['calls', '--since', '90m', '--csv'], now);

    // Assess
    expect(idsOf(byDefault.stdout)).toEqual([recent.callId]);
    expect(byDefault.stdout).toContain('1 call since 2030-01-09T12:00:00.000Z (24h)');
    expect(idsOf(twoDays.stdout)).toEqual([recent.callId, older.callId]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe(`0 calls since 2030-01-10T10:30:00.000Z (90m) in ${table.callsTable}\n`);
    expect(JSON.parse(emptyJson.stdout)).toEqual([]);
    expect(emptyCsv.stdout).toBe(
      'callId,parentCallId,receivedAt,callStatus,callEndedReason,direction,from,to,callDuration,connectDuration\r\n',
    );
  });

  test('follows every page: 45 calls of one day over its shards, two items per Query page; --limit keeps the newest', async () => {
    // Prepare
    const stored: StoredCall[] = [];
    for (let second = 0; second < 45; second += 1) {
      stored.push(await storeCall(`2030-01-11T08:00:${String(second).padStart(2, '0')}.000Z`));
    }

    // Act
    const run = await records(['calls', '--from', '2030-01-11', '--until', '2030-01-12', '--page-size', '2']);
    const limited = await records(
      ['calls', '--from', '2030-01-11', '--page-size', '2', '--limit', '5'],
      Date.parse('2030-01-12T00:00:00Z'),
    );

    // Assess
    expect(run.code).toBe(0);
    expect(idsOf(run.stdout)).toEqual(newestFirst(stored));
    expect(idsOf(limited.stdout)).toEqual(newestFirst(stored).slice(0, 5));
    expect(limited.stdout).toContain('5 calls from 2030-01-11T00:00:00.000Z until 2030-01-12T00:00:00.000Z');
    expect(limited.stdout).toContain('(--limit 5: older ones not shown)');
  });

  test('--limit notes older ones only when there are: one entry more is read, from the next day too', async () => {
    // Prepare: 9 calls on one day, and one call the day before another window's 9.
    for (let minute = 0; minute < 9; minute += 1) {
      await storeCall(`2030-01-13T08:0${minute}:00.000Z`);
    }
    await storeCall('2030-01-14T23:00:00.000Z');
    for (let minute = 0; minute < 9; minute += 1) {
      await storeCall(`2030-01-15T08:0${minute}:00.000Z`);
    }
    const between = (from: string, until: string) => ['--from', from, '--until', until];

    // Act
    const exactly = await records(['calls', ...between('2030-01-13', '2030-01-14'), '--limit', '9']);
    const beyond = await records(['calls', ...between('2030-01-13', '2030-01-14'), '--limit', '10']);
    const fewer = await records(['calls', ...between('2030-01-13', '2030-01-14'), '--limit', '8']);
    const dayBefore = await records(['calls', ...between('2030-01-14', '2030-01-16'), '--limit', '9']);

    // Assess
    expect(exactly.stdout).toMatch(
      /\n9 calls from 2030-01-13T00:00:00\.000Z until 2030-01-14T00:00:00\.000Z in \S+\n$/,
    );
    expect(beyond.stdout).toMatch(/\n9 calls from .* in \S+\n$/);
    expect(fewer.stdout).toMatch(/\n8 calls from .* in \S+ \(--limit 8: older ones not shown\)\n$/);
    expect(dayBefore.stdout).toMatch(/\n9 calls from .* in \S+ \(--limit 9: older ones not shown\)\n$/);
    expect(idsOf(fewer.stdout)).toEqual(idsOf(exactly.stdout).slice(0, 8));
  });
});

describe('calls: filters', () => {
  const day = ['--from', '2030-02-01', '--until', '2030-02-02'];
  let stored: StoredCall[];

  beforeAll(async () => {
    const kinds: Array<Partial<StoredCall>> = [
      { callStatus: 'completed', direction: 'inbound', from: '+13125550142', to: '+18475550199' },
      {
        callStatus: 'busy',
        callEndedReason: 'busy',
        direction: 'outboundAPI',
        from: '+18475550199',
        to: '+13125550142',
      },
      {
        callStatus: 'busy',
        callEndedReason: 'busy',
        direction: 'inbound',
        from: '+442079460321',
        to: '+18475550199',
      },
      {
        callStatus: 'noAnswer',
        callEndedReason: 'noAnswer',
        direction: 'outboundDial',
        from: '+18475550199',
        to: 'sip:agent@pbx.example.com',
      },
      {
        callStatus: 'failed',
        callEndedReason: 'failed',
        direction: 'outboundAPI',
        from: '+13125550142',
        to: '+442079460321',
      },
      {
        callStatus: 'completed',
        direction: 'outboundDial',
        from: 'sip:agent@pbx.example.com',
        to: '+13125550142',
      },
      {
        callStatus: 'canceled',
        callEndedReason: 'callCanceled',
        direction: 'outboundAPI',
        from: '+18475550199',
        to: '+442079460321',
      },
    ];
    stored = [];
    for (const [index, kind] of kinds.entries()) {
      stored.push(await storeCall(`2030-02-01T12:0${index}:00.000Z`, kind));
    }
  });

  const cases: Array<[string, string[], (call: StoredCall) => boolean]> = [
    ['--status busy', ['--status', 'busy'], (c) => c.callStatus === 'busy'],
    ['--direction outboundAPI', ['--direction', 'outboundAPI'], (c) => c.direction === 'outboundAPI'],
    [
      '--number (matches from or to)',
      ['--number', '+13125550142'],
      (c) => c.from === '+13125550142' || c.to === '+13125550142',
    ],
    [
      '--number with a SIP address',
      ['--number', 'sip:agent@pbx.example.com'],
      (c) => c.from === 'sip:agent@pbx.example.com' || c.to === 'sip:agent@pbx.example.com',
    ],
    [
      '--status and --direction',
      ['--status', 'busy', '--direction', 'inbound'],
      (c) => c.callStatus === 'busy' && c.direction === 'inbound',
    ],
    [
      '--status and --number',
      ['--status', 'completed', '--number', '+13125550142'],
      (c) => c.callStatus === 'completed' && (c.from === '+13125550142' || c.to === '+13125550142'),
    ],
    [
      '--direction and --number',
      ['--direction', 'outboundAPI', '--number', '+13125550142'],
      (c) => c.direction === 'outboundAPI' && (c.from === '+13125550142' || c.to === '+13125550142'),
    ],
    [
      'all three',
      ['--status', 'busy', '--direction', 'outboundAPI', '--number', '+13125550142'],
      (c) =>
        c.callStatus === 'busy' &&
        c.direction === 'outboundAPI' &&
        (c.from === '+13125550142' || c.to === '+13125550142'),
    ],
    ['filters nothing matches', ['--status', 'canceled', '--direction', 'inbound'], () => false],
  ];

  test.each(cases)('%s lists exactly the matching calls', async (_name, flags, matches) => {
    // Prepare
    const expected = newestFirst(stored.filter(matches));

    // Act
    const run = await records(['calls', ...day, ...flags, '--page-size', '1']);

    // Assess
    expect(run.code).toBe(0);
    expect(idsOf(run.stdout)).toEqual(expected);
    expect(run.stdout).toContain(`${expected.length} ${expected.length === 1 ? 'call' : 'calls'} with `);
  });

  test('the filters are not empty of meaning: each case above matches something different', () => {
    // Prepare
    const sets = cases.map(([, , matches]) =>
      stored
        .filter(matches)
        .map((call) => call.callId)
        .join(),
    );

    // Act
    const distinct = new Set(sets);

    // Assess
    expect(distinct.size).toBe(cases.length);
  });

  test('--json prints the records with their stored attribute names, and nothing else', async () => {
    // Prepare
    const expected = stored.filter((call) => call.callStatus === 'busy').reverse();

    // Act
    const run = await records(['calls', ...day, '--status', 'busy', '--json']);

    // Assess
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(parsed).toEqual(
      expected.map((call) => ({ ...call, callLogShard: expect.stringMatching(/^2030-02-01#\d+$/) })),
    );
  });

  test('summary counts the same window: by status, by direction, durations, legs; --json is one object', async () => {
    // Prepare
    const parent = stored[0] as StoredCall;
    await storeCall('2030-02-01T13:00:00.000Z', {
      parentCallId: parent.callId,
      callDuration: 30,
      direction: 'outboundDial',
    });
    await enrich(parent.callId, { duration: 47, connectDuration: 41 });
    await enrich((stored[1] as StoredCall).callId, { status: 'busy' });

    // Act
    const run = await records(['summary', ...day]);
    const asJson = await records(['summary', ...day, '--json']);
    const filtered = await records(['summary', ...day, '--status', 'busy', '--json']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `Calls from 2030-02-01T00:00:00.000Z until 2030-02-02T00:00:00.000Z in ${table.callsTable}\n` +
        '  records         8 (7 calls, 1 leg)\n' +
        '  by status       busy 2, canceled 1, completed 3, failed 1, noAnswer 1\n' +
        '  by direction    inbound 2, outboundAPI 3, outboundDial 3\n' +
        '  total duration  5:59 (359 s)\n' +
        '  talk time       41 s over 2 enriched records\n' +
        '  mean duration   44.9 s\n',
    );
    expect(JSON.parse(asJson.stdout)).toEqual({
      from: '2030-02-01T00:00:00.000Z',
      until: '2030-02-02T00:00:00.000Z',
      total: 8,
      calls: 7,
      legs: 1,
      byStatus: { busy: 2, canceled: 1, completed: 3, failed: 1, noAnswer: 1 },
      byDirection: { inbound: 2, outboundAPI: 3, outboundDial: 3 },
      totalDurationSeconds: 359,
      enriched: 2,
      totalConnectDurationSeconds: 41,
      meanDurationSeconds: 44.9,
    });
    expect(JSON.parse(filtered.stdout)).toMatchObject({ status: 'busy', total: 2, byStatus: { busy: 2 } });
  });
});

describe('calls --csv', () => {
  test('RFC 4180 with a header: separators, quotes, line breaks and formula characters quoted; every cell a spreadsheet could start defused; E.164 and SIP URIs as sent', async () => {
    // Prepare
    const leg = await storeCall('2030-03-01T09:00:00.000Z', {
      from: '"Front desk, 2nd floor" <sip:desk@pbx.example.com>',
      to: 'sip:agent@pbx.example.com;transport=tls',
    });
    const parent = await storeCall('2030-03-01T09:00:01.000Z', {
      from: '=HYPERLINK("http://x.example/","click")',
      to: '@SUM(1+1)\r\nnext',
    });
    const child = await storeCall('2030-03-01T09:00:02.000Z', {
      parentCallId: parent.callId,
      callStatus: 'busy',
      callEndedReason: 'busy',
      direction: 'outboundAPI',
      callDuration: 0,
    });
    // A spreadsheet whose list separator is ';' starts a new cell at the ';'.
    const semicolon = await storeCall('2030-03-01T09:00:03.000Z', {
      from: "sip:x@evil.example;=cmd|' /C calc'!A0",
    });
    // The talk time comes from FreeClimb's details, read per row: empty until the call is enriched.
    await enrich(leg.callId, { duration: 47, connectDuration: 39 });

    // Act
    const run = await records(['calls', '--from', '2030-03-01', '--until', '2030-03-02', '--csv']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      'callId,parentCallId,receivedAt,callStatus,callEndedReason,direction,from,to,callDuration,connectDuration\r\n' +
        `${semicolon.callId},,"2030-03-01T09:00:03.000Z",completed,farEndHangup,inbound,"sip:x@evil.example;'=cmd|' /C calc'!A0","+18475550199",47,\r\n` +
        `${child.callId},${parent.callId},"2030-03-01T09:00:02.000Z",busy,busy,outboundAPI,"+13125550142","+18475550199",0,\r\n` +
        `${parent.callId},,"2030-03-01T09:00:01.000Z",completed,farEndHangup,inbound,"'=HYPERLINK(""http://x.example/"",""click"")","'@SUM(1+1)\r\nnext",47,\r\n` +
        `${leg.callId},,"2030-03-01T09:00:00.000Z",completed,farEndHangup,inbound,"""Front desk, 2nd floor"" <sip:desk@pbx.example.com>","sip:agent@pbx.example.com;transport=tls",47,39\r\n`,
    );
  });
});

describe('calls and summary: stored strings reach the terminal with their control characters escaped', () => {
  // An ESC colour sequence, a C1 CSI, DEL and a backslash in `from`; a line break and a CR in `to`.
  const from = '\u001b[31m+13125550142\u001b[0m\u009b2J\u007f\\';
  const to = '+1847555\n0199\r';
  const shown = '\\u001b[31m+13125550142\\u001b[0m\\u009b2J\\u007f\\\\ → +1847555\\n0199\\r';

  test('calls: one line per call (wc -l counts right), the characters shown escaped; --json and --csv keep them', async () => {
    // Prepare
    const stored = await storeCall('2030-03-05T09:00:00.000Z', { from, to });
    await storeCall('2030-03-05T09:00:01.000Z');
    const window = ['--from', '2030-03-05', '--until', '2030-03-06'];

    // Act
    const readable = await records(['calls', ...window]);
    const asJson = await records(['calls', ...window, '--json']);
    const asCsv = await records(['calls', ...window, '--csv']);

    // Assess
    expect(readable.code).toBe(0);
    expect(readable.stdout.split('\n')).toHaveLength(3 + 1);
    expect(readable.stdout.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(readable.stdout).toContain(
      `${stored.callId}  inbound  completed (farEndHangup)  47 s  ${shown}  `,
    );
    expect(JSON.parse(asJson.stdout)[1]).toMatchObject({ from, to });
    expect(asCsv.stdout).toContain(`,"${from}","${to}",47,\r\n`);
  });

  test('summary and the filter it echoes: one line each, escaped', async () => {
    // Prepare: a status no webhook can store, as another writer could leave it.
    const stored = await storeCall('2030-03-06T09:00:00.000Z');
    const doc = testDocumentClient();
    await doc.send(
      new UpdateCommand({
        TableName: table.callsTable,
        Key: { callId: stored.callId },
        UpdateExpression: 'SET callStatus = :status',
        ExpressionAttributeValues: { ':status': 'busy\u001b[2J\n' },
      }),
    );
    doc.destroy();
    const window = ['--from', '2030-03-06', '--until', '2030-03-07'];

    // Act
    const summary = await records(['summary', ...window]);
    const filtered = await records(['calls', ...window, '--number', 'sip:x\u001b]0;title\u0007']);

    // Assess
    expect(summary.code).toBe(0);
    expect(summary.stdout.split('\n')).toHaveLength(7 + 1);
    expect(summary.stdout.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(summary.stdout).toContain('  by status       busy\\u001b[2J\\n 1\n');
    expect(filtered.code).toBe(0);
    expect(filtered.stdout).toBe(
      `0 calls with number sip:x\\u001b]0;title\\u0007 from 2030-03-06T00:00:00.000Z until 2030-03-07T00:00:00.000Z in ${table.callsTable}\n`,
    );
  });
});

describe('calls and summary: wrong values exit 2 with one line', () => {
  test.each([
    [['calls', '--since', 'soon'], '--since soon: expected a duration like 90m, 24h or 7d'],
    [['calls', '--since', '400d'], '--since 400d: the longest window is 366d'],
    [
      ['calls', '--status', 'ringing'],
      '--status ringing: expected one of completed, busy, failed, noAnswer, canceled',
    ],
    [
      ['calls', '--direction', 'sideways'],
      '--direction sideways: expected one of inbound, outbound, outboundAPI, outboundDial',
    ],
    [['calls', '--from', 'yesterday'], '--from yesterday: expected an ISO time'],
    [['calls', '--from', '2030-01-01T10:00:00'], '--from 2030-01-01T10:00:00: expected an ISO time'],
    [
      ['calls', '--from', '2030-01-02', '--until', '2030-01-01'],
      '--from 2030-01-02 is not before --until 2030-01-01',
    ],
    [['calls', '--from', '2028-01-01', '--until', '2030-01-01'], 'the longest window is 366 days'],
    [['calls', '--until', '2030-01-01'], '--until needs --from'],
    [['calls', '--since', '1h', '--from', '2030-01-01'], '--since and --from/--until are two ways'],
    [['calls', '--limit', '-3'], '--limit -3: expected a whole number from 1 to 10000000'],
    [['calls', '--since', '--json'], '--since --json: expected a duration'],
    [['calls', '--limit=-3'], '--limit -3: expected a whole number'],
    [['calls', '--limit', '0'], '--limit 0: expected a whole number'],
    [['calls', '--number', '3125550142'], '--number 3125550142: expected an E.164 number'],
    [['calls', '--json', '--csv'], '--json and --csv are two output forms'],
    [['calls', 'today'], 'calls takes no arguments'],
    [['summary', '--status', 'ringing'], '--status ringing: expected one of'],
    [['summary', '--csv'], "unknown option '--csv'"],
    [['backfill', '--page-size', '0'], '--page-size 0: expected a whole number'],
  ])('%j', async (argv, message) => {
    // Act
    const run = await records(argv);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(message);
    expect(lines[1]).toBe('Run "freeclimb-records --help" for the commands and their options.');
  });
});

describe('calls and summary on a table deployed before the call log', () => {
  test('say the index is missing and what to do, exit 1', async () => {
    // Prepare
    const old = await copyOfCallsTable({ withoutIndex: 'callLog-index' });

    // Act
    const runs = await Promise.all(
      ['calls', 'summary'].map((command) => runRecords([command], { localTargetsDir: old.localTargetsDir })),
    );

    // Assess
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `freeclimb-records: ${old.callsTable} has no index callLog-index: deploy this version of the service, then run backfill\n`,
      );
    }
  });
});
