import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../local/service-definition';
import { CACHE_DIR } from '../../local/service-definition-cache';

/**
 * The real Serverless Framework CLI (osls), run on the project from a directory of its own: serverless.yml is
 * copied there (osls takes only a regular file for it) and every other top-level entry of the project is
 * linked, so the framework's build output (.serverless, .esbuild) lands there. Other tests package the project
 * at the same time, and serverless-esbuild deletes its work folder when it is done.
 */

/** Build output the framework writes; everything else of the project is linked as it is. */
const OWN_ENTRIES = new Set(['.serverless', '.esbuild', '.git', 'serverless.yml']);
const TIMEOUT_MS = 180_000;
/**
 * The framework compiles its configuration schema (ajv) on every command, about 5 s of CPU, unless it finds
 * the compiled validator it keeps under `~/.serverless`; HOME is a fresh directory per command here, so the
 * validator is kept in the project's cache instead (the framework names it by a hash of the schema and the
 * ajv versions, so another schema compiles anew).
 */
const SCHEMA_CACHE_DIR = path.join(CACHE_DIR, 'serverless-schema');

/** What one command ended with. */
export interface ServerlessRun {
  exitCode: number;
  /** stdout and stderr together, as a user sees them. */
  output: string;
  milliseconds: number;
}

/** Makes `<parent>/service`: the project as the framework sees it, with room for its build output. */
export async function linkedServiceDirectory(parent: string): Promise<string> {
  const dir = path.join(parent, 'service');
  await mkdir(dir, { recursive: true });
  await copyFile(path.join(PROJECT_ROOT, 'serverless.yml'), path.join(dir, 'serverless.yml'));
  for (const entry of await readdir(PROJECT_ROOT)) {
    if (!OWN_ENTRIES.has(entry)) await symlink(path.join(PROJECT_ROOT, entry), path.join(dir, entry));
  }
  return dir;
}

/**
 * Runs `serverless <args>` in `serviceDir` with only `environment` and the PATH (so no profile, credentials
 * file or endpoint of the developer's applies: HOME is the service directory); never throws on exit code.
 */
export async function runServerless(
  serviceDir: string,
  args: string[],
  environment: Record<string, string>,
): Promise<ServerlessRun> {
  const started = Date.now();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: serviceDir,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_SCHEMA_CACHE_BASE_DIR: SCHEMA_CACHE_DIR,
    ...environment,
  };
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'serverless');
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, {
      cwd: serviceDir,
      env,
      timeout: TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { exitCode: 0, output: stdout + stderr, milliseconds: Date.now() - started };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return {
      exitCode: failed.code,
      output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`,
      milliseconds: Date.now() - started,
    };
  }
}
