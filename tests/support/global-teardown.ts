import { rm } from 'node:fs/promises';
import { figuresTable, readFigures } from '../reliability/figures';
import { ENGINE_HANDLE, type GlobalWithEngine } from './global-setup';

/**
 * Jest global teardown: stops the engine the global setup started, so jest exits without open handles, and
 * prints the reliability figures after jest's own summary. A broken promise fails the run here too, so the
 * table and the exit status can never disagree.
 */
export default async function globalTeardown(): Promise<void> {
  const global = globalThis as GlobalWithEngine;
  await global[ENGINE_HANDLE]?.close();
  delete global[ENGINE_HANDLE];

  const runDir = process.env.TEST_RUN_DIR;
  if (!runDir) return;
  const figures = readFigures(runDir);
  await rm(runDir, { recursive: true, force: true });
  if (figures.length === 0) return;
  console.log(`\n${figuresTable(figures, process.env.RELIABILITY_SCALE ?? 'small')}\n`);
  const broken = figures.filter((figure) => figure.holds === false);
  if (broken.length > 0) {
    throw new Error(
      `Reliability promises broken: ${broken.map((f) => `${f.promise}: ${f.name}`).join('; ')}`,
    );
  }
}
