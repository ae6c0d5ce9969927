import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCallStatusHandler } from '../../../lib/call-status-service';
import { type LocalServer, startLocalServer } from '../../../local/local-server';
import { runRecords, testLocalTargetsDir } from '../../support/cli';
import { freePort } from '../../support/free-port';
import { bodyFixture, freshId, readCall, testEnv, testStore, withFreshIds } from '../../support/webhook';

// `freeclimb-records send` against the local server (the API Gateway stand-in of `npm start`) in front of
// the real handler and the jest engine, over HTTP.

const SECRET = `sigsec_test_${randomBytes(16).toString('hex')}`;
const ROUTE = { method: 'POST', path: '/freeclimb/call-status' };
const store = testStore();
let server: LocalServer;

beforeAll(async () => {
  const handler = createCallStatusHandler({ env: testEnv({ FREECLIMB_SIGNING_SECRET: SECRET }) });
  server = await startLocalServer({
    port: 0,
    handler: (event, context) => handler(event, context),
    route: ROUTE,
    functionTimeoutSeconds: 15,
  });
});

afterAll(async () => {
  await server?.close();
});

function callIdsIn(stdout: string): string[] {
  return stdout.match(/CA[0-9a-f]{40}/g) ?? [];
}

describe('send', () => {
  test('with the right secret: 204 printed, exit 0, the sample stored under a fresh callId', async () => {
    // Prepare
    const args = ['send', '--url', server.webhookUrl, '--secret', SECRET];

    // Act
    const first = await runRecords(args);
    const second = await runRecords(args);

    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^204 No Content {2}CA[0-9a-f]{40} {2}\d+ ms\n$/);
    const [callId] = callIdsIn(first.stdout);
    expect(callIdsIn(second.stdout)).not.toEqual([callId]);
    expect(await readCall(store, callId ?? '')).toEqual(
      expect.objectContaining({ callId, callStatus: 'completed', direction: 'inbound' }),
    );
  });

  test('with the wrong secret: the 401 and its body printed, exit 1, nothing stored', async () => {
    // Prepare
    const args = ['send', '--url', server.webhookUrl, '--secret', 'sigsec_not_the_right_one'];

    // Act
    const run = await runRecords(args);

    // Assess
    expect(run.code).toBe(1);
    const [statusLine, body] = run.stdout.split('\n');
    expect(statusLine).toMatch(/^401 Unauthorized {2}CA[0-9a-f]{40} {2}\d+ ms$/);
    expect(JSON.parse(body ?? '')).toEqual({
      message: 'FreeClimb-Signature does not match the request body',
    });
    expect(await readCall(store, callIdsIn(run.stdout)[0] ?? '')).toBeUndefined();
  });

  test('FREECLIMB_SIGNING_SECRET with two secrets signs with each, as during a rotation', async () => {
    // Prepare
    const env = { FREECLIMB_SIGNING_SECRET: `sigsec_old_one,${SECRET}` };

    // Act
    const run = await runRecords(['send', '--url', server.webhookUrl], { env });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('204 ')).toBe(true);
  });

  test('a file is sent as its exact bytes', async () => {
    // Prepare
    const body = Buffer.from(
      `${withFreshIds(bodyFixture('no-answer-with-unknown-field')).toString('utf8')}\n`,
    );
    const file = path.join(tmpdir(), `body-${randomBytes(6).toString('hex')}.json`);
    writeFileSync(file, body);

    // Act
    const run = await runRecords(['send', '--url', server.webhookUrl, '--secret', SECRET, file]);

    // Assess
    expect(run.code).toBe(0);
    const callId = JSON.parse(body.toString('utf8')).callId;
    expect((await readCall(store, callId))?.rawBody).toBe(body.toString('utf8'));
  });

  test('--sample child-leg-outbound-dial --parent makes a leg of that call', async () => {
    // Prepare
    const parent = freshId('CA');

    // Act
    const run = await runRecords([
      'send',
      '--url',
      server.webhookUrl,
      '--secret',
      SECRET,
      '--sample',
      'child-leg-outbound-dial',
      '--parent',
      parent,
    ]);

    // Assess
    expect(run.code).toBe(0);
    const legs = await runRecords(['legs', parent, '--json']);
    expect(JSON.parse(legs.stdout).legs.map((leg: { callId: string }) => leg.callId)).toEqual(
      callIdsIn(run.stdout),
    );
  });

  test('--count: progress on stderr, a summary on stdout, every one stored', async () => {
    // Prepare
    const args = ['send', '--url', server.webhookUrl, '--secret', SECRET, '--count', '20', '--json'];

    // Act
    const run = await runRecords(args);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')).toEqual([
      ...[2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((sent) => `sent ${sent}/20, ${sent} ok`),
      '',
    ]);
    const results = JSON.parse(run.stdout) as Array<{ status: number; callId: string }>;
    expect(results.map((result) => result.status)).toEqual(Array(20).fill(204));
    expect(new Set(results.map((result) => result.callId)).size).toBe(20);
    for (const { callId } of results.slice(0, 3)) expect(await readCall(store, callId)).toBeDefined();
  });

  test.each(['UTC0', ':/etc/localtime', 'Mars/Olympus'])(
    'TZ=%s does not concern send: 204, exit 0',
    async (tz) => {
      // Prepare
      const args = ['send', '--url', server.webhookUrl, '--secret', SECRET];

      // Act
      const run = await runRecords(args, { env: { TZ: tz } });

      // Assess
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    },
  );

  test('without --url it sends to the webhook npm start recorded', async () => {
    // Prepare
    const localTargetsDir = testLocalTargetsDir(server.webhookUrl);

    // Act
    const run = await runRecords(['send', '--secret', SECRET], { localTargetsDir });

    // Assess
    expect(run.code).toBe(0);
    expect(await readCall(store, callIdsIn(run.stdout)[0] ?? '')).toBeDefined();
  });

  test('whatever answers at the URL, and the callId of a file: shown with control characters escaped', async () => {
    // Prepare: not the webhook, a server answering with terminal escape sequences over several lines; a
    // body file whose callId holds ESC (a JSON escape in the file).
    const answer = 'Bad gateway\n\u001b]0;pwned\u0007\u001b[2J\r\nretry\u009b31m';
    const other = createServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(answer);
    });
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    const file = path.join(tmpdir(), `body-${randomBytes(6).toString('hex')}.json`);
    writeFileSync(file, '{"callId":"CA\\u001b[2J"}');

    // Act
    const run = await runRecords(['send', '--url', url, '--secret', SECRET, file]);
    other.close();

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
    const lines = run.stdout.split('\n');
    expect(lines).toHaveLength(2 + 1);
    expect(lines[0]).toMatch(/^502 Bad Gateway {2}CA\\u001b\[2J {2}\d+ ms$/);
    expect(lines[1]).toBe('Bad gateway\\n\\u001b]0;pwned\\u0007\\u001b[2J\\r\\nretry\\u009b31m');
  });

  test('errors: nothing listening, no secret, an unknown sample', async () => {
    // Prepare
    const closedPort = await freePort();
    const url = `http://127.0.0.1:${closedPort}/freeclimb/call-status`;

    // Act
    const refused = await runRecords(['send', '--url', url, '--secret', SECRET]);
    const noSecret = await runRecords(['send', '--url', server.webhookUrl], { env: {} });
    const unknownSample = await runRecords(['send', '--url', url, '--secret', SECRET, '--sample', 'nope']);

    // Assess
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `freeclimb-records: Nothing is listening on ${url}: start it with "npm start", or check --url\n`,
    });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr.split('\n')[0]).toBe(
      'freeclimb-records: No signing secret: pass --secret <s> or set FREECLIMB_SIGNING_SECRET (npm start prints its own)',
    );
    expect(unknownSample.stderr.split('\n')[0]).toMatch(
      /^freeclimb-records: --sample nope: expected one of busy-outbound-api, .*completed-inbound/,
    );
  });
});
