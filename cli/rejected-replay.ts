import { toCallRecord } from '../lib/call-record';
import { checkCallStatusBody } from '../lib/call-status-body';
import {
  type CallStore,
  getRejectedDelivery,
  markRejectedDeliveryReplayed,
  saveCallRecord,
  scanRejectedDeliveries,
} from '../lib/call-store';
import type { ValidationIssue } from '../lib/errors';
import type { RejectedDelivery, ReplayOutcome } from '../lib/rejected-delivery';
import { rejectionIdArgument } from './arguments';
import { NotFoundError, UsageError } from './cli-errors';
import type { Command } from './command';
import { json, REPLAY_LABELS as LABELS } from './format';
import { findRejected } from './rejected-list';
import { terminalText } from './terminal-text';
import { type TimeWindow, timeWindow } from './time-window';

export interface ReplayResult {
  rejectionId: string;
  callId?: string;
  /** `valid` only in a dry run: it would be stored (or found already there). */
  outcome: ReplayOutcome | 'valid';
  issues?: ValidationIssue[];
}

/** `rejected replay <id>… | --all`: validate kept bodies again with today's schema and store what passes. */
export const rejectedReplayCommand: Command = {
  summary: 'validate rejected bodies again with the current schema and store the ones that pass',
  usage: 'rejected replay <rejectionId>… | --all [--since <90m|24h|7d>] [--dry-run]',
  options: { all: { type: 'boolean' }, since: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY, names: 'rejection ids' },
  async run(context, values, positionals) {
    const all = values.all === true;
    if (all === positionals.length > 0) {
      throw new UsageError('rejected replay needs rejection ids (as "rejected list" prints them) or --all');
    }
    if (typeof values.since === 'string' && !all) {
      throw new UsageError('--since only applies with --all');
    }
    const ids = positionals.map(rejectionIdArgument);
    const window =
      typeof values.since === 'string' ? timeWindow(values.since, '--since', context.io.now()) : undefined;
    const target = await context.target();
    const { store } = target;
    const items = all ? await everyRejected(store, window) : await someRejected(store, ids);

    const results: ReplayResult[] = [];
    for (const item of items) {
      const result = await replayRejected(store, item, {
        dryRun: values['dry-run'] === true,
        nowMs: context.io.now(),
      });
      results.push(result);
      if (!context.json) context.io.stdout(`${describeResult(result)}\n`);
    }
    context.io.stdout(context.json ? json(results) : `${summarise(results, store.rejectedTable)}\n`);
    return results.some((result) => result.outcome === 'invalid' || result.outcome === 'malformed') ? 1 : 0;
  },
};

async function someRejected(store: CallStore, ids: string[]): Promise<RejectedDelivery[]> {
  const items: RejectedDelivery[] = [];
  for (const id of ids) {
    const item = await getRejectedDelivery(store, id);
    if (item === undefined) throw new NotFoundError(`No rejected delivery ${id} in ${store.rejectedTable}`);
    items.push(item);
  }
  return items;
}

/** Everything kept (or everything since a time), oldest first: the earliest delivery of a call wins, as live. */
async function everyRejected(store: CallStore, window: TimeWindow | undefined): Promise<RejectedDelivery[]> {
  if (window !== undefined) return (await findRejected(store, window)).reverse();
  const items: RejectedDelivery[] = [];
  let cursor: string | undefined;
  do {
    const page = await scanRejectedDeliveries(store, { cursor });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return items.sort((a, b) => a.rejectionId.localeCompare(b.rejectionId));
}

/**
 * Replays one kept delivery exactly as the webhook would have handled it: the same body check, the same
 * record (with the time it was first received and signed, and the retention it was kept with) and the same
 * conditional write, so a call already stored is never changed and replaying twice stores nothing new.
 */
export async function replayRejected(
  store: CallStore,
  item: RejectedDelivery,
  options: { dryRun: boolean; nowMs: number },
): Promise<ReplayResult> {
  const rawBody =
    item.rawBody !== undefined
      ? Buffer.from(item.rawBody, 'utf8')
      : Buffer.from(item.rawBodyBase64 ?? '', 'base64');
  const checked = checkCallStatusBody(rawBody);
  let result: ReplayResult;
  if (!checked.ok) {
    result = {
      rejectionId: item.rejectionId,
      callId: checked.callId,
      outcome: checked.reason,
      issues: checked.issues,
    };
  } else if (options.dryRun) {
    result = { rejectionId: item.rejectionId, callId: checked.payload.callId, outcome: 'valid' };
  } else {
    const receivedAtMs = Date.parse(item.receivedAt);
    const signedAt = item.signedAt === undefined ? undefined : Date.parse(item.signedAt) / 1000;
    const record = toCallRecord(checked.payload, { receivedAtMs, signedAt, rawBody }, retentionDaysOf(item));
    const saved = await saveCallRecord(store, record);
    result = { rejectionId: item.rejectionId, callId: record.callId, outcome: saved.outcome };
  }
  if (!options.dryRun && result.outcome !== 'valid') {
    await markRejectedDeliveryReplayed(store, item.rejectionId, {
      replayedAt: new Date(options.nowMs).toISOString(),
      replayOutcome: result.outcome,
    });
  }
  return result;
}

/** The retention the webhook kept this delivery with, so the record expires when it would have. */
function retentionDaysOf(item: RejectedDelivery): number {
  if (item.expiresAt === undefined) return 0;
  const receivedAtSeconds = Math.floor(Date.parse(item.receivedAt) / 1000);
  return Math.max(0, Math.round((item.expiresAt - receivedAtSeconds) / 86_400));
}

function describeResult(result: ReplayResult): string {
  const issues = result.issues?.map((issue) => `${issue.path || 'body'}: ${issue.message}`).join('; ');
  // The issues' paths are the sender's keys: control characters escaped.
  return terminalText(
    [
      result.rejectionId,
      result.callId ?? '(no callId)',
      LABELS[result.outcome] + (issues ? `: ${issues}` : ''),
    ].join('  '),
  );
}

function summarise(results: ReplayResult[], table: string): string {
  const counts = new Map<string, number>();
  for (const result of results)
    counts.set(LABELS[result.outcome], (counts.get(LABELS[result.outcome]) ?? 0) + 1);
  const parts = [...counts].map(([label, count]) => `${count} ${label}`);
  return `Replayed ${results.length} from ${table}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}
