import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInFlight } from './in-flight';
import { linkedServiceDirectory, runServerless } from './serverless-cli';

/**
 * The CloudFormation templates `serverless deploy` would send, packaged offline once per jest run for each
 * set of stage parameters and shared by every test file that reads them (the first caller packages; the
 * others wait for its result).
 */

/** The stage users deploy: AWS's controls and the permission checks judge what production would get. */
export const PACKAGE_STAGE = 'prod';
/** The framework creates a stack with this template (the deployment bucket only)... */
export const CREATE_TEMPLATE_FILE = 'cloudformation-template-create-stack.json';
/** ...and then updates it with this one, which holds everything else. */
export const UPDATE_TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
const WAIT_LIMIT_MS = 180_000;
/** Packagings at a time: each is mostly one Node process's work, and the machine may have 2 cores. */
const PACKAGINGS_IN_FLIGHT = 2;

export interface Resource {
  Type: string;
  Condition?: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}

export interface Template {
  Parameters?: Record<string, { Type?: string; Default?: unknown; AllowedPattern?: string }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
  Metadata?: Record<string, unknown>;
}

/** What one `serverless package` run ended with. */
export interface PackageRun {
  exitCode: number;
  /** stdout and stderr together, as a user sees them. */
  output: string;
  /** The packaged update template, when the run succeeded. */
  template?: Template;
}

/** A named set of `--param` entries to package the stage with. */
export interface StageParameterSet {
  /** Short and file-name safe: it names the package's folder. */
  name: string;
  params: string[];
}

/** serverless.yml's own defaults: no `--param` at all. */
export const DEFAULT_PARAMETERS: StageParameterSet = { name: 'defaults', params: [] };

/**
 * Runs `serverless package --stage <stage>` with `--param` entries into `packageDir`; never throws on exit
 * code. The framework works in a directory of its own next to `packageDir` (tests/support/serverless-cli.ts),
 * so packagings that run at the same time cannot delete each other's build output.
 */
export async function runServerlessPackage(
  stage: string,
  params: string[],
  packageDir: string,
): Promise<PackageRun> {
  const serviceDir = await linkedServiceDirectory(`${packageDir}.work`);
  const args = ['package', '--stage', stage, '--package', packageDir, ...params.map((p) => `--param=${p}`)];
  const run = await runServerless(serviceDir, args, {});
  if (run.exitCode !== 0) return { exitCode: run.exitCode, output: run.output };
  return { exitCode: 0, output: run.output, template: await readTemplate(packageDir, UPDATE_TEMPLATE_FILE) };
}

/** Reads a packaged template file. */
export async function readTemplate(packageDir: string, file: string): Promise<Template> {
  return JSON.parse(await readFile(path.join(packageDir, file), 'utf8')) as Template;
}

/**
 * The folder holding stage `prod` packaged with `parameters` (both templates and the code zip), packaged
 * offline on first use in this run.
 */
export async function packagedDirectory(parameters: StageParameterSet): Promise<string> {
  const runDir = process.env.TEST_RUN_DIR;
  if (!runDir) throw new Error('TEST_RUN_DIR is not set: the jest global setup creates it');
  const suffix = parameters.name === DEFAULT_PARAMETERS.name ? '' : `-${parameters.name}`;
  const packageDir = path.join(runDir, `serverless-package${suffix}`);
  const done = `${packageDir}.done`;
  const failed = `${packageDir}.failed`;
  if (await claim(packageDir)) {
    try {
      const run = await runServerlessPackage(PACKAGE_STAGE, parameters.params, packageDir);
      if (run.exitCode !== 0) {
        throw new Error(`serverless package (${parameters.name}) exited ${run.exitCode}:\n${run.output}`);
      }
      await writeFile(done, '');
    } catch (error) {
      await writeFile(failed, String(error));
      throw error;
    }
  } else {
    await waitFor(done, failed);
  }
  return packageDir;
}

/**
 * The folders of every set in `sets`, in order, packaged {@link PACKAGINGS_IN_FLIGHT} at a time: a test file
 * that needs several asks for all of them at once, rather than one after another as its tests reach them.
 */
export function packagedDirectories(sets: StageParameterSet[]): Promise<string[]> {
  return runInFlight(
    sets.map((parameters) => () => packagedDirectory(parameters)),
    PACKAGINGS_IN_FLIGHT,
  );
}

/** The update template of stage `prod` with `parameters` (serverless.yml's defaults when not given). */
export async function packagedTemplate(parameters = DEFAULT_PARAMETERS): Promise<Template> {
  return readTemplate(await packagedDirectory(parameters), UPDATE_TEMPLATE_FILE);
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
