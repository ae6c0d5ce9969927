import { createDocumentClient } from '../lib/aws-clients';
import type { CallStore } from '../lib/call-store';
import {
  DUMMY_CREDENTIALS,
  type LocalDynamoDb,
  type LocalEngine,
  startLocalDynamoDb,
} from '../local/local-dynamodb';
import type { ServiceDefinition } from '../local/service-definition';

/** The stage whose table names the benchmark uses. */
export const BENCH_STAGE = 'bench';

/** What a measurement needs to run the handler against an engine. */
export interface HandlerTarget {
  /** The function's environment, as `createCallStatusHandler` reads it, signing with `secret`. */
  env: Record<string, string>;
  /** A fresh store on the engine: its own document client, made by the handler's own factory. */
  newStore(): CallStore;
}

export interface BenchEngine extends HandlerTarget {
  engine: LocalDynamoDb;
  close(): Promise<void>;
}

/**
 * An in-memory engine (dynalite in this process unless told otherwise) with the tables serverless.yml
 * defines, and the function's environment pointed at it. Nothing here reaches beyond 127.0.0.1.
 */
export async function startBenchEngine(
  definition: ServiceDefinition,
  secret: string,
  engineName: LocalEngine = 'dynalite',
): Promise<BenchEngine> {
  const engine = await startLocalDynamoDb({
    engine: engineName,
    port: 0,
    tables: definition.tables,
    region: definition.region,
  });
  return { engine, ...handlerTarget(definition, secret, engine.endpoint), close: () => engine.close() };
}

/** The handler's environment and stores for the tables of `definition` on the engine at `endpoint`. */
export function handlerTarget(
  definition: ServiceDefinition,
  secret: string,
  endpoint: string,
): HandlerTarget {
  const env: Record<string, string> = {
    ...definition.environment,
    FREECLIMB_SIGNING_SECRET: secret,
  };
  delete env.FREECLIMB_SIGNING_SECRET_PARAMETER;
  const callsTable = required(env, 'CALLS_TABLE', definition.stage);
  const rejectedTable = required(env, 'REJECTED_TABLE', definition.stage);
  return {
    env,
    newStore: () => ({
      doc: createDocumentClient({ endpoint, region: definition.region, credentials: DUMMY_CREDENTIALS }),
      callsTable,
      rejectedTable,
    }),
  };
}

function required(env: Record<string, string>, name: string, stage: string): string {
  const value = env[name];
  if (!value) throw new Error(`serverless.yml (stage ${stage}) sets no provider.environment.${name}`);
  return value;
}
