import { createServer } from 'node:net';

/** A loopback port nothing listens on: bound, then released (for "engine not reachable" cases). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('The probe server has no TCP address');
  }
  return address.port;
}
