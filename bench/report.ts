import { cpus } from 'node:os';
import type { BenchOptions } from './options';

/** One line of the results table: a figure, its ratio to the physical minimum, and the goal for it. */
export interface Row {
  figure: string;
  value: string;
  ratio?: string;
  goal?: string;
  /** Undefined where there is no goal (the figure is for information). */
  met?: boolean;
}

export interface Section {
  title: string;
  /** Column names, then one array of cells per line. */
  columns: string[];
  lines: string[][];
}

export interface Report {
  date: string;
  command: string;
  machine: string;
  /** How long the whole run took and how busy the machine was: what the absolute figures depend on. */
  run: RunConditions;
  rows: Row[];
  sections: Section[];
  notes: string[];
  /** Every raw figure, for the JSON file. */
  raw: Record<string, unknown>;
}

export interface RunConditions {
  durationMs: number;
  /** The 1, 5 and 15 minute load averages at the start and at the end of the run. */
  loadAtStart: number[];
  loadAtEnd: number[];
  cores: number;
}

/** Run time and load as one sentence, e.g. "Run time 2 min 5 s; load average … at the start, … at the end." */
export function describeRun(run: RunConditions): string {
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
  return `Run time ${duration(run.durationMs)}; load average (1, 5, 15 min) ${load(run.loadAtStart)} at the start, ${load(run.loadAtEnd)} at the end, on ${run.cores} cores.`;
}

/** `125_400` → `2 min 5 s`; under a minute, seconds only. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes === 0 ? `${seconds} s` : `${minutes} min ${seconds % 60} s`;
}

/** Node version, CPU model and count: what a reader needs to compare two runs. */
export function describeMachine(): string {
  const list = cpus();
  return `Node ${process.version}, ${list.length} × ${list[0]?.model.trim() ?? 'unknown CPU'}, ${process.platform}/${process.arch}`;
}

/** The command line that reproduces a run with these options. */
export function commandOf(argv: string[]): string {
  return argv.length === 0 ? 'npm run bench' : `npm run bench -- ${argv.join(' ')}`;
}

export function goalCell(row: Row): string {
  if (row.met === undefined) return '';
  return row.met ? 'yes' : 'no';
}

/** The whole report as Markdown: what docs/performance.md quotes. */
export function toMarkdown(report: Report, options: BenchOptions): string {
  const out: string[] = [
    `# Benchmark, ${report.date}`,
    '',
    `\`${report.command}\` on ${report.machine}; ${options.events} events per side and level, ${options.concurrency} in flight.`,
    '',
    describeRun(report.run),
    '',
    table(
      ['figure', 'value', 'ratio', 'goal', 'met?'],
      report.rows.map((row) => [row.figure, row.value, row.ratio ?? '', row.goal ?? '', goalCell(row)]),
    ),
  ];
  for (const section of report.sections) {
    out.push('', `## ${section.title}`, '', table(section.columns, section.lines));
  }
  if (report.notes.length > 0) out.push('', ...report.notes.map((note) => `- ${note}`));
  return `${out.join('\n')}\n`;
}

/** The same report for a terminal: aligned columns, no Markdown pipes. */
export function toText(report: Report): string {
  const out = [
    aligned(
      ['figure', 'value', 'ratio', 'goal', 'met?'],
      report.rows.map((row) => [row.figure, row.value, row.ratio ?? '', row.goal ?? '', goalCell(row)]),
    ),
  ];
  for (const section of report.sections) out.push('', section.title, aligned(section.columns, section.lines));
  if (report.notes.length > 0) out.push('', ...report.notes.map((note) => `* ${note}`));
  out.push('', describeRun(report.run));
  return out.join('\n');
}

function table(columns: string[], lines: string[][]): string {
  const cellText = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${columns.map(cellText).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...lines.map((line) => `| ${line.map(cellText).join(' | ')} |`),
  ].join('\n');
}

function aligned(columns: string[], lines: string[][]): string {
  const all = [columns, ...lines];
  const widths = columns.map((_, index) => Math.max(...all.map((line) => (line[index] ?? '').length)));
  const format = (line: string[]) =>
    line
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(columns), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(format)].join(
    '\n',
  );
}

/** `1234.5` → `1,235`. */
export function whole(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Ratio with two decimals and a multiplication sign, e.g. `1.23×`. */
export function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** Bytes as KB (1000 bytes, as the goal is written), one decimal. */
export function kilobytes(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`;
}
