import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * AWS's CloudFormation linter (`cfn-lint`, Python: `pip install cfn-lint`), run as a program over packaged
 * templates. Its exit status is a bit mask of what it found, so the findings are read from its JSON output.
 */

/** The one line that tells a user without cfn-lint what to do. */
export const CFN_LINT_MISSING_MESSAGE =
  "cfn-lint (AWS's CloudFormation linter) is not on PATH: install it (pip install cfn-lint) and try again";

/** Thrown when `cfn-lint` is not on PATH. */
export class CfnLintMissingError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(CFN_LINT_MISSING_MESSAGE, options);
    this.name = 'CfnLintMissingError';
  }
}

/** Thrown when cfn-lint fails in another way than by reporting findings. */
export class CfnLintRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CfnLintRunError';
  }
}

/** One finding, as `cfn-lint --format json` reports it. */
export interface CfnLintFinding {
  Filename: string;
  Level: string;
  Message: string;
  Rule: { Id: string };
  Location: { Start: { LineNumber: number }; Path?: unknown[] };
}

const TIMEOUT_MS = 120_000;

async function cfnLint(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('cfn-lint', args, {
      timeout: TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') throw new CfnLintMissingError({ cause: error });
    if (typeof failed.code !== 'number') throw new CfnLintRunError(String(error), { cause: error });
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: failed.code };
  }
}

/** The installed version line (`cfn-lint 1.51.0`); CfnLintMissingError when there is none. */
export async function cfnLintVersion(): Promise<string> {
  const run = await cfnLint(['--version']);
  if (run.code !== 0) throw new CfnLintRunError(`cfn-lint --version exited ${run.code}: ${run.stderr}`);
  return run.stdout.trim();
}

/**
 * Every finding cfn-lint reports on `files`, in one run (its start-up costs seconds). Files with the same
 * text (the stack's creation template is the same for every set of stage parameters) are linted once, and
 * what is found in one is reported for each.
 */
export async function lintTemplates(files: string[]): Promise<CfnLintFinding[]> {
  const sameText = new Map<string, string[]>();
  for (const file of files) {
    const hash = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
    sameText.set(hash, [...(sameText.get(hash) ?? []), file]);
  }
  const copiesOf = new Map([...sameText.values()].map((group) => [group[0] as string, group]));
  const linted = await lintEach([...copiesOf.keys()]);
  return linted.flatMap((finding) =>
    (copiesOf.get(finding.Filename) ?? [finding.Filename]).map((file) => ({ ...finding, Filename: file })),
  );
}

async function lintEach(files: string[]): Promise<CfnLintFinding[]> {
  const run = await cfnLint(['--format', 'json', '--', ...files]);
  try {
    return JSON.parse(run.stdout || '[]') as CfnLintFinding[];
  } catch (error) {
    throw new CfnLintRunError(
      `cfn-lint exited ${run.code} without JSON findings:\n${run.stdout}${run.stderr}`,
      {
        cause: error,
      },
    );
  }
}
