import path from 'node:path';
import { CFN_LINT_MISSING_MESSAGE } from '../support/cfn-lint';
import { runJestWithPath } from '../support/nested-jest';

// Where cfn-lint is missing, the template tests stop the run with one line saying how to install it; they are
// never skipped. Run with a PATH that holds only the Node that runs these tests: no cfn-lint on it.

test('the template tests without cfn-lint fail the run with one line that says how to install it', async () => {
  // Prepare
  const nodeOnly = path.dirname(process.execPath);

  // Act
  const run = await runJestWithPath('tests/template/throttling.test.ts', 'template', nodeOnly);

  // Assess
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`npm test: ${CFN_LINT_MISSING_MESSAGE}`]);
  expect(CFN_LINT_MISSING_MESSAGE).toContain('pip install cfn-lint');
}, 120_000);
