import { type CallStore, listRejectedDeliveries } from '../../lib/call-store';
import type { RejectedDelivery } from '../../lib/rejected-delivery';
import { durationArgument } from './arguments';
import type { Command } from './command';
import { json, REPLAY_LABELS } from './format';

const DEFAULT_SINCE = '24h';
const DAY_MS = 86_400_000;
/** Issues beyond this length are cut in the readable list; `--json` has them whole. */
const ISSUES_WIDTH = 120;

/** `rejected list [--since 24h]`: what the webhook quarantined, newest first. */
export const rejectedListCommand: Command = {
  summary: 'what the webhook kept in the rejected table, newest first, with the reason',
  usage: `rejected list [--since <90m|24h|7d>]   (default ${DEFAULT_SINCE})`,
  options: { since: { type: 'string' } },
  async run(context, values) {
    const since = typeof values.since === 'string' ? values.since : DEFAULT_SINCE;
    const sinceMs = context.io.now() - durationArgument(since, '--since');
    const target = await context.target();
    const items = await findRejected(target.store, sinceMs, context.io.now());
    if (context.json) {
      context.io.stdout(json(items));
      return 0;
    }
    const from = new Date(sinceMs).toISOString();
    const lines = items.map(describeRejected);
    lines.push(
      `${items.length} rejected ${items.length === 1 ? 'delivery' : 'deliveries'} since ${from} (${since}) in ${target.store.rejectedTable}`,
    );
    context.io.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** Rejected deliveries received at or after `sinceMs`, newest first, across the UTC day partitions. */
export async function findRejected(
  store: CallStore,
  sinceMs: number,
  nowMs: number,
): Promise<RejectedDelivery[]> {
  const since = new Date(sinceMs).toISOString();
  const items: RejectedDelivery[] = [];
  for (let day = utcDay(nowMs); day >= utcDay(sinceMs); day -= DAY_MS) {
    const receivedDate = new Date(day).toISOString().slice(0, 10);
    let cursor: string | undefined;
    do {
      const page = await listRejectedDeliveries(store, receivedDate, { cursor });
      const recent = page.items.filter((item) => item.receivedAt >= since);
      items.push(...recent);
      // Newest first within the day: once one is older than `since`, so is the rest of the day.
      cursor = recent.length < page.items.length ? undefined : page.cursor;
    } while (cursor !== undefined);
  }
  return items;
}

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** `<rejectionId>  <reason>  <callId>  <issues>  [replayed: …]` */
export function describeRejected(item: RejectedDelivery): string {
  const issues = item.issues
    .map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`))
    .join('; ');
  const shortIssues = issues.length > ISSUES_WIDTH ? `${issues.slice(0, ISSUES_WIDTH - 1)}…` : issues;
  const replayed =
    item.replayedAt === undefined
      ? ''
      : `  [replayed ${item.replayedAt}: ${item.replayOutcome === undefined ? '?' : REPLAY_LABELS[item.replayOutcome]}]`;
  return (
    [item.rejectionId, item.reason.padEnd(10), item.callId ?? '(no callId)', shortIssues].join('  ') +
    replayed
  );
}
