import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from './dynamodb-local';
import type { TableDefinition } from './service-definition';

/**
 * A local DynamoDB engine, reached over HTTP by the same SDK code path as production: dynalite (a
 * community re-implementation, in this process, needs nothing but Node) or DynamoDB Local (AWS's own
 * emulator, a Java child process). The tables come from the service definition; nothing here knows their
 * shape.
 */

/** The engines a local run or the tests can use; the first is the default. */
export const LOCAL_ENGINES = ['dynalite', 'dynamodb-local'] as const;
export type LocalEngine = (typeof LOCAL_ENGINES)[number];

/** How each engine is named to people (the npm start banner). */
export const ENGINE_LABELS: Record<LocalEngine, string> = {
  dynalite: 'dynalite',
  'dynamodb-local': "DynamoDB Local, AWS's emulator",
};

/** dynalite answers UpdateTimeToLive with UnknownOperationException; DynamoDB Local records the setting. */
const SUPPORTS_TIME_TO_LIVE: Record<LocalEngine, boolean> = {
  dynalite: false,
  'dynamodb-local': true,
};

/** DynamoDB Streams: DynamoDB Local serves the Streams API; dynalite has none. */
export const SUPPORTS_STREAMS: Record<LocalEngine, boolean> = {
  dynalite: false,
  'dynamodb-local': true,
};

/** dynalite ships no types; this is the part of its factory we use. */
type DynaliteFactory = (options: { createTableMs?: number; path?: string }) => Server;

export interface LocalDynamoDbOptions {
  /** dynalite when absent. */
  engine?: LocalEngine;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Directory for a persistent store (LevelDB for dynalite, SQLite for DynamoDB Local); in memory when absent. */
  dataDir?: string;
  /** The tables, normally `readServiceDefinition(stage).tables`. */
  tables: TableDefinition[];
  /** Region the dummy client signs for; both engines keep one database for all regions. */
  region?: string;
  /**
   * Gives the tables the streams their definitions declare (`TableDefinition.stream`), also enabling it on a
   * table kept from an earlier run; only on an engine that has streams (DynamoDB Local).
   */
  streams?: boolean;
}

export interface LocalDynamoDb {
  engine: LocalEngine;
  /** `http://127.0.0.1:<port>`, the value for `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  port: number;
  /** The process serving it: this one for dynalite, a Java child for DynamoDB Local. */
  pid: number;
  /** Stops accepting requests and closes the store; resolves once the data is flushed. */
  close(): Promise<void>;
}

/** Credentials neither engine checks; the SDK signs every request, so it needs some. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * Starts the chosen engine on 127.0.0.1 and creates `tables` in it (see {@link createLocalTables}). Rejects
 * with the `listen` error (e.g. EADDRINUSE), or `JavaMissingError` for DynamoDB Local without Java.
 */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  const started = await startLocalEngine(options);
  try {
    await createLocalTables(started, options.tables, options);
  } catch (error) {
    await started.close().catch(() => undefined);
    throw error;
  }
  return started;
}

/**
 * Starts the chosen engine on 127.0.0.1 without tables: DynamoDB Local takes seconds to start, which `npm
 * start` spends reading the tables from serverless.yml meanwhile. Rejects as {@link startLocalDynamoDb}.
 */
export async function startLocalEngine(
  options: Omit<LocalDynamoDbOptions, 'tables' | 'streams'>,
): Promise<LocalDynamoDb> {
  const engine = options.engine ?? 'dynalite';
  const started =
    engine === 'dynamodb-local'
      ? await startDynamoDbLocal({ port: options.port, dataDir: options.dataDir })
      : await startDynalite(options);
  const { endpoint, port, pid, close } = started;
  return { engine, endpoint, port, pid, close };
}

/**
 * Creates `tables` in a started engine, with their TTL setting where the engine supports it, and with
 * `streams` their streams. Tables that already exist (a persistent `dataDir` from an earlier run) are kept
 * as they are, except that `streams` turns a declared stream on.
 */
export async function createLocalTables(
  dynamodb: LocalDynamoDb,
  tables: TableDefinition[],
  options: Pick<LocalDynamoDbOptions, 'region' | 'streams'> = {},
): Promise<void> {
  if (options.streams && !SUPPORTS_STREAMS[dynamodb.engine]) {
    throw new Error(`${ENGINE_LABELS[dynamodb.engine]} has no DynamoDB Streams`);
  }
  await createTables(dynamodb.endpoint, tables, options.region ?? 'us-east-1', dynamodb.engine, {
    streams: options.streams === true,
  });
}

async function startDynalite(
  options: Omit<LocalDynamoDbOptions, 'tables' | 'streams'>,
): Promise<Omit<LocalDynamoDb, 'engine'>> {
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
  return { endpoint, port, pid: process.pid, close };
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
  tables: TableDefinition[],
  region: string,
  engine: LocalEngine,
  options: { streams: boolean },
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region, credentials: DUMMY_CREDENTIALS });
  try {
    for (const table of tables) {
      const stream = options.streams ? table.stream : undefined;
      try {
        await client.send(
          new CreateTableCommand({ ...table.create, ...(stream ? { StreamSpecification: stream } : {}) }),
        );
      } catch (error) {
        // Restarting on a persistent store: the table is already there with its data (and its TTL).
        if (!(error instanceof ResourceInUseException)) throw error;
        if (stream) await enableStream(client, table.create.TableName as string, stream);
        continue;
      }
      // As CloudFormation does for TimeToLiveSpecification, once the table exists.
      if (table.timeToLive && SUPPORTS_TIME_TO_LIVE[engine]) {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: table.create.TableName,
            TimeToLiveSpecification: table.timeToLive,
          }),
        );
      }
    }
  } finally {
    client.destroy();
  }
}

/** A table kept from a run that did not read its stream may have none yet: turned on, as declared. */
async function enableStream(
  client: DynamoDBClient,
  tableName: string,
  stream: NonNullable<TableDefinition['stream']>,
): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled) return;
  await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: stream }));
}
