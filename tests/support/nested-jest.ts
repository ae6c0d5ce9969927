import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../local/service-definition';

/**
 * Runs one test file of one jest project in a jest of its own, with nothing in its environment but `PATH`
 * and `HOME`: what a run says when a tool it needs is not on that PATH. Its exit code and standard error.
 */
export async function runJestWithPath(
  file: string,
  project: string,
  pathVariable: string,
): Promise<{ code: number; stderr: string }> {
  const jest = path.join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  // The file before --selectProjects, which would take it for one more project name.
  return promisify(execFile)(process.execPath, [jest, file, '--selectProjects', project], {
    cwd: PROJECT_ROOT,
    env: { PATH: pathVariable, HOME: process.env.HOME },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}
