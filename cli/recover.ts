import { readFileSync } from 'node:fs';
import path from 'node:path';
import { callIdIn, checkCallStatusBody } from '../lib/call-status-body';
import { NOT_STORED_MESSAGES } from '../lib/call-status-service';
import type { CallStore, SaveOutcome } from '../lib/call-store';
import { splitSecrets } from '../lib/config';
import { InvalidPayloadError, SignatureError, type ValidationIssue, WebhookError } from '../lib/errors';
import { readRawBody } from '../lib/raw-body';
import { isJsonMediaType, receiveCallStatus, type WebhookRequest } from '../lib/receive-call-status';
import { SIGNATURE_HEADER, verifySignature } from '../lib/signature';
import { integerArgument } from './arguments';
import { CliError, UsageError } from './cli-errors';
import type { Command } from './command';
import { json } from './format';
import { decodeExport, type LogLine, notStoredLines } from './log-export';
import { terminalText } from './terminal-text';

/** The webhook's tolerance unless `SIGNATURE_TOLERANCE_SECONDS` says otherwise (see lib/config.ts). */
const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * What became of one log line. `valid`, `invalid`, `malformed` and `unsupported-media-type` only in a dry run
 * (nothing written); `rejected`: authentic but not a valid callStatus, kept in the rejected table as the
 * webhook would have.
 */
export type RecoverOutcome =
  | SaveOutcome['outcome']
  | 'rejected'
  | 'already-rejected'
  | 'valid'
  | 'not-authentic'
  | 'invalid'
  | 'malformed'
  | 'unsupported-media-type'
  | 'unreadable';

export interface RecoverResult {
  /** Where in the input: `line 3` for JSON Lines, `entry 3` for a JSON export. */
  source: string;
  receivedAt?: string;
  callId?: string;
  outcome: RecoverOutcome;
  /** Why a line was refused or is unreadable. */
  reason?: string;
  issues?: ValidationIssue[];
  /** Where a `rejected` (or conflicting) line was kept. */
  rejectionId?: string;
  /** A conflict whose rejected item an earlier run (or the webhook) had kept already. */
  keptBefore?: boolean;
}

const LABELS: Record<RecoverOutcome, string> = {
  stored: 'stored',
  duplicate: 'already there',
  conflict: 'already there (different body kept; this one kept in the rejected table)',
  rejected: 'authentic but not a valid callStatus (kept in the rejected table)',
  'already-rejected':
    'authentic but not a valid callStatus, already in the rejected table (left as it was, replay marks included)',
  valid: 'authentic and valid (dry run: nothing written)',
  'not-authentic': 'not authentic (refused, nothing stored)',
  invalid: 'authentic but invalid (dry run: would be kept in the rejected table)',
  malformed: 'authentic but malformed (dry run: would be kept in the rejected table)',
  'unsupported-media-type': 'authentic but not JSON (dry run: would be kept in the rejected table)',
  unreadable: 'unreadable line (nothing stored)',
};

/** Outcomes that leave the delivery kept (or, in a dry run, that would). */
const RECOVERED = new Set<RecoverOutcome>([
  'stored',
  'duplicate',
  'conflict',
  'rejected',
  'already-rejected',
  'valid',
  'invalid',
  'malformed',
  'unsupported-media-type',
]);

/**
 * `recover <file|->`: the webhook's 503 log lines, as exported from CloudWatch, checked again and stored only
 * when they prove authentic. Every line is verified here with the stage's secret over the exact bytes, with
 * the line's own receive time as "now", whatever the line says about itself: a request that could not be
 * verified when it came (no secret readable, configuration broken) is kept now if FreeClimb signed it, and a
 * forged one never is.
 */
export const recoverCommand: Command = {
  summary:
    "check the webhook's 503 log lines (exported from CloudWatch) and store the authentic ones\n" +
    '      JSON Lines as logged, `aws logs filter-log-events` output or a Logs Insights export',
  usage: 'recover <file | -> [--secret <s>] [--retention-days <n>] [--dry-run]',
  options: {
    secret: { type: 'string' },
    'retention-days': { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, names: 'a file of log lines (or - for standard input)' },
  async run(context, values, positionals) {
    const { io } = context;
    const file = positionals[0] as string;
    const secrets = splitSecrets(
      typeof values.secret === 'string' ? values.secret : (io.env.FREECLIMB_SIGNING_SECRET ?? ''),
    );
    if (secrets.length === 0) {
      throw new UsageError(
        'No signing secret to verify the lines with: pass --secret <s> or set FREECLIMB_SIGNING_SECRET ' +
          '(every secret the stage had then, comma-separated)',
      );
    }
    const retentionDays =
      typeof values['retention-days'] === 'string'
        ? integerArgument(values['retention-days'], '--retention-days', 0, 36500)
        : 0;
    const toleranceSeconds =
      io.env.SIGNATURE_TOLERANCE_SECONDS === undefined
        ? DEFAULT_TOLERANCE_SECONDS
        : integerArgument(io.env.SIGNATURE_TOLERANCE_SECONDS, 'SIGNATURE_TOLERANCE_SECONDS', 1, 3600);
    const dryRun = values['dry-run'] === true;
    const from = file === '-' ? 'standard input' : file;
    const { lines, ignored } = notStoredLines(decodeExport(readInput(file), from));
    // The file may be the last copy of deliveries: finding nothing in it must never look like success.
    if (lines.length === 0) throw new CliError(nothingFound(from, ignored));
    // A dry run writes nothing, so it needs no table and works without credentials.
    const store = dryRun ? undefined : (await context.target()).store;

    const results: RecoverResult[] = [];
    for (const line of lines) {
      const result = await recoverLine(line, { secrets, toleranceSeconds, retentionDays, store });
      results.push(result);
      if (!context.json) io.stdout(`${describeResult(result)}\n`);
    }
    io.stdout(context.json ? json(results) : `${summarise(results, ignored, from, store)}\n`);
    return results.every((result) => RECOVERED.has(result.outcome)) ? 0 : 1;
  },
};

interface RecoverOptions {
  secrets: string[];
  toleranceSeconds: number;
  retentionDays: number;
  /** Undefined in a dry run. */
  store: CallStore | undefined;
}

/**
 * Verifies one line's delivery as the webhook would have when it came, and keeps it only if it holds. A real
 * run goes through the webhook's own decision flow (`receiveCallStatus`), with the line's receive time as
 * "now" and the secrets given here: an authentic, valid delivery becomes its call record, an authentic one
 * that fails the contract goes to the rejected table, and a forged one is refused before anything is written.
 * A dry run only verifies and validates.
 */
export async function recoverLine(line: LogLine, options: RecoverOptions): Promise<RecoverResult> {
  const { fields, source } = line;
  if (line.unreadable !== undefined) return { source, outcome: 'unreadable', reason: line.unreadable };
  const receivedAtMs = typeof fields.receivedAt === 'string' ? Date.parse(fields.receivedAt) : Number.NaN;
  if (Number.isNaN(receivedAtMs)) {
    return { source, outcome: 'unreadable', reason: 'no receivedAt: not a line the webhook logged' };
  }
  const receivedAt = new Date(receivedAtMs).toISOString();
  if (fields.rawBody !== undefined && typeof fields.rawBody !== 'string') {
    return { source, receivedAt, outcome: 'unreadable', reason: 'rawBody is not a string' };
  }
  const request: WebhookRequest = {
    headers: {
      [SIGNATURE_HEADER]: typeof fields.signature === 'string' ? fields.signature : undefined,
      // As received: a request without one is judged as the webhook judges it (415, kept if authentic).
      'content-type': typeof fields.contentType === 'string' ? fields.contentType : undefined,
    },
    body: fields.rawBody,
    isBase64Encoded: isTrue(fields.isBase64Encoded),
    receivedAtMs,
  };
  if (options.store === undefined) {
    return { source, receivedAt, ...preview(request, options) };
  }
  const secrets = options.secrets;
  try {
    const receipt = await receiveCallStatus(request, {
      store: options.store,
      secrets: async () => secrets,
      toleranceSeconds: options.toleranceSeconds,
      retentionDays: options.retentionDays,
      // The webhook measured the body before logging it; a line is never refused for its size here.
      maxBodyBytes: Number.POSITIVE_INFINITY,
    });
    return {
      source,
      receivedAt,
      callId: receipt.payload.callId,
      outcome: receipt.outcome,
      ...(receipt.rejectionId === undefined ? {} : { rejectionId: receipt.rejectionId }),
      ...(receipt.keptBefore ? { keptBefore: true } : {}),
    };
  } catch (error) {
    if (error instanceof SignatureError) {
      return { source, receivedAt, outcome: 'not-authentic', reason: error.message };
    }
    if (error instanceof WebhookError && error.rejectionId !== undefined) {
      const issues = error instanceof InvalidPayloadError ? error.issues : undefined;
      const reason = issues === undefined ? error.message : undefined;
      return {
        source,
        receivedAt,
        callId: error.callId,
        outcome: error.keptBefore ? 'already-rejected' : 'rejected',
        rejectionId: error.rejectionId,
        ...(issues ? { issues } : { reason }),
      };
    }
    // The store is unavailable: the CLI reports it and exits 1; running it again is harmless.
    throw error instanceof WebhookError && error.cause !== undefined ? error.cause : error;
  }
}

/** A dry run's verdict: the same signature and contract checks, nothing written. */
function preview(
  request: WebhookRequest,
  options: RecoverOptions,
): Pick<RecoverResult, 'callId' | 'outcome' | 'reason' | 'issues'> {
  const rawBody = readRawBody(request.body, request.isBase64Encoded, Number.POSITIVE_INFINITY);
  try {
    verifySignature({
      header: request.headers[SIGNATURE_HEADER],
      rawBody,
      secrets: options.secrets,
      toleranceSeconds: options.toleranceSeconds,
      nowMs: request.receivedAtMs,
    });
  } catch (error) {
    if (error instanceof SignatureError) return { outcome: 'not-authentic', reason: error.message };
    throw error;
  }
  if (!isJsonMediaType(request.headers['content-type'])) {
    return { callId: callIdIn(rawBody), outcome: 'unsupported-media-type' };
  }
  const checked = checkCallStatusBody(rawBody);
  return checked.ok
    ? { callId: checked.payload.callId, outcome: 'valid' }
    : { callId: checked.callId, outcome: checked.reason, issues: checked.issues };
}

/** The file's bytes: its encoding is read from them (see decodeExport), never assumed. */
function readInput(file: string): Buffer {
  try {
    return file === '-' ? readFileSync(0) : readFileSync(path.resolve(file));
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** `true` as logged; `"true"` or `"1"` as Logs Insights exports a boolean field. */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** What a file without a single 503 line held instead, and where the lines come from. */
function nothingFound(from: string, ignored: number): string {
  const held =
    ignored === 0
      ? 'it holds no log line at all'
      : `it holds ${ignored} other log ${ignored === 1 ? 'line' : 'lines'}, none of them "${NOT_STORED_MESSAGES.verified}" or "${NOT_STORED_MESSAGES.unverified}"`;
  return `No 503 line of the webhook in ${from}: ${held}. Nothing was recovered: export the function's ERROR lines (docs/operating.md, "When the alarm fires")`;
}

/** A conflict kept in the rejected table by an earlier run says so. */
function labelOf(result: RecoverResult): string {
  return result.outcome === 'conflict' && result.keptBefore === true
    ? 'already there (different body kept; this one already in the rejected table, left as it was)'
    : LABELS[result.outcome];
}

function describeResult(result: RecoverResult): string {
  const issues = result.issues?.map((issue) => `${issue.path || 'body'}: ${issue.message}`).join('; ');
  const detail = result.reason ?? issues;
  return [
    result.source,
    result.receivedAt ?? '(no receivedAt)',
    result.callId ?? '(no callId)',
    labelOf(result) +
      (result.rejectionId ? ` as ${result.rejectionId}` : '') +
      // Issue paths name the body's own keys, which a sender chose.
      (detail ? `: ${terminalText(detail)}` : ''),
  ].join('  ');
}

function summarise(
  results: RecoverResult[],
  ignored: number,
  from: string,
  store: CallStore | undefined,
): string {
  const counts = new Map<string, number>();
  for (const result of results) {
    const label = labelOf(result);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const parts = [...counts].map(([label, count]) => `${count} ${label}`);
  const into = store === undefined ? '' : ` into ${store.callsTable}`;
  const other = ignored > 0 ? `; ${ignored} other log ${ignored === 1 ? 'line' : 'lines'} ignored` : '';
  return `Recovered ${results.length} ${results.length === 1 ? 'line' : 'lines'} from ${from}${into}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}${other}`;
}
