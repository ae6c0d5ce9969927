/** Where a set of measurements sits: its median and its extremes. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many measurements it summarises. */
  count: number;
}

/**
 * The median (the mean of the two middle values for an even count) and the range of `values`. A single
 * ratio hides how far apart a shared machine's blocks fall; this is what the report shows beside it.
 */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('A spread needs at least one measurement');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number, count: sorted.length };
}
