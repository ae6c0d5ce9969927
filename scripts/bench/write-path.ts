import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { CallRecord } from '../../lib/call-record';
import { type CallStatusHandler, createCallStatusHandler } from '../../lib/call-status-service';
import type { CallStore } from '../../lib/call-store';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import type { BenchEngine } from './engine';
import { runInFlight, timed } from './in-flight';
import { benchContext, callRecordOf, freshBody, signedEvent } from './workload';

/** One concurrency level of the comparison. */
export interface WritePathLevel {
  concurrency: number;
  events: number;
  /** The real handler: verify, parse, validate, map, conditional put, log and metrics calls. */
  handlerPerSecond: number;
  /** Plain PutItems of the same mapped items through the same client and engine: the physical minimum. */
  rawPutPerSecond: number;
  /** handler ÷ raw; 1 means the function adds nothing measurable. */
  ratio: number;
}

/** Events per block: small enough that the ABBA order cancels drift, large enough to dwarf the switch. */
const BLOCK = 250;
/** Blocks of each side run before the clock starts. */
const WARM_UP_BLOCKS = 3;

/**
 * The real handler storing `events` distinct signed webhooks against plain PutItems of the same items, in
 * blocks ordered A B B A A B B A …, so that a machine slowing down or speeding up during the run weighs on
 * both sides alike. Everything a sender would do (bodies, signatures, events) is prepared outside the clock.
 */
export async function measureWritePath(
  bench: BenchEngine,
  events: number,
  concurrency: number,
): Promise<WritePathLevel> {
  const store = bench.newStore();
  const handler = createCallStatusHandler({ env: bench.env, store });
  const secret = bench.env.FREECLIMB_SIGNING_SECRET as string;
  let serial = 0;
  const nextBodies = (count: number) => Array.from({ length: count }, () => freshBody(serial++));

  const handlerBlock = async (count: number): Promise<number> => {
    const batch = nextBodies(count).map((body) => signedEvent(body, secret));
    return timed(() =>
      runInFlight(batch.length, concurrency, (i) => invoke(handler, batch[i] as APIGatewayProxyEventV2)),
    );
  };
  const rawBlock = async (count: number): Promise<number> => {
    const items = nextBodies(count).map((body) => callRecordOf(body));
    return timed(() => runInFlight(items.length, concurrency, (i) => put(store, items[i] as CallRecord)));
  };

  // Warm-up: JIT (dynalite's included: it takes a few thousand requests to settle), the connection pool.
  for (let warm = 0; warm < WARM_UP_BLOCKS; warm += 1) {
    await handlerBlock(BLOCK);
    await rawBlock(BLOCK);
  }

  let handlerMs = 0;
  let rawMs = 0;
  let done = 0;
  for (let block = 0; done < events; block += 1) {
    const count = Math.min(BLOCK, events - done);
    const handlerFirst = block % 2 === 0;
    const first = handlerFirst ? await handlerBlock(count) : await rawBlock(count);
    const second = handlerFirst ? await rawBlock(count) : await handlerBlock(count);
    handlerMs += handlerFirst ? first : second;
    rawMs += handlerFirst ? second : first;
    done += count;
  }
  store.doc.destroy();
  const handlerPerSecond = (events / handlerMs) * 1000;
  const rawPutPerSecond = (events / rawMs) * 1000;
  return {
    concurrency,
    events,
    handlerPerSecond,
    rawPutPerSecond,
    ratio: handlerPerSecond / rawPutPerSecond,
  };
}

async function invoke(handler: CallStatusHandler, event: APIGatewayProxyEventV2): Promise<void> {
  const response = await handler(event, benchContext);
  if (response.statusCode !== 204) {
    throw new BrokenBenchmarkError(`The handler answered ${response.statusCode} to a valid signed webhook`);
  }
}

async function put(store: CallStore, item: CallRecord): Promise<void> {
  await store.doc.send(new PutCommand({ TableName: store.callsTable, Item: item }));
}
