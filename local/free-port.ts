import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on right now: bound, then released. For servers that cannot be told to
 * pick one themselves (DynamoDB Local refuses port 0) and for "engine not reachable" cases in tests.
 */
export function freePort(): Promise<number> {
  return probePort(0);
}

/**
 * Binds `port` on 127.0.0.1 and releases it, resolving with the port bound; rejects with the `listen`
 * error (e.g. EADDRINUSE) when something already listens there.
 */
export async function probePort(port: number): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('The probe server has no TCP address');
  }
  return address.port;
}
