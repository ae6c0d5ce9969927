import type { CallDetails } from '../../../lib/call-details';
import { createCallStatusHandler } from '../../../lib/call-status-service';
import { saveCallDetails } from '../../../lib/call-store';
import { type CallsTableCopy, copyOfCallsTable } from '../../support/calls-table-copy';
import { runRecords } from '../../support/cli';
import { testDocumentClient } from '../../support/dynamodb';
import { callResource, type FakeFreeClimb, startFakeFreeClimb } from '../../support/fake-freeclimb';
import { bodyFixture, freshId, lambdaContext, signedEvent, testEnv } from '../../support/webhook';

// `freeclimb-records enrich`, `get`, `calls --csv` and `summary --json` on records stored by the real
// handler into a calls table of this file's own, with FreeClimb's API played by the FreeClimb-shaped fake
// over loopback HTTP.

const API_KEY = 'fc_cli_key_5d0c3e9b1a7f42e8a6b0c1d2e3f4a5b6';
const DAY = ['--from', '2031-04-01', '--until', '2031-04-02'];

let table: CallsTableCopy;
let fake: FakeFreeClimb;
let clock = 0;
let handle: ReturnType<typeof createCallStatusHandler>;

beforeAll(async () => {
  table = await copyOfCallsTable();
  fake = await startFakeFreeClimb({ apiKey: API_KEY });
  handle = createCallStatusHandler({ env: testEnv({ CALLS_TABLE: table.callsTable }), now: () => clock });
});

afterAll(async () => {
  await fake.close();
});

/** Stores a call received at `receivedAt` through the real handler; returns its ids. */
async function storeCall(receivedAt: string): Promise<{ callId: string; accountId: string }> {
  const body = JSON.parse(bodyFixture('completed-inbound').toString('utf8'));
  const call = { ...body, callId: freshId('CA'), accountId: freshId('AC') };
  clock = Date.parse(receivedAt);
  const response = await handle(
    signedEvent(JSON.stringify(call), { signedAt: Math.floor(clock / 1000) }),
    lambdaContext,
  );
  expect(response.statusCode).toBe(204);
  return { callId: call.callId, accountId: call.accountId };
}

function records(argv: string[], env: Record<string, string | undefined> = {}) {
  return runRecords(argv, {
    localTargetsDir: table.localTargetsDir,
    env: { TZ: 'UTC', FREECLIMB_API_KEY: API_KEY, FREECLIMB_API_URL: fake.url, ...env },
  });
}

describe('enrich', () => {
  test('enriches the records without details, skips the enriched ones without asking, exits 1 while one is unknown, 0 once FreeClimb knows it', async () => {
    // Prepare: one call FreeClimb knows, one already enriched, one FreeClimb does not know yet.
    const known = await storeCall('2031-04-01T09:00:00.000Z');
    const enriched = await storeCall('2031-04-01T09:00:01.000Z');
    const unknown = await storeCall('2031-04-01T09:00:02.000Z');
    fake.setCall(callResource(known.callId, known.accountId, { talkSeconds: 62, ringSeconds: 8 }));
    const earlier: CallDetails = { status: 'busy', enrichedAt: '2031-04-01T09:05:00.000Z' };
    const store = { doc: testDocumentClient(), callsTable: table.callsTable, rejectedTable: 'unused' };
    await saveCallDetails(store, enriched.callId, earlier);

    // Act
    const first = await records(['enrich', ...DAY]);
    fake.setCall(callResource(unknown.callId, unknown.accountId, { answeredBy: 'machine' }));
    const second = await records(['enrich', ...DAY, '--json']);

    // Assess
    expect(first.code).toBe(1);
    expect(first.stdout).toBe(
      `${unknown.callId}  not enriched: FreeClimb answered 404 (code 404: Not Found)\n` +
        `${enriched.callId}  already enriched (FreeClimb not asked)\n` +
        `${known.callId}  enriched: completed, talk time 1:02 of 1:10, answered by human, caller ACME SUPPORT\n` +
        `3 records (1 not enriched, 1 already enriched (FreeClimb not asked), 1 enriched) from 2031-04-01T00:00:00.000Z until 2031-04-02T00:00:00.000Z in ${table.callsTable}\n`,
    );
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual([
      {
        callId: unknown.callId,
        outcome: 'enriched',
        details: expect.objectContaining({ status: 'completed', answeredBy: 'machine', connectDuration: 41 }),
      },
      { callId: enriched.callId, outcome: 'already-enriched' },
      { callId: known.callId, outcome: 'already-enriched' },
    ]);
    expect([known, enriched, unknown].map((call) => fake.requestsFor(call.callId))).toEqual([1, 0, 2]);
  });

  test('get shows the details under their own heading, times in UTC and local time, durations spelt out', async () => {
    // Prepare
    const call = await storeCall('2031-04-01T10:00:00.000Z');
    fake.setCall(
      callResource(call.callId, call.accountId, {
        startedAtMs: Date.parse('2031-04-01T09:58:40.000Z'),
        ringSeconds: 10,
        talkSeconds: 65,
      }),
    );
    await records(['enrich', '--from', '2031-04-01T10:00:00Z', '--until', '2031-04-01T10:00:01Z']);

    // Act
    const run = await records(['get', call.callId]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "\ndetails (from FreeClimb's Call resource)\n" +
        '    status           completed\n' +
        '    startTime        2031-04-01T09:58:40.000Z (2031-04-01 09:58:40 UTC)\n' +
        '    connectTime      2031-04-01T09:58:50.000Z (2031-04-01 09:58:50 UTC)\n' +
        '    endTime          2031-04-01T09:59:55.000Z (2031-04-01 09:59:55 UTC)\n' +
        '    duration         75 s (1:15)\n' +
        '    connectDuration  65 s (1:05)\n' +
        '    answeredBy       human\n' +
        '    callerName       ACME SUPPORT\n' +
        '    phoneNumberId    PN0123456789abcdef0123456789abcdef01234567\n' +
        '    applicationId    AP0123456789abcdef0123456789abcdef01234567\n',
    );
    expect(run.stdout).toMatch(/\n {4}enrichedAt {7}\d{4}-\d\d-\d\dT[^\n]+\n\nrawBody\n/);
  });

  test('a dry run names the records without details, needs no key and asks FreeClimb nothing', async () => {
    // Prepare
    const call = await storeCall('2031-04-01T11:00:00.000Z');
    const before = fake.requests.length;

    // Act
    const run = await records(
      ['enrich', '--from', '2031-04-01T11:00:00Z', '--until', '2031-04-01T11:00:01Z', '--dry-run'],
      { FREECLIMB_API_KEY: undefined },
    );

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${call.callId}  no details yet (dry run: FreeClimb not asked)\n`);
    expect(fake.requests.length).toBe(before);
  });

  test('without a key it stops before reading anything, naming the settings, exit 2', async () => {
    // Act
    const run = await records(['enrich', ...DAY], { FREECLIMB_API_KEY: undefined });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('FREECLIMB_API_KEY_PARAMETER is not set');
  });

  test('calls --csv carries the talk time and summary --json its total and the number enriched', async () => {
    // Prepare
    const call = await storeCall('2031-04-02T08:00:00.000Z');
    const other = await storeCall('2031-04-02T08:00:01.000Z');
    fake.setCall(callResource(call.callId, call.accountId, { talkSeconds: 30 }));
    fake.setCall(callResource(other.callId, other.accountId, { status: 'busy' }));
    const window = ['--from', '2031-04-02', '--until', '2031-04-03'];
    await records(['enrich', ...window]);

    // Act
    const csv = await records(['calls', ...window, '--csv']);
    const summary = await records(['summary', ...window, '--json']);

    // Assess
    expect(csv.stdout.split('\r\n').map((line) => line.split(',').at(-1))).toEqual([
      'connectDuration',
      '',
      '30',
      '',
    ]);
    expect(JSON.parse(summary.stdout)).toMatchObject({
      total: 2,
      enriched: 2,
      totalConnectDurationSeconds: 30,
    });
  });
});
