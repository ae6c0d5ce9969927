import type { ParseArgsConfig } from 'node:util';
import type { CliIo } from './cli-io';
import type { TimeFormat } from './format';
import type { Target } from './target';

/** What every command gets: where to write, how to show times, and the target (resolved on first use). */
export interface CommandContext {
  io: CliIo;
  json: boolean;
  time: TimeFormat;
  target: () => Promise<Target>;
}

export type ParsedValues = Record<string, string | boolean | undefined>;

/** One command: its own options (besides the global ones) and what it does; resolves to the exit code. */
export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(context: CommandContext, values: ParsedValues, positionals: string[]): Promise<number>;
}
