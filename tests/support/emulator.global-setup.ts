import path from 'node:path';
import { prepareTestRun } from './global-setup';
import { type MotoServer, MotoServerMissingError, startMotoServer } from './moto-server';

/**
 * Global setup of the `emulator` project: one moto server for its test files, on a free loopback port,
 * published in TEST_MOTO_ENDPOINT; its request recording goes to the run's directory, not the project.
 */

/** Key on jest's main-process globals, for the teardown. */
export const MOTO_HANDLE = '__testMotoServer';
export type GlobalWithMoto = typeof globalThis & { [MOTO_HANDLE]?: MotoServer };

export default async function globalSetup(): Promise<void> {
  await prepareTestRun();
  const runDir = process.env.TEST_RUN_DIR as string;
  // The child takes its environment when spawned; no other process needs the variable.
  process.env.MOTO_RECORDER_FILEPATH = path.join(runDir, 'moto-recording.jsonl');
  try {
    const server = await startMotoServer();
    (globalThis as GlobalWithMoto)[MOTO_HANDLE] = server;
    process.env.TEST_MOTO_ENDPOINT = server.endpoint;
    console.log(`\nmoto_server at ${server.endpoint}`);
  } catch (error) {
    // Jest prints a failed global setup's stack: for a missing moto_server, the one line that says what to do.
    if (error instanceof MotoServerMissingError) error.stack = `npm test: ${error.message}`;
    throw error;
  } finally {
    delete process.env.MOTO_RECORDER_FILEPATH;
  }
}
