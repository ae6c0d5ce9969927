import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on right now: bound, then released. For servers that cannot be told to
 * pick one themselves (DynamoDB Local refuses port 0) and for "engine not reachable" cases in tests.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('The probe server has no TCP address');
  }
  return address.port;
}
