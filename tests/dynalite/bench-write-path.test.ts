import type { HandlerTarget } from '../../bench/engine';
import { measureWritePath } from '../../bench/write-path';
import { TEST_SECRET, testStore } from '../support/webhook';

// The benchmark publishes each side's rate per block and each event's own time beside the ratio. Those
// figures are only worth publishing if they cover exactly the timed events, block by block. The counting
// does not depend on the engine or the block size: here on dynalite, the benchmark's engine, in blocks of a
// few events (the benchmark's own are 250).

const target: HandlerTarget = {
  env: {
    CALLS_TABLE: process.env.CALLS_TABLE as string,
    REJECTED_TABLE: process.env.REJECTED_TABLE as string,
    FREECLIMB_SIGNING_SECRET: TEST_SECRET,
  },
  newStore: testStore,
};

/** Events per block. */
const BLOCK = 20;

describe("the benchmark's write path", () => {
  // A full block and a part block.
  const events = BLOCK + 5;

  test('times every timed event of each side once, and none of the warm-up', async () => {
    // Prepare, Act: one warm-up block of each side, then a full block and a part block
    const level = await measureWritePath(target, events, 1, 1, BLOCK);

    // Assess
    for (const side of ['handler', 'conditional', 'plain'] as const) {
      expect(level.eventMicros[side].count).toBe(events);
      expect(level.blocks[side].count).toBe(2);
    }
    expect(level.roundRatios.count).toBe(2);
  }, 60_000);

  test("puts each side's overall rate within its slowest and fastest block, and orders each spread", async () => {
    // Prepare, Act
    const level = await measureWritePath(target, events, 4, 0, BLOCK);

    // Assess
    const overall = {
      handler: level.handlerPerSecond,
      conditional: level.conditionalPutPerSecond,
      plain: level.plainPutPerSecond,
    };
    for (const side of ['handler', 'conditional', 'plain'] as const) {
      const { min, max } = level.blocks[side];
      expect(overall[side]).toBeGreaterThanOrEqual(min);
      expect(overall[side]).toBeLessThanOrEqual(max);
      const time = level.eventMicros[side];
      expect(time.min).toBeGreaterThan(0);
      expect([time.min, time.p25, time.median, time.p75, time.max]).toEqual(
        [time.min, time.p25, time.median, time.p75, time.max].sort((a, b) => a - b),
      );
    }
    expect(level.ratio).toBeCloseTo(level.handlerPerSecond / level.conditionalPutPerSecond, 10);
    expect(level.concurrency).toBe(4);
  }, 60_000);
});
