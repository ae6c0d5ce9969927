import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from './service-definition';

/**
 * What one `npm start` is serving, written while it runs so that the operator CLI finds the local engine
 * and its tables without running `serverless print` again (seconds per command). Each run writes its own
 * file, named for its pid, and removes only that one on exit, so stopping one run never hides another.
 */
export interface LocalTarget {
  /** The engine's endpoint, e.g. `http://127.0.0.1:8000`. */
  endpoint: string;
  region: string;
  callsTable: string;
  rejectedTable: string;
  webhookUrl: string;
  /** The `npm start` process that wrote it: its file is `<pid>.json`, and only it removes that file. */
  pid: number;
  /** When that run started (ISO): with two runs alive, the CLI takes the later one. */
  startedAt: string;
}

/** Where the running `npm start`s record their targets (under the git-ignored data directory). */
export const LOCAL_TARGETS_DIR = path.join(PROJECT_ROOT, '.data', 'local-targets');

/** Records one run's target as `<dir>/<pid>.json`; returns that file. */
export function writeLocalTarget(target: LocalTarget, dir = LOCAL_TARGETS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${target.pid}.json`);
  writeFileSync(file, `${JSON.stringify(target, null, 2)}\n`);
  return file;
}

/** Removes the record of run `pid`, and nothing else. */
export function removeLocalTarget(pid: number, dir = LOCAL_TARGETS_DIR): void {
  rmSync(path.join(dir, `${pid}.json`), { force: true });
}

/** Every well-formed record in `dir` (a file not named for its own pid is not one of ours). */
export function readLocalTargets(dir = LOCAL_TARGETS_DIR): LocalTarget[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const target = readRecord(path.join(dir, name));
    return target !== undefined && `${target.pid}.json` === name ? [target] : [];
  });
}

function readRecord(file: string): LocalTarget | undefined {
  let parsed: Partial<LocalTarget>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const strings = [
    parsed.endpoint,
    parsed.region,
    parsed.callsTable,
    parsed.rejectedTable,
    parsed.webhookUrl,
    parsed.startedAt,
  ];
  return strings.every((value) => typeof value === 'string' && value !== '') && Number.isInteger(parsed.pid)
    ? (parsed as LocalTarget)
    : undefined;
}

/** The run the CLI should use, and any other live ones (for a note on which was taken). */
export interface FoundLocalTarget {
  target?: LocalTarget;
  others: LocalTarget[];
}

export interface FindOptions {
  /** DYNAMODB_PORT: take the live run whose engine listens there. */
  port?: string;
  isAlive?: (pid: number) => boolean;
  answers?: (endpoint: string) => Promise<boolean>;
}

/**
 * Picks a live `npm start`: records of runs whose process is gone (killed before they could remove their
 * file) are skipped. With DYNAMODB_PORT, the run on that port. With several alive, the latest started whose
 * engine answers (a pid reused by some other process leaves a record whose engine does not), else the
 * latest started.
 */
export async function findLocalTarget(
  dir = LOCAL_TARGETS_DIR,
  options: FindOptions = {},
): Promise<FoundLocalTarget> {
  const isAlive = options.isAlive ?? processAlive;
  const live = readLocalTargets(dir)
    .filter((target) => isAlive(target.pid))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  if (options.port !== undefined && options.port !== '') {
    // Asked for by port: the others are no news to whoever set it.
    return { target: live.find((target) => new URL(target.endpoint).port === options.port), others: [] };
  }
  if (live.length <= 1) return { target: live[0], others: [] };
  const answers = options.answers ?? endpointAnswers;
  const answering = await Promise.all(live.map((target) => answers(target.endpoint)));
  const target = live[answering.indexOf(true)] ?? live[0];
  return { target, others: live.filter((other) => other !== target) };
}

/** Signal 0 checks existence only; EPERM means it exists but belongs to someone else. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether something accepts a connection at `endpoint` within a second. */
export function endpointAnswers(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1000);
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
