import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DUMMY_CREDENTIALS } from '../../local/local-dynamodb';

/**
 * The real AWS CLI (`aws` on PATH, 1.x or 2.x), run the way a reader of the docs runs it: the command text
 * through `sh`, against a local endpoint, with dummy credentials and nothing of the developer's own AWS
 * configuration (no profile, no config or credentials file, no pager).
 */

/** The one line that tells a user without the AWS CLI what to do. */
export const AWS_CLI_MISSING_MESSAGE =
  "The documentation's aws commands run with the AWS CLI, which is not on PATH: install it (pip install awscli, or Debian/Ubuntu: sudo apt-get install awscli) and try again";

/** Thrown when `aws` is not on PATH or does not start. */
export class AwsCliMissingError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(AWS_CLI_MISSING_MESSAGE, options);
    this.name = 'AwsCliMissingError';
  }
}

/** Where a command goes. */
export interface AwsCliTarget {
  /** Given to every `aws` as `--endpoint-url` (a command's own `--endpoint-url` comes later and wins). */
  endpoint: string;
  region: string;
  /** The working directory: where a command's `> lines.json` or `file://` lands. */
  cwd: string;
}

export interface AwsCliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Each `aws` start is about 0.5–1 s of Python; a hung one must not hold the run to jest's timeout. */
const TIMEOUT_MS = 60_000;

/**
 * `aws` as a shell function, so that every `aws` in the text, `$(aws …)` included, goes to the target.
 * `--endpoint-url` rather than `AWS_ENDPOINT_URL`, which CLIs before 1.29 / 2.13 ignore (Debian's is 2.9).
 */
const PRELUDE = 'aws() { command "$AWS_CLI_PROGRAM" --endpoint-url "$AWS_CLI_TARGET_ENDPOINT" "$@"; }\n';

/** Where `requireAwsCli` leaves the program `aws` runs, for the test workers (not an `AWS_*` name). */
const PROGRAM_VARIABLE = 'TEST_AWS_CLI_PROGRAM';

/**
 * Checks that `aws --version` runs, and returns what it says. Run once per test run (the global setup),
 * it also finds the program `aws` runs, for every later `runAwsCli` of the run.
 */
export async function requireAwsCli(): Promise<string> {
  const program = await awsProgram();
  try {
    const { stdout, stderr } = await promisify(execFile)(program, ['--version'], {
      env: isolatedEnvironment('us-east-1'),
      timeout: TIMEOUT_MS,
    });
    process.env[PROGRAM_VARIABLE] = program;
    // 1.x before 1.18 prints the version on stderr.
    return (stdout || stderr).trim();
  } catch (error) {
    // Not on PATH (ENOENT), or a shim whose interpreter has no `aws` (exit 127).
    throw new AwsCliMissingError({ cause: error });
  }
}

/**
 * The program `aws` on PATH runs. A pyenv shim (pip's CLI under pyenv) works out the Python version in bash
 * on every call, about 0.4 s of CPU where the CLI itself takes about 1 s; `pyenv which` names the program
 * behind it once. Anything else is run as `aws`.
 */
async function awsProgram(): Promise<string> {
  const run = (file: string, args: string[]) =>
    promisify(execFile)(file, args, { timeout: TIMEOUT_MS }).then(
      ({ stdout }) => stdout.trim(),
      () => '',
    );
  const onPath = await run('sh', ['-c', 'command -v aws']);
  if (path.basename(path.dirname(onPath)) !== 'shims') return 'aws';
  return (await run('pyenv', ['which', 'aws'])) || 'aws';
}

/** Runs `script`, shell text as the docs show it, with `sh` and the real `aws`; never rejects on exit codes. */
export async function runAwsCli(script: string, target: AwsCliTarget): Promise<AwsCliRun> {
  const env = {
    ...isolatedEnvironment(target.region),
    AWS_CLI_PROGRAM: process.env[PROGRAM_VARIABLE] ?? 'aws',
    AWS_CLI_TARGET_ENDPOINT: target.endpoint,
  };
  const run = await new Promise<AwsCliRun>((resolve, reject) => {
    execFile(
      'sh',
      ['-c', PRELUDE + script],
      { cwd: target.cwd, env, timeout: TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        if (typeof code !== 'number') reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
  });
  if (run.code === 127 && /\baws\b.*not found/.test(run.stderr)) {
    throw new AwsCliMissingError({ cause: new Error(run.stderr.trim()) });
  }
  return run;
}

let emptyConfigFile: string | undefined;

/**
 * This process's environment without any `AWS_*` variable (profiles, keys, endpoints, output format), then
 * dummy credentials, the region, empty config and credentials files, no pager (2.x has one), no prompts
 * and no instance metadata lookups.
 */
function isolatedEnvironment(region: string): Record<string, string> {
  if (!emptyConfigFile) {
    emptyConfigFile = path.join(mkdtempSync(path.join(tmpdir(), 'aws-cli-')), 'empty');
    writeFileSync(emptyConfigFile, '');
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('AWS_')) env[name] = value;
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_CONFIG_FILE: emptyConfigFile,
    AWS_SHARED_CREDENTIALS_FILE: emptyConfigFile,
    AWS_PAGER: '',
    AWS_DEFAULT_OUTPUT: 'json',
    AWS_CLI_AUTO_PROMPT: 'off',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
