import { performance } from 'node:perf_hooks';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CallRecord } from '../lib/call-record';
import { type CallStatusHandler, createCallStatusHandler } from '../lib/call-status-service';
import type { CallStore } from '../lib/call-store';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import type { HandlerTarget } from './engine';
import { runInFlight, timed } from './in-flight';
import { type Spread, spreadOf } from './spread';
import { benchContext, callRecordOf, freshBody, signedEvent } from './workload';

/** One concurrency level of the comparison, in events per second. */
export interface WritePathLevel {
  concurrency: number;
  events: number;
  /** The real handler: verify, parse, validate, map, conditional put, log and metrics calls. */
  handlerPerSecond: number;
  /** The very PutItem the store sends (the write-once condition included), of the same items: the minimum. */
  conditionalPutPerSecond: number;
  /** PutItem of the same items without the condition. */
  plainPutPerSecond: number;
  /** handler ÷ conditional PutItem; 1 means the function adds nothing measurable. */
  ratio: number;
  /** handler ÷ plain PutItem. */
  plainRatio: number;
  /** Events per second of each timed block, per side: how far apart the blocks fell. */
  blocks: Record<Side, Spread>;
  /** handler ÷ conditional PutItem within each round of blocks (the two ran back to back). */
  roundRatios: Spread;
  /**
   * Each timed event's own time, from the call to its answer, in microseconds, per side. Its median is
   * barely moved by the pauses a shared machine inflicts (they land on a few events), unlike a block's rate.
   */
  eventMicros: Record<Side, Spread>;
}

/** Events per block: small enough that the order below cancels drift, large enough to dwarf the switch. */
export const WRITE_PATH_BLOCK = 250;
/**
 * Blocks of each side run before the clock starts. Both sides' rates still rose through the first few
 * blocks after three warm-up blocks (dynalite's, the SDK's and the handler's code reaching their optimised
 * tiers), so six: 1,500 requests of each side.
 */
export const WARM_UP_BLOCKS = 6;

export type Side = 'handler' | 'conditional' | 'plain';
const ORDER: Side[] = ['handler', 'conditional', 'plain'];

/**
 * The real handler storing `events` distinct signed webhooks, against the same items written by bare
 * PutItems through the same client and engine: once exactly as the store sends them (with the
 * `attribute_not_exists(callId)` condition that makes a webhook write-once) and once without the condition.
 * Blocks run in the order H C P, P C H, H C P … so that a machine slowing down or speeding up during the run
 * weighs on every side alike. Everything a sender would do (bodies, signatures, events) is prepared before
 * the clock starts. `block` is the events per block (a test of the counting needs only a few).
 */
export async function measureWritePath(
  bench: HandlerTarget,
  events: number,
  concurrency: number,
  warmUpBlocks = WARM_UP_BLOCKS,
  block = WRITE_PATH_BLOCK,
): Promise<WritePathLevel> {
  const store = bench.newStore();
  const handler = createCallStatusHandler({ env: bench.env, store });
  const secret = bench.env.FREECLIMB_SIGNING_SECRET as string;
  let serial = 0;
  const nextBodies = (count: number) => Array.from({ length: count }, () => freshBody(serial++));

  const micros: Record<Side, number[]> = { handler: [], conditional: [], plain: [] };
  /** Runs `send` and, once the clock runs, keeps its time: the same wrapper on every side. */
  const timeEvent = async (side: Side, counted: boolean, send: () => Promise<void>) => {
    const started = performance.now();
    await send();
    if (counted) micros[side].push((performance.now() - started) * 1000);
  };
  const runBlock = async (side: Side, count: number, counted = true): Promise<number> => {
    if (side === 'handler') {
      const batch = nextBodies(count).map((body) => signedEvent(body, secret));
      return timed(() =>
        runInFlight(count, concurrency, (i) =>
          timeEvent(side, counted, () => invoke(handler, batch[i] as APIGatewayProxyEventV2)),
        ),
      );
    }
    const items = nextBodies(count).map((body) => callRecordOf(body));
    return timed(() =>
      runInFlight(count, concurrency, (i) =>
        timeEvent(side, counted, () => put(store, items[i] as CallRecord, side === 'conditional')),
      ),
    );
  };

  for (let warm = 0; warm < warmUpBlocks; warm += 1) {
    for (const side of ORDER) await runBlock(side, block, false);
  }
  const elapsed: Record<Side, number> = { handler: 0, conditional: 0, plain: 0 };
  const rates: Record<Side, number[]> = { handler: [], conditional: [], plain: [] };
  const roundRatios: number[] = [];
  let done = 0;
  for (let round = 0; done < events; round += 1) {
    const count = Math.min(block, events - done);
    const rate: Partial<Record<Side, number>> = {};
    for (const side of round % 2 === 0 ? ORDER : [...ORDER].reverse()) {
      const ms = await runBlock(side, count);
      elapsed[side] += ms;
      rate[side] = (count / ms) * 1000;
      rates[side].push(rate[side]);
    }
    roundRatios.push((rate.handler as number) / (rate.conditional as number));
    done += count;
  }
  store.doc.destroy();
  const perSecond = (side: Side) => (events / elapsed[side]) * 1000;
  return {
    concurrency,
    events,
    handlerPerSecond: perSecond('handler'),
    conditionalPutPerSecond: perSecond('conditional'),
    plainPutPerSecond: perSecond('plain'),
    ratio: perSecond('handler') / perSecond('conditional'),
    plainRatio: perSecond('handler') / perSecond('plain'),
    blocks: {
      handler: spreadOf(rates.handler),
      conditional: spreadOf(rates.conditional),
      plain: spreadOf(rates.plain),
    },
    roundRatios: spreadOf(roundRatios),
    eventMicros: {
      handler: spreadOf(micros.handler),
      conditional: spreadOf(micros.conditional),
      plain: spreadOf(micros.plain),
    },
  };
}

async function invoke(handler: CallStatusHandler, event: APIGatewayProxyEventV2): Promise<void> {
  const response = await handler(event, benchContext);
  if (response.statusCode !== 204) {
    throw new BrokenBenchmarkError(`The handler answered ${response.statusCode} to a valid signed webhook`);
  }
}

/** The request `saveCallRecord` sends for a new call, written out so no lib code runs on this side. */
async function put(store: CallStore, item: CallRecord, conditional: boolean): Promise<void> {
  await store.doc.send(
    new PutCommand(
      conditional
        ? {
            TableName: store.callsTable,
            Item: item,
            ConditionExpression: 'attribute_not_exists(callId)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }
        : { TableName: store.callsTable, Item: item },
    ),
  );
}
