import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';

/**
 * moto's AWS emulator (`moto_server`, Python: `pip install "moto[server]"`) as a child process on a free
 * loopback port, for what DynamoDB Local does not serve (SSM, CloudWatch Logs). Empty when it starts.
 */

/** The one line that tells a user without moto's server what to do. */
export const MOTO_SERVER_MISSING_MESSAGE =
  'moto_server (moto\'s AWS emulator) is not on PATH: install it (pip install "moto[server]") and try again';

/** Thrown when `moto_server` is not on PATH. */
export class MotoServerMissingError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(MOTO_SERVER_MISSING_MESSAGE, options);
    this.name = 'MotoServerMissingError';
  }
}

/** Thrown when the server exits or stays silent instead of answering; the message carries its output. */
export class MotoServerStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MotoServerStartError';
  }
}

export interface MotoServer {
  endpoint: string;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Starts `moto_server` and resolves once it answers HTTP. `environment` adds variables for the server only
 * (e.g. `MOTO_RECORDER_FILEPATH`, where its request recorder writes).
 */
export async function startMotoServer(environment: Record<string, string> = {}): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...environment },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A jest worker that exits without closing must not leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, endpoint, () => output);
  } catch (error) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    close: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      await exit;
    },
  };
}

async function waitUntilReady(child: ChildProcess, endpoint: string, output: () => string): Promise<void> {
  let exited: number | string | null | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ?? code;
  });
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError?.code === 'ENOENT') throw new MotoServerMissingError({ cause: spawnError });
    if (spawnError) throw new MotoServerStartError(`moto_server could not be started: ${spawnError.message}`);
    // 127: a shim (pyenv) whose interpreter has no moto_server.
    if (exited === 127) throw new MotoServerMissingError({ cause: new Error(output().trim()) });
    if (exited !== undefined) {
      throw new MotoServerStartError(`moto_server exited (${exited}) before answering:\n${output().trim()}`);
    }
    try {
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new MotoServerStartError(
    `moto_server did not answer on ${endpoint} within 30 s:\n${output().trim()}`,
  );
}
