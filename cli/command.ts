import type { ParseArgsConfig } from 'node:util';
import type { CliIo } from './cli-io';
import type { TimeFormat } from './format';
import type { Target } from './target';

/**
 * What every command gets: where to write, how to show times and the target, the last two made on first use:
 * a command that shows no local time never reads TZ, and one that fails before reading never resolves a target.
 */
export interface CommandContext {
  io: CliIo;
  json: boolean;
  time: () => TimeFormat;
  target: () => Promise<Target>;
}

export type ParsedValues = Record<string, string | boolean | undefined>;

/** How many arguments (besides options) a command takes, and what they are called in messages. */
export interface Positionals {
  min: number;
  /** `Infinity` for a list. */
  max: number;
  /** `<callId>`, `[<body.json>]`: as the usage line names them. */
  names: string;
}

/**
 * One command: its own options (besides the global ones), its arguments, and what it does; resolves to the
 * exit code. The arguments are counted before `run`, so no command can silently ignore one.
 */
export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: Positionals;
  run(context: CommandContext, values: ParsedValues, positionals: string[]): Promise<number>;
}
