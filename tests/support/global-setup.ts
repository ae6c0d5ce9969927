import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DUMMY_CREDENTIALS, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local-dynamodb';
import { readServiceDefinition } from '../../scripts/service-definition';

/**
 * Jest global setup: one in-memory dynalite for the whole run, with the tables of stage `test` exactly as
 * serverless.yml defines them. Workers start after this returns, so the variables set here reach every test
 * file (and every handler they load) through `process.env`.
 */

/** Where the teardown finds the engine: global setup and teardown share this process's globals. */
export const ENGINE_HANDLE = '__localDynamoDb';

export type GlobalWithEngine = typeof globalThis & { [ENGINE_HANDLE]?: LocalDynamoDb };

/** Starts the engine and points the SDK and the handler's configuration at it. */
export default async function globalSetup(): Promise<void> {
  // The SDK warns once per process that this Node is older than Lambda's; it is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  // One scratch directory per run: workers share the packaged template and the reliability figures there.
  process.env.TEST_RUN_DIR = await mkdtemp(path.join(tmpdir(), 'freeclimb-call-records-test-'));

  const definition = await readServiceDefinition('test');
  const engine = await startLocalDynamoDb({ port: 0, tables: definition.tables });
  (globalThis as GlobalWithEngine)[ENGINE_HANDLE] = engine;

  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
    AWS_REGION: 'us-east-1',
    // Dummies, so that no test can ever sign a request with a developer's real credentials.
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    CALLS_TABLE: requiredVariable(definition.environment, 'CALLS_TABLE'),
    REJECTED_TABLE: requiredVariable(definition.environment, 'REJECTED_TABLE'),
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // Quiet by default; `POWERTOOLS_LOG_LEVEL=DEBUG npx jest` still shows the handler's logs.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
}

function requiredVariable(environment: Record<string, string>, name: string): string {
  const value = environment[name];
  if (!value) throw new Error(`serverless.yml (stage test) sets no provider.environment.${name}`);
  return value;
}
