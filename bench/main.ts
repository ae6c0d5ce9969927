import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { JavaMissingError } from '../local/dynamodb-local';
import { PROJECT_ROOT, readServiceDefinition } from '../local/service-definition';
import { type CallLogBench, type CallLogReads, measureCallLog } from './call-log';
import { type CpuPerEvent, measureCpuPerEvent } from './cpu-per-event';
import { BENCH_STAGE, startBenchEngine } from './engine';
import { type EnrichmentCosts, measureEnrichmentCosts } from './enrichment-costs';
import { measureThroughHttp, type ThroughHttp } from './http-server';
import { type MemoryUse, measureMemory } from './memory';
import { readOptions, USAGE, UsageError } from './options';
import {
  commandOf,
  describeMachine,
  duration,
  kilobytes,
  type Report,
  type Row,
  type Section,
  times,
  toMarkdown,
  toText,
  whole,
} from './report';
import { measureRoundTripsOnEngines, NEW_EVENT, type RoundTrips } from './round-trips';
import type { Spread } from './spread';
import { measureStartUp, type StartUp } from './start-up';
import { benchSecret } from './workload';
import {
  measureWritePath,
  type Side,
  WARM_UP_BLOCKS,
  WRITE_PATH_BLOCK,
  type WritePathLevel,
} from './write-path';

/**
 * `npm run bench`: what one webhook costs beside the one durable DynamoDB write it needs, as ratios measured
 * in one run on one machine. Prints a table and writes it to bench-results/ as Markdown and JSON. Slowness
 * never fails the run; a broken measurement (a refused webhook, a new event costing more than one request)
 * does.
 */

const GOALS = {
  writeRatio: 0.9,
  cpuRatio: 2,
  zipBytes: 600_000,
  importRatio: 1.5,
  callLogGrowth: 1.1,
} as const;

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
  const date = new Date();
  const startedMs = performance.now();
  // The time so far on every step, so a slow run shows which measurement took it.
  const progress = (step: string) =>
    console.error(`bench: [${duration(performance.now() - startedMs)}] ${step}`);
  // The machine may be shared: its load is part of what a reader needs to weigh the absolute figures.
  const loadAtStart = loadavg();
  const only = options.only;
  progress(`reading serverless.yml (stage ${BENCH_STAGE})`);
  const definition = await readServiceDefinition(BENCH_STAGE);
  const secret = benchSecret();

  let roundTrips: RoundTrips[] | undefined;
  if (only.has('round-trips')) {
    progress('round trips per delivery, on dynalite and on DynamoDB Local');
    roundTrips = await measureRoundTripsOnEngines(definition, secret);
  }
  let writePath: WritePathLevel[] | undefined;
  if (only.has('write-path')) {
    const bench = await startBenchEngine(definition, secret);
    try {
      writePath = [];
      for (const concurrency of [1, options.concurrency]) {
        progress(
          `write path: handler vs PutItem, ${options.events} events per side, ${concurrency} in flight`,
        );
        writePath.push(await measureWritePath(bench, options.events, concurrency));
      }
    } finally {
      await bench.close();
    }
  }
  let cpu: CpuPerEvent | undefined;
  if (only.has('cpu')) {
    progress('CPU per event (tinybench)');
    cpu = await measureCpuPerEvent(secret, options.cpuTimeMs);
  }
  let startUp: StartUp | undefined;
  if (only.has('start-up')) {
    progress(`start-up: serverless package, then ${options.importRuns} fresh processes of each kind`);
    startUp = await measureStartUp(definition, options.importRuns);
  }
  let http: ThroughHttp | undefined;
  if (only.has('http')) {
    progress(`through the local HTTP server (npm start), ${options.events} events`);
    http = await measureThroughHttp(options.events, options.concurrency);
  }
  let memory: MemoryUse | undefined;
  if (only.has('memory')) {
    progress(`memory: ${options.memoryEvents} events in a fresh process`);
    memory = await measureMemory(definition, options.memoryEvents, options.concurrency);
  }
  let callLog: CallLogBench | undefined;
  if (only.has('call-log')) {
    callLog = await measureCallLog(definition, options.callLogRecords, progress);
  }
  let enrichment: EnrichmentCosts | undefined;
  if (only.has('enrichment')) {
    enrichment = await measureEnrichmentCosts(definition, options.enrichmentRows, progress);
  }

  const rows: Row[] = [
    ...(writePath ?? []).flatMap(writePathRows),
    ...(cpu ? cpuRows(cpu) : []),
    ...(roundTrips ?? []).map(roundTripRow),
    ...(startUp ? startUpRows(startUp) : []),
    ...(http ? [httpRow(http, writePath?.at(-1))] : []),
    ...(memory ? [memoryRow(memory)] : []),
    ...(callLog ? callLogRows(callLog) : []),
    ...(enrichment ? enrichmentRows(enrichment) : []),
  ];

  const report: Report = {
    date: date.toISOString(),
    command: commandOf(argv),
    machine: describeMachine(),
    run: {
      durationMs: performance.now() - startedMs,
      loadAtStart,
      loadAtEnd: loadavg(),
      cores: cpus().length,
    },
    rows,
    sections: [
      ...(writePath ? [writePathSection(writePath)] : []),
      ...(cpu
        ? [
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
          ]
        : []),
      ...(callLog
        ? [
            {
              title: `Write units of one new webhook (conditional PutItem, ReturnConsumedCapacity INDEXES, ${callLog.engine})`,
              columns: ['record', 'before the call log', 'with it', 'had it projected ALL'],
              lines: callLog.writeUnits.map((units) => [
                units.record,
                describeUnits(units.before),
                describeUnits(units.after),
                describeUnits(units.afterIfAll),
              ]),
            },
          ]
        : []),
      ...(startUp
        ? [
            {
              title: 'Bundle contents',
              columns: ['file', 'unpacked'],
              lines: startUp.files.map((file) => [file.name, kilobytes(file.bytes)]),
            },
          ]
        : []),
    ],
    notes: [
      `Handler and bare PutItems run against the same in-process dynalite through the same document client, in blocks of ${WRITE_PATH_BLOCK} ordered H C P, P C H, … after ${WARM_UP_BLOCKS} warm-up blocks of each. "blocks a–b" is the slowest to the fastest block of a side; "rounds a–b" the handler's rate over the conditional PutItem's in each round. The time per event runs from the call to its answer (with 32 in flight it includes the wait behind the others); its ratio is the PutItem's median over the handler's.`,
      "The goal compares the handler with the PutItem the store sends (attribute_not_exists(callId), which makes a webhook write-once). dynalite parses and evaluates the condition expression on every request; DynamoDB charges a conditional put like any other, so the plain PutItem line shows the emulator's price of the condition, not the function's.",
      'The handler runs with POWERTOOLS_LOG_LEVEL=SILENT and POWERTOOLS_METRICS_DISABLED=true in the write path; the CPU section prices the INFO line and the metric on their own. npm start runs with its defaults (INFO).',
      'The SDK floor is sdk-floor-handler.ts: one DynamoDB document client built at import, one conditional PutItem per call, bundled with custom.esbuild of serverless.yml (the handler rebuilt with those options equals the packaged one, checked on every run).',
      "dynalite answers a duplicate with no stored item, so the store reads it back (GetItem); DynamoDB, and AWS's DynamoDB Local, return it with the failed condition (ReturnValuesOnConditionCheckFailure) and save that request.",
      ...(callLog
        ? [
            `Call log on ${callLog.engine}: the hour holds the same calls at N and 10·N (both ways must find all of them, checked); the other records are spread over the 30 days before it. Read units are what the engine reports (ReturnConsumedCapacity TOTAL): a Query's or Scan's items rounded up to 4 KB per request, halved for eventually consistent reads.`,
          ]
        : []),
    ],
    raw: {
      options: { ...options, only: [...options.only] },
      writePath,
      cpu,
      roundTrips,
      startUp,
      http,
      memory,
      callLog,
      enrichment,
    },
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

function writePathRows(level: WritePathLevel): Row[] {
  const mode = modeOf(level);
  return [
    {
      figure: `write path, ${mode}: handler vs the store's own conditional PutItem (events/s)`,
      value: `${whole(level.handlerPerSecond)} vs ${whole(level.conditionalPutPerSecond)} (blocks ${range(level.blocks.handler)} vs ${range(level.blocks.conditional)})`,
      ratio: `${times(level.ratio)} (rounds ${range(level.roundRatios, times)})`,
      goal: `≥ ${GOALS.writeRatio}×`,
      met: level.ratio >= GOALS.writeRatio,
    },
    {
      figure: `write path, ${mode}: handler vs plain PutItem, no condition (events/s)`,
      value: `${whole(level.handlerPerSecond)} vs ${whole(level.plainPutPerSecond)}`,
      ratio: times(level.plainRatio),
    },
    {
      figure: `write path, ${mode}: time per event, handler vs the store's own conditional PutItem (median µs, quartiles)`,
      value: `${quartiles(level.eventMicros.handler)} vs ${quartiles(level.eventMicros.conditional)}`,
      ratio: times(level.eventMicros.conditional.median / level.eventMicros.handler.median),
    },
  ];
}

/** `median (p25–p75)`, whole numbers. */
function quartiles(spread: Spread): string {
  return `${whole(spread.median)} (${whole(spread.p25)}–${whole(spread.p75)})`;
}

function modeOf(level: WritePathLevel): string {
  return level.concurrency === 1 ? 'sequential' : `${level.concurrency} in flight`;
}

/** Each side's events per second: over all its blocks, then the median block and the slowest to fastest. */
function writePathSection(levels: WritePathLevel[]): Section {
  const sides: Array<[Side, string]> = [
    ['handler', 'handler'],
    ['conditional', "the store's conditional PutItem"],
    ['plain', 'plain PutItem'],
  ];
  return {
    title: `Write path: events per second by block of ${WRITE_PATH_BLOCK} (each side's timed blocks; the ratio per round of back-to-back blocks), and each event's own time`,
    columns: [
      'level',
      'side',
      'all blocks',
      'median block',
      'slowest – fastest',
      'blocks',
      'per event, µs: median (quartiles)',
    ],
    lines: levels.flatMap((level) => {
      const overall: Record<Side, number> = {
        handler: level.handlerPerSecond,
        conditional: level.conditionalPutPerSecond,
        plain: level.plainPutPerSecond,
      };
      return [
        ...sides.map(([side, name]) => [
          modeOf(level),
          name,
          whole(overall[side]),
          whole(level.blocks[side].median),
          range(level.blocks[side]),
          String(level.blocks[side].count),
          quartiles(level.eventMicros[side]),
        ]),
        [
          modeOf(level),
          'handler ÷ conditional PutItem',
          times(level.ratio),
          times(level.roundRatios.median),
          range(level.roundRatios, times),
          String(level.roundRatios.count),
          times(level.eventMicros.conditional.median / level.eventMicros.handler.median),
        ],
      ];
    }),
  };
}

/** `min–max` of a spread, each formatted by `format`. */
function range(spread: Spread, format: (value: number) => string = whole): string {
  return `${format(spread.min)}–${format(spread.max)}`;
}

function cpuRows(cpu: CpuPerEvent): Row[] {
  return (
    [
      ['valibot', cpu.valibotNs],
      ['zod', cpu.zodNs],
    ] as const
  ).map(([library, ns]) => ({
    figure: `CPU per event: verify + parse + validate (${library}) + map`,
    value: `${micro(ns)} · baseline ${micro(cpu.baselineNs)}`,
    ratio: times(ns / cpu.baselineNs),
    goal: `≤ ${GOALS.cpuRatio}×`,
    met: ns / cpu.baselineNs <= GOALS.cpuRatio,
  }));
}

function roundTripRow(trip: RoundTrips): Row {
  const operations = trip.operations.map((op) => op.replace(/Command$/, '')).join(', ') || 'none';
  const isNewEvent = trip.delivery === NEW_EVENT;
  return {
    figure: `DynamoDB requests (${trip.engine}): ${trip.delivery}`,
    value: `${trip.requests} (${operations}) → ${trip.status}`,
    goal: isNewEvent ? '= 1 (asserted)' : undefined,
    met: isNewEvent ? trip.requests === 1 : undefined,
  };
}

function startUpRows(startUp: StartUp): Row[] {
  return [
    {
      figure: 'bundle: serverless package zip',
      value: `${kilobytes(startUp.zipBytes)} (handler ${kilobytes(startUp.handlerBytes)} unpacked)`,
      goal: `≤ ${GOALS.zipBytes / 1000} KB`,
      met: startUp.zipBytes <= GOALS.zipBytes,
    },
    {
      figure: `start-up: import of the bundled handler vs bare node (median of ${startUp.runs})`,
      value: `${startUp.importMedianMs.toFixed(1)} ms · bare node ${startUp.bareMedianMs.toFixed(1)} ms`,
      ratio: times(startUp.ratio),
    },
    {
      figure: `start-up: import of the bundled handler vs the leanest SDK handler (median of ${startUp.runs})`,
      value: `${startUp.importMedianMs.toFixed(1)} ms · SDK floor ${startUp.sdkFloorMedianMs.toFixed(1)} ms (${kilobytes(startUp.sdkFloorBytes)})`,
      ratio: times(startUp.sdkFloorRatio),
      goal: `≤ ${GOALS.importRatio}×`,
      met: startUp.sdkFloorRatio <= GOALS.importRatio,
    },
  ];
}

function httpRow(http: ThroughHttp, inProcess: WritePathLevel | undefined): Row {
  return {
    figure: `local HTTP server (npm start), ${http.concurrency} in flight (events/s)`,
    value:
      inProcess === undefined
        ? whole(http.perSecond)
        : `${whole(http.perSecond)} · in-process handler ${whole(inProcess.handlerPerSecond)}`,
    ratio: inProcess === undefined ? undefined : times(http.perSecond / inProcess.handlerPerSecond),
  };
}

function memoryRow(memory: MemoryUse): Row {
  return {
    figure: `memory: peak RSS after ${whole(memory.events)} events in-process`,
    value: `${megabytes(memory.maxRssBytes)} · ready, before any event ${megabytes(memory.readyMaxRssBytes)}`,
    ratio: times(memory.maxRssBytes / memory.readyMaxRssBytes),
  };
}

function callLogRows(bench: CallLogBench): Row[] {
  const [small, large] = bench.reads;
  if (small === undefined || large === undefined) return [];
  const hour = `one hour (${small.inHour} calls)`;
  const cost = (read: CallLogReads['index']) =>
    `${whole(read.itemsRead)} items read, ${units(read.readUnits)} RCU, ${whole(read.requests)} requests, ${whole(read.ms)} ms`;
  const sizes = `${whole(small.records)} → ${whole(large.records)} records`;
  return [
    {
      figure: `call log: ${hour} by callLog-index, ${sizes}`,
      value: `${cost(small.index)} → ${cost(large.index)}`,
      ratio: times(large.index.readUnits / small.index.readUnits),
      goal: `≤ ${GOALS.callLogGrowth}×`,
      met: large.index.readUnits / small.index.readUnits <= GOALS.callLogGrowth,
    },
    {
      figure: `call log: ${hour} by a Scan with a filter, ${sizes}`,
      value: `${cost(small.scan)} → ${cost(large.scan)}`,
      ratio: times(large.scan.readUnits / small.scan.readUnits),
      goal: '≈ 10× (the baseline)',
    },
    {
      figure: `call log: ${hour} out of ${whole(large.records)}, Scan vs index (read units)`,
      value: `${units(large.scan.readUnits)} vs ${units(large.index.readUnits)} RCU`,
      ratio: times(large.scan.readUnits / large.index.readUnits),
    },
    ...bench.writeUnits.map((write) => ({
      figure: `call log: write units of one new webhook, ${write.record}, before → with the index`,
      value: `${write.before.total} → ${write.after.total} WCU (projected ALL: ${write.afterIfAll.total})`,
      ratio: times((write.after.total ?? 0) / (write.before.total ?? 1)),
    })),
  ];
}

function enrichmentRows(costs: EnrichmentCosts): Row[] {
  const { listing } = costs;
  const perThousand = (cost: { readUnits: number; requests: number; ms: number }) =>
    `${units((cost.readUnits * 1000) / listing.rows)} RCU, ${whole((cost.requests * 1000) / listing.rows)} requests, ${whole((cost.ms * 1000) / listing.rows)} ms`;
  return [
    ...costs.updates.map((update, index) => ({
      figure: `enrichment: the enricher's UpdateItem of details, ${update.record} (${costs.engine})`,
      value: `${describeUnits(update.units)}; with a second index projecting details: ${describeUnits(costs.updatesWithDetailsIndex[index]?.units ?? {})}`,
    })),
    {
      figure: `enrichment: listing per 1,000 rows, callLog-index alone (calls)`,
      value: perThousand(listing.indexOnly),
    },
    {
      figure: 'enrichment: listing per 1,000 rows with the talk time, read per row (calls --csv, summary)',
      value: perThousand(listing.withReadPerRow),
      ratio: times(listing.withReadPerRow.readUnits / listing.indexOnly.readUnits),
    },
    {
      figure: 'enrichment: listing per 1,000 rows with the talk time, from an index projecting details',
      value: perThousand(listing.withDetailsIndex),
      ratio: times(listing.withDetailsIndex.readUnits / listing.indexOnly.readUnits),
    },
  ];
}

/** Capacity units: whole or with one decimal, thousands separated. */
function units(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

function describeUnits(units: Record<string, number>): string {
  const parts = Object.entries(units)
    .filter(([target]) => target !== 'total')
    .map(([target, value]) => `${target} ${value}`);
  return `${units.total} WCU (${parts.join(' + ')})`;
}

function micro(ns: number): string {
  return `${(ns / 1000).toFixed(2)} µs`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

main().catch((error: unknown) => {
  if (error instanceof JavaMissingError) console.error(`bench: ${error.message}`);
  else console.error(error instanceof UsageError ? `bench: ${error.message}\n\n${USAGE}` : error);
  process.exit(1);
});
