import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT, type ServiceDefinition } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';

export interface MemoryUse {
  events: number;
  concurrency: number;
  /** Peak resident set of the process after the engine started and the handler was built, before any event. */
  readyMaxRssBytes: number;
  /** Peak resident set after storing `events` webhooks. */
  maxRssBytes: number;
}

/** Name of the variable that hands the child the service definition, sparing it a `serverless print`. */
export const DEFINITION_VARIABLE = 'CALL_RECORDS_BENCH_DEFINITION';

/**
 * Peak RSS of the in-process write path (handler, client and dynalite in one process, as in the write-path
 * figure) after `events` webhooks, measured in a fresh child process so the other measurements do not count.
 */
export async function measureMemory(
  definition: ServiceDefinition,
  events: number,
  concurrency: number,
): Promise<MemoryUse> {
  const { stdout } = await promisify(execFile)(
    path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(__dirname, 'memory-run.ts'), String(events), String(concurrency)],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, [DEFINITION_VARIABLE]: JSON.stringify(definition) },
      maxBuffer: 1024 * 1024,
    },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as MemoryUse;
  } catch (error) {
    throw new BrokenBenchmarkError(`The memory run printed no result: ${stdout.slice(0, 500)}`, {
      cause: error,
    });
  }
}
