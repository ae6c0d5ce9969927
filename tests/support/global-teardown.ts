import { rm } from 'node:fs/promises';
import { type Figure, figuresTable, readFigures } from '../reliability/figures';
import { stopTestEngines } from './test-engine';
import { workerNodeSummary } from './worker-node';

/**
 * Jest global teardown: stops the engines the global setup started, so jest exits without open handles
 * and no JVM outlives the run, and prints the reliability figures after jest's own summary, one table per
 * engine. A broken promise fails the run here too, so the table and the exit status can never disagree.
 */
export default async function globalTeardown(): Promise<void> {
  await stopTestEngines();

  const runDir = process.env.TEST_RUN_DIR;
  if (!runDir) return;
  const workers = workerNodeSummary(runDir, process.pid);
  if (workers) console.log(`\n${workers}`);
  const figures = readFigures(runDir);
  await rm(runDir, { recursive: true, force: true });
  if (figures.length === 0) return;
  const scale = process.env.RELIABILITY_SCALE ?? 'small';
  const byEngine = new Map<string, Figure[]>();
  for (const figure of figures) {
    const engine = figure.engine ?? 'unknown engine';
    byEngine.set(engine, [...(byEngine.get(engine) ?? []), figure]);
  }
  for (const [engine, group] of byEngine) {
    console.log(`\n${figuresTable(group, `${scale}, engine: ${engine}`)}\n`);
  }
  const broken = figures.filter((figure) => figure.holds === false);
  if (broken.length > 0) {
    throw new Error(
      `Reliability promises broken: ${broken.map((f) => `${f.promise}: ${f.name} (${f.engine})`).join('; ')}`,
    );
  }
}
