import { createAuthPause } from '../../lib/auth-pause';
import type { CallStore } from '../../lib/call-store';
import type { EnrichmentDependencies, RetryPolicy } from '../../lib/enrichment';
import type { FakeFreeClimb } from './fake-freeclimb';

/** The enricher's retry policy by default (lib/enricher-config.ts): 30 s doubling up to 900 s, 24 h, three 404s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseSeconds: 30,
  maxSeconds: 900,
  giveUpAfterMs: 24 * 3_600_000,
  notFoundAttempts: 3,
};

/** How long a container sends nothing to FreeClimb after it refused the key, by default. */
export const DEFAULT_AUTH_PAUSE_MS = 5 * 60 * 1000;

/** Where a test enricher's clock starts: a minute after the fake's default call was dialled. */
export const ENRICHMENT_START_MS = Date.UTC(2026, 0, 15, 9, 31, 0);

/**
 * One container's enricher (lib/enrichment.ts) against the FreeClimb-shaped fake (its URL and key) and
 * `store`, with the default retry policy: its own auth pause, a clock the test moves (from
 * {@link ENRICHMENT_START_MS}), and the statuses of the refused keys it counted. `change` replaces any
 * dependency.
 */
export function testEnricher(
  target: { fake: FakeFreeClimb; store: CallStore; timeoutMs: number },
  change: Partial<EnrichmentDependencies> = {},
) {
  const clock = { nowMs: ENRICHMENT_START_MS };
  const authFailures: number[] = [];
  const deps: EnrichmentDependencies = {
    store: target.store,
    api: { baseUrl: target.fake.url, timeoutMs: target.timeoutMs },
    apiKey: async () => target.fake.apiKey,
    policy: DEFAULT_RETRY_POLICY,
    pause: createAuthPause(DEFAULT_AUTH_PAUSE_MS),
    now: () => clock.nowMs,
    onAuthFailure: (status) => authFailures.push(status),
    ...change,
  };
  return { deps, clock, authFailures };
}
