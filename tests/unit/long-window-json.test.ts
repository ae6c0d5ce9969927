import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { callsCommand } from '../../cli/calls';
import type { CommandContext, ParsedValues } from '../../cli/command';
import { TimeFormat } from '../../cli/format';
import { JsonArrayWriter } from '../../cli/json-array-writer';
import { rejectedListCommand } from '../../cli/rejected-list';
import type { CallLogEntry } from '../../lib/call-log';
import { CALL_LOG_SHARDS } from '../../lib/call-log-key';
import type { CallStore } from '../../lib/call-store';
import type { RejectedDelivery } from '../../lib/rejected-delivery';

// `calls --json` and `rejected list --json` over windows of millions of items, read from a stand-in for the
// DynamoDB document client (an in-process object answering the commands' Queries the way DynamoDB pages
// them; the SDK is not involved). What is measured is memory: the heap still in use (after a full garbage
// collection) while the command runs, which must stay flat however long the window is. Building the whole
// text at once fails here twice over: every item is kept until the end, and the text passes V8's string
// limit (`RangeError: Invalid string length`) at 1.4 to 1.7 million call log entries, by their size.

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
/** The live heap a streaming command may add, whatever the window: a day's page of items and its text. */
const HEAP_BOUND_BYTES = 64 * MB;
/** How often (in items read) the heap is measured: each measure is a full garbage collection. */
const MEASURE_EVERY = 100_000;
const DAY_MS = 86_400_000;

class HeapBoundExceeded extends Error {}

/** The live heap's growth over the start, measured every {@link MEASURE_EVERY} items, failing at the bound. */
class HeapWatch {
  peakBytes = 0;
  private readonly baseline: number;
  private nextMeasure = MEASURE_EVERY;

  constructor(private readonly total: number) {
    collectGarbage();
    this.baseline = process.memoryUsage().heapUsed;
  }

  /** Called with the count of items so far; throws once the growth passes the bound, so the run stops. */
  seen(items: number): void {
    if (items < this.nextMeasure) return;
    this.nextMeasure += MEASURE_EVERY;
    collectGarbage();
    const growth = process.memoryUsage().heapUsed - this.baseline;
    this.peakBytes = Math.max(this.peakBytes, growth);
    if (growth > HEAP_BOUND_BYTES) {
      throw new HeapBoundExceeded(
        `the live heap grew by ${Math.round(growth / MB)} MB after ${items} of ${this.total} items: ` +
          `more than ${HEAP_BOUND_BYTES / MB} MB, so the items are being kept`,
      );
    }
  }
}

/**
 * A stdout that keeps nothing: it counts characters and elements, and keeps the ends to check the form (the
 * last two writes, which hold the last element and the closing bracket, so the tail is cut only when read).
 */
class DiscardingStdout {
  characters = 0;
  elements = 0;
  head = '';
  private previous = '';
  private last = '';

  constructor(private readonly marker: string) {}

  get tail(): string {
    return (this.previous + this.last).slice(-64);
  }

  readonly write = (text: string): void => {
    this.characters += text.length;
    if (this.head.length < 64) this.head = (this.head + text).slice(0, 64);
    this.previous = this.last;
    this.last = text;
    for (let at = text.indexOf(this.marker); at >= 0; at = text.indexOf(this.marker, at + 1)) {
      this.elements += 1;
    }
  };
}

/** What the command gets from `runCli`, with the stand-in store as its target. */
function contextFor(doc: unknown, stdout: DiscardingStdout, nowMs: number): CommandContext {
  const store: CallStore = {
    doc: doc as DynamoDBDocumentClient,
    callsTable: 'stand-in-calls',
    rejectedTable: 'stand-in-rejected',
  };
  return {
    io: { stdout: stdout.write, stderr: () => undefined, env: {}, now: () => nowMs },
    json: true,
    time: () => new TimeFormat('UTC'),
    target: async () => ({ store, description: 'a stand-in store', kind: 'local', close: () => undefined }),
  };
}

interface QueryInput {
  ExpressionAttributeValues: Record<string, string>;
  ExclusiveStartKey?: { at: number };
}

/**
 * The call log index of `perDay` calls on every day: each Query of one day's shard answers with that shard's
 * entries (new objects each time, as the SDK unmarshals them) in one page, as DynamoDB would for a partition
 * under 1 MB. What is the same every day (an entry's time of day, the tail of its id, its number) is worked
 * out once, so that the run's time goes to the command.
 */
function callLogStandIn(perDay: number, watch: HeapWatch) {
  const ofIndex = Array.from({ length: perDay }, (_, index) => ({
    timeOfDay: new Date(Math.floor((index * DAY_MS) / perDay)).toISOString().slice('1970-01-01'.length),
    idTail: index.toString(16).padStart(32, '0'),
    to: `+1847555${String(index % 10_000).padStart(4, '0')}`,
  }));
  let served = 0;
  return {
    async send(command: { input: QueryInput }) {
      const values = command.input.ExpressionAttributeValues;
      const [day = '', shard] = (values[':shard'] ?? '').split('#');
      // Unique per day: the day's number, then the entry's.
      const idHead = `CA${(Date.parse(`${day}T00:00:00.000Z`) / DAY_MS).toString(16).padStart(8, '0')}`;
      const items: CallLogEntry[] = [];
      for (let index = Number(shard); index < perDay; index += CALL_LOG_SHARDS) {
        const { timeOfDay, idTail, to } = ofIndex[index] as (typeof ofIndex)[number];
        const receivedAt = `${day}${timeOfDay}`;
        if (receivedAt < (values[':first'] ?? '') || receivedAt > (values[':last'] ?? '')) continue;
        items.push({
          callLogShard: `${day}#${shard}`,
          receivedAt,
          callId: `${idHead}${idTail}`,
          callStatus: 'completed',
          callEndedReason: 'farEndHangup',
          direction: 'inbound',
          from: '+13125550142',
          to,
          callDuration: index % 600,
        });
      }
      served += items.length;
      watch.seen(served);
      return { Items: items, Count: items.length, ScannedCount: items.length };
    },
  };
}

/**
 * The rejected table with `perDay` deliveries on every day from `firstDay` to `lastDay`, newest first, in
 * pages of 1,000 (about 1 MB).
 */
function rejectedStandIn(firstDay: string, lastDay: string, perDay: number, watch: HeapWatch) {
  const pageSize = 1000;
  let served = 0;
  return {
    async send(command: { input: QueryInput }) {
      const day = command.input.ExpressionAttributeValues[':day'] ?? '';
      const dayMs = Date.parse(`${day}T00:00:00.000Z`);
      const start = command.input.ExclusiveStartKey?.at ?? 0;
      const items: RejectedDelivery[] = [];
      const kept = day >= firstDay && day <= lastDay ? perDay : 0;
      const end = Math.min(kept, start + pageSize);
      for (let at = start; at < end; at += 1) {
        const receivedAt = new Date(dayMs + DAY_MS - 1 - Math.floor((at * DAY_MS) / perDay)).toISOString();
        const callId = `CA${(dayMs / 1000 + at).toString(16).padStart(40, '0')}`;
        items.push({
          receivedDate: day,
          rejectionId: `${receivedAt}#${at.toString(16).padStart(16, '0')}`,
          receivedAt,
          reason: 'invalid',
          issues: [
            { path: 'direction', message: 'must be one of: inbound, outbound, outboundAPI, outboundDial' },
          ],
          callId,
          contentType: 'application/json',
          rawBody: `{"accountId":"AC0000000000000000000000000000000000000000","callId":"${callId}","callStatus":"completed","direction":"outboundConference","from":"+13125550142","to":"+18475550199","callDuration":47}`,
        });
      }
      served += items.length;
      watch.seen(served);
      const next = start + pageSize;
      return {
        Items: items,
        Count: items.length,
        ...(next < kept ? { LastEvaluatedKey: { at: next } } : {}),
      };
    },
  };
}

describe('--json over a long window streams: the live heap stays flat', () => {
  test('calls --json: 1.8 million entries over 150 days', async () => {
    // Prepare: 150 days of 12,000 calls, more text than one string can hold (2^29 characters).
    const days = 150;
    const perDay = 12_000;
    const total = days * perDay;
    const watch = new HeapWatch(total);
    const stdout = new DiscardingStdout('"callId": "CA');
    const context = contextFor(callLogStandIn(perDay, watch), stdout, Date.parse('2030-01-01T00:00:00Z'));
    const values: ParsedValues = { from: '2029-01-01', until: '2029-05-31', json: true };

    // Act
    const code = await callsCommand.run(context, values, []);

    // Assess
    expect(code).toBe(0);
    expect(stdout.elements).toBe(total);
    expect(stdout.head).toMatch(/^\[\n {2}\{\n {4}"callLogShard": "2029-05-30#\d+",\n/);
    expect(stdout.tail).toMatch(/\n {4}"callDuration": \d+\n {2}\}\n\]\n$/);
    expect(stdout.characters).toBeGreaterThan(2 ** 29);
    expect(watch.peakBytes).toBeLessThan(HEAP_BOUND_BYTES);
    process.stdout.write(
      `calls --json: ${total} entries, ${Math.round(stdout.characters / MB)} MB of JSON, ` +
        `live heap at most ${Math.round(watch.peakBytes / MB)} MB above the start\n`,
    );
  }, 600_000);

  test('rejected list --json: 200,000 deliveries over 5 days', async () => {
    // Prepare: what a schema change that refuses every delivery keeps in 5 busy days (the window ends at
    // midnight, so its 6th day is empty). Kept whole, 100,000 of them already take more live heap than the
    // bound, measured at 100,000 and 200,000.
    const days = 5;
    const perDay = 40_000;
    const total = days * perDay;
    const watch = new HeapWatch(total);
    const stdout = new DiscardingStdout('"rejectionId": "');
    const nowMs = Date.parse('2031-01-06T00:00:00.000Z');
    const context = contextFor(rejectedStandIn('2031-01-01', '2031-01-05', perDay, watch), stdout, nowMs);
    const values: ParsedValues = { since: `${days}d`, json: true };

    // Act
    const code = await rejectedListCommand.run(context, values, []);

    // Assess
    expect(code).toBe(0);
    expect(stdout.elements).toBe(total);
    expect(stdout.head).toMatch(/^\[\n {2}\{\n {4}"receivedDate": "2031-01-05",\n/);
    expect(stdout.tail).toMatch(/\n {2}\}\n\]\n$/);
    expect(watch.peakBytes).toBeLessThan(HEAP_BOUND_BYTES);
    process.stdout.write(
      `rejected list --json: ${total} deliveries, ${Math.round(stdout.characters / MB)} MB of JSON, ` +
        `live heap at most ${Math.round(watch.peakBytes / MB)} MB above the start\n`,
    );
  }, 600_000);
});

describe('a slow reader of stdout', () => {
  test('calls waits for stdout to drain between entries, so unread output stays within a bound', async () => {
    // Prepare: a reader that takes 16 KiB per turn of the event loop, and a stdout that, like a pipe's,
    // asks to be waited for once 64 KiB are queued.
    const highWaterMark = 64 * 1024;
    let queued = 0;
    let mostQueued = 0;
    const stdout = new DiscardingStdout('"callId": "CA');
    const write = (text: string) => {
      stdout.write(text);
      queued += text.length;
      mostQueued = Math.max(mostQueued, queued);
    };
    const reader = setInterval(() => {
      queued = Math.max(0, queued - 16 * 1024);
    }, 0);
    const drained = async () => {
      while (queued > highWaterMark) await new Promise((resolve) => setTimeout(resolve, 0));
    };
    const perDay = 2_000;
    const watch = new HeapWatch(10 * perDay);
    const context = contextFor(callLogStandIn(perDay, watch), stdout, Date.parse('2030-01-01T00:00:00Z'));
    context.io = { ...context.io, stdout: write, drained };
    const values: ParsedValues = { from: '2029-01-01', until: '2029-01-11', json: true };

    // Act
    const code = await callsCommand.run(context, values, []).finally(() => clearInterval(reader));

    // Assess
    expect(code).toBe(0);
    expect(stdout.elements).toBe(10 * perDay);
    expect(stdout.characters).toBeGreaterThan(20 * highWaterMark);
    // One entry may be written past the mark before the command waits.
    expect(mostQueued).toBeLessThan(highWaterMark + 1024);
  }, 60_000);
});

describe('JsonArrayWriter', () => {
  test.each([
    ['no elements', []],
    ['one element', [{ callId: 'CA1' }]],
    [
      'nested values, escapes and line breaks in strings',
      [{ a: [1, { b: null }], s: 'line\nbreak "quoted" \u001b[31m' }, [], {}, 'text', 2.5, null],
    ],
  ])('%s: exactly the text JSON.stringify(array, null, 2) gives, and a newline', (_name, values) => {
    // Prepare
    let text = '';
    const writer = new JsonArrayWriter((chunk) => {
      text += chunk;
    });

    // Act
    for (const value of values) writer.add(value);
    writer.end();

    // Assess
    expect(text).toBe(`${JSON.stringify(values, null, 2)}\n`);
  });
});
