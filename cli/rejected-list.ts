import { type CallStore, listRejectedDeliveries } from '../lib/call-store';
import type { RejectedDelivery } from '../lib/rejected-delivery';
import type { Command } from './command';
import { json, REPLAY_LABELS } from './format';
import { type TimeWindow, timeWindow } from './time-window';

const DEFAULT_SINCE = '24h';
/** Issues beyond this length are cut in the readable list; `--json` has them whole. */
const ISSUES_WIDTH = 120;

/** `rejected list [--since 24h]`: what the webhook quarantined, newest first. */
export const rejectedListCommand: Command = {
  summary: 'what the webhook kept in the rejected table, newest first, with the reason',
  usage: `rejected list [--since <90m|24h|7d>]   (default ${DEFAULT_SINCE})`,
  options: { since: { type: 'string' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, values) {
    const since = typeof values.since === 'string' ? values.since : DEFAULT_SINCE;
    const window = timeWindow(since, '--since', context.io.now());
    const target = await context.target();
    const items = await findRejected(target.store, window);
    if (context.json) {
      context.io.stdout(json(items));
      return 0;
    }
    const lines = items.map(describeRejected);
    lines.push(
      `${items.length} rejected ${items.length === 1 ? 'delivery' : 'deliveries'} since ${window.sinceIso} (${since}) in ${target.store.rejectedTable}`,
    );
    context.io.stdout(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** Rejected deliveries received within the window, newest first, from its UTC day partitions. */
export async function findRejected(store: CallStore, window: TimeWindow): Promise<RejectedDelivery[]> {
  const items: RejectedDelivery[] = [];
  for (const receivedDate of window.days) {
    let cursor: string | undefined;
    do {
      const page = await listRejectedDeliveries(store, receivedDate, { cursor });
      const recent = page.items.filter((item) => item.receivedAt >= window.sinceIso);
      items.push(...recent);
      // Newest first within the day: once one is older than `since`, so is the rest of the day.
      cursor = recent.length < page.items.length ? undefined : page.cursor;
    } while (cursor !== undefined);
  }
  return items;
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
