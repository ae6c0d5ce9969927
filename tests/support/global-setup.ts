import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JavaMissingError } from '../../local/dynamodb-local';
import { DUMMY_CREDENTIALS, type LocalEngine, startLocalDynamoDb } from '../../local/local-dynamodb';
import type { ServiceDefinition } from '../../local/service-definition';
import { cachedServiceDefinition } from '../../local/service-definition-cache';
import { endpointVariable, registerTestEngine } from './test-engine';

/**
 * Jest global setup, in jest's main process before any worker starts, so the variables set here reach
 * every test file (and every handler they load) through `process.env`. This module prepares the run; each
 * engine project's own global setup (tests/support/engines) starts its engine with the tables of stage
 * `test` exactly as serverless.yml defines them.
 */

const STAGE = 'test';

/** Key on jest's main-process globals: every global setup module of the run shares one preparation. */
const PREPARED_HANDLE = '__testRunPrepared';
type GlobalWithRun = typeof globalThis & { [PREPARED_HANDLE]?: Promise<ServiceDefinition> };

/** The root project's global setup: the run's directory and the function's environment, no engine. */
export default async function globalSetup(): Promise<void> {
  await prepareTestRun();
}

/** Reads stage `test` of serverless.yml and sets up the environment, once per run however often called. */
export function prepareTestRun(): Promise<ServiceDefinition> {
  const global = globalThis as GlobalWithRun;
  global[PREPARED_HANDLE] ??= prepare();
  return global[PREPARED_HANDLE];
}

/** For the teardown: a next run in the same process (a mutation run starts jest again and again) prepares anew. */
export function forgetTestRun(): void {
  delete (globalThis as GlobalWithRun)[PREPARED_HANDLE];
}

async function prepare(): Promise<ServiceDefinition> {
  // One scratch directory per run: workers share the packaged template and the reliability figures there.
  process.env.TEST_RUN_DIR = await mkdtemp(path.join(tmpdir(), 'freeclimb-call-records-test-'));

  const definition = await cachedServiceDefinition(STAGE);
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    // Dummies, so that no test can ever sign a request with a developer's real credentials.
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    CALLS_TABLE: requiredVariable(definition.environment, 'CALLS_TABLE'),
    REJECTED_TABLE: requiredVariable(definition.environment, 'REJECTED_TABLE'),
  });
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // Quiet by default; `POWERTOOLS_LOG_LEVEL=DEBUG npx jest` still shows the handler's logs.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  return definition;
}

/**
 * Starts `engine` with the test tables and publishes its endpoint for the workers. Prints one line, so
 * every run shows which Node jest runs on and which engine process it started.
 */
export async function startTestEngine(engine: LocalEngine): Promise<void> {
  const definition = await prepareTestRun();
  const started = await startLocalDynamoDb({ engine, port: 0, tables: definition.tables }).catch(
    (error: unknown) => {
      // Jest prints a failed global setup's stack: for a missing Java, the one line that says what to do.
      if (error instanceof JavaMissingError) error.stack = `npm test: ${error.message}`;
      throw error;
    },
  );
  registerTestEngine(started);
  process.env[endpointVariable(engine)] = started.endpoint;
  const where = started.pid === process.pid ? "in jest's process" : `process ${started.pid}`;
  console.log(`\njest on Node ${process.version}: ${engine} (${where}) at ${started.endpoint}`);
}

function requiredVariable(environment: Record<string, string>, name: string): string {
  const value = environment[name];
  if (!value) throw new Error(`serverless.yml (stage ${STAGE}) sets no provider.environment.${name}`);
  return value;
}
