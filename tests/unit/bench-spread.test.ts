import { spreadOf } from '../../bench/spread';

// The benchmark publishes each side's rate as a median and a range over its blocks, not a single ratio.

describe("the benchmark's spread of measurements", () => {
  test('takes the middle value of an odd count, and the extremes, whatever the order', () => {
    // Prepare
    const rates = [862, 715, 790, 640, 901];

    // Act
    const spread = spreadOf(rates);

    // Assess
    expect(spread).toEqual({ median: 790, min: 640, max: 901, count: 5 });
  });

  test('takes the mean of the two middle values of an even count', () => {
    // Prepare
    const rates = [4, 1, 3, 2];

    // Act
    const spread = spreadOf(rates);

    // Assess
    expect(spread).toEqual({ median: 2.5, min: 1, max: 4, count: 4 });
  });

  test('sorts numerically, not as text', () => {
    // Prepare
    const rates = [1000, 900, 95];

    // Act
    const spread = spreadOf(rates);

    // Assess
    expect(spread).toEqual({ median: 900, min: 95, max: 1000, count: 3 });
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
