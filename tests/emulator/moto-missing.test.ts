import path from 'node:path';
import { MOTO_SERVER_MISSING_MESSAGE } from '../support/moto-server';
import { runJestWithPath } from '../support/nested-jest';

// The emulator tests stop with one line saying how to install moto's server; they are never skipped.
// Run with a PATH that holds only the Node that runs these tests: no moto_server on it.

test('the emulator tests without moto_server fail the run with one line that says how to install it', async () => {
  // Prepare
  const nodeOnly = path.dirname(process.execPath);

  // Act
  const run = await runJestWithPath('tests/emulator/serverless-deploy.test.ts', 'emulator', nodeOnly);

  // Assess
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`npm test: ${MOTO_SERVER_MISSING_MESSAGE}`]);
  expect(MOTO_SERVER_MISSING_MESSAGE).toContain('pip install "moto[server]"');
}, 120_000);
