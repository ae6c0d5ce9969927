import { UsageError } from './cli-errors';

/**
 * The one reading of `--since 90m|24h|7d`, for every command that takes it.
 *
 * The window is bounded at 366 days: the rejected table is partitioned by UTC day and is read one Query per
 * day, so a window is a plan of at most 367 Queries (the partial day at each end included). A year covers
 * any investigation of recent deliveries, leap day included; with `retentionDays` set, older items are
 * gone anyway, and with it unset (keep forever) a reach further back is a full export, which is what one
 * Scan (`rejected replay --all --dry-run`) or the console is for, not a loop of mostly empty Queries.
 */
export const MAX_WINDOW_DAYS = 366;

const DAY_MS = 86_400_000;
const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: DAY_MS } as const;

/** A bounded stretch of time ending now, and the UTC days it touches. */
export interface TimeWindow {
  /** As typed, e.g. `24h`. */
  text: string;
  sinceMs: number;
  untilMs: number;
  /** `sinceMs` as an ISO time, to compare with stored `receivedAt` values. */
  sinceIso: string;
  /** Every UTC day (`YYYY-MM-DD`) the window touches, newest first: one Query each, at most 367. */
  days: string[];
}

/** Reads `--since` (or another flag of the same form) into a window ending at `nowMs`; exit 2 when wrong. */
export function timeWindow(value: string, flag: string, nowMs: number): TimeWindow {
  const match = DURATION.exec(value);
  const amount = Number(match?.[1]);
  if (match === null || !(amount > 0)) {
    throw new UsageError(`${flag} ${value}: expected a duration like 90m, 24h or 7d`);
  }
  const lengthMs = amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!(lengthMs <= MAX_WINDOW_DAYS * DAY_MS)) {
    throw new UsageError(
      `${flag} ${value}: the longest window is ${MAX_WINDOW_DAYS}d (it is read one Query per day)`,
    );
  }
  const sinceMs = nowMs - lengthMs;
  const days: string[] = [];
  for (let day = utcDay(nowMs); day >= utcDay(sinceMs); day -= DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return { text: value, sinceMs, untilMs: nowMs, sinceIso: new Date(sinceMs).toISOString(), days };
}

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
