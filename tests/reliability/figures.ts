import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { testEngine } from '../support/test-engine';

/**
 * Figures the reliability suite measured. Jest runs each test file in its own worker, so every figure is one
 * JSON line appended to a file in the run's directory; the global teardown reads them all and prints one table.
 */
export interface Figure {
  /** The promise (the row of docs/reliability.md) the figure belongs to, e.g. "hostile input". */
  promise: string;
  name: string;
  value: number | string;
  /** Whether the figure keeps its promise; undefined for figures that are only reported. */
  holds?: boolean;
  /** What the figure must be, in words, e.g. "0" or "≤ 14000 ms". */
  bound?: string;
  /** The engine the test file ran against (set by `recordFigure`). */
  engine?: string;
}

const FIGURES_FILE = 'reliability-figures.jsonl';

/** Records one figure for the end-of-run table. */
export function recordFigure(figure: Figure): void {
  const entry = { ...figure, engine: testEngine() };
  appendFileSync(path.join(runDirectory(), FIGURES_FILE), `${JSON.stringify(entry)}\n`);
}

/** Every figure recorded in the run directory `dir`, in the order they were written. */
export function readFigures(dir: string): Figure[] {
  const file = path.join(dir, FIGURES_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Figure);
}

/** The figures as a Markdown table, ready for the terminal and docs/reliability.md. */
export function figuresTable(figures: Figure[], scale: string): string {
  const rows = figures.map((figure) => {
    const verdict = figure.holds === undefined ? 'reported' : figure.holds ? 'holds' : '**BROKEN**';
    const value = typeof figure.value === 'number' ? formatNumber(figure.value) : figure.value;
    return `| ${figure.promise} | ${figure.name} | ${value} | ${figure.bound ?? ''} | ${verdict} |`;
  });
  return [
    `Reliability figures (scale: ${scale})`,
    '',
    '| promise | figure | value | must be | verdict |',
    '|---|---|---:|---|---|',
    ...rows,
  ].join('\n');
}

/** Tracks the highest resident set size seen while it runs (sampled, so brief peaks may be missed). */
export function watchPeakRss(intervalMs = 20): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
}

function runDirectory(): string {
  const dir = process.env.TEST_RUN_DIR;
  if (!dir) throw new Error('TEST_RUN_DIR is not set: the jest global setup creates it');
  return dir;
}
