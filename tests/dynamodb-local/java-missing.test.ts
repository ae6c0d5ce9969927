import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { JAVA_MISSING_MESSAGE } from '../../local/dynamodb-local';
import { PROJECT_ROOT } from '../../local/service-definition';
import { runJestWithPath } from '../support/nested-jest';

// Whatever needs DynamoDB Local stops with one line saying how to install Java; it is never skipped.
// Run with a PATH that holds only the Node that runs these tests: no java on it.

const NODE_ONLY_PATH = path.dirname(process.execPath);

async function runWithoutJava(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: { PATH: NODE_ONLY_PATH, HOME: process.env.HOME, PORT: '0', DYNAMODB_PORT: '0' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

test('npm start -- --engine dynamodb-local without Java stops with one line that says how to install it', async () => {
  // Act
  const run = await runWithoutJava([
    path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    'local/start.ts',
    '--engine',
    'dynamodb-local',
    '--in-memory',
  ]);

  // Assess
  expect(run).toEqual({ code: 1, stdout: '', stderr: `npm start: ${JAVA_MISSING_MESSAGE}\n` });
  expect(JAVA_MISSING_MESSAGE).toMatch(/apt-get install openjdk-17-jre-headless/);
});

test('the DynamoDB Local tests without Java fail the run with the same one line, not a skip', async () => {
  // Act
  const run = await runJestWithPath('tests/dynamodb-local/tables.test.ts', 'dynamodb-local', NODE_ONLY_PATH);

  // Assess
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`npm test: ${JAVA_MISSING_MESSAGE}`]);
});
