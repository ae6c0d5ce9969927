import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../local/service-definition';
import { CFN_LINT_MISSING_MESSAGE } from '../support/cfn-lint';

// Where cfn-lint is missing, the template tests stop the run with one line saying how to install it; they are
// never skipped. Run with a PATH that holds only the Node that runs these tests: no cfn-lint on it.

const NODE_ONLY_PATH = path.dirname(process.execPath);

test('the template tests without cfn-lint fail the run with one line that says how to install it', async () => {
  // Prepare
  const jest = path.join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const args = [jest, '--selectProjects', 'template', 'tests/template/throttling.test.ts'];

  // Act
  const run = await promisify(execFile)(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { PATH: NODE_ONLY_PATH, HOME: process.env.HOME },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );

  // Assess
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`npm test: ${CFN_LINT_MISSING_MESSAGE}`]);
  expect(CFN_LINT_MISSING_MESSAGE).toContain('pip install cfn-lint');
}, 120_000);
