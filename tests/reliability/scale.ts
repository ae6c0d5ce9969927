/**
 * How hard the reliability suite pushes. `npm test` runs it small so CI stays fast; `npm run test:reliability`
 * sets RELIABILITY_SCALE=big for the figures docs/reliability.md quotes. Both run the same assertions.
 */
export interface ReliabilityScale {
  name: 'small' | 'big';
  /** Generated hostile requests. */
  hostileRequests: number;
  /** Distinct calls in the duplicate storm, each delivered three times. */
  duplicateCalls: number;
  /** Deliveries in flight at once (API Gateway invokes many containers in parallel). */
  inFlight: number;
  /** Deliveries per failing-database scenario. */
  faultDeliveries: number;
  /** 1 MiB bodies sent while watching memory. */
  oversizedBodies: number;
}

const SCALES: Record<ReliabilityScale['name'], ReliabilityScale> = {
  small: {
    name: 'small',
    hostileRequests: 400,
    duplicateCalls: 40,
    inFlight: 32,
    faultDeliveries: 64,
    oversizedBodies: 20,
  },
  big: {
    name: 'big',
    hostileRequests: 10_000,
    duplicateCalls: 500,
    inFlight: 32,
    faultDeliveries: 400,
    oversizedBodies: 300,
  },
};

/** The scale this run uses: `RELIABILITY_SCALE=big`, or small. */
export function reliabilityScale(): ReliabilityScale {
  const name = process.env.RELIABILITY_SCALE ?? 'small';
  if (name !== 'small' && name !== 'big') {
    throw new Error(`RELIABILITY_SCALE must be "small" or "big", not "${name}"`);
  }
  return SCALES[name];
}
