import { randomBytes } from 'node:crypto';
import { daysOf } from '../../lib/call-log';
import { CALL_LOG_SHARDS, callLogKey, callLogPartitionsOf, callLogShardOf } from '../../lib/call-log-key';

describe('the call log key', () => {
  test('is the UTC day of receipt and the call shard, the same every time for the same call', () => {
    // Prepare
    const callId = 'CA6c4839b1c27369b75fd99c5575cc5aab955a9a3b';

    // Act
    const key = callLogKey(callId, '2026-11-25T23:59:59.999Z');
    const again = callLogKey(callId, '2026-11-26T00:00:00.000Z');

    // Assess: pinned: a different hash would move every stored record to another partition.
    expect(key).toBe('2026-11-25#8');
    expect(again).toBe('2026-11-26#8');
  });

  test('spreads random call ids evenly over the shards (each within 15% of its share of 16,000)', () => {
    // Prepare
    const ids = Array.from({ length: 16_000 }, () => `CA${randomBytes(20).toString('hex')}`);

    // Act
    const counts = new Array<number>(CALL_LOG_SHARDS).fill(0);
    for (const id of ids) counts[callLogShardOf(id)] = (counts[callLogShardOf(id)] ?? 0) + 1;

    // Assess
    for (const count of counts) {
      expect(count).toBeGreaterThan(850);
      expect(count).toBeLessThan(1150);
    }
  });

  test('every partition of a day is listed once, and every key falls in one of them', () => {
    // Prepare
    const partitions = callLogPartitionsOf('2026-11-25');

    // Act
    const keys = Array.from({ length: 200 }, () =>
      callLogKey(`CA${randomBytes(20).toString('hex')}`, '2026-11-25T12:00:00.000Z'),
    );

    // Assess
    expect(new Set(partitions).size).toBe(CALL_LOG_SHARDS);
    expect(keys.every((key) => partitions.includes(key))).toBe(true);
  });
});

describe('daysOf', () => {
  test.each([
    ['one hour', '2026-11-25T10:00:00.000Z', '2026-11-25T11:00:00.000Z', ['2026-11-25']],
    ['up to midnight, excluded', '2026-11-25T10:00:00.000Z', '2026-11-26T00:00:00.000Z', ['2026-11-25']],
    [
      'one millisecond past midnight',
      '2026-11-25T23:00:00.000Z',
      '2026-11-26T00:00:00.001Z',
      ['2026-11-26', '2026-11-25'],
    ],
    [
      'a leap day',
      '2028-02-28T12:00:00.000Z',
      '2028-03-01T12:00:00.000Z',
      ['2028-03-01', '2028-02-29', '2028-02-28'],
    ],
  ])('%s: the UTC days, newest first', (_name, from, until, days) => {
    // Act
    const touched = daysOf({ fromMs: Date.parse(from), untilMs: Date.parse(until) });

    // Assess
    expect(touched).toEqual(days);
  });
});
