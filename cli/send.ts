import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { splitSecrets } from '../lib/config';
import { SIGNATURE_HEADER, signatureHeader } from '../lib/signature';
import { PROJECT_ROOT } from '../local/service-definition';
import { callIdArgument, integerArgument } from './arguments';
import { CliError, UsageError } from './cli-errors';
import type { CliIo } from './cli-io';
import type { Command } from './command';
import { json } from './format';
import { recordedLocalTarget } from './target';
import { terminalText } from './terminal-text';

/** The samples are the project's test bodies: realistic, fictional (555 numbers), one per kind. */
const SAMPLES_DIR = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'bodies');
const DEFAULT_SAMPLE = 'completed-inbound';
const REQUEST_TIMEOUT_MS = 30_000;
const CALL_ID_MEMBER = /("callId"\s*:\s*)"[^"]*"/;
const PARENT_MEMBER = /("parentCallId"\s*:\s*)(null|"[^"]*")/;

export interface SendResult {
  status: number;
  statusText: string;
  callId?: string;
  body: string;
  ms: number;
}

/** `send`: POSTs correctly signed callStatus webhooks, to check a deployment (or `npm start`) end to end. */
export const sendCommand: Command = {
  summary:
    'send a correctly signed callStatus webhook (a sample or a file) and print the answer\n' +
    `      samples: ${sampleKinds().join(', ')} (default ${DEFAULT_SAMPLE})`,
  usage:
    'send [--url <url>] [--secret <s>] [<body.json> | --sample <kind>] [--parent <callId>] [--count <n>]',
  options: {
    url: { type: 'string' },
    secret: { type: 'string' },
    sample: { type: 'string' },
    parent: { type: 'string' },
    count: { type: 'string' },
  },
  positionals: { min: 0, max: 1, names: 'a body file' },
  async run(context, values, positionals) {
    const { io } = context;
    const file = positionals[0];
    if (file !== undefined && (values.sample !== undefined || values.parent !== undefined)) {
      throw new UsageError(
        'a body file is sent as its exact bytes: --sample and --parent do not apply to it',
      );
    }
    const secrets = splitSecrets(
      typeof values.secret === 'string' ? values.secret : (io.env.FREECLIMB_SIGNING_SECRET ?? ''),
    );
    if (secrets.length === 0) {
      throw new UsageError(
        'No signing secret: pass --secret <s> or set FREECLIMB_SIGNING_SECRET (npm start prints its own)',
      );
    }
    const count = typeof values.count === 'string' ? integerArgument(values.count, '--count', 1, 100_000) : 1;
    const nextBody = file !== undefined ? fileBody(file) : sampleBody(values);
    const url = await webhookUrl(context, values);

    const results: SendResult[] = [];
    const progress = progressReporter(io, count);
    for (let sent = 0; sent < count; sent += 1) {
      const result = await sendOne(url, nextBody(), secrets, io.now());
      results.push(result);
      progress(results);
      if (!context.json && (count === 1 || !isOk(result))) io.stdout(describeSend(result));
    }
    if (context.json) io.stdout(json(count === 1 ? results[0] : results));
    else if (count > 1) io.stdout(`${summarise(results, url)}\n`);
    return results.every(isOk) ? 0 : 1;
  },
};

/** The sample kinds: the fixture bodies' names. */
export function sampleKinds(): string[] {
  return readdirSync(SAMPLES_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

function fileBody(file: string): () => Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path.resolve(file));
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return () => bytes;
}

/** A sample with a fresh callId on every send (and a fresh parent unless --parent names one). */
function sampleBody(values: Record<string, string | boolean | undefined>): () => Buffer {
  const kind = typeof values.sample === 'string' ? values.sample : DEFAULT_SAMPLE;
  const kinds = sampleKinds();
  if (!kinds.includes(kind)) {
    throw new UsageError(`--sample ${kind}: expected one of ${kinds.join(', ')}`);
  }
  const parent = typeof values.parent === 'string' ? callIdArgument(values.parent, '--parent') : undefined;
  const template = readFileSync(path.join(SAMPLES_DIR, `${kind}.json`), 'utf8');
  if (parent !== undefined && !PARENT_MEMBER.test(template)) {
    throw new UsageError(`--sample ${kind} has no parentCallId member for --parent`);
  }
  return () => {
    // Only the ids' values change; every other byte of the sample is sent as it is.
    let text = template.replace(CALL_ID_MEMBER, `$1"${freshCallId()}"`);
    if (parent !== undefined) text = text.replace(PARENT_MEMBER, `$1"${parent}"`);
    else text = text.replace(/("parentCallId"\s*:\s*)"[^"]*"/, `$1"${freshCallId()}"`);
    return Buffer.from(text, 'utf8');
  };
}

function freshCallId(): string {
  return `CA${randomBytes(20).toString('hex')}`;
}

/** --url, else the stage's output (with --stage), else what `npm start` recorded. */
async function webhookUrl(
  context: Parameters<Command['run']>[0],
  values: Record<string, string | boolean | undefined>,
): Promise<string> {
  if (typeof values.url === 'string') {
    try {
      return new URL(values.url).toString();
    } catch (error) {
      throw new UsageError(`--url ${values.url} is not a URL`, { cause: error });
    }
  }
  if (values.stage !== undefined) {
    const target = await context.target();
    if (target.webhookUrl) return target.webhookUrl;
  }
  const recorded = values.stage === undefined ? await recordedLocalTarget(context.io) : undefined;
  if (recorded !== undefined) return recorded.webhookUrl;
  throw new UsageError('Where to? Pass --url <url>, or --stage <stage>, or run "npm start" first');
}

async function sendOne(url: string, body: Buffer, secrets: string[], nowMs: number): Promise<SendResult> {
  const startedAt = performance.now();
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      // Signed with every secret given, as FreeClimb does while two secrets are active.
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signatureHeader(secrets, Math.floor(nowMs / 1000), body),
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw unreachable(url, error);
  }
  const text = await response.text();
  return {
    status: response.status,
    statusText: response.statusText,
    callId: callIdOf(body),
    body: text,
    ms: Math.round(performance.now() - startedAt),
  };
}

function isOk(result: SendResult): boolean {
  return result.status >= 200 && result.status < 300;
}

/** The answer as received, shown with its control characters escaped: any server may be at the URL. */
function describeSend(result: SendResult): string {
  const line = `${result.status} ${result.statusText}  ${result.callId ?? '(no callId in the body)'}  ${result.ms} ms`;
  return `${terminalText(line)}\n${result.body === '' ? '' : `${terminalText(result.body)}\n`}`;
}

function summarise(results: SendResult[], url: string): string {
  const byStatus = new Map<number, number>();
  for (const result of results) byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
  const statuses = [...byStatus].map(([status, count]) => `${count} × ${status}`).join(', ');
  return `${results.length} sent to ${url}: ${statuses}`;
}

/** `sent 37/100, 37 ok` on stderr: rewritten in place on a terminal, every tenth of the way otherwise. */
function progressReporter(io: CliIo, count: number): (results: SendResult[]) => void {
  if (count === 1) return () => undefined;
  const step = Math.max(1, Math.floor(count / 10));
  return (results) => {
    const done = results.length;
    const line = `sent ${done}/${count}, ${results.filter(isOk).length} ok`;
    if (io.interactive) io.stderr(`\r${line}${done === count ? '\n' : ''}`);
    else if (done % step === 0 || done === count) io.stderr(`${line}\n`);
  };
}

function callIdOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { callId?: unknown };
    return typeof parsed.callId === 'string' ? parsed.callId : undefined;
  } catch {
    return undefined;
  }
}

/** fetch only says "fetch failed"; the reason is in its cause. */
function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') {
    return new CliError(`Nothing is listening on ${url}: start it with "npm start", or check --url`, {
      cause: error,
    });
  }
  if ((error as Error).name === 'TimeoutError') {
    return new CliError(`No answer from ${url} within ${REQUEST_TIMEOUT_MS / 1000} s`, { cause: error });
  }
  return new CliError(`Cannot reach ${url}: ${cause?.message ?? (error as Error).message}`, { cause: error });
}
