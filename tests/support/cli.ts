import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliIo } from '../../scripts/cli/cli-io';
import { runCli } from '../../scripts/cli/main';
import { writeLocalTarget } from '../../scripts/local-target';
import { testTables } from './dynamodb';

/** What one CLI run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A local-target file, as `npm start` writes it, pointing at the jest engine and the test tables, in a
 * directory of its own so no test reads a developer's running `npm start`.
 */
export function testLocalTargetFile(webhookUrl = 'http://127.0.0.1:9/freeclimb/call-status'): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'freeclimb-records-')), 'local-target.json');
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!endpoint)
    throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: the jest global setup starts the engine');
  writeLocalTarget({ endpoint, region: 'us-east-1', ...testTables(), webhookUrl, pid: process.pid }, file);
  return file;
}

/** Runs `freeclimb-records <argv>` in this process, with its output captured. */
export async function runRecords(argv: string[], io: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: { TZ: 'America/Chicago' },
    now: Date.now,
    localTargetFile: io.localTargetFile ?? testLocalTargetFile(),
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
