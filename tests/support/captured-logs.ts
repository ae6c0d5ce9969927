import { Logger } from '@aws-lambda-powertools/logger';

/** A logger at INFO whatever the environment says, for tests that read the log lines. */
export function infoLogger(): Logger {
  return new Logger({ serviceName: 'freeclimb-call-records-test', logLevel: 'INFO' });
}

/** Runs `act` with stdout and stderr captured, keeping every JSON log line written meanwhile. */
export async function withCapturedLogs<T>(
  act: () => Promise<T>,
): Promise<{ result: T; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) {
        if (line.startsWith('{')) {
          logs.push(JSON.parse(line));
        }
      }
      return true;
    }) as typeof stream.write;
  }
  try {
    return { result: await act(), logs };
  } finally {
    streams.forEach((stream, index) => {
      stream.write = originals[index] as typeof stream.write;
    });
  }
}
