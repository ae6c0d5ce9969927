import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../cli/cli-io';
import { runCli } from '../../cli/main';
import { type LocalTarget, writeLocalTarget } from '../../local/local-target';
import { testTables } from './dynamodb';

/** What one CLI run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A directory of local-target records of its own, so no test reads a developer's running `npm start`. */
export function emptyLocalTargetsDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'freeclimb-records-'));
}

/** The jest engine and the test tables, recorded as a live `npm start` (this process) records them. */
export function jestEngineTarget(webhookUrl = 'http://127.0.0.1:9/freeclimb/call-status'): LocalTarget {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!endpoint)
    throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: the jest global setup starts the engine');
  const startedAt = new Date().toISOString();
  return { endpoint, region: 'us-east-1', ...testTables(), webhookUrl, pid: process.pid, startedAt };
}

/** A records directory holding the jest engine's record only. */
export function testLocalTargetsDir(webhookUrl?: string): string {
  const dir = emptyLocalTargetsDir();
  writeLocalTarget(jestEngineTarget(webhookUrl), dir);
  return dir;
}

/** Runs `freeclimb-records <argv>` in this process, with its output captured. */
export async function runRecords(argv: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: { TZ: 'America/Chicago' },
    now: Date.now,
    localTargetsDir: io.localTargetsDir ?? testLocalTargetsDir(),
    ...io,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}
