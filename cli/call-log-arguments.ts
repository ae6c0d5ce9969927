import {
  CALL_LOG_DIRECTIONS,
  CALL_LOG_STATUSES,
  type CallLogFilter,
  type CallLogWindow,
} from '../lib/call-log';
import { integerArgument } from './arguments';
import { UsageError } from './cli-errors';
import type { ParsedValues } from './command';
import { MAX_WINDOW_DAYS, timeWindow } from './time-window';

/** The options `calls` and `summary` share: a window, the filters, and the Query page size (for tests). */
export const CALL_LOG_OPTIONS = {
  since: { type: 'string' },
  from: { type: 'string' },
  until: { type: 'string' },
  status: { type: 'string' },
  direction: { type: 'string' },
  number: { type: 'string' },
  'page-size': { type: 'string' },
} as const;

/** Their part of the usage line. */
export const CALL_LOG_USAGE =
  '[--since <90m|24h|7d> | --from <ISO time> [--until <ISO time>]] [--status <callStatus>] ' +
  '[--direction <direction>] [--number <E.164 or SIP address>]';

const DEFAULT_SINCE = '24h';
const DAY_MS = 86_400_000;

/** A window as the user gave it, with a description for the output's last line. */
export interface ChosenWindow extends CallLogWindow {
  description: string;
}

/**
 * `--since` (a duration ending now, 24h by default) or `--from` with an optional `--until` (ISO times; the
 * start included, the end excluded). Either way at most 366 days, the bound every `--since` has.
 */
export function callLogWindow(values: ParsedValues, nowMs: number): ChosenWindow {
  const since = stringValue(values, 'since');
  const from = stringValue(values, 'from');
  const until = stringValue(values, 'until');
  if (since !== undefined && (from !== undefined || until !== undefined)) {
    throw new UsageError('--since and --from/--until are two ways to give the window: use one');
  }
  if (from === undefined) {
    if (until !== undefined) throw new UsageError('--until needs --from');
    const window = timeWindow(since ?? DEFAULT_SINCE, '--since', nowMs);
    return {
      fromMs: window.sinceMs,
      untilMs: window.untilMs,
      description: `since ${window.sinceIso} (${window.text})`,
    };
  }
  const fromMs = isoTime(from, '--from');
  const untilMs = until === undefined ? nowMs : isoTime(until, '--until');
  if (!(fromMs < untilMs)) {
    throw new UsageError(`--from ${from} is not before ${until === undefined ? 'now' : `--until ${until}`}`);
  }
  if (untilMs - fromMs > MAX_WINDOW_DAYS * DAY_MS) {
    throw new UsageError(
      `--from ${from}: the longest window is ${MAX_WINDOW_DAYS} days (it is read one Query per day and shard)`,
    );
  }
  const fromIso = new Date(fromMs).toISOString();
  const untilIso = new Date(untilMs).toISOString();
  return { fromMs, untilMs, description: `from ${fromIso} until ${untilIso}` };
}

/** `2026-11-25` (UTC midnight) or a date and time with `Z` or an offset: never a guess at the zone. */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

function isoTime(value: string, flag: string): number {
  const ms = isCalendarTime(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `${flag} ${value}: expected an ISO time like 2026-11-25 or 2026-11-25T14:00:00Z (with Z or an offset)`,
    );
  }
  return ms;
}

/** The form above with a real day of the month and time of day: Date.parse takes 2026-02-30 and 24:00. */
function isCalendarTime(value: string): boolean {
  const match = ISO_TIME.exec(value);
  if (match === null) return false;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day));
  return (
    date.getUTCMonth() === (month ?? 0) - 1 &&
    date.getUTCDate() === day &&
    (hour ?? 0) < 24 &&
    (minute ?? 0) < 60 &&
    (second ?? 0) < 60 &&
    (offsetHours ?? 0) < 24 &&
    (offsetMinutes ?? 0) < 60
  );
}

/** E.164 (`+` and up to 15 digits) or a SIP address, as FreeClimb sends them in `from` and `to`. */
const NUMBER = /^(\+[1-9][0-9]{1,14}|sips?:[^\s]{1,250})$/;

/** `--status`, `--direction` and `--number`, each checked against what a record can hold. */
export function callLogFilter(values: ParsedValues): CallLogFilter {
  const filter: CallLogFilter = {};
  const status = stringValue(values, 'status');
  if (status !== undefined) filter.status = oneOf(status, '--status', CALL_LOG_STATUSES);
  const direction = stringValue(values, 'direction');
  if (direction !== undefined) filter.direction = oneOf(direction, '--direction', CALL_LOG_DIRECTIONS);
  const number = stringValue(values, 'number');
  if (number !== undefined) {
    if (!NUMBER.test(number)) {
      throw new UsageError(
        `--number ${number}: expected an E.164 number (+13125550142) or a SIP address (sip:agent@pbx.example.com)`,
      );
    }
    filter.number = number;
  }
  return filter;
}

/** `--page-size`: items per Query page (1 to 1000); DynamoDB's own 1 MB pages when absent. */
export function pageSizeOf(values: ParsedValues): number | undefined {
  const pageSize = stringValue(values, 'page-size');
  return pageSize === undefined ? undefined : integerArgument(pageSize, '--page-size', 1, 1000);
}

function oneOf(value: string, flag: string, allowed: readonly string[]): string {
  if (!allowed.includes(value))
    throw new UsageError(`${flag} ${value}: expected one of ${allowed.join(', ')}`);
  return value;
}

function stringValue(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
