import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';

/**
 * A DynamoDB-compatible engine (dynalite) in this process, reached over HTTP by the same SDK code path as
 * production. The tables come from the service definition; nothing here knows their shape.
 */

/** dynalite ships no types; this is the part of its factory we use. */
type DynaliteFactory = (options: { createTableMs?: number; path?: string }) => Server;

export interface LocalDynamoDbOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Directory for a persistent LevelDB store; in memory when absent. */
  dataDir?: string;
  /** CreateTable inputs, normally `readServiceDefinition(stage).tables`. */
  tables: CreateTableCommandInput[];
  /** Region the dummy client signs for; dynalite ignores it but the SDK requires one. */
  region?: string;
}

export interface LocalDynamoDb {
  /** `http://127.0.0.1:<port>`, the value for `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  port: number;
  /** Stops accepting requests and closes the store; resolves once the data is flushed. */
  close(): Promise<void>;
}

/** Credentials dynalite never checks; the SDK signs every request, so it needs some. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * Starts dynalite on 127.0.0.1 and creates `tables` in it. Tables that already exist (a persistent
 * `dataDir` from an earlier run) are kept as they are. Rejects with the `listen` error (e.g. EADDRINUSE).
 */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  if (options.dataDir) await assertDataDirAvailable(options.dataDir);
  // Loaded lazily so that merely importing this module (e.g. for its types) does not load LevelDB.
  const dynalite = require('dynalite') as DynaliteFactory;
  // createTableMs 0: tables are ACTIVE at once, so writes can follow CreateTable without waiting.
  const server = dynalite({ createTableMs: 0, ...(options.dataDir ? { path: options.dataDir } : {}) });
  server.listen(options.port, '127.0.0.1');
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error)),
  ]);
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const close = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  };

  try {
    await createTables(endpoint, options.tables, options.region ?? 'us-east-1');
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { endpoint, port, close };
}

/** Thrown when another process (usually another `npm start`) holds the LevelDB directory. */
export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`${dataDir} is in use by another process`);
    this.name = 'DataDirLockedError';
  }
}

/**
 * dynalite opens its store lazily and, if the directory is locked, crashes the process on the first
 * request. Opening it once here, with the very `level` module dynalite uses, turns that into an error.
 */
async function assertDataDirAvailable(dataDir: string): Promise<void> {
  const levelPath = require.resolve('level', { paths: [path.dirname(require.resolve('dynalite'))] });
  const { Level } = require(levelPath) as { Level: new (location: string) => LevelStore };
  const store = new Level(dataDir);
  try {
    await store.open();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED')
      throw new DataDirLockedError(dataDir);
    throw error;
  } finally {
    await store.close();
  }
}

interface LevelStore {
  open(): Promise<void>;
  close(): Promise<void>;
}

async function createTables(
  endpoint: string,
  tables: CreateTableCommandInput[],
  region: string,
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: DUMMY_CREDENTIALS });
  try {
    for (const table of tables) {
      try {
        await client.send(new CreateTableCommand(table));
      } catch (error) {
        // Restarting on a persistent store: the table is already there with its data.
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }
  } finally {
    client.destroy();
  }
}
