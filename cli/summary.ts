import { type CallLogSummary, CallLogTally } from '../lib/call-log-summary';
import { withEnrichmentStates } from '../lib/enrichment-state';
import {
  CALL_LOG_OPTIONS,
  CALL_LOG_USAGE,
  callLogFilter,
  callLogWindow,
  pageSizeOf,
} from './call-log-arguments';
import { callLog, describeFilter } from './calls';
import type { Command } from './command';
import { columns, counted, formatDuration, json } from './format';
import { terminalText } from './terminal-text';

/** `summary`: counts over the same windows and filters as `calls`, from the same index. */
export const summaryCommand: Command = {
  summary: 'counts of the calls in a time window: by status and direction, durations, legs',
  usage: `summary ${CALL_LOG_USAGE} [--page-size <n>]   (default --since 24h)`,
  options: CALL_LOG_OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run(context, values) {
    const window = callLogWindow(values, context.io.now());
    const filter = callLogFilter(values);
    const pageSize = pageSizeOf(values);
    const target = await context.target();
    const tally = new CallLogTally();
    const entries = callLog(target.store, window, filter, pageSize, undefined);
    for await (const [entry, state] of withEnrichmentStates(target.store, entries)) {
      tally.add(entry, state?.details);
    }
    const summary = tally.summary();
    const from = new Date(window.fromMs).toISOString();
    const until = new Date(window.untilMs).toISOString();
    context.io.stdout(
      context.json
        ? json({ from, until, ...filter, ...summary })
        : describeSummary(
            summary,
            `Calls${describeFilter(filter)} ${window.description} in ${target.store.callsTable}`,
          ),
    );
    return 0;
  },
};

/** The summary as aligned lines under a title. */
export function describeSummary(summary: CallLogSummary, title: string): string {
  const counts = (byKey: Record<string, number>) =>
    Object.entries(byKey)
      .map(([key, count]) => `${terminalText(key)} ${count}`)
      .join(', ') || 'none';
  const duration = (seconds: number) =>
    seconds >= 60 ? `${formatDuration(Math.round(seconds))} (${seconds} s)` : `${seconds} s`;
  return `${terminalText(title)}\n${columns([
    ['records', `${summary.total} (${counted(summary.calls, 'call')}, ${counted(summary.legs, 'leg')})`],
    ['by status', counts(summary.byStatus)],
    ['by direction', counts(summary.byDirection)],
    ['total duration', duration(summary.totalDurationSeconds)],
    [
      'talk time',
      `${duration(summary.totalConnectDurationSeconds)} over ${counted(summary.enriched, 'enriched record')}`,
    ],
    ['mean duration', duration(summary.meanDurationSeconds)],
  ])}\n`;
}
