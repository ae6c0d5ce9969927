import type { CallDetails } from './call-details';
import type { CallLogEntry } from './call-log';

/** Counts over the call records of a window: what `summary` prints. */
export interface CallLogSummary {
  /** Every call record in the window, legs included. */
  total: number;
  /** Records with no parent: the calls themselves. */
  calls: number;
  /** Records with a `parentCallId`: legs a call created. */
  legs: number;
  byStatus: Record<string, number>;
  byDirection: Record<string, number>;
  totalDurationSeconds: number;
  /** Records with FreeClimb's details (`details`), which the talk time below adds up. */
  enriched: number;
  /** The `connectDuration` of the enriched records: time answered, without ring time. */
  totalConnectDurationSeconds: number;
  /** Over every record in the window; 0 when there is none. Rounded to a tenth of a second. */
  meanDurationSeconds: number;
}

/** Adds up call log entries as they are read, without keeping them. */
export class CallLogTally {
  private readonly counts: Omit<CallLogSummary, 'meanDurationSeconds'> = {
    total: 0,
    calls: 0,
    legs: 0,
    byStatus: {},
    byDirection: {},
    totalDurationSeconds: 0,
    enriched: 0,
    totalConnectDurationSeconds: 0,
  };

  /** Counts one record, with its details when it has them. */
  add(entry: CallLogEntry, details?: Pick<CallDetails, 'connectDuration'>): void {
    const counts = this.counts;
    counts.total += 1;
    if (entry.parentCallId === undefined) counts.calls += 1;
    else counts.legs += 1;
    counts.byStatus[entry.callStatus] = (counts.byStatus[entry.callStatus] ?? 0) + 1;
    counts.byDirection[entry.direction] = (counts.byDirection[entry.direction] ?? 0) + 1;
    counts.totalDurationSeconds += entry.callDuration;
    if (details !== undefined) {
      counts.enriched += 1;
      counts.totalConnectDurationSeconds += details.connectDuration ?? 0;
    }
  }

  /** The totals so far, keys of the breakdowns in alphabetical order. */
  summary(): CallLogSummary {
    const { total, totalDurationSeconds } = this.counts;
    return {
      ...this.counts,
      byStatus: sortedKeys(this.counts.byStatus),
      byDirection: sortedKeys(this.counts.byDirection),
      meanDurationSeconds: total === 0 ? 0 : Math.round((totalDurationSeconds / total) * 10) / 10,
    };
  }
}

function sortedKeys(counts: Record<string, number>): Record<string, number> {
  // One comparison, not `a < b ? -1 : …`: V8 sorts a handful of keys without ever asking the other way round.
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b, 'en')));
}
