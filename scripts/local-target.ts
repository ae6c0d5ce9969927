import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './service-definition';

/**
 * What `npm start` is serving, written while it runs so that the operator CLI finds the local engine and
 * its tables without running `serverless print` again (seconds per command). Removed on a clean exit.
 */
export interface LocalTarget {
  /** The engine's endpoint, e.g. `http://127.0.0.1:8000`. */
  endpoint: string;
  region: string;
  callsTable: string;
  rejectedTable: string;
  webhookUrl: string;
  /** The `npm start` process that wrote it: only that process removes it. */
  pid: number;
}

/** Where `npm start` records its target (under the git-ignored data directory). */
export const LOCAL_TARGET_FILE = path.join(PROJECT_ROOT, '.data', 'local-target.json');

/** Records the running local target; the last `npm start` wins. */
export function writeLocalTarget(target: LocalTarget, file = LOCAL_TARGET_FILE): void {
  writeFileSync(file, `${JSON.stringify(target, null, 2)}\n`);
}

/** The recorded target, or undefined when none is recorded (or the file is not one of ours). */
export function readLocalTarget(file = LOCAL_TARGET_FILE): LocalTarget | undefined {
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
  ];
  return strings.every((value) => typeof value === 'string' && value !== '')
    ? (parsed as LocalTarget)
    : undefined;
}

/** Removes the record, unless a later `npm start` has replaced it with its own. */
export function removeLocalTarget(pid: number, file = LOCAL_TARGET_FILE): void {
  if (readLocalTarget(file)?.pid === pid) rmSync(file, { force: true });
}
