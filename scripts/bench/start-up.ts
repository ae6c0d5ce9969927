import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DUMMY_CREDENTIALS } from '../local-dynamodb';
import { PROJECT_ROOT, type ServiceDefinition } from '../service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { BENCH_STAGE } from './engine';
import { unzip } from './unzip';

export interface StartUp {
  zipBytes: number;
  /** The bundled handler's own size, unpacked. */
  handlerBytes: number;
  /** Every file in the zip, with its unpacked size. */
  files: Array<{ name: string; bytes: number }>;
  runs: number;
  /** Median wall time of `node -e "require('./handlers/call-status.js')"` in a fresh process. */
  importMedianMs: number;
  /** Median wall time of `node -e ''`: what any Node process costs before our code. */
  bareMedianMs: number;
  ratio: number;
}

/**
 * Packages the service as `serverless deploy` would (offline), then times fresh Node processes importing
 * the bundled handler from the unpacked zip, with the function's environment from serverless.yml (so its
 * configuration loads and its NODE_OPTIONS apply), against bare processes with the same environment. The
 * two kinds alternate, so drift weighs on both alike.
 */
export async function measureStartUp(definition: ServiceDefinition, runs: number): Promise<StartUp> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'call-records-bench-'));
  try {
    const packageDir = path.join(workDir, 'package');
    await promisify(execFile)(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'serverless'),
      ['package', '--stage', BENCH_STAGE, '--package', packageDir],
      { cwd: PROJECT_ROOT, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
    );
    const zipName = (await readdir(packageDir)).find((name) => name.endsWith('.zip'));
    if (zipName === undefined) throw new BrokenBenchmarkError('serverless package produced no zip');
    const zipPath = path.join(packageDir, zipName);
    const unpacked = path.join(workDir, 'function');
    const names = await unzip(zipPath, unpacked);
    const files = await Promise.all(
      names.map(async (name) => ({ name, bytes: (await stat(path.join(unpacked, name))).size })),
    );
    const handlerFile = `${definition.handler.slice(0, definition.handler.lastIndexOf('.'))}.js`;
    const handler = files.find((file) => file.name === handlerFile);
    if (handler === undefined) throw new BrokenBenchmarkError(`The zip has no ${handlerFile}`);

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...definition.environment,
      AWS_REGION: definition.region,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      // Lambda runs Node 22, where the SDK prints no warning about the Node version; this machine may not.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const importScript = `require(${JSON.stringify(`./${handlerFile}`)})`;
    const importTimes: number[] = [];
    const bareTimes: number[] = [];
    // One untimed run of each first: the OS file cache, not our code, is what a first run would measure.
    timeNode('', env, unpacked);
    timeNode(importScript, env, unpacked);
    for (let run = 0; run < runs; run += 1) {
      bareTimes.push(timeNode('', env, unpacked));
      importTimes.push(timeNode(importScript, env, unpacked));
    }
    const importMedianMs = median(importTimes);
    const bareMedianMs = median(bareTimes);
    return {
      zipBytes: (await stat(zipPath)).size,
      handlerBytes: handler.bytes,
      files,
      runs,
      importMedianMs,
      bareMedianMs,
      ratio: importMedianMs / bareMedianMs,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function timeNode(script: string, env: Record<string, string>, cwd: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', script], { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new BrokenBenchmarkError(`node -e "${script}" failed: ${result.stderr || result.error?.message}`);
  }
  // The handler logs this (and keeps running) when its configuration does not load: the import would be cheap.
  if (`${result.stdout}${result.stderr}`.includes('Invalid configuration')) {
    throw new BrokenBenchmarkError(`The bundled handler did not load its configuration: ${result.stdout}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
