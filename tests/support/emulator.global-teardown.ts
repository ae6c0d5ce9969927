import { rm } from 'node:fs/promises';
import { type GlobalWithMoto, MOTO_HANDLE } from './emulator.global-setup';

/** Global teardown of the `emulator` project: stops its moto server, so no Python process outlives the run. */
export default async function globalTeardown(): Promise<void> {
  const global = globalThis as GlobalWithMoto;
  const moto = global[MOTO_HANDLE];
  delete global[MOTO_HANDLE];
  await moto?.server.close();
  if (moto) await rm(moto.directory, { recursive: true, force: true });
}
