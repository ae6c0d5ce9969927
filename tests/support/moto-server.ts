import { type StartFailure, startServerProcess } from '../../local/server-process';
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
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    command: 'moto_server',
    args: ['-H', '127.0.0.1', '-p', String(port)],
    env: { ...process.env, ...environment },
    probe: { url: `${endpoint}/moto-api/`, method: 'GET' },
    readyTimeoutMs: READY_TIMEOUT_MS,
    startError: (failure) => startError(failure, endpoint),
  });
  return { endpoint, close: server.close };
}

/** No `moto_server` to run is MotoServerMissingError; anything else carries the server's output. */
function startError(failure: StartFailure, endpoint: string): Error {
  switch (failure.kind) {
    case 'spawn':
      if (failure.error.code === 'ENOENT') return new MotoServerMissingError({ cause: failure.error });
      return new MotoServerStartError(`moto_server could not be started: ${failure.error.message}`);
    case 'exit':
      // 127: a shim (pyenv) whose interpreter has no moto_server.
      if (failure.code === 127) return new MotoServerMissingError({ cause: new Error(failure.output) });
      return new MotoServerStartError(
        `moto_server exited (${failure.signal ?? failure.code}) before answering:\n${failure.output}`,
      );
    case 'timeout':
      return new MotoServerStartError(
        `moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${failure.output}`,
      );
  }
}
