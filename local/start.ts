import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { JavaMissingError } from './dynamodb-local';
import {
  DataDirLockedError,
  DUMMY_CREDENTIALS,
  ENGINE_LABELS,
  LOCAL_ENGINES,
  type LocalDynamoDb,
  type LocalEngine,
  startLocalDynamoDb,
} from './local-dynamodb';
import { applyLocalEnvironment } from './local-environment';
import { type HttpApiHandler, type LocalServer, startLocalServer } from './local-server';
import { removeLocalTarget, writeLocalTarget } from './local-target';
import { PROJECT_ROOT, readServiceDefinition, type ServiceDefinition } from './service-definition';

/**
 * `npm start`: the webhook on this machine with nothing but Node. It reads stage `local` of serverless.yml,
 * embeds dynalite with the same tables (or, with `--engine dynamodb-local`, runs AWS's DynamoDB Local,
 * which needs Java), gives the handler the environment Lambda would, and serves the same route through
 * the local API Gateway stand-in.
 *
 * Settings (environment): PORT (3000), DYNAMODB_PORT (8000), DYNAMODB_DATA_DIR (.data/dynamodb, or
 * .data/dynamodb-local for DynamoDB Local), DYNAMODB_IN_MEMORY=1 or `npm start -- --in-memory` (no files),
 * FREECLIMB_SIGNING_SECRET (else a throwaway one).
 */

const STAGE = 'local';

class StartError extends Error {}

async function main(): Promise<void> {
  const settings = readSettings();
  const definition = await readServiceDefinition(STAGE);

  if (settings.dataDir) mkdirSync(settings.dataDir, { recursive: true });
  const dynamodb = await startLocalDynamoDb({
    engine: settings.engine,
    port: settings.dynamodbPort,
    dataDir: settings.dataDir,
    tables: definition.tables,
    region: definition.region,
  }).catch((error: unknown) => {
    throw describeStartFailure(error, `DynamoDB port ${settings.dynamodbPort}`, 'DYNAMODB_PORT');
  });

  let server: LocalServer | undefined;
  try {
    const secret = configureEnvironment(definition, dynamodb);
    const handler = await loadHandler(definition.handler);
    server = await startLocalServer({
      port: settings.port,
      handler,
      route: definition.route,
      functionTimeoutSeconds: definition.functionTimeoutSeconds,
      functionName: definition.functionName,
      logRequest: (line) => console.log(line),
    }).catch((error: unknown) => {
      throw describeStartFailure(error, `Port ${settings.port}`, 'PORT');
    });
    recordTarget(definition, dynamodb, server);
    printBanner(definition, dynamodb, server, settings, secret);
  } catch (error) {
    await dynamodb.close().catch(() => undefined);
    throw error;
  }
  stopOnSignals(server, dynamodb);
}

interface Settings {
  engine: LocalEngine;
  port: number;
  dynamodbPort: number;
  /** Absent: in memory. */
  dataDir?: string;
}

/** Where each engine keeps its data by default: their files are not interchangeable. */
const DEFAULT_DATA_DIRS: Record<LocalEngine, string> = {
  dynalite: path.join('.data', 'dynamodb'),
  'dynamodb-local': path.join('.data', 'dynamodb-local'),
};

function readSettings(): Settings {
  const inMemory = process.argv.includes('--in-memory') || process.env.DYNAMODB_IN_MEMORY === '1';
  const engine = engineFrom(process.argv.slice(2));
  return {
    engine,
    port: portFrom('PORT', 3000),
    dynamodbPort: portFrom('DYNAMODB_PORT', 8000),
    dataDir: inMemory
      ? undefined
      : path.resolve(PROJECT_ROOT, process.env.DYNAMODB_DATA_DIR || DEFAULT_DATA_DIRS[engine]),
  };
}

/** `--engine <name>` or `--engine=<name>`; dynalite when absent, since it needs nothing but Node. */
function engineFrom(args: string[]): LocalEngine {
  const index = args.findIndex((arg) => arg === '--engine' || arg.startsWith('--engine='));
  if (index < 0) return LOCAL_ENGINES[0];
  const arg = args[index] as string;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  const engine = LOCAL_ENGINES.find((name) => name === value);
  if (!engine) {
    throw new StartError(`--engine ${value ?? ''} is not one of: ${LOCAL_ENGINES.join(', ')}`);
  }
  return engine;
}

function portFrom(variable: string, fallback: number): number {
  const value = process.env[variable];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartError(`${variable}=${value} is not a port number (0–65535)`);
  }
  return port;
}

interface SigningSecret {
  value: string;
  /** Generated here, so it is safe (and necessary) to print it. */
  generated: boolean;
}

/**
 * The Lambda environment from the service definition, pointed at the embedded engine, plus the signing
 * secret: the user's, or a throwaway one. Must run before the handler is imported.
 */
function configureEnvironment(definition: ServiceDefinition, dynamodb: LocalDynamoDb): SigningSecret {
  applyLocalEnvironment(definition, dynamodb.endpoint);
  const supplied = process.env.FREECLIMB_SIGNING_SECRET;
  if (supplied) return { value: supplied, generated: false };
  const value = `sigsec_${randomBytes(24).toString('hex')}`;
  process.env.FREECLIMB_SIGNING_SECRET = value;
  return { value, generated: true };
}

/** Imports `handlers/x.handler` (serverless.yml's notation) from the project. */
async function loadHandler(reference: string): Promise<HttpApiHandler> {
  const separator = reference.lastIndexOf('.');
  const modulePath = path.join(PROJECT_ROOT, reference.slice(0, separator));
  const exportName = reference.slice(separator + 1);
  let loaded: Record<string, unknown>;
  try {
    loaded = await import(modulePath);
  } catch (error) {
    throw new StartError(`The handler ${reference} failed to load: ${messageOf(error)}`);
  }
  const handler = loaded[exportName];
  if (typeof handler !== 'function') {
    throw new StartError(`${reference}: the module has no exported function "${exportName}"`);
  }
  return handler as HttpApiHandler;
}

function printBanner(
  definition: ServiceDefinition,
  dynamodb: LocalDynamoDb,
  server: LocalServer,
  settings: Settings,
  secret: SigningSecret,
): void {
  const webhookUrl = `http://localhost:${server.port}${definition.route.path}`;
  const [callsTable, rejectedTable] = [
    definition.environment.CALLS_TABLE,
    definition.environment.REJECTED_TABLE,
  ];
  const data = settings.dataDir
    ? `${path.relative(process.cwd(), settings.dataDir) || '.'} (kept between runs; --in-memory for a clean start)`
    : 'in memory (gone when this process stops)';
  const secretLine = secret.generated
    ? `${secret.value} (throwaway, generated for this run; set FREECLIMB_SIGNING_SECRET to choose one)`
    : 'from FREECLIMB_SIGNING_SECRET (not shown)';
  const secretForCommand = secret.generated ? secret.value : '"$FREECLIMB_SIGNING_SECRET"';
  const awsEnv = `AWS_ACCESS_KEY_ID=${DUMMY_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${DUMMY_CREDENTIALS.secretAccessKey}`;

  console.log(`
FreeClimb call records, running locally (stage ${definition.stage})

  Webhook         ${definition.route.method} ${webhookUrl}
  Calls table     ${callsTable}
  Rejected table  ${rejectedTable}
  DynamoDB        ${dynamodb.endpoint} (${ENGINE_LABELS[dynamodb.engine]}; any credentials work)
  Data            ${data}
  Signing secret  ${secretLine}

Send a correctly signed sample, then look at it (the CLI finds this engine by itself):
  FREECLIMB_SIGNING_SECRET=${secretForCommand} npx freeclimb-records send --url ${webhookUrl}
  npx freeclimb-records get <callId>      (also: legs <callId>, rejected list, --help)

Read the stored calls with the AWS CLI:
  ${awsEnv} aws dynamodb scan --endpoint-url ${dynamodb.endpoint} --region ${process.env.AWS_REGION} --table-name ${callsTable}

Ctrl-C stops.
`);
}

/** Tells the operator CLI (`freeclimb-records`) where this run's engine and tables are, while it runs. */
function recordTarget(definition: ServiceDefinition, dynamodb: LocalDynamoDb, server: LocalServer): void {
  writeLocalTarget({
    endpoint: dynamodb.endpoint,
    region: process.env.AWS_REGION ?? definition.region,
    callsTable: definition.environment.CALLS_TABLE ?? '',
    rejectedTable: definition.environment.REJECTED_TABLE ?? '',
    webhookUrl: `http://localhost:${server.port}${definition.route.path}`,
    pid: process.pid,
    startedAt: new Date().toISOString(),
  });
  // Only this run's own file: another npm start keeps its record while it runs.
  process.on('exit', () => removeLocalTarget(process.pid));
}

/** Ctrl-C or SIGTERM: stop taking requests, let the engine flush, exit 0. A second signal exits at once. */
function stopOnSignals(server: LocalServer, dynamodb: LocalDynamoDb): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping`);
    server
      .close()
      .then(() => dynamodb.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`Could not stop cleanly: ${messageOf(error)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** Turns the usual start-up failures into one line that says what to do. */
function describeStartFailure(error: unknown, what: string, variable: string): Error {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    return new StartError(
      `${what} is already in use (another npm start?): stop it, or set ${variable}=<port>`,
    );
  }
  if (code === 'EACCES') {
    return new StartError(`${what} needs privileges: set ${variable} to a port above 1023`);
  }
  if (error instanceof JavaMissingError) return new StartError(error.message);
  if (error instanceof DataDirLockedError) {
    const where = path.relative(process.cwd(), error.dataDir) || error.dataDir;
    return new StartError(
      `${where} is in use by another process (another npm start?): stop it, set DYNAMODB_DATA_DIR, or use --in-memory`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main().catch((error: unknown) => {
  // Expected failures get one line; anything else keeps its stack for whoever has to fix it.
  console.error(error instanceof StartError ? `npm start: ${error.message}` : error);
  process.exit(1);
});
