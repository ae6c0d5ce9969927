import { LOCAL_ENGINES, type LocalDynamoDb, type LocalEngine } from '../../local/local-dynamodb';

/**
 * Which engine a test file runs against. jest runs the integration and reliability files once per engine
 * (one project each, see jest.config.js); the global setup starts every engine once and publishes its
 * endpoint, and each project's setup file points the SDK of its test files at its own engine.
 */

/** The variable the global setup publishes an engine's endpoint in, for the workers. */
export function endpointVariable(engine: LocalEngine): string {
  return `TEST_ENDPOINT_${engine.toUpperCase().replaceAll('-', '_')}`;
}

/** Where the global setup keeps the running engines, for the teardown (both run in jest's main process). */
const ENGINES_HANDLE = '__testEngines';

type GlobalWithEngines = typeof globalThis & { [ENGINES_HANDLE]?: LocalDynamoDb[] };

/** Remembers a started engine so that `stopTestEngines` can stop it. */
export function registerTestEngine(engine: LocalDynamoDb): void {
  const global = globalThis as GlobalWithEngines;
  global[ENGINES_HANDLE] ??= [];
  global[ENGINES_HANDLE].push(engine);
}

/** Stops every engine the global setup started (the teardown calls it). */
export async function stopTestEngines(): Promise<void> {
  const global = globalThis as GlobalWithEngines;
  const engines = global[ENGINES_HANDLE] ?? [];
  delete global[ENGINES_HANDLE];
  await Promise.all(engines.map((engine) => engine.close()));
}

/** In a test file's setup: sends the SDK (`AWS_ENDPOINT_URL_DYNAMODB`) to `engine`. */
export function useTestEngine(engine: LocalEngine): void {
  const endpoint = process.env[endpointVariable(engine)];
  if (!endpoint)
    throw new Error(`${endpointVariable(engine)} is not set: the jest global setup starts ${engine}`);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  process.env.TEST_ENGINE = engine;
}

/** The engine this test file runs against, for the few expectations that differ between engines. */
export function testEngine(): LocalEngine {
  const engine = process.env.TEST_ENGINE;
  const known = LOCAL_ENGINES.find((name) => name === engine);
  if (!known) throw new Error(`TEST_ENGINE=${engine ?? ''} is not one of ${LOCAL_ENGINES.join(', ')}`);
  return known;
}
