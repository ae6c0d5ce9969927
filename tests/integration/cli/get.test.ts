import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createCallStatusHandler } from '../../../lib/call-status-service';
import { runRecords } from '../../support/cli';
import {
  bodyFixture,
  clockAt,
  lambdaContext,
  readCall,
  signedEvent,
  testEnv,
  testStore,
  withFreshIds,
} from '../../support/webhook';

// `freeclimb-records get` against the jest engine: records are stored by the real handler first.

const store = testStore();
const handle = createCallStatusHandler({ env: testEnv(), now: clockAt(2) });

async function storedSample(name: string): Promise<string> {
  const body = withFreshIds(bodyFixture(name));
  const response = await handle(signedEvent(body), lambdaContext);
  expect(response.statusCode).toBe(204);
  return JSON.parse(body.toString('utf8')).callId;
}

describe('get <callId>', () => {
  test('prints every attribute, times in UTC and in the local zone, and the raw body pretty-printed', async () => {
    // Prepare
    const callId = await storedSample('with-recording');

    // Act
    const run = await runRecords(['get', callId], { env: { TZ: 'America/Chicago' } });

    // Assess
    expect(run).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`Call ${callId}`);
    // The fixtures' clock stands at 2025-11-25T14:30:02Z: 08:30 in Chicago (CST, UTC-6).
    expect(lines).toContain('  receivedAt            2025-11-25T14:30:02.000Z (2025-11-25 08:30:02 CST)');
    expect(lines).toContain('  signedAt              2025-11-25T14:30:00.000Z (2025-11-25 08:30:00 CST)');
    // "95" arrived as a string of digits and is stored, and shown, as a number.
    expect(lines).toContain('  callDuration          95 s (1:35)');
    expect(lines).toContain('  recordingDurationSec  88 s (1:28)');
    expect(lines).toContain('  schemaVersion         1');
    const stored = await readCall(store, callId);
    for (const name of Object.keys(stored ?? {}).filter((key) => key !== 'rawBody')) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
    const rawBody = run.stdout.slice(run.stdout.indexOf('\nrawBody\n') + '\nrawBody\n'.length);
    expect(JSON.parse(rawBody)).toEqual(JSON.parse(stored?.rawBody ?? ''));
    expect(rawBody).toContain(`\n    "callId": "${callId}",\n`);
  });

  test('rawBody is shown exactly as sent: big numbers, duplicate keys and escapes untouched', async () => {
    // Prepare
    const file = path.join(__dirname, '..', '..', 'fixtures', 'exact-bytes', 'big-number-duplicate-key.json');
    const body = withFreshIds(readFileSync(file));
    expect((await handle(signedEvent(body), lambdaContext)).statusCode).toBe(204);
    const sent = body.toString('utf8');
    const callId: string = JSON.parse(sent).callId;

    // Act
    const readable = await runRecords(['get', callId]);
    const asJson = await runRecords(['get', callId, '--json']);

    // Assess
    expect(JSON.parse(asJson.stdout).rawBody).toBe(sent);
    const shown = readable.stdout.slice(readable.stdout.indexOf('\nrawBody\n') + '\nrawBody\n'.length);
    // Only the whitespace between tokens differs from what was sent.
    expect(shown).toBe(
      [
        '  {',
        '    "accountId": "ACcace6050449596e58a9256aa934c53e4ce837bbb",',
        '    "callDuration": 47,',
        '    "callEndedReason": "farEndHangup",',
        `    "callId": "${callId}",`,
        '    "callStatus": "completed",',
        '    "conferenceId": null,',
        '    "direction": "inbound",',
        '    "from": "+13125550142",',
        '    "parentCallId": null,',
        '    "queueId": null,',
        '    "requestType": "callStatus",',
        '    "to": "+18475550199",',
        '    "to": "+18475550199",',
        '    "sequence": 12345678901234567890123,',
        '    "rate": 1.10,',
        '    "note": "caf\\u00e9 \\"on hold\\", {not: a [token]}",',
        '    "tags": [],',
        '    "meta": {}',
        '  }',
        '',
      ].join('\n'),
    );
  });

  test('stored strings with control characters: escaped, one line each; rawBody the same JSON, its raw C1 and DEL escaped; --json exact', async () => {
    // Prepare: ESC and a line break (JSON escapes in the body), a C1 CSI and DEL (raw in the body's text).
    const sample = JSON.parse(withFreshIds(bodyFixture('completed-inbound')).toString('utf8'));
    const from = '\u001b[31m+13125550142\u001b[0m';
    const to = '+1847555\n0199\u009b2J\u007f';
    const body = JSON.stringify({ ...sample, from, to });
    expect((await handle(signedEvent(body), lambdaContext)).statusCode).toBe(204);
    const plain = await storedSample('completed-inbound');

    // Act
    const run = await runRecords(['get', sample.callId]);
    const plainRun = await runRecords(['get', plain]);
    const asJson = await runRecords(['get', sample.callId, '--json']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(run.stdout.split('\n')).toHaveLength(plainRun.stdout.split('\n').length);
    expect(run.stdout).toMatch(/^ {2}from +\\u001b\[31m\+13125550142\\u001b\[0m$/m);
    expect(run.stdout).toMatch(/^ {2}to +\+1847555\\n0199\\u009b2J\\u007f$/m);
    const rawBody = run.stdout.slice(run.stdout.indexOf('\nrawBody\n') + '\nrawBody\n'.length);
    expect(rawBody).toContain('\n    "to": "+1847555\\n0199\\u009b2J\\u007f"\n');
    expect(JSON.parse(rawBody)).toEqual(JSON.parse(body));
    expect(JSON.parse(asJson.stdout)).toMatchObject({ from, to, rawBody: body });
  });

  test('the local time follows TZ', async () => {
    // Prepare
    const callId = await storedSample('completed-inbound');

    // Act
    const run = await runRecords(['get', callId], { env: { TZ: 'Asia/Tokyo' } });

    // Assess
    expect(run.stdout).toContain('2025-11-25T14:30:02.000Z (2025-11-25 23:30:02 GMT+9)');
  });

  test.each([
    // Common in containers and CI images, and accepted by `date`: a zone file, a zone name, fixed offsets.
    [':/etc/localtime', /^2025-11-25 \d\d:\d\d:02 \S+$/],
    [':UTC', /^2025-11-25 14:30:02 UTC$/],
    ['UTC0', /^2025-11-25 14:30:02 UTC$/],
    ['<+03>-3', /^2025-11-25 17:30:02 GMT\+3$/],
    ['EST5', /^2025-11-25 09:30:02 GMT-5$/],
    // A daylight-saving rule Intl cannot follow: the system zone, named in the output.
    ['CET-1CEST,M3.5.0,M10.5.0/3', /^2025-11-25 \d\d:\d\d:02 \S+$/],
  ])('TZ=%s, a POSIX form, is read as date reads it, or as the system zone', async (tz, local) => {
    // Prepare
    const callId = await storedSample('completed-inbound');

    // Act
    const run = await runRecords(['get', callId], { env: { TZ: tz } });

    // Assess
    expect(run).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    const receivedAt = /^ {2}receivedAt +2025-11-25T14:30:02\.000Z \((.*)\)$/m.exec(run.stdout);
    expect(receivedAt?.[1]).toMatch(local);
  });

  test('a TZ that is no zone at all fails the readable get only, exit 2; --json shows no local time', async () => {
    // Prepare
    const callId = await storedSample('completed-inbound');
    const env = { TZ: 'Mars/Olympus' };

    // Act
    const readable = await runRecords(['get', callId], { env });
    const asJson = await runRecords(['get', callId, '--json'], { env });
    const rejected = await runRecords(['rejected', 'list', '--since', '90m'], { env });

    // Assess
    expect(readable.code).toBe(2);
    expect(readable.stderr.split('\n')[0]).toBe(
      'freeclimb-records: TZ=Mars/Olympus is not a time zone (e.g. Europe/Berlin, America/Chicago, UTC)',
    );
    expect(asJson).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
    expect(JSON.parse(asJson.stdout).callId).toBe(callId);
    expect(rejected).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
  });

  test('--json prints the stored item and nothing else', async () => {
    // Prepare
    const callId = await storedSample('child-leg-outbound-dial');

    // Act
    const run = await runRecords(['get', callId, '--json']);

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(await readCall(store, callId));
  });

  test('an unknown call id is one line on stderr naming the table, exit 1', async () => {
    // Prepare
    const callId = `CA${'0'.repeat(40)}`;

    // Act
    const run = await runRecords(['get', callId]);

    // Assess
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `freeclimb-records: No call ${callId} in ${store.callsTable}\n`,
    });
  });

  test('a malformed call id says the expected form, exit 2, before any table is read', async () => {
    // Prepare
    const malformed = 'CA12345';

    // Act
    const run = await runRecords(['get', malformed], { localTargetsDir: '/nonexistent/local-targets' });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe(
      'freeclimb-records: "CA12345" is not a call id: expected CA followed by 40 hex digits',
    );
  });
});
