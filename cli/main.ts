import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { backfillCommand } from './backfill';
import { callsCommand } from './calls';
import { CliError, CredentialsError, UsageError } from './cli-errors';
import type { CliIo } from './cli-io';
import type { Command, CommandContext } from './command';
import { enrichCommand } from './enrich';
import { TimeFormat } from './format';
import { getCommand } from './get';
import { legsCommand } from './legs';
import { recoverCommand } from './recover';
import { rejectedListCommand } from './rejected-list';
import { rejectedReplayCommand } from './rejected-replay';
import { sendCommand } from './send';
import { summaryCommand } from './summary';
import { engineUnreachable, resolveTarget, type Target } from './target';

/**
 * `freeclimb-records`: the operator's tool. Finds a call and its legs, lists and replays what the webhook
 * rejected, and sends signed test webhooks, against the local engine of `npm start` or a deployed stage.
 */

const NAME = 'freeclimb-records';

const COMMANDS: Record<string, Command> = {
  get: getCommand,
  legs: legsCommand,
  'rejected list': rejectedListCommand,
  'rejected replay': rejectedReplayCommand,
  recover: recoverCommand,
  send: sendCommand,
  calls: callsCommand,
  summary: summaryCommand,
  backfill: backfillCommand,
  enrich: enrichCommand,
};

const GLOBAL_OPTIONS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  stack: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The whole usage text. */
export function usage(): string {
  const commands = Object.values(COMMANDS)
    .map((command) => `  ${NAME} ${command.usage}\n      ${command.summary}`)
    .join('\n');
  return `Usage:
${commands}

Options for every command:
  --stage <stage> [--region <region>]  a deployed stage (tables from its CloudFormation stack, AWS credentials
                                       from the usual chain); without it, the local engine of "npm start"
  --stack <name>                       the stack, when it is not named <service>-<stage>
  --json                               machine-readable JSON only, on stdout
  -h, --help                           this text
`;
}

/** Runs one command line (without the program name) and resolves to the exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let target: Target | undefined;
  let targetPromise: Promise<Target> | undefined;
  let time: TimeFormat | undefined;
  try {
    const { name, command, args } = findCommand(argv);
    if (command === undefined) {
      io.stdout(usage());
      return 0;
    }
    const { values, positionals } = parseOptions(command, args);
    if (values.help === true) {
      io.stdout(usage());
      return 0;
    }
    checkCount(name, command, positionals);
    const context: CommandContext = {
      io,
      json: values.json === true,
      time: () => {
        time ??= new TimeFormat(io.env.TZ);
        return time;
      },
      target: () => {
        targetPromise ??= resolveTarget(
          {
            stage: values.stage as string | undefined,
            region: values.region as string | undefined,
            stack: values.stack as string | undefined,
          },
          io,
        ).then((resolved) => {
          target = resolved;
          return resolved;
        });
        return targetPromise;
      },
    };
    return await command.run(context, values, positionals);
  } catch (error) {
    const failure = explain(error, target);
    io.stderr(`${NAME}: ${failure.message}\n`);
    if (failure instanceof UsageError)
      io.stderr(`Run "${NAME} --help" for the commands and their options.\n`);
    return failure.exitCode;
  } finally {
    target?.close();
  }
}

function findCommand(argv: string[]): { name: string; command?: Command; args: string[] } {
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    return { name: '', args: [] };
  }
  if (first.startsWith('-')) throw new UsageError(`the command comes first, before ${first}`);
  if (first === 'rejected') {
    const name = `rejected ${second}`;
    const command = second === undefined ? undefined : COMMANDS[name];
    if (command === undefined) throw new UsageError('rejected needs a subcommand: list or replay');
    return { name, command, args: argv.slice(2) };
  }
  const command = COMMANDS[first];
  if (command === undefined) throw new UsageError(`unknown command "${first}"`);
  return { name: first, command, args: argv.slice(1) };
}

/** Too few or too many arguments is a wrong command line, for every command alike: nothing is ignored. */
function checkCount(name: string, command: Command, positionals: string[]): void {
  const { min, max, names } = command.positionals;
  if (positionals.length < min) throw new UsageError(`${name} needs ${names} (usage: ${command.usage})`);
  if (positionals.length <= max) return;
  const extra = positionals
    .slice(max)
    .map((value) => `"${value}"`)
    .join(' ');
  const takes =
    max === 0 ? 'no arguments' : max === 1 ? `one argument, ${names}` : `at most ${max} arguments, ${names}`;
  throw new UsageError(`${name} takes ${takes}: remove ${extra}`);
}

function parseOptions(command: Command, args: string[]) {
  try {
    const parsed = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    // node:util's messages are clear but long; the first sentence says what is wrong.
    const message = (error as Error).message.split(/\.\s/)[0] ?? String(error);
    // `--limit -3`: node:util will not take a value that looks like an option. Read it as `--limit=-3`, so
    // the command's own check says what is wrong with the value.
    const ambiguous = /^Option '(--[\w-]+)' argument is ambiguous/.exec(message)?.[1];
    const at = ambiguous === undefined ? -1 : args.indexOf(ambiguous);
    if (at >= 0 && at + 1 < args.length) {
      return parseOptions(command, [
        ...args.slice(0, at),
        `${ambiguous}=${args[at + 1]}`,
        ...args.slice(at + 2),
      ]);
    }
    throw new UsageError(message.replace(/^Unknown option/, 'unknown option'), { cause: error });
  }
}

/** Turns whatever went wrong into one line that says what to do. */
function explain(error: unknown, target: Target | undefined): CliError {
  if (error instanceof CliError) return error;
  const code = errorCode(error);
  const name = (error as { name?: string }).name ?? '';
  const message = (error as { message?: string }).message ?? String(error);
  if (code === 'ECONNREFUSED' && target?.endpoint !== undefined)
    return engineUnreachable(target.endpoint, error);
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return new CredentialsError(
      'No AWS credentials found: set AWS_PROFILE (after "aws configure" or "aws sso login"), or export ' +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      { cause: error },
    );
  }
  if (/^(ExpiredToken|UnrecognizedClient|InvalidClientTokenId|InvalidSignature)/.test(name)) {
    return new CredentialsError(`AWS refused the credentials (${name}): renew them, e.g. "aws sso login"`, {
      cause: error,
    });
  }
  if (/Region is missing/i.test(message)) {
    return new UsageError('No AWS region: pass --region <region> or set AWS_REGION', { cause: error });
  }
  if (name === 'ResourceNotFoundException' && target !== undefined) {
    return new CliError(
      `A table is missing in ${target.description} (${target.store.callsTable} or ${target.store.rejectedTable})`,
      { cause: error },
    );
  }
  if (name === 'AccessDeniedException') {
    return new CredentialsError(`Access denied: ${message}`, { cause: error });
  }
  return new CliError(`${name && name !== 'Error' ? `${name}: ` : ''}${message}`, { cause: error });
}

/**
 * The system error code, wherever the SDK or fetch put it. Where the SDK had to wrap an error from another
 * realm (as under a test runner's VM), only the message still names the code.
 */
function errorCode(error: unknown): string | undefined {
  type Failure = { code?: string; message?: string; cause?: unknown; errors?: unknown[] };
  for (let current = error as Failure | undefined; current; ) {
    if (current.code !== undefined) return current.code;
    const named = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND)\b/.exec(current.message ?? '');
    if (named?.[1] !== undefined) return named[1];
    current = (current.errors?.[0] ?? current.cause) as Failure | undefined;
  }
  return undefined;
}

/** The process entry: real stdout, stderr, environment and clock. */
export function main(): void {
  // `freeclimb-records calls | head` closes the pipe early: stop quietly, as other tools do, not with a trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    drained: () =>
      process.stdout.writableNeedDrain
        ? once(process.stdout, 'drain').then(() => undefined)
        : Promise.resolve(),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    now: Date.now,
    interactive: process.stderr.isTTY === true,
  }).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
