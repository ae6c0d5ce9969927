import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { benchSecret, freshBody, signedHeaders } from '../../bench/workload';
import { freePort } from '../../local/free-port';
import { DUMMY_CREDENTIALS } from '../../local/local-dynamodb';
import { LOCAL_TARGETS_DIR } from '../../local/local-target';
import { PROJECT_ROOT } from '../../local/service-definition';
import { type CliRun, runRecords } from '../support/cli';
import {
  callResource,
  DEFAULT_CALL_DETAILS,
  type FakeFreeClimb,
  startFakeFreeClimb,
} from '../support/fake-freeclimb';
import { waitUntil } from '../support/wait-until';

// `npm start -- --engine dynamodb-local`: the webhook served on AWS's emulator, started by npm start itself,
// enriching each new record from the calls table's stream against a FreeClimb-shaped API (FREECLIMB_API_KEY,
// FREECLIMB_API_URL); read back with the operator CLI as a user would. Started once for every scenario here,
// beside an npm start on dynalite, which has no streams.

const API_KEY = 'fc_test_key_93a4b5c6d7e8f90a1b2c3d4e5f607182';
const secret = benchSecret();

interface Started {
  child: ChildProcess;
  stdout: string;
  stderr: string;
}

let fake: FakeFreeClimb;
let dynamodbLocal: Started;
let dynalite: Started;
let banner = '';
let dynamodbPort = '';

/** Spawns npm start and resolves once it prints "Ctrl-C stops."; rejects if it exits first. */
async function npmStart(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), ['local/start.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: Started = { child, stdout: '', stderr: '' };
  child.stderr?.on('data', (chunk: Buffer) => {
    started.stderr += chunk.toString('utf8');
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    started.stdout += chunk.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => {
      if (started.stdout.includes('Ctrl-C stops.')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`npm start exited with ${code}:\n${started.stderr}${started.stdout}`)),
    );
  });
  return started;
}

async function stop(started: Started | undefined): Promise<number | null> {
  if (started === undefined) return null;
  if (started.child.exitCode !== null) return started.child.exitCode;
  const exit = once(started.child, 'exit');
  started.child.kill('SIGINT');
  const [code] = await exit;
  return code as number | null;
}

beforeAll(async () => {
  fake = await startFakeFreeClimb({ apiKey: API_KEY });
  dynamodbPort = String(await freePort());
  const enrichment = { FREECLIMB_API_KEY: API_KEY, FREECLIMB_API_URL: fake.url };
  [dynamodbLocal, dynalite] = await Promise.all([
    npmStart(['--engine', 'dynamodb-local', '--in-memory'], {
      ...enrichment,
      DYNAMODB_PORT: dynamodbPort,
      FREECLIMB_SIGNING_SECRET: secret,
    }),
    npmStart(['--in-memory'], { ...enrichment, DYNAMODB_PORT: String(await freePort()) }),
  ]);
  banner = dynamodbLocal.stdout;
  await stop(dynalite);
}, 90_000);

afterAll(async () => {
  await Promise.all([stop(dynamodbLocal), stop(dynalite)]);
  await fake?.close();
});

/** The freeclimb-records CLI as a user runs it beside this npm start (found by its DYNAMODB_PORT). */
function records(argv: string[]): Promise<CliRun> {
  return runRecords(argv, {
    env: { TZ: 'UTC', DYNAMODB_PORT: dynamodbPort, FREECLIMB_API_KEY: API_KEY, FREECLIMB_API_URL: fake.url },
    localTargetsDir: LOCAL_TARGETS_DIR,
  });
}

/** Calls npm start enriched by itself (the first deliveries), which `enrich` must then skip. */
const enrichedByNpmStart: string[] = [];

/**
 * A signed delivery of a fresh call to npm start's webhook. The fake knows the call unless `known` is false,
 * and refuses the key for it (401) with `refused`, from before the delivery on.
 */
async function deliver(
  options: { known?: boolean; refused?: boolean } = {},
): Promise<{ callId: string; accountId: string; status: number }> {
  const url = /Webhook\s+POST\s+(\S+)/.exec(banner)?.[1] as string;
  const body = freshBody(0);
  const { callId, accountId } = JSON.parse(body.toString('utf8'));
  if (options.known !== false) fake.setCall(callResource(callId, accountId));
  if (options.refused) fake.fail({ status: 401 }, { callId });
  const response = await fetch(url, { method: 'POST', headers: signedHeaders(body, secret), body });
  return { callId, accountId, status: response.status };
}

/** `get <callId> --json`, parsed. */
async function getCall(callId: string): Promise<Record<string, unknown>> {
  const run = await records(['get', callId, '--json']);
  if (run.code !== 0) throw new Error(`get ${callId} exited with ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

test('the banner names DynamoDB Local as the engine', () => {
  // Assess
  expect(banner).toMatch(/DynamoDB\s+http:\/\/127\.0\.0\.1:\d+ \(DynamoDB Local, AWS's emulator;/);
});

test('the banner says enrichment is on, against which API, with the local retry schedule, and never shows the key', () => {
  // Assess
  expect(banner).toContain(
    `  Enrichment      on: FreeClimb's API at ${fake.url}, key from FREECLIMB_API_KEY (not shown); ` +
      'retries after 1 s, doubling, at most 30 s apart\n',
  );
  expect(`${dynamodbLocal.stdout}${dynamodbLocal.stderr}`).not.toContain(API_KEY);
});

test('a signed delivery is answered 204 and stored in DynamoDB Local, whose tables have their TTL on', async () => {
  // Prepare
  const endpoint = /DynamoDB\s+(http:\/\/\S+)/.exec(banner)?.[1] as string;
  const callsTable = /Calls table\s+(\S+)/.exec(banner)?.[1] as string;
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: DUMMY_CREDENTIALS }),
  );

  // Act
  const { callId, status } = await deliver();
  enrichedByNpmStart.push(callId);
  const { Item } = await doc.send(new GetCommand({ TableName: callsTable, Key: { callId } }));
  const { TimeToLiveDescription } = await doc.send(new DescribeTimeToLiveCommand({ TableName: callsTable }));
  doc.destroy();

  // Assess
  expect(status).toBe(204);
  expect(Item?.callId).toBe(callId);
  expect(Item?.rawBody).toEqual(expect.stringContaining(callId));
  expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
});

test('a delivery of a call FreeClimb knows: get --json shows FreeClimb’s details within a minute', async () => {
  // Act
  const { callId, status } = await deliver();
  enrichedByNpmStart.push(callId);
  const { value: call, ms } = await waitUntil(
    'details in get --json',
    async () => {
      const stored = await getCall(callId);
      return stored.details === undefined ? undefined : stored;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  process.stdout.write(`npm start enriched a delivery ${(ms / 1000).toFixed(2)} s after its 204\n`);

  // Assess
  expect(status).toBe(204);
  expect(call.details).toEqual({
    ...DEFAULT_CALL_DETAILS,
    enrichedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
  });
  expect(fake.requestsFor(callId)).toBe(1);
  expect(dynamodbLocal.stdout).toContain(`enrich ${callId} → enriched (completed, talk time 41 s)`);
}, 70_000);

describe('calls FreeClimb does not know, or refuses, stay unenriched without a retry storm; enrich completes them', () => {
  let unknown: { callId: string; accountId: string };
  let refused: { callId: string; accountId: string };

  beforeAll(async () => {
    // A call FreeClimb does not know: three 404s (after 0, 1 and 3 s), then the dead-letter line.
    unknown = await deliver({ known: false });
    await waitUntil(
      'the dead-letter line',
      () => (dynamodbLocal.stderr.includes(unknown.callId) ? true : undefined),
      { timeoutMs: 20_000 },
    );
    // Then one whose request FreeClimb refuses (401): the whole run pauses its requests for 5 minutes.
    refused = await deliver({ refused: true });
    await sleep(3000);
  }, 40_000);

  test('the unknown call: three requests in all, one dead-letter line with the reason, which the record keeps', async () => {
    // Act
    const call = await getCall(unknown.callId);

    // Assess
    const reason = 'FreeClimb does not know this call (404 on 3 attempts)';
    expect(fake.requestsFor(unknown.callId)).toBe(3);
    expect(call.details).toBeUndefined();
    expect(call.enrichment).toEqual({ gaveUpAt: expect.any(String), reason, attempts: 3 });
    const lines = dynamodbLocal.stderr.split('\n').filter((line) => line.includes(unknown.callId));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^ERROR enrichment gave up on job \\{"callId":"${unknown.callId}",.*\\}: `),
      ),
    ]);
    expect(lines[0]?.endsWith(`${reason} (local dead-letter queue)`)).toBe(true);
  });

  test('the refused call: one request in 3 s, one line saying the key was refused, no details', async () => {
    // Act
    const call = await getCall(refused.callId);

    // Assess
    expect(fake.requestsFor(refused.callId)).toBe(1);
    expect(call.details).toBeUndefined();
    expect(dynamodbLocal.stderr.match(/ERROR FreeClimb refused the API key \(401\)/g)).toHaveLength(1);
    expect(dynamodbLocal.stderr).toContain(
      'ERROR FreeClimb refused the API key (401): check FREECLIMB_API_KEY; no request to FreeClimb for 300 s',
    );
  });

  test('once FreeClimb knows them, enrich completes both, skips the enriched ones, and the CSV has the talk time', async () => {
    // Prepare
    fake.heal(refused.callId);
    fake.setCall(callResource(unknown.callId, unknown.accountId));

    // Act
    const enrich = await records(['enrich', '--since', '1h']);
    const csv = await records(['calls', '--since', '1h', '--csv']);

    // Assess
    expect(enrich.code).toBe(0);
    const lines = enrich.stdout.trim().split('\n');
    expect(lines.slice(0, -1).sort()).toEqual(
      [
        `${unknown.callId}  enriched: completed, talk time 41 s of 47 s, answered by human, caller ACME SUPPORT`,
        `${refused.callId}  enriched: completed, talk time 41 s of 47 s, answered by human, caller ACME SUPPORT`,
        ...enrichedByNpmStart.map((callId) => `${callId}  already enriched (FreeClimb not asked)`),
      ].sort(),
    );
    expect(fake.requestsFor(unknown.callId)).toBe(4);
    expect(fake.requestsFor(refused.callId)).toBe(2);
    expect((await getCall(unknown.callId)).details).toEqual(expect.objectContaining({ connectDuration: 41 }));
    const [header, ...rows] = csv.stdout.trim().split('\r\n');
    const column = header?.split(',').indexOf('connectDuration') ?? -1;
    const talkTimes = rows
      .filter((row) => row.startsWith(unknown.callId) || row.startsWith(refused.callId))
      .map((row) => row.split(',')[column]);
    expect(talkTimes).toEqual(['41', '41']);
  });
});

test('Ctrl-C stops npm start cleanly (exit 0), dropping the retry still waiting and saying how to finish', async () => {
  // Act
  const code = await stop(dynamodbLocal);

  // Assess
  expect(code).toBe(0);
  expect(dynamodbLocal.stdout).toMatch(/SIGINT: stopping\n/);
  expect(dynamodbLocal.stdout).toContain(
    '1 enrichment attempt still to come was dropped: "npx freeclimb-records enrich" finishes any record left without details',
  );
});

test('on dynalite, one line says enrichment needs --engine dynamodb-local, and nothing else changes', () => {
  // Assess
  const notice =
    'Enrichment off: it needs --engine dynamodb-local (dynalite has no DynamoDB Streams); FREECLIMB_API_KEY is not used';
  expect(dynalite.stdout.split('\n').filter((line) => /enrich/i.test(line))).toEqual([notice]);
  expect(dynalite.stdout.startsWith(`${notice}\n\nFreeClimb call records, running locally`)).toBe(true);
  expect(dynalite.stdout).toMatch(/DynamoDB\s+http:\/\/127\.0\.0\.1:\d+ \(dynalite;/);
});
