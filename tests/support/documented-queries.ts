import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The commands the documentation shows people (PartiQL statements, `aws …` commands, the Logs Insights
 * query), read from README.md and docs/*.md themselves so that a test runs exactly what is written there.
 */

const PROJECT_ROOT = path.join(__dirname, '..', '..');

/** README.md and every docs/*.md, one after the other. */
function documentation(): string {
  const docs = readdirSync(path.join(PROJECT_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => path.join('docs', name));
  return ['README.md', ...docs].map((file) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8')).join('\n');
}

/** Every PartiQL statement: the lines of ```sql blocks and inline code that starts with SELECT. */
export function documentedStatements(): string[] {
  const text = documentation();
  const fromBlocks = fencedBlocks(text, 'sql').flatMap((block) =>
    block.split('\n').filter((line) => line.trim() !== ''),
  );
  const inline = inlineCode(text).filter((code) => /^SELECT\s/i.test(code));
  return [...fromBlocks, ...inline].map((statement) => statement.trim());
}

/**
 * Every shell line that runs `aws <service> <operation>` with options, in ```sh blocks (a line continued
 * with `\\` joined to the next, and a loop kept whole through its `done`) and inline code, each once; `aws`
 * may follow `$(` (`export X=$(aws …)`, `until [ "$(aws …)" = … ]`). Mentions without options
 * (`aws kms schedule-key-deletion`) are not commands.
 */
export function documentedAwsCommands(): string[] {
  const text = documentation();
  const fromBlocks = fencedBlocks(text, 'sh').flatMap((block) =>
    shellStatements(block.replace(/\\\n\s*/g, '').split('\n')),
  );
  const commands = [...fromBlocks, ...inlineCode(text)]
    .map((line) => line.trim())
    .filter((line) => AWS_COMMAND.test(line));
  return [...new Set(commands)];
}

/** Lines as the shell reads statements: a loop (`until`, `while`, `for`) with its lines through `done`. */
function shellStatements(lines: string[]): string[] {
  const statements: string[] = [];
  let loop: string[] | undefined;
  for (const line of lines) {
    if (loop === undefined && !/^\s*(until|while|for)\s/.test(line)) {
      statements.push(line);
      continue;
    }
    loop = [...(loop ?? []), line];
    if (/(^|;|\s)done\s*$/.test(line)) {
      statements.push(loop.join('\n'));
      loop = undefined;
    }
  }
  if (loop) throw new Error(`A loop in the docs without its done: ${loop.join('\n')}`);
  return statements;
}

/** `aws <service> <operation> … --option`, at the start of a line or of a command substitution. */
const AWS_COMMAND = /(?:^|\$\()aws ([a-z0-9-]+) ([a-z0-9-]+) [^`]*--/;

/** `dynamodb query` for `aws dynamodb query --table-name …`. */
export function awsOperationOf(command: string): string {
  const match = AWS_COMMAND.exec(command);
  if (!match) throw new Error(`Not an aws command: ${command}`);
  return `${match[1]} ${match[2]}`;
}

/** The CloudWatch Logs Insights query: the unlabelled fenced block that starts with `fields`. */
export function documentedLogsInsightsQuery(): string {
  const queries = fencedBlocks(documentation(), '').filter((block) => /^fields\s/.test(block));
  if (queries.length !== 1)
    throw new Error(`Expected one Logs Insights query in the docs, found ${queries.length}`);
  return (queries[0] as string).trim();
}

/** A fenced block, or a run of prose lines between blocks (`language` undefined). */
interface Part {
  language?: string;
  text: string;
}

/**
 * The text cut into fenced blocks and the prose between them, line by line: a fence may be indented (a
 * block inside a list item), its lines lose that indent, and only a bare fence at the same indent closes it.
 */
function parts(text: string): Part[] {
  const result: Part[] = [];
  let prose: string[] = [];
  let open: { indent: string; language: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const fence = /^( *)```(\S*)\s*$/.exec(line);
    if (!open) {
      if (!fence) prose.push(line);
      else {
        result.push({ text: prose.join('\n') });
        prose = [];
        open = { indent: fence[1] ?? '', language: fence[2] ?? '', lines: [] };
      }
    } else if (fence && fence[1] === open.indent && fence[2] === '') {
      result.push({ language: open.language, text: open.lines.join('\n') });
      open = undefined;
    } else {
      open.lines.push(line.startsWith(open.indent) ? line.slice(open.indent.length) : line);
    }
  }
  result.push({ text: prose.join('\n') });
  return result;
}

function fencedBlocks(text: string, language: string): string[] {
  return parts(text)
    .filter((part) => part.language === language)
    .map((part) => part.text);
}

/** Inline code spans, outside fenced blocks only, so a block's lines are not read twice. */
function inlineCode(text: string): string[] {
  const prose = parts(text)
    .filter((part) => part.language === undefined)
    .map((part) => part.text)
    .join('\n');
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] as string);
}
