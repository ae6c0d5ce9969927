import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { benchSecret, freshBody, signedHeaders } from '../../bench/workload';
import { freePort } from '../../local/free-port';
import { DUMMY_CREDENTIALS } from '../../local/local-dynamodb';
import { PROJECT_ROOT } from '../../local/service-definition';

// `npm start -- --engine dynamodb-local`: the webhook served on AWS's emulator, started by npm start itself.

let child: ChildProcess;
let banner = '';
const secret = benchSecret();

/** Resolves with the banner once npm start prints "Ctrl-C stops."; rejects if it exits first. */
function bannerPrinted(started: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let errors = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    });
    started.stdout?.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
      if (banner.includes('Ctrl-C stops.')) resolve(banner);
    });
    started.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${errors}${banner}`)));
  });
}

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(await freePort()),
    DYNAMODB_PORT: String(await freePort()),
  };
  env.FREECLIMB_SIGNING_SECRET = secret;
  child = spawn(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
    ['local/start.ts', '--engine', 'dynamodb-local', '--in-memory'],
    { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await bannerPrinted(child);
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGINT');
    await once(child, 'exit');
  }
});

test('the banner names DynamoDB Local as the engine', () => {
  // Assess
  expect(banner).toMatch(/DynamoDB\s+http:\/\/127\.0\.0\.1:\d+ \(DynamoDB Local, AWS's emulator;/);
});

test('a signed delivery is answered 204 and stored in DynamoDB Local, whose tables have their TTL on', async () => {
  // Prepare
  const url = /Webhook\s+POST\s+(\S+)/.exec(banner)?.[1] as string;
  const endpoint = /DynamoDB\s+(http:\/\/\S+)/.exec(banner)?.[1] as string;
  const callsTable = /Calls table\s+(\S+)/.exec(banner)?.[1] as string;
  const body = freshBody(0);
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: DUMMY_CREDENTIALS }),
  );

  // Act
  const response = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(body, secret),
    body,
  });
  const { Item } = await doc.send(
    new GetCommand({ TableName: callsTable, Key: { callId: JSON.parse(body.toString()).callId } }),
  );
  const { TimeToLiveDescription } = await doc.send(new DescribeTimeToLiveCommand({ TableName: callsTable }));
  doc.destroy();

  // Assess
  expect(response.status).toBe(204);
  expect(Item?.rawBody).toBe(body.toString('utf8'));
  expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
});
