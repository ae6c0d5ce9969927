/**
 * Runs `task(0)` … `task(count - 1)` with at most `concurrency` of them in flight, the way a client with a
 * connection pool would; resolves when all are done, rejects on the first failure.
 */
export async function runInFlight(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Milliseconds taken by `work`, by the monotonic clock. */
export async function timed(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}
