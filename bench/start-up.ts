import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { DUMMY_CREDENTIALS } from '../local/local-dynamodb';
import { PROJECT_ROOT, type ServiceDefinition } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { BENCH_STAGE } from './engine';
import { esbuildOptionsOf } from './esbuild-options';
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
  /** importMedianMs ÷ bareMedianMs. */
  ratio: number;
  /** Size of the leanest SDK handler (`sdk-floor-handler.ts`), bundled as ours is. */
  sdkFloorBytes: number;
  /** Median wall time of requiring that bundle in a fresh process: where any SDK-based handler starts. */
  sdkFloorMedianMs: number;
  /** importMedianMs ÷ sdkFloorMedianMs. */
  sdkFloorRatio: number;
}

/** The three kinds of fresh process the start-up measurement times. */
const KINDS = ['bare', 'sdkFloor', 'handler'] as const;

/**
 * Packages the service as `serverless deploy` would (offline), then times fresh Node processes importing
 * the bundled handler from the unpacked zip, with the function's environment from serverless.yml (so its
 * configuration loads and its NODE_OPTIONS apply), against two floors with the same environment: bare
 * processes, and processes importing the leanest SDK handler bundled with the same esbuild options. The
 * three kinds take turns (forwards, then backwards), so drift weighs on all alike.
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
    const handlerModule = definition.handler.slice(0, definition.handler.lastIndexOf('.'));
    const handlerFile = `${handlerModule}.js`;
    const handler = files.find((file) => file.name === handlerFile);
    if (handler === undefined) throw new BrokenBenchmarkError(`The zip has no ${handlerFile}`);
    const floorDir = path.join(workDir, 'sdk-floor');
    const sdkFloorBytes = await bundleSdkFloor(
      definition,
      handlerModule,
      await readFile(path.join(unpacked, handlerFile)),
      path.join(floorDir, 'handler.js'),
    );

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...definition.environment,
      AWS_REGION: definition.region,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    };
    const runners: Record<(typeof KINDS)[number], () => number> = {
      bare: () => timeNode('', env, unpacked),
      sdkFloor: () => timeNode("require('./handler.js')", env, floorDir),
      handler: () => timeNode(`require(${JSON.stringify(`./${handlerFile}`)})`, env, unpacked),
    };
    const times: Record<(typeof KINDS)[number], number[]> = { bare: [], sdkFloor: [], handler: [] };
    // One untimed run of each first: the OS file cache, not our code, is what a first run would measure.
    for (const kind of KINDS) runners[kind]();
    for (let run = 0; run < runs; run += 1) {
      const order = run % 2 === 0 ? KINDS : [...KINDS].reverse();
      for (const kind of order) times[kind].push(runners[kind]());
    }
    const importMedianMs = median(times.handler);
    const bareMedianMs = median(times.bare);
    const sdkFloorMedianMs = median(times.sdkFloor);
    return {
      zipBytes: (await stat(zipPath)).size,
      handlerBytes: handler.bytes,
      files,
      runs,
      importMedianMs,
      bareMedianMs,
      ratio: importMedianMs / bareMedianMs,
      sdkFloorBytes,
      sdkFloorMedianMs,
      sdkFloorRatio: importMedianMs / sdkFloorMedianMs,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Bundles `sdk-floor-handler.ts` into `outFile` with the esbuild options of serverless.yml and returns its
 * size. First rebuilds the function's handler with the same options: unless that equals the packaged one
 * byte for byte, the floor would not be bundled as the handler is, and the comparison would mean nothing.
 */
async function bundleSdkFloor(
  definition: ServiceDefinition,
  handlerModule: string,
  packagedHandler: Buffer,
  outFile: string,
): Promise<number> {
  const options = { ...esbuildOptionsOf(definition.esbuild), absWorkingDir: PROJECT_ROOT };
  const rebuilt = await build({ ...options, entryPoints: [`./${handlerModule}`], write: false });
  const [rebuiltHandler] = rebuilt.outputFiles ?? [];
  if (rebuiltHandler === undefined || !packagedHandler.equals(rebuiltHandler.contents)) {
    throw new BrokenBenchmarkError(
      "Rebuilt with serverless.yml's custom.esbuild, the handler differs from the packaged one: the SDK floor would not be bundled as the handler is",
    );
  }
  await build({ ...options, entryPoints: [path.join(__dirname, 'sdk-floor-handler.ts')], outfile: outFile });
  return (await stat(outFile)).size;
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
