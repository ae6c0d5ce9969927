import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT, readServiceDefinition } from '../service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { measureCpuPerEvent } from './cpu-per-event';
import { BENCH_STAGE, startBenchEngine } from './engine';
import { measureThroughHttp } from './http-server';
import { measureMemory } from './memory';
import { readOptions, USAGE, UsageError } from './options';
import {
  commandOf,
  describeMachine,
  kilobytes,
  type Report,
  type Row,
  times,
  toMarkdown,
  toText,
  whole,
} from './report';
import { measureRoundTrips } from './round-trips';
import { measureStartUp } from './start-up';
import { benchSecret } from './workload';
import { measureWritePath } from './write-path';

/**
 * `npm run bench`: what one webhook costs beside the one durable DynamoDB write it needs, as ratios measured
 * in one run on one machine. Prints a table and writes it to bench-results/ as Markdown and JSON. Slowness
 * never fails the run; a broken measurement (a refused webhook, a new event costing more than one request)
 * does.
 */

const GOALS = { writeRatio: 0.9, cpuRatio: 2, zipBytes: 600_000, importRatio: 1.5 } as const;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = readOptions(argv);
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  // The handler's log lines and metrics would flood the terminal and time stdout, not the function: off.
  // Their cost is measured on its own in the CPU section.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const progress = (step: string) => console.error(`bench: ${step}`);

  const date = new Date();
  progress(`reading serverless.yml (stage ${BENCH_STAGE})`);
  const definition = await readServiceDefinition(BENCH_STAGE);
  const bench = await startBenchEngine(definition, benchSecret());
  const secret = bench.env.FREECLIMB_SIGNING_SECRET as string;

  let writePath: Awaited<ReturnType<typeof measureWritePath>>[];
  let roundTrips: Awaited<ReturnType<typeof measureRoundTrips>>;
  try {
    progress('round trips per delivery');
    roundTrips = await measureRoundTrips(bench);
    writePath = [];
    for (const concurrency of [1, options.concurrency]) {
      progress(`write path: handler vs raw PutItem, ${options.events} events each, ${concurrency} in flight`);
      writePath.push(await measureWritePath(bench, options.events, concurrency));
    }
  } finally {
    await bench.close();
  }
  progress('CPU per event (tinybench)');
  const cpu = await measureCpuPerEvent(secret, options.cpuTimeMs);
  progress(`start-up: serverless package, then ${options.importRuns} fresh processes per side`);
  const startUp = await measureStartUp(definition, options.importRuns);
  progress(`through the local HTTP server (npm start), ${options.events} events`);
  const http = await measureThroughHttp(options.events, options.concurrency);
  progress(`memory: ${options.memoryEvents} events in a fresh process`);
  const memory = await measureMemory(definition, options.memoryEvents, options.concurrency);

  const concurrent = writePath[writePath.length - 1];
  if (concurrent === undefined) throw new BrokenBenchmarkError('No write-path result');
  const rows: Row[] = [
    ...writePath.map(
      (level): Row => ({
        figure: `write path, ${level.concurrency === 1 ? 'sequential' : `${level.concurrency} in flight`} (events/s)`,
        value: `handler ${whole(level.handlerPerSecond)} · raw PutItem ${whole(level.rawPutPerSecond)}`,
        ratio: times(level.ratio),
        goal: `≥ ${GOALS.writeRatio}×`,
        met: level.ratio >= GOALS.writeRatio,
      }),
    ),
    ...(
      [
        ['valibot', cpu.valibotNs],
        ['zod', cpu.zodNs],
      ] as const
    ).map(
      ([library, ns]): Row => ({
        figure: `CPU per event: verify + parse + validate (${library}) + map`,
        value: `${micro(ns)} · baseline ${micro(cpu.baselineNs)}`,
        ratio: times(ns / cpu.baselineNs),
        goal: `≤ ${GOALS.cpuRatio}×`,
        met: ns / cpu.baselineNs <= GOALS.cpuRatio,
      }),
    ),
    ...roundTrips.map(
      (trip, index): Row => ({
        figure: `DynamoDB requests: ${trip.delivery}`,
        value: `${trip.requests} (${trip.operations.map((op) => op.replace(/Command$/, '')).join(', ') || 'none'}) → ${trip.status}`,
        goal: index === 0 ? '= 1 (asserted)' : undefined,
        met: index === 0 ? trip.requests === 1 : undefined,
      }),
    ),
    {
      figure: 'bundle: serverless package zip',
      value: `${kilobytes(startUp.zipBytes)} (handler ${kilobytes(startUp.handlerBytes)} unpacked)`,
      goal: `≤ ${GOALS.zipBytes / 1000} KB`,
      met: startUp.zipBytes <= GOALS.zipBytes,
    },
    {
      figure: `start-up: import of the bundled handler (median of ${startUp.runs})`,
      value: `${startUp.importMedianMs.toFixed(1)} ms · bare node ${startUp.bareMedianMs.toFixed(1)} ms`,
      ratio: times(startUp.ratio),
      goal: `≤ ${GOALS.importRatio}×`,
      met: startUp.ratio <= GOALS.importRatio,
    },
    {
      figure: `local HTTP server (npm start), ${http.concurrency} in flight (events/s)`,
      value: `${whole(http.perSecond)} · in-process handler ${whole(concurrent.handlerPerSecond)}`,
      ratio: times(http.perSecond / concurrent.handlerPerSecond),
    },
    {
      figure: `memory: peak RSS after ${whole(memory.events)} events in-process`,
      value: `${megabytes(memory.maxRssBytes)} · ready, before any event ${megabytes(memory.readyMaxRssBytes)}`,
      ratio: times(memory.maxRssBytes / memory.readyMaxRssBytes),
    },
  ];

  const report: Report = {
    date: date.toISOString(),
    command: commandOf(argv),
    machine: describeMachine(),
    rows,
    sections: [
      {
        title: 'CPU per event, by stage (median of tinybench samples)',
        columns: ['task', 'per event', '× baseline', 'samples'],
        lines: cpu.tasks.map((task) => [
          task.name,
          micro(task.nsPerOp),
          times(task.nsPerOp / cpu.baselineNs),
          whole(task.samples),
        ]),
      },
      {
        title: 'Bundle contents',
        columns: ['file', 'unpacked'],
        lines: startUp.files.map((file) => [file.name, kilobytes(file.bytes)]),
      },
    ],
    notes: [
      'Handler and raw PutItem run against the same in-process dynalite through the same document client, in blocks ordered A B B A, after a warm-up block of each.',
      'The handler runs with POWERTOOLS_LOG_LEVEL=SILENT and POWERTOOLS_METRICS_DISABLED=true in the write path; the CPU section prices the INFO line and the metric on their own. npm start runs with its defaults (INFO).',
      'dynalite answers a duplicate with no stored item, so the store reads it back (GetItem); real DynamoDB returns it with the failed condition (ReturnValuesOnConditionCheckFailure) and saves that request.',
    ],
    raw: { options, writePath, cpu, roundTrips, startUp, http, memory },
  };

  console.log(`\n${toText(report)}\n`);
  const resultsDir = path.join(PROJECT_ROOT, 'bench-results');
  await mkdir(resultsDir, { recursive: true });
  // Time of day in the name too: several runs a day should not overwrite each other.
  const stem = path.join(resultsDir, report.date.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z'));
  await writeFile(`${stem}.md`, toMarkdown(report, options));
  await writeFile(`${stem}.json`, `${JSON.stringify({ ...report, raw: report.raw }, null, 2)}\n`);
  console.log(`Written: ${path.relative(process.cwd(), stem)}.md and .json`);
}

function micro(ns: number): string {
  return `${(ns / 1000).toFixed(2)} µs`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? `bench: ${error.message}\n\n${USAGE}` : error);
  process.exit(1);
});
