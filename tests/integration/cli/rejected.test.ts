import { createCallStatusHandler } from '../../../lib/call-status-service';
import { getRejectedDelivery, saveRejectedDelivery } from '../../../lib/call-store';
import { type RejectedDelivery, type Rejection, toRejectedDelivery } from '../../../lib/rejected-delivery';
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

// `rejected list` and `rejected replay` against the jest engine. Rejected items are written the way the
// webhook writes them (toRejectedDelivery + saveRejectedDelivery), as an older schema would have refused them.
// Each test uses its own days, far from the other test files' clock, so its partitions hold only its items.

const store = testStore();

/** A delivery the current schema accepts, refused by an imagined older one that did not know outboundAPI. */
const OLDER_SCHEMA_REFUSAL: Rejection = {
  reason: 'invalid',
  issues: [{ path: 'direction', message: 'must be one of: inbound, outbound' }],
};

async function keepRejected(
  sample: string,
  receivedAt: string,
  rejection: Rejection = OLDER_SCHEMA_REFUSAL,
  retentionDays = 0,
): Promise<{ item: RejectedDelivery; body: Buffer; callId: string }> {
  const body = withFreshIds(bodyFixture(sample));
  const callId: string = JSON.parse(body.toString('utf8')).callId;
  const receivedAtMs = Date.parse(receivedAt);
  const delivery = { receivedAtMs, signedAt: Math.floor(receivedAtMs / 1000) - 1, rawBody: body };
  const item = toRejectedDelivery(
    delivery,
    { ...rejection, callId, contentType: 'application/json' },
    retentionDays,
  );
  await saveRejectedDelivery(store, item);
  return { item, body, callId };
}

describe('rejected list', () => {
  test('newest first across day partitions, within --since, with reason, callId and issues', async () => {
    // Prepare
    const now = Date.parse('2031-03-02T06:00:00.000Z');
    const today = await keepRejected('busy-outbound-api', '2031-03-02T05:00:00.000Z');
    const yesterday = await keepRejected('inbound-call-webhook', '2031-03-01T20:00:00.000Z', {
      reason: 'invalid',
      issues: [
        { path: 'requestType', message: 'must be "callStatus"' },
        { path: 'callDuration', message: 'is required' },
      ],
    });
    const older = await keepRejected('completed-inbound', '2031-02-28T10:00:00.000Z');

    // Act
    const lastDay = await runRecords(['rejected', 'list'], { now: () => now });
    const lastWeek = await runRecords(['rejected', 'list', '--since', '7d'], { now: () => now });

    // Assess
    expect(lastDay.code).toBe(0);
    expect(lastDay.stdout).toBe(
      [
        `${today.item.rejectionId}  invalid     ${today.callId}  direction: must be one of: inbound, outbound`,
        `${yesterday.item.rejectionId}  invalid     ${yesterday.callId}  requestType: must be "callStatus"; callDuration: is required`,
        `2 rejected deliveries since 2031-03-01T06:00:00.000Z (24h) in ${store.rejectedTable}`,
        '',
      ].join('\n'),
    );
    expect(
      lastWeek.stdout
        .split('\n')
        .slice(0, 3)
        .map((line) => line.split('  ')[0]),
    ).toEqual([today.item.rejectionId, yesterday.item.rejectionId, older.item.rejectionId]);
  });

  test('--json prints the items, and a bad --since is a usage error', async () => {
    // Prepare
    const now = Date.parse('2031-04-10T12:00:00.000Z');
    const kept = await keepRejected('busy-outbound-api', '2031-04-10T11:30:00.000Z');

    // Act
    const listed = await runRecords(['rejected', 'list', '--since', '90m', '--json'], { now: () => now });
    const wrong = await runRecords(['rejected', 'list', '--since', 'yesterday'], { now: () => now });

    // Assess
    expect(JSON.parse(listed.stdout)).toEqual([kept.item]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.split('\n')[0]).toBe(
      'freeclimb-records: --since yesterday: expected a duration like 90m, 24h or 7d',
    );
  });

  test.each([
    [['rejected', 'list', '--since', '99999999999d']],
    [['rejected', 'list', '--since', '367d']],
    [['rejected', 'replay', '--all', '--since', '10000000d']],
  ])('%j: beyond a year is a usage error, before any table is read', async (argv) => {
    // Prepare
    const localTargetsDir = '/nonexistent/local-targets';

    // Act
    const run = await runRecords(argv, { localTargetsDir, env: { DYNAMODB_PORT: '9' } });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe(
      `freeclimb-records: --since ${argv[argv.length - 1]}: the longest window is 366d (it is read one Query per day)`,
    );
  });
});

describe('rejected list and replay: what the sender wrote reaches the terminal escaped', () => {
  test("an issue's path made of the sender's keys, with an ESC sequence, a line break and a C1 CSI: one line per delivery", async () => {
    // Prepare: a signed body whose forbidden key sits under such a key (the path names both).
    const receivedAtMs = Date.parse('2031-05-20T10:00:00.000Z');
    const handle = createCallStatusHandler({ env: testEnv(), now: () => receivedAtMs });
    const sample = withFreshIds(bodyFixture('completed-inbound')).toString('utf8').trim();
    const body = `${sample.slice(0, -1)},"\\u001b]0;pwned\\u0007\\n\u009b2J":{"__proto__":1}}`;
    const response = await handle(
      signedEvent(body, { signedAt: Math.floor(receivedAtMs / 1000) }),
      lambdaContext,
    );
    expect(response.statusCode).toBe(422);
    const now = () => receivedAtMs + 60_000;
    const key = '\u001b]0;pwned\u0007\n\u009b2J';
    const shown = '\\u001b]0;pwned\\u0007\\n\\u009b2J.__proto__: is a forbidden key';

    // Act
    const listed = await runRecords(['rejected', 'list', '--since', '90m'], { now });
    const [item] = JSON.parse(
      (await runRecords(['rejected', 'list', '--since', '90m', '--json'], { now })).stdout,
    );
    const replayed = await runRecords(['rejected', 'replay', item.rejectionId], { now });

    // Assess
    expect(item.issues).toEqual([{ path: `${key}.__proto__`, message: 'is a forbidden key' }]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toHaveLength(2 + 1);
    expect(listed.stdout.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(listed.stdout).toContain(`${item.rejectionId}  invalid     ${item.callId}  ${shown}\n`);
    expect(replayed.code).toBe(1);
    expect(replayed.stdout.split('\n')).toHaveLength(2 + 1);
    expect(replayed.stdout.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    expect(replayed.stdout).toContain(`${item.rejectionId}  ${item.callId}  still invalid: ${shown}\n`);
  });
});

describe('rejected replay', () => {
  test('--all stores what the current schema accepts with its first receive time; twice stores nothing new', async () => {
    // Prepare
    const now = Date.parse('2032-05-10T12:00:00.000Z');
    const accepted = await keepRejected(
      'busy-outbound-api',
      '2032-05-10T09:15:00.123Z',
      OLDER_SCHEMA_REFUSAL,
      30,
    );
    const refused = await keepRejected('inbound-call-webhook', '2032-05-10T10:00:00.000Z');

    // Act
    const first = await runRecords(['rejected', 'replay', '--all', '--since', '1d'], { now: () => now });
    const storedAfterFirst = await readCall(store, accepted.callId);
    const second = await runRecords(['rejected', 'replay', '--all', '--since', '1d'], {
      now: () => now + 60_000,
    });
    const listed = await runRecords(['rejected', 'list'], { now: () => now + 120_000 });

    // Assess
    expect(first.code).toBe(1);
    expect(first.stdout.split('\n')).toEqual([
      `${accepted.item.rejectionId}  ${accepted.callId}  stored`,
      `${refused.item.rejectionId}  ${refused.callId}  still invalid: requestType: must be "callStatus"; ` +
        'callStatus: must be one of: completed, busy, failed, noAnswer, canceled; callEndedReason: is required; ' +
        'callDuration: is required',
      `Replayed 2 from ${store.rejectedTable}: 1 stored, 1 still invalid`,
      '',
    ]);
    const receivedAtSeconds = Math.floor(Date.parse('2032-05-10T09:15:00.123Z') / 1000);
    expect(storedAfterFirst).toEqual(
      expect.objectContaining({
        callId: accepted.callId,
        direction: 'outboundAPI',
        receivedAt: '2032-05-10T09:15:00.123Z',
        signedAt: new Date((receivedAtSeconds - 1) * 1000).toISOString(),
        rawBody: accepted.body.toString('utf8'),
        expiresAt: receivedAtSeconds + 30 * 86_400,
      }),
    );
    expect(await readCall(store, refused.callId)).toBeUndefined();

    expect(second.code).toBe(1);
    expect(second.stdout.split('\n')[0]).toBe(
      `${accepted.item.rejectionId}  ${accepted.callId}  already there`,
    );
    expect(second.stdout).toContain(': 1 already there, 1 still invalid\n');
    expect(await readCall(store, accepted.callId)).toEqual(storedAfterFirst);
    expect(await getRejectedDelivery(store, accepted.item.rejectionId)).toEqual({
      ...accepted.item,
      replayedAt: '2032-05-10T12:01:00.000Z',
      replayOutcome: 'duplicate',
    });
    expect(await getRejectedDelivery(store, refused.item.rejectionId)).toEqual(
      expect.objectContaining({ replayedAt: '2032-05-10T12:01:00.000Z', replayOutcome: 'invalid' }),
    );
    expect(listed.stdout.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(/ {2}\[replayed 2032-05-10T12:01:00\.000Z: still invalid\]$/),
      expect.stringMatching(/ {2}\[replayed 2032-05-10T12:01:00\.000Z: already there\]$/),
    ]);
  });

  test('one id: stored, exit 0, --json reports it', async () => {
    // Prepare
    const kept = await keepRejected('with-recording', '2032-06-01T08:00:00.000Z');

    // Act
    const run = await runRecords(['rejected', 'replay', kept.item.rejectionId, '--json']);

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { rejectionId: kept.item.rejectionId, callId: kept.callId, outcome: 'stored' },
    ]);
    expect(await readCall(store, kept.callId)).toEqual(
      expect.objectContaining({
        receivedAt: '2032-06-01T08:00:00.000Z',
        rawBody: kept.body.toString('utf8'),
      }),
    );
  });

  test('a conflict whose call is stored is reported "already there (different body kept)" and changes nothing', async () => {
    // Prepare
    const handle = createCallStatusHandler({ env: testEnv(), now: clockAt(2) });
    const original = withFreshIds(bodyFixture('completed-inbound'));
    const callId: string = JSON.parse(original.toString('utf8')).callId;
    expect((await handle(signedEvent(original), lambdaContext)).statusCode).toBe(204);
    const stored = await readCall(store, callId);
    const differing = Buffer.from(
      original.toString('utf8').replace('"callDuration":47', '"callDuration":48'),
    );
    const item = toRejectedDelivery(
      { receivedAtMs: Date.parse('2032-07-01T08:00:00.000Z'), rawBody: differing },
      {
        reason: 'conflict',
        issues: [{ path: 'callId', message: 'is already stored with a different body' }],
        callId,
      },
      0,
    );
    await saveRejectedDelivery(store, item);

    // Act
    const run = await runRecords(['rejected', 'replay', item.rejectionId]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      `${item.rejectionId}  ${callId}  already there (different body kept)`,
    );
    expect(await readCall(store, callId)).toEqual(stored);
  });

  test('--all --dry-run reads the whole table and writes nothing', async () => {
    // Prepare
    const kept = await keepRejected('zero-length-recording', '2032-08-01T08:00:00.000Z');

    // Act
    const run = await runRecords(['rejected', 'replay', '--all', '--dry-run', '--json']);

    // Assess
    const results = JSON.parse(run.stdout) as Array<{ rejectionId: string; outcome: string }>;
    expect(results).toContainEqual({
      rejectionId: kept.item.rejectionId,
      callId: kept.callId,
      outcome: 'valid',
    });
    const ids = results.map((result) => result.rejectionId);
    expect(ids).toEqual([...ids].sort());
    expect(await readCall(store, kept.callId)).toBeUndefined();
    expect(await getRejectedDelivery(store, kept.item.rejectionId)).toEqual(kept.item);
  });

  test('errors: an unknown id, a malformed id, and neither ids nor --all', async () => {
    // Prepare
    const unknown = '2032-09-01T08:00:00.000Z#0123456789abcdef';

    // Act
    const missing = await runRecords(['rejected', 'replay', unknown]);
    const malformed = await runRecords(['rejected', 'replay', 'CA123']);
    const neither = await runRecords(['rejected', 'replay']);

    // Assess
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `freeclimb-records: No rejected delivery ${unknown} in ${store.rejectedTable}\n`,
    });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.split('\n')[0]).toBe(
      'freeclimb-records: "CA123" is not a rejection id: expected <ISO time>#<16 hex digits>, as "rejected list" prints them',
    );
    expect(neither.code).toBe(2);
    expect(neither.stderr.split('\n')[0]).toBe(
      'freeclimb-records: rejected replay needs rejection ids (as "rejected list" prints them) or --all',
    );
  });
});
