import type { CallRecord } from '../lib/call-record';
import { type CallStore, getCall, listLegs } from '../lib/call-store';
import { callIdArgument, integerArgument } from './arguments';
import { NotFoundError } from './cli-errors';
import type { Command } from './command';
import { counted, formatDuration, json } from './format';
import { terminalText } from './terminal-text';

/** One call in the tree; `call` is absent for a parent whose own callStatus has not arrived (yet). */
export interface LegNode {
  callId: string;
  call?: CallRecord;
  legs: LegNode[];
}

export interface LegTotals {
  /** Calls with a record in the tree, the root included. */
  calls: number;
  /** Everything below the root. */
  legs: number;
  levels: number;
  totalDurationSec: number;
  byStatus: Record<string, number>;
}

/** How many parents are queried at once on one level of the tree. */
const PARALLEL_QUERIES = 8;

/** `legs <callId>`: the call and every leg below it, from the parent index, every page. */
export const legsCommand: Command = {
  summary: 'a call and all its legs as a tree, with status, reason, duration and totals',
  usage: 'legs <callId> [--page-size <n>]',
  options: { 'page-size': { type: 'string' } },
  positionals: { min: 1, max: 1, names: 'a call id' },
  async run(context, values, positionals) {
    const callId = callIdArgument(positionals[0], 'legs');
    const pageSize =
      typeof values['page-size'] === 'string'
        ? integerArgument(values['page-size'], '--page-size', 1, 1000)
        : undefined;
    const target = await context.target();
    const tree = await findLegs(target.store, callId, pageSize);
    if (tree.call === undefined && tree.legs.length === 0) {
      throw new NotFoundError(`No call ${callId} in ${target.store.callsTable}, and no legs of it`);
    }
    const totals = totalsOf(tree);
    context.io.stdout(
      context.json ? json({ ...tree, totals }) : `${drawTree(tree)}\n${describeTotals(totals)}`,
    );
    return 0;
  },
};

/**
 * The call and its legs, level by level (breadth first): each parent's legs come from the index page by
 * page, oldest first. A leg seen twice is shown once, so bad data cannot loop.
 */
export async function findLegs(store: CallStore, callId: string, pageSize?: number): Promise<LegNode> {
  const root: LegNode = { callId, call: await getCall(store, callId, { consistentRead: true }), legs: [] };
  const seen = new Set([callId]);
  let level = [root];
  while (level.length > 0) {
    const pages = await inBatches(level, PARALLEL_QUERIES, (node) => allLegs(store, node.callId, pageSize));
    const next: LegNode[] = [];
    level.forEach((node, index) => {
      for (const call of pages[index] ?? []) {
        if (seen.has(call.callId)) continue;
        seen.add(call.callId);
        const leg = { callId: call.callId, call, legs: [] };
        node.legs.push(leg);
        next.push(leg);
      }
    });
    level = next;
  }
  return root;
}

async function allLegs(store: CallStore, parentCallId: string, pageSize?: number): Promise<CallRecord[]> {
  const legs: CallRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listLegs(store, parentCallId, { limit: pageSize, cursor });
    legs.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return legs;
}

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

/** Counts over every call in the tree that has a record. */
export function totalsOf(root: LegNode): LegTotals {
  const totals: LegTotals = { calls: 0, legs: -1, levels: 0, totalDurationSec: 0, byStatus: {} };
  const visit = (node: LegNode, depth: number) => {
    totals.legs += 1;
    totals.levels = Math.max(totals.levels, depth);
    if (node.call !== undefined) {
      totals.calls += 1;
      totals.totalDurationSec += node.call.callDuration;
      totals.byStatus[node.call.callStatus] = (totals.byStatus[node.call.callStatus] ?? 0) + 1;
    }
    for (const leg of node.legs) visit(leg, depth + 1);
  };
  visit(root, 1);
  return totals;
}

/** The tree with box-drawing characters, one line per call. */
export function drawTree(root: LegNode): string {
  const lines = [lineOf(root)];
  const visit = (node: LegNode, prefix: string) => {
    node.legs.forEach((leg, index) => {
      const last = index === node.legs.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${lineOf(leg)}`);
      visit(leg, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  visit(root, '');
  return `${lines.join('\n')}\n`;
}

function lineOf(node: LegNode): string {
  const call = node.call;
  if (call === undefined) {
    return `${terminalText(node.callId)}  (no record of this call yet; its legs are below)`;
  }
  return callLine(call);
}

/**
 * One call on one line: id, direction, status (reason), duration, from → to, receive time. Stored strings
 * are shown with their control characters escaped (terminalText), so a line is always one line.
 */
export function callLine(
  call: Pick<
    CallRecord,
    'callId' | 'direction' | 'callStatus' | 'callEndedReason' | 'callDuration' | 'from' | 'to' | 'receivedAt'
  >,
): string {
  return terminalText(
    [
      call.callId,
      call.direction,
      `${call.callStatus} (${call.callEndedReason})`,
      formatDuration(call.callDuration),
      `${call.from} → ${call.to}`,
      call.receivedAt,
    ].join('  '),
  );
}

export function describeTotals(totals: LegTotals): string {
  const statuses = Object.entries(totals.byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${terminalText(status)} ${count}`)
    .join(', ');
  const duration =
    totals.totalDurationSec >= 60
      ? `${formatDuration(totals.totalDurationSec)} (${totals.totalDurationSec} s)`
      : formatDuration(totals.totalDurationSec);
  return (
    `${counted(totals.legs, 'leg')} below the call, ${counted(totals.levels, 'level')}; ` +
    `${counted(totals.calls, 'record')}, ` +
    `total duration ${duration}\nby status: ${statuses || 'none'}\n`
  );
}
