import {
  type CallLogDay,
  type CallLogEntry,
  type CallLogFilter,
  type CallLogWindow,
  readCallLog,
} from '../lib/call-log';
import { CALL_LOG_INDEX } from '../lib/call-log-key';
import type { CallStore } from '../lib/call-store';
import { type EnrichmentState, withEnrichmentStates } from '../lib/enrichment-state';
import { integerArgument } from './arguments';
import {
  CALL_LOG_OPTIONS,
  CALL_LOG_USAGE,
  callLogFilter,
  callLogWindow,
  pageSizeOf,
} from './call-log-arguments';
import { StackError, UsageError } from './cli-errors';
import type { Command } from './command';
import { csvLine } from './csv';
import { counted } from './format';
import { JsonArrayWriter } from './json-array-writer';
import { callLine } from './legs';
import { terminalText } from './terminal-text';

/**
 * The CSV columns, in order: the record's own attribute names, then the talk time from its `details` (read
 * from the table per row, 100 a request: the index does not project it; empty until the call is enriched).
 */
export const CSV_COLUMNS = [
  'callId',
  'parentCallId',
  'receivedAt',
  'callStatus',
  'callEndedReason',
  'direction',
  'from',
  'to',
  'callDuration',
  'connectDuration',
] as const satisfies ReadonlyArray<keyof CallLogEntry | 'connectDuration'>;

/** `calls`: the call log, newest first, from the time-ordered index (never a Scan). */
export const callsCommand: Command = {
  summary: 'calls received in a time window, newest first, with filters; as lines, JSON or CSV',
  usage: `calls ${CALL_LOG_USAGE} [--limit <n>] [--json | --csv] [--page-size <n>]   (default --since 24h)`,
  options: { ...CALL_LOG_OPTIONS, limit: { type: 'string' }, csv: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, values) {
    const window = callLogWindow(values, context.io.now());
    const filter = callLogFilter(values);
    const pageSize = pageSizeOf(values);
    const limit =
      typeof values.limit === 'string' ? integerArgument(values.limit, '--limit', 1, 10_000_000) : undefined;
    const csv = values.csv === true;
    if (csv && context.json) throw new UsageError('--json and --csv are two output forms: use one');
    const target = await context.target();
    const out = context.io.stdout;
    if (csv) out(csvLine(CSV_COLUMNS));
    // Every form is written entry by entry as the window is read, so memory holds one day, not the window.
    const array = new JsonArrayWriter(out);
    let count = 0;
    let older = false;
    // One entry beyond the limit is read, only to know whether older ones exist.
    const entries = callLog(
      target.store,
      window,
      filter,
      pageSize,
      limit === undefined ? undefined : limit + 1,
    );
    for await (const [entry, state] of csv
      ? withEnrichmentStates(target.store, entries)
      : withoutStates(entries)) {
      if (count === limit) {
        older = true;
        break;
      }
      count += 1;
      if (context.json) array.add(entry);
      else if (csv) {
        const row = { ...entry, connectDuration: state?.details?.connectDuration };
        out(csvLine(CSV_COLUMNS.map((column) => row[column])));
      } else out(`${callLine(entry)}\n`);
      await context.io.drained?.();
    }
    if (context.json) array.end();
    else if (!csv) {
      const limited = older ? ` (--limit ${limit}: older ones not shown)` : '';
      out(
        `${counted(count, 'call')}${terminalText(describeFilter(filter))} ${window.description} in ${target.store.callsTable}${limited}\n`,
      );
    }
    return 0;
  },
};

async function* withoutStates<T>(
  entries: AsyncIterable<T>,
): AsyncGenerator<[T, EnrichmentState | undefined]> {
  for await (const entry of entries) yield [entry, undefined];
}

/** The window's entries one by one, newest first, stopping after `limit` (when given). */
export async function* callLog(
  store: CallStore,
  window: CallLogWindow,
  filter: CallLogFilter,
  pageSize: number | undefined,
  limit: number | undefined,
): AsyncGenerator<CallLogEntry> {
  let count = 0;
  for await (const day of callLogDays(store, window, filter, pageSize)) {
    for (const entry of day.entries) {
      if (limit !== undefined && count >= limit) return;
      count += 1;
      yield entry;
    }
    if (limit !== undefined && count >= limit) return;
  }
}

/**
 * The call log by day, as `calls` and `summary` read it. A table deployed before the index existed has no
 * index to read: that is said in words, with what to do.
 */
async function* callLogDays(
  store: CallStore,
  window: CallLogWindow,
  filter: CallLogFilter,
  pageSize: number | undefined,
): AsyncGenerator<CallLogDay> {
  try {
    yield* readCallLog(store, window, filter, { pageSize });
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    if (name === 'ValidationException' && message?.includes(CALL_LOG_INDEX)) {
      throw new StackError(
        `${store.callsTable} has no index ${CALL_LOG_INDEX}: deploy this version of the service, then run backfill`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** ` with status busy, number +1312…` for the summary line; empty without filters. */
export function describeFilter(filter: CallLogFilter): string {
  const parts = [
    filter.status === undefined ? undefined : `status ${filter.status}`,
    filter.direction === undefined ? undefined : `direction ${filter.direction}`,
    filter.number === undefined ? undefined : `number ${filter.number}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? '' : ` with ${parts.join(', ')}`;
}
