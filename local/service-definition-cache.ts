import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT, readServiceDefinition, type ServiceDefinition } from './service-definition';

/**
 * `serverless print` takes seconds, and jest's global setup needs its answer on every run (a mutation run
 * starts jest hundreds of times). The answer depends only on what is hashed here (serverless.yml reads no
 * other file), so it is kept on disk under that hash: a change to any of these files, or another framework
 * version, reads it afresh.
 */
const INPUTS = ['serverless.yml', 'local/service-definition.ts', 'node_modules/serverless/package.json'];

/** Under node_modules: git-ignored, and shared with the sandboxes of a mutation run, which link it. */
export const CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'freeclimb-call-records');

/** The service definition of `stage`, from the cache when its inputs have not changed since it was read. */
export async function cachedServiceDefinition(stage: string): Promise<ServiceDefinition> {
  const file = path.join(CACHE_DIR, `service-definition-${stage}-${await inputsHash(stage)}.json`);
  const cached = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as ServiceDefinition,
    () => undefined,
  );
  if (cached !== undefined) return cached;
  const definition = await readServiceDefinition(stage);
  await mkdir(CACHE_DIR, { recursive: true });
  // Written aside, then renamed: a run reading it meanwhile sees the whole file or none.
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, JSON.stringify(definition));
  await rename(partial, file);
  return definition;
}

async function inputsHash(stage: string): Promise<string> {
  const hash = createHash('sha256').update(stage);
  for (const input of INPUTS) {
    hash.update(`\0${input}\0`).update(await readFile(path.join(PROJECT_ROOT, input)));
  }
  return hash.digest('hex').slice(0, 16);
}
