import { ENGINE_HANDLE, type GlobalWithEngine } from './global-setup';

/** Jest global teardown: stops the engine the global setup started, so jest exits without open handles. */
export default async function globalTeardown(): Promise<void> {
  const global = globalThis as GlobalWithEngine;
  await global[ENGINE_HANDLE]?.close();
  delete global[ENGINE_HANDLE];
}
