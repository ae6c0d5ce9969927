import { spreadOf } from '../../bench/spread';

// The benchmark publishes each side's rate as a median and a range over its blocks, not a single ratio.

describe("the benchmark's spread of measurements", () => {
  test('takes the middle value of an odd count, and the extremes, whatever the order', () => {
    // Prepare
    const rates = [862, 715, 790, 640, 901];

    // Act
    const spread = spreadOf(rates);

    // Assess
    expect(spread).toEqual({ median: 790, p25: 715, p75: 862, min: 640, max: 901, count: 5 });
  });

  test('takes the mean of the two middle values of an even count', () => {
    // Prepare
    const rates = [4, 1, 3, 2];

    // Act
    const spread = spreadOf(rates);

    // Assess
    expect(spread).toMatchObject({ median: 2.5, min: 1, max: 4, count: 4 });
  });

  test('interpolates the quartiles between the two nearest measurements', () => {
    // Prepare: 25% of the way is at position 1.25 of 0…5, 75% at 3.75
    const times = [10, 20, 30, 40, 50, 60];

    // Act
    const spread = spreadOf(times);

    // Assess
    expect(spread.p25).toBeCloseTo(22.5, 10);
    expect(spread.p75).toBeCloseTo(47.5, 10);
    expect(spread.median).toBe(35);
  });

  test('gives one measurement as every figure', () => {
    // Prepare
    const only = [1234];

    // Act
    const spread = spreadOf(only);

    // Assess
    expect(spread).toEqual({ median: 1234, p25: 1234, p75: 1234, min: 1234, max: 1234, count: 1 });
  });

  test('sorts numerically, not as text', () => {
    // Prepare
    const rates = [1000, 900, 95];

    // Act
    const spread = spreadOf(rates);

    // Assess
    expect(spread).toMatchObject({ median: 900, min: 95, max: 1000, count: 3 });
  });

  test('leaves the measurements it was given in their order', () => {
    // Prepare
    const rates = [3, 1, 2];

    // Act
    spreadOf(rates);

    // Assess
    expect(rates).toEqual([3, 1, 2]);
  });

  test('refuses an empty set rather than inventing a figure', () => {
    // Prepare
    const none: number[] = [];

    // Act
    const act = () => spreadOf(none);

    // Assess
    expect(act).toThrow(RangeError);
  });
});
