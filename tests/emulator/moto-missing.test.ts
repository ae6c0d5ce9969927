import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../local/service-definition';
import { MOTO_SERVER_MISSING_MESSAGE } from '../support/moto-server';

// The emulator tests stop with one line saying how to install moto's server; they are never skipped.
// Run with a PATH that holds only the Node that runs these tests: no moto_server on it.

test('the emulator tests without moto_server fail the run with one line that says how to install it', async () => {
  // Act
  const run = await promisify(execFile)(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--selectProjects',
      'emulator',
      'tests/emulator/serverless-deploy.test.ts',
    ],
    { cwd: PROJECT_ROOT, env: { PATH: path.dirname(process.execPath), HOME: process.env.HOME } },
  ).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );

  // Assess
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`npm test: ${MOTO_SERVER_MISSING_MESSAGE}`]);
  expect(MOTO_SERVER_MISSING_MESSAGE).toContain('pip install "moto[server]"');
}, 120_000);
