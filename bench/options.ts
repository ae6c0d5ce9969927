import { parseArgs } from 'node:util';

/** What one `npm run bench` measures, and how much of it. */
export interface BenchOptions {
  /** Events per side and per concurrency level in the write-path comparison, and over HTTP. */
  events: number;
  /** Requests in flight in the concurrent runs. */
  concurrency: number;
  /** Events in the separate process whose peak RSS is reported. */
  memoryEvents: number;
  /** Fresh Node processes of each kind (bare, SDK floor, handler) in the import-time comparison. */
  importRuns: number;
  /** Time per CPU micro-benchmark task, in milliseconds (after its warm-up). */
  cpuTimeMs: number;
  /** N in the call log comparison: one hour listed out of N records, then out of 10·N. */
  callLogRecords: number;
  /** Enriched calls listed in the enrichment measurement (talk time read per row vs a second index). */
  enrichmentRows: number;
  /** The measurements to run; all of them unless `--only` names some. */
  only: Set<Measurement>;
}

/** The measurements, by the names `--only` takes. */
export const MEASUREMENTS = [
  'round-trips',
  'write-path',
  'cpu',
  'start-up',
  'http',
  'memory',
  'call-log',
  'enrichment',
] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

export class UsageError extends Error {}

/**
 * N of the call log comparison. DynamoDB Local's Scan reads each 1 MB page in time that grows with the
 * table, so the baseline's time grows roughly with the square of N: 200,000 records took over four minutes of
 * Scan alone on 2 cores. 5,000 → 50,000 shows the same tenfold growth of the Scan against the flat index
 * read within the run's few minutes; `--call-log-records` takes larger tables.
 */
export const DEFAULT_CALL_LOG_RECORDS = 5000;

export const USAGE = `Usage: npm run bench -- [--events N] [--concurrency N] [--memory-events N] [--import-runs N] [--quick]

  --events N         signed webhooks per side and per concurrency level (default 2000)
  --concurrency N    requests in flight in the concurrent runs (default 32)
  --memory-events N  webhooks stored by the process whose peak RSS is measured (default 10000)
  --import-runs N    fresh processes of each kind when timing the handler's import (default 15, at least 10)
  --call-log-records N  the call log lists one hour out of N records, then out of 10·N (default ${DEFAULT_CALL_LOG_RECORDS})
  --only a,b         only these measurements: ${MEASUREMENTS.join(', ')}
  --quick            a smoke run: 500 events, 2000 for memory, 10 import runs, short CPU tasks, call log N 2000`;

/** Reads the command line; throws {@link UsageError} on anything it does not understand. */
export function readOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      'memory-events': { type: 'string' },
      'import-runs': { type: 'string' },
      'call-log-records': { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  return {
    events: count(values.events, '--events', quick ? 500 : 2000, 32),
    concurrency: count(values.concurrency, '--concurrency', 32, 1),
    memoryEvents: count(values['memory-events'], '--memory-events', quick ? 2000 : 10_000, 1),
    importRuns: count(values['import-runs'], '--import-runs', quick ? 10 : 15, 10),
    cpuTimeMs: quick ? 250 : 1000,
    callLogRecords: count(
      values['call-log-records'],
      '--call-log-records',
      quick ? 2000 : DEFAULT_CALL_LOG_RECORDS,
      1000,
    ),
    enrichmentRows: quick ? 200 : 1000,
    only: measurements(values.only),
  };
}

function count(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= 10_000_000)) {
    throw new UsageError(`${name} must be a whole number of at least ${min}`);
  }
  return parsed;
}

function measurements(value: string | undefined): Set<Measurement> {
  if (value === undefined) return new Set(MEASUREMENTS);
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(MEASUREMENTS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new UsageError(`--only takes ${MEASUREMENTS.join(', ')}; not ${unknown.join(', ')}`);
  }
  return new Set(names as Measurement[]);
}
