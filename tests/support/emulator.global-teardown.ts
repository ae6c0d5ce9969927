import { type GlobalWithMoto, MOTO_HANDLE } from './emulator.global-setup';

/** Global teardown of the `emulator` project: stops its moto server, so no Python process outlives the run. */
export default async function globalTeardown(): Promise<void> {
  const global = globalThis as GlobalWithMoto;
  const server = global[MOTO_HANDLE];
  delete global[MOTO_HANDLE];
  await server?.close();
}
