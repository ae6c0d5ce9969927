import { createAuthPause } from '../lib/auth-pause';
import { createSsmClient } from '../lib/aws-clients';
import type { CallDetails } from '../lib/call-details';
import { type EnricherConfig, loadEnricherConfig } from '../lib/enricher-config';
import { type EnrichmentDependencies, type EnrichmentOutcome, enrichCall } from '../lib/enrichment';
import { firstJob } from '../lib/enrichment-job';
import { withEnrichmentStates } from '../lib/enrichment-state';
import { ConfigError } from '../lib/errors';
import { createFreeClimbApiKey } from '../lib/freeclimb-api-key';
import {
  CALL_LOG_OPTIONS,
  CALL_LOG_USAGE,
  callLogFilter,
  callLogWindow,
  pageSizeOf,
} from './call-log-arguments';
import { callLog, describeFilter } from './calls';
import { UsageError } from './cli-errors';
import type { Command } from './command';
import { counted, formatDuration } from './format';
import { JsonArrayWriter } from './json-array-writer';
import { terminalText } from './terminal-text';

/** What became of one record. */
export type EnrichResult =
  | { callId: string; outcome: 'enriched'; details: CallDetails }
  | { callId: string; outcome: 'already-enriched' | 'gone' | 'would-ask' }
  | { callId: string; outcome: 'not-enriched'; reason: string };

/**
 * `enrich`: FreeClimb's details for the records of a window that have none, one synchronous attempt each,
 * after an outage of FreeClimb's API or to backfill a stage deployed before the enricher. Records come from
 * the call log index (never a Scan) and their state from the table (100 a request); a record that has
 * details is skipped without asking FreeClimb again. Exits 1 when any record stays without details.
 */
export const enrichCommand: Command = {
  summary:
    "FreeClimb's call details (talk time, answer and end times, answeredBy, caller name) for the records\n" +
    '      of a window that lack them; FREECLIMB_API_KEY (or FREECLIMB_API_KEY_PARAMETER, an SSM name)',
  usage: `enrich ${CALL_LOG_USAGE} [--dry-run]   (default --since 24h)`,
  options: { ...CALL_LOG_OPTIONS, 'dry-run': { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, values) {
    const { io } = context;
    const window = callLogWindow(values, io.now());
    const filter = callLogFilter(values);
    const pageSize = pageSizeOf(values);
    const dryRun = values['dry-run'] === true;
    const target = await context.target();
    // A dry run asks FreeClimb nothing, so it needs no key.
    const config = dryRun ? undefined : enricherConfig(io.env, target.store.callsTable);
    const deps: EnrichmentDependencies | undefined =
      config === undefined
        ? undefined
        : {
            store: target.store,
            api: config.api,
            apiKey: createFreeClimbApiKey(config.apiKey, createSsmClient, io.now),
            policy: config.retry,
            pause: createAuthPause(config.authPauseMs),
            now: io.now,
          };
    const array = new JsonArrayWriter(io.stdout);
    const counts = new Map<EnrichResult['outcome'], number>();
    const entries = callLog(target.store, window, filter, pageSize, undefined);
    for await (const [entry, state] of withEnrichmentStates(target.store, entries)) {
      const result: EnrichResult =
        state === undefined
          ? { callId: entry.callId, outcome: 'gone' }
          : state.details !== undefined
            ? { callId: entry.callId, outcome: 'already-enriched' }
            : deps === undefined
              ? { callId: entry.callId, outcome: 'would-ask' }
              : resultOf(entry.callId, await enrichCall(deps, firstJob(state, io.now())));
      counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
      if (context.json) array.add(result);
      else io.stdout(`${describeResult(result)}\n`);
      await io.drained?.();
    }
    if (context.json) array.end();
    else
      io.stdout(
        `${describeCounts(counts)}${terminalText(describeFilter(filter))} ${window.description} in ${target.store.callsTable}\n`,
      );
    return (counts.get('not-enriched') ?? 0) > 0 ? 1 : 0;
  },
};

/** The enricher's own configuration check (the API's URL, the key, the retry policy), on the target's table. */
function enricherConfig(env: Record<string, string | undefined>, callsTable: string): EnricherConfig {
  try {
    return loadEnricherConfig({ ...env, CALLS_TABLE: callsTable });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/** One attempt's outcome as the CLI reports it: done, or not enriched (now) and why. */
function resultOf(callId: string, outcome: EnrichmentOutcome): EnrichResult {
  switch (outcome.kind) {
    case 'enriched':
      return { callId, outcome: 'enriched', details: outcome.details };
    case 'already-enriched':
    case 'gone':
      return { callId, outcome: outcome.kind };
    default:
      return { callId, outcome: 'not-enriched', reason: outcome.reason };
  }
}

const LABELS: Record<EnrichResult['outcome'], string> = {
  enriched: 'enriched',
  'already-enriched': 'already enriched (FreeClimb not asked)',
  gone: 'no longer in the table',
  'would-ask': 'no details yet (dry run: FreeClimb not asked)',
  'not-enriched': 'not enriched',
};

function describeResult(result: EnrichResult): string {
  const label = LABELS[result.outcome];
  if (result.outcome === 'enriched') return `${result.callId}  ${label}: ${describeDetails(result.details)}`;
  if (result.outcome === 'not-enriched') return `${result.callId}  ${label}: ${terminalText(result.reason)}`;
  return `${result.callId}  ${label}`;
}

/** `completed, talk time 1:02 of 1:10, answered by human, caller ACME INC` */
export function describeDetails(details: CallDetails): string {
  const parts: string[] = [details.status];
  if (details.connectDuration !== undefined) {
    const of = details.duration === undefined ? '' : ` of ${formatDuration(details.duration)}`;
    parts.push(`talk time ${formatDuration(details.connectDuration)}${of}`);
  }
  if (details.answeredBy !== undefined) parts.push(`answered by ${terminalText(details.answeredBy)}`);
  if (details.callerName !== undefined) parts.push(`caller ${terminalText(details.callerName)}`);
  return parts.join(', ');
}

function describeCounts(counts: Map<EnrichResult['outcome'], number>): string {
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const parts = [...counts].map(([outcome, count]) => `${count} ${LABELS[outcome]}`);
  return `${counted(total, 'record')}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
