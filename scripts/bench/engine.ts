import { createDocumentClient } from '../../lib/aws-clients';
import type { CallStore } from '../../lib/call-store';
import { DUMMY_CREDENTIALS, type LocalDynamoDb, startLocalDynamoDb } from '../local-dynamodb';
import type { ServiceDefinition } from '../service-definition';

/** The stage whose table names the benchmark uses. */
export const BENCH_STAGE = 'bench';

export interface BenchEngine {
  engine: LocalDynamoDb;
  /** The function's environment, as `createCallStatusHandler` reads it, signing with `secret`. */
  env: Record<string, string>;
  /** A fresh store on the engine: its own document client, made by the handler's own factory. */
  newStore(): CallStore;
  close(): Promise<void>;
}

/**
 * An in-memory dynalite in this process with the tables serverless.yml defines, and the function's
 * environment pointed at it. Nothing here reaches beyond 127.0.0.1.
 */
export async function startBenchEngine(definition: ServiceDefinition, secret: string): Promise<BenchEngine> {
  const engine = await startLocalDynamoDb({ port: 0, tables: definition.tables, region: definition.region });
  const env: Record<string, string> = {
    ...definition.environment,
    FREECLIMB_SIGNING_SECRET: secret,
  };
  delete env.FREECLIMB_SIGNING_SECRET_PARAMETER;
  const callsTable = required(env, 'CALLS_TABLE');
  const rejectedTable = required(env, 'REJECTED_TABLE');
  return {
    engine,
    env,
    newStore: () => ({
      doc: createDocumentClient({
        endpoint: engine.endpoint,
        region: definition.region,
        credentials: DUMMY_CREDENTIALS,
      }),
      callsTable,
      rejectedTable,
    }),
    close: () => engine.close(),
  };
}

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`serverless.yml (stage ${BENCH_STAGE}) sets no provider.environment.${name}`);
  return value;
}
