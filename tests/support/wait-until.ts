import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown when what was waited for did not happen in time; says what it was. */
export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`${what} did not happen within ${timeoutMs / 1000} s`);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Asks `check` every `intervalMs` until it gives a value (not undefined), and resolves with that value and
 * how long it took; rejects after `timeoutMs`. For what happens in the background (an enricher's write),
 * where the bound is what the test asserts.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  for (;;) {
    const value = await check();
    const ms = performance.now() - startedAt;
    if (value !== undefined) return { value, ms };
    if (ms >= options.timeoutMs) throw new WaitTimeoutError(what, options.timeoutMs);
    await sleep(options.intervalMs ?? 100);
  }
}
