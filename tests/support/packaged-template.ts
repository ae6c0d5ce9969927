import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/**
 * The CloudFormation template `serverless deploy` would send, packaged offline once per jest run and shared
 * by every test file that reads it (the first caller packages; the others wait for its result).
 */

/** The stage users deploy: AWS's controls and the permission checks judge what production would get. */
export const PACKAGE_STAGE = 'prod';
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
const WAIT_LIMIT_MS = 120_000;

export interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Template {
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

/** What one `serverless package` run ended with. */
export interface PackageRun {
  exitCode: number;
  /** stdout and stderr together, as a user sees them. */
  output: string;
  /** The packaged template, when the run succeeded. */
  template?: Template;
}

/** Runs `serverless package --stage <stage>` with `--param` entries into `packageDir`; never throws on exit code. */
export async function runServerlessPackage(
  stage: string,
  params: string[],
  packageDir: string,
): Promise<PackageRun> {
  const args = ['package', '--stage', stage, '--package', packageDir, ...params.map((p) => `--param=${p}`)];
  try {
    const { stdout, stderr } = await promisify(execFile)(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'serverless'),
      args,
      { cwd: PROJECT_ROOT, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
    );
    const template = JSON.parse(await readFile(path.join(packageDir, TEMPLATE_FILE), 'utf8')) as Template;
    return { exitCode: 0, output: stdout + stderr, template };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { exitCode: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** Packages stage `prod` offline (no AWS account needed) on first use in this run and returns the template. */
export async function packagedTemplate(): Promise<Template> {
  const runDir = process.env.TEST_RUN_DIR;
  if (!runDir) throw new Error('TEST_RUN_DIR is not set: the jest global setup creates it');
  const packageDir = path.join(runDir, 'serverless-package');
  const done = path.join(runDir, 'serverless-package.done');
  const failed = path.join(runDir, 'serverless-package.failed');
  if (await claim(packageDir)) {
    try {
      const run = await runServerlessPackage(PACKAGE_STAGE, [], packageDir);
      if (run.exitCode !== 0) throw new Error(`serverless package exited ${run.exitCode}:\n${run.output}`);
      await writeFile(done, '');
    } catch (error) {
      await writeFile(failed, String(error));
      throw error;
    }
  } else {
    await waitFor(done, failed);
  }
  return JSON.parse(await readFile(path.join(packageDir, TEMPLATE_FILE), 'utf8')) as Template;
}

/** mkdir is atomic: exactly one worker creates the directory and so owns the packaging. */
async function claim(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return false;
    throw error;
  }
}

async function waitFor(done: string, failed: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!existsSync(done)) {
    if (existsSync(failed)) {
      throw new Error(`serverless package failed in another test file:\n${await readFile(failed, 'utf8')}`);
    }
    if (Date.now() > deadline) throw new Error('Timed out waiting for serverless package');
    await sleep(100);
  }
}
