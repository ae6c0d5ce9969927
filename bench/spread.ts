/** Where a set of measurements sits: its median, its quartiles and its extremes. */
export interface Spread {
  median: number;
  /** First and third quartiles: half the measurements lie between them. */
  p25: number;
  p75: number;
  min: number;
  max: number;
  /** How many measurements it summarises. */
  count: number;
}

/**
 * The median, quartiles and range of `values` (quantiles interpolated between the two nearest measurements,
 * so the median of an even count is the mean of the middle two). A single ratio hides how far apart a shared
 * machine's measurements fall; this is what the report shows beside it.
 */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('A spread needs at least one measurement');
  const sorted = [...values].sort((a, b) => a - b);
  const quantile = (p: number) => {
    const at = (sorted.length - 1) * p;
    const below = sorted[Math.floor(at)] as number;
    const above = sorted[Math.ceil(at)] as number;
    return below + (above - below) * (at - Math.floor(at));
  };
  return {
    median: quantile(0.5),
    p25: quantile(0.25),
    p75: quantile(0.75),
    min: sorted[0] as number,
    max: sorted.at(-1) as number,
    count: sorted.length,
  };
}
