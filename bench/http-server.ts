import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { runInFlight, timed } from './in-flight';
import { benchSecret, freshBody, signedHeaders } from './workload';

export interface ThroughHttp {
  events: number;
  concurrency: number;
  perSecond: number;
}

/** How long `npm start` may take to print its banner (it runs `serverless print` first). */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts the local server exactly as `npm start -- --in-memory` does (its own process, its own dynalite, its
 * default log level, on spare loopback ports) and sends it `events` signed webhooks over HTTP with
 * `concurrency` in flight on keep-alive connections, as FreeClimb would.
 */
export async function measureThroughHttp(events: number, concurrency: number): Promise<ThroughHttp> {
  const [port, dynamodbPort] = [await sparePort(), await sparePort()];
  const secret = benchSecret();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DYNAMODB_PORT: String(dynamodbPort) };
  env.FREECLIMB_SIGNING_SECRET = secret;
  // As a user runs it: the benchmark's own silencing of logs and metrics does not apply to npm start.
  delete env.POWERTOOLS_LOG_LEVEL;
  delete env.POWERTOOLS_METRICS_DISABLED;
  const child = spawn(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(PROJECT_ROOT, 'local', 'start.ts'), '--in-memory'],
    { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const url = await waitForBanner(child);
    const send = (body: Buffer) => post(agent, url, body, signedHeaders(body, secret));
    let serial = 0;
    await runInFlight(Math.min(200, events), concurrency, () => send(freshBody(serial++)));
    const bodies = Array.from({ length: events }, () => freshBody(serial++));
    const ms = await timed(() => runInFlight(events, concurrency, (i) => send(bodies[i] as Buffer)));
    return { events, concurrency, perSecond: (events / ms) * 1000 };
  } finally {
    agent.destroy();
    await stop(child);
  }
}

/** The webhook URL from `npm start`'s banner, once it is serving; its output is drained from then on. */
async function waitForBanner(child: ChildProcess): Promise<string> {
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (output.length > 100_000) return;
      output += chunk.toString('utf8');
      const url = /Webhook\s+POST\s+(\S+)/.exec(output)?.[1];
      if (url !== undefined && output.includes('Ctrl-C stops.')) resolve(url);
    });
    child.once('exit', (code) =>
      reject(new BrokenBenchmarkError(`npm start exited with ${code} before serving:\n${errors || output}`)),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BrokenBenchmarkError('npm start did not serve within 60 s')),
      START_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function post(agent: Agent, url: string, body: Buffer, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } },
      (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === 204
            ? resolve()
            : reject(
                new BrokenBenchmarkError(`The local server answered ${res.statusCode} to a valid webhook`),
              ),
        );
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** A free loopback port: one the OS just handed out and that was released again. */
async function sparePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('No port from the OS');
  return address.port;
}

/** SIGTERM to the server's process group (tsx runs node as a child), then wait for it to be gone. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = once(child, 'exit');
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}
