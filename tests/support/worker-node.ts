import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Which Node each jest worker ran on. Every project's setup file notes its worker's version in the run's
 * directory; the global teardown prints one line, so a run shows the workers' Node, not only jest's own.
 */

const WORKER_NODE_FILE = 'worker-node-versions.txt';

/** In a worker (setup file): notes this process's id and Node version. */
export function recordWorkerNode(): void {
  const runDir = process.env.TEST_RUN_DIR;
  if (!runDir) throw new Error('TEST_RUN_DIR is not set: the jest global setup creates it');
  appendFileSync(path.join(runDir, WORKER_NODE_FILE), `${process.pid} ${process.version}\n`);
}

/**
 * E.g. "tests ran in 2 jest worker processes, on Node v24.21.0"; jest runs the files in its own process
 * (`mainPid`) when it has one worker at most. Undefined when no test file ran.
 */
export function workerNodeSummary(runDir: string, mainPid: number): string | undefined {
  const file = path.join(runDir, WORKER_NODE_FILE);
  if (!existsSync(file)) return undefined;
  const workers = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [pid, version] = line.split(' ');
    if (pid && version) workers.set(pid, version);
  }
  const versions = [...new Set(workers.values())].sort().join(' and ');
  const pids = [...workers.keys()];
  const where = pids.every((pid) => pid === String(mainPid))
    ? "jest's own process"
    : `${pids.length} jest worker ${pids.length === 1 ? 'process' : 'processes'}`;
  return `tests ran in ${where}, on Node ${versions}`;
}
