import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A local server run as a child process (AWS's DynamoDB Local in Java, moto's `moto_server` in Python):
 * started, awaited until it answers HTTP, and stopped, the same way for every one. What differs per server
 * is its command, how it proves it is up, and which error a failed start means: a tool that is not
 * installed gets its own one-line error saying what to install, anything else an error with the server's
 * last output.
 */

/** Why a start failed, with the tail of what the server printed (trimmed), for its caller to name. */
export type StartFailure =
  /** The command could not be run at all; `error.code` is `ENOENT` when it is not on PATH. */
  | { kind: 'spawn'; error: NodeJS.ErrnoException; output: string }
  /** The server exited before it answered. */
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; output: string }
  /** It neither answered nor exited within the ready timeout. */
  | { kind: 'timeout'; output: string };

export interface ServerProcessOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** The child's whole environment; this process's when absent. */
  env?: NodeJS.ProcessEnv;
  /** The request that proves the server is up: any HTTP answer counts, an error status too. */
  probe: { url: string; method: 'GET' | 'POST' };
  readyTimeoutMs: number;
  /** How long `close` waits after SIGTERM before it sends SIGKILL; as long as it takes when absent. */
  killAfterMs?: number;
  /** The error a failed start throws: the caller knows which failure means its tool is missing. */
  startError(failure: StartFailure): Error;
}

export interface ServerProcess {
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after `killAfterMs`) and resolves once it has exited. */
  close(): Promise<void>;
}

/** Only the tail matters for an error message; a banner and later lines are not kept forever. */
const OUTPUT_KEPT = 4000;
/** Each readiness request may take this long before it counts as no answer. */
const PROBE_TIMEOUT_MS = 1000;
const PROBE_INTERVAL_MS = 100;

/**
 * Spawns the server and resolves once it answers `probe`. A failed start kills the child and rejects with
 * what `startError` makes of the failure.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A jest worker or `npm start` that exits without closing must not leave a server (a JVM) behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);

  try {
    await waitUntilReady(child, options, () => output.trim());
  } catch (error) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    throw error;
  }
  return {
    pid: child.pid as number,
    close: async () => {
      process.off('exit', killOnExit);
      await stop(child, options.killAfterMs);
    },
  };
}

async function waitUntilReady(
  child: ChildProcess,
  options: ServerProcessOptions,
  output: () => string,
): Promise<void> {
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
  });
  const deadline = Date.now() + options.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw options.startError({ kind: 'spawn', error: spawnError, output: output() });
    if (exited) throw options.startError({ kind: 'exit', ...exited, output: output() });
    if (await answers(options.probe)) return;
    await sleep(PROBE_INTERVAL_MS);
  }
  throw options.startError({ kind: 'timeout', output: output() });
}

async function answers(probe: ServerProcessOptions['probe']): Promise<boolean> {
  try {
    await fetch(probe.url, { method: probe.method, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return true;
  } catch {
    return false;
  }
}

async function stop(child: ChildProcess, killAfterMs: number | undefined): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  try {
    await exit;
  } finally {
    clearTimeout(timer);
  }
}
