import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as dynamodb from '@aws-sdk/client-dynamodb';

/**
 * The queries the documentation shows people (PartiQL statements and `aws dynamodb …` commands), read
 * from README.md and docs/*.md themselves so that a test runs exactly what is written there. The AWS CLI is not a dependency:
 * `awsCliRequest` maps a command to the API call the CLI makes for it, by the CLI's own conventions
 * (`get-item` → GetItem, `--table-name` → TableName, JSON arguments parsed, `--no-x` → X: false).
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

/** Every `aws dynamodb <operation> --…` command in ```sh blocks and inline code (mentions without options are not commands). */
export function documentedAwsCommands(): string[] {
  const text = documentation();
  const fromBlocks = fencedBlocks(text, 'sh').flatMap((block) => block.replace(/\\\n\s*/g, '').split('\n'));
  return [...fromBlocks, ...inlineCode(text)]
    .map((line) => line.trim())
    .filter((line) => /^aws dynamodb [a-z-]+ .*--/.test(line));
}

function fencedBlocks(text: string, language: string): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\``, 'gm');
  return [...text.matchAll(fence)].map((match) => match[1] as string);
}

function inlineCode(text: string): string[] {
  // Outside fenced blocks only, so a block's lines are not read twice.
  const prose = text.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] as string);
}

/** A command the CLI would send: the operation's command class and its input, plus the client options. */
export interface AwsCliRequest {
  operation: string;
  input: Record<string, unknown>;
  /** `--endpoint-url` and `--region`, which configure the client rather than the request. */
  client: { endpoint?: string; region?: string };
}

/** Options that configure the CLI's client, not the request. */
const CLIENT_OPTIONS: Record<string, keyof AwsCliRequest['client']> = {
  '--endpoint-url': 'endpoint',
  '--region': 'region',
};

/** Maps `aws dynamodb get-item --table-name t --key '{…}'` to GetItem's input, as the AWS CLI does. */
export function awsCliRequest(command: string): AwsCliRequest {
  const [aws, service, operation, ...args] = shellWords(command);
  if (aws !== 'aws' || service !== 'dynamodb' || !operation) {
    throw new Error(`Not an "aws dynamodb <operation>" command: ${command}`);
  }
  const input: Record<string, unknown> = {};
  const client: AwsCliRequest['client'] = {};
  for (let i = 0; i < args.length; i += 1) {
    const option = args[i] as string;
    if (!option.startsWith('--')) throw new Error(`Unexpected argument ${option} in: ${command}`);
    const clientOption = CLIENT_OPTIONS[option];
    const next = args[i + 1];
    if (next === undefined || next.startsWith('--')) {
      // A flag: `--consistent-read` is true, `--no-scan-index-forward` sets ScanIndexForward false.
      const negated = option.startsWith('--no-');
      input[pascalCase(negated ? option.slice(5) : option.slice(2))] = !negated;
      continue;
    }
    i += 1;
    if (clientOption) client[clientOption] = next;
    else input[pascalCase(option.slice(2))] = /^[[{]/.test(next) ? JSON.parse(next) : next;
  }
  return { operation: pascalCase(operation), input, client };
}

/**
 * Sends the request through the SDK's command for that operation. Like the CLI, a query or scan follows
 * every page and an execute-statement every NextToken; the items of all pages are returned in order.
 */
export async function sendAwsCliRequest(
  client: dynamodb.DynamoDBClient,
  request: AwsCliRequest,
): Promise<Record<string, dynamodb.AttributeValue>[]> {
  const Command = (dynamodb as unknown as Record<string, unknown>)[`${request.operation}Command`] as
    | (new (
        input: object,
      ) => Parameters<dynamodb.DynamoDBClient['send']>[0])
    | undefined;
  if (!Command) throw new Error(`The SDK has no ${request.operation}Command`);
  const items: Record<string, dynamodb.AttributeValue>[] = [];
  let input: Record<string, unknown> = request.input;
  for (;;) {
    const output = (await client.send(new Command(input))) as {
      Item?: Record<string, dynamodb.AttributeValue>;
      Items?: Record<string, dynamodb.AttributeValue>[];
      LastEvaluatedKey?: Record<string, dynamodb.AttributeValue>;
      NextToken?: string;
    };
    if (output.Item) items.push(output.Item);
    items.push(...(output.Items ?? []));
    if (output.LastEvaluatedKey) input = { ...input, ExclusiveStartKey: output.LastEvaluatedKey };
    else if (output.NextToken) input = { ...input, NextToken: output.NextToken };
    else return items;
  }
}

function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Splits a POSIX shell command line into words: single quotes literal, double quotes with \ escapes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i] as string;
    if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`Unclosed ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (char === '"') {
      let value = '';
      for (i += 1; i < line.length && line[i] !== '"'; i += 1) {
        if (line[i] === '\\' && i + 1 < line.length) i += 1;
        value += line[i];
      }
      if (i >= line.length) throw new Error(`Unclosed " in: ${line}`);
      word = (word ?? '') + value;
    } else if (char === '\\' && i + 1 < line.length) {
      i += 1;
      word = (word ?? '') + line[i];
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
