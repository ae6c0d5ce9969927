import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AWS_CLI_MISSING_MESSAGE } from '../support/aws-cli';
import { runJestWithPath } from '../support/nested-jest';

// The DynamoDB Local project runs the documentation's aws commands with the real AWS CLI: without it, the
// run stops with one line saying how to install it; it is never skipped. Run with a PATH that holds only
// the Node that runs these tests and Java (so the engine starts, and the CLI is what is missing).

/** A directory holding `node` and `java` only, as links to the ones this run uses. */
function pathWithNodeAndJavaOnly(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'path-without-aws-'));
  symlinkSync(process.execPath, path.join(dir, 'node'));
  const java = (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((folder) => path.join(folder, 'java'))
    .find((candidate) => existsSync(candidate));
  if (!java) throw new Error('No java on PATH: the DynamoDB Local project cannot have started');
  symlinkSync(java, path.join(dir, 'java'));
  return dir;
}

test('the DynamoDB Local tests without the AWS CLI fail the run with one line that says how to install it', async () => {
  // Prepare
  const nodeAndJavaOnly = pathWithNodeAndJavaOnly();

  // Act
  const run = await runJestWithPath('tests/dynamodb-local/tables.test.ts', 'dynamodb-local', nodeAndJavaOnly);

  // Assess
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([`npm test: ${AWS_CLI_MISSING_MESSAGE}`]);
  expect(AWS_CLI_MISSING_MESSAGE).toMatch(/pip install awscli.*apt-get install awscli/);
  // A nested jest run that starts DynamoDB Local: seconds on an idle machine, more on a busy one.
}, 90_000);
