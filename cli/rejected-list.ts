import { type CallStore, listRejectedDeliveries } from '../lib/call-store';
import type { RejectedDelivery } from '../lib/rejected-delivery';
import type { Command } from './command';
import { counted, REPLAY_LABELS } from './format';
import { JsonArrayWriter } from './json-array-writer';
import { terminalText } from './terminal-text';
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
    const out = context.io.stdout;
    // Written item by item as the days are read: a long window of mass rejections (a schema change refuses
    // every delivery until it is fixed) is never held whole, nor built into one string.
    const array = new JsonArrayWriter(out);
    let count = 0;
    for await (const item of rejectedSince(target.store, window)) {
      count += 1;
      if (context.json) array.add(item);
      else out(`${describeRejected(item)}\n`);
      await context.io.drained?.();
    }
    if (context.json) array.end();
    else {
      out(
        `${counted(count, 'rejected delivery', 'rejected deliveries')} since ${window.sinceIso} (${since}) in ${target.store.rejectedTable}\n`,
      );
    }
    return 0;
  },
};

/** Rejected deliveries received within the window, newest first, page by page from its UTC day partitions. */
export async function* rejectedSince(store: CallStore, window: TimeWindow): AsyncGenerator<RejectedDelivery> {
  for (const receivedDate of window.days) {
    let cursor: string | undefined;
    do {
      const page = await listRejectedDeliveries(store, receivedDate, { cursor });
      const recent = page.items.filter((item) => item.receivedAt >= window.sinceIso);
      yield* recent;
      // Newest first within the day: once one is older than `since`, so is the rest of the day.
      cursor = recent.length < page.items.length ? undefined : page.cursor;
    } while (cursor !== undefined);
  }
}

/** The same deliveries, all at once. */
export async function findRejected(store: CallStore, window: TimeWindow): Promise<RejectedDelivery[]> {
  const items: RejectedDelivery[] = [];
  for await (const item of rejectedSince(store, window)) items.push(item);
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
  // Stored strings, the issues' paths (the sender's keys) among them: control characters escaped. The cut is
  // made first, so an escape is never cut in half.
  return terminalText(
    [item.rejectionId, item.reason.padEnd(10), item.callId ?? '(no callId)', shortIssues].join('  ') +
      replayed,
  );
}
