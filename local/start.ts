import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EnricherConfig } from '../lib/enricher-config';
import { ConfigError, messageOf } from '../lib/errors';
import { JavaMissingError } from './dynamodb-local';
import {
  createLocalTables,
  DataDirLockedError,
  DUMMY_CREDENTIALS,
  ENGINE_LABELS,
  LOCAL_ENGINES,
  type LocalDynamoDb,
  type LocalEngine,
  SUPPORTS_STREAMS,
  startLocalEngine,
} from './local-dynamodb';
import { applyLocalEnvironment } from './local-environment';
import { type HttpApiHandler, type LocalServer, startLocalServer } from './local-server';
import { removeLocalTarget, writeLocalTarget } from './local-target';
import { PROJECT_ROOT, type ServiceDefinition } from './service-definition';
import { cachedServiceDefinition } from './service-definition-cache';
import { localEnricherConfig, type StreamEnricher, startStreamEnricher } from './stream-enricher';

/**
 * `npm start`: the webhook on this machine with nothing but Node. It reads stage `local` of serverless.yml,
 * embeds dynalite with the same tables (or, with `--engine dynamodb-local`, runs AWS's DynamoDB Local,
 * which needs Java), gives the handler the environment Lambda would, and serves the same route through
 * the local API Gateway stand-in.
 *
 * Settings (environment): PORT (3000), DYNAMODB_PORT (8000), DYNAMODB_DATA_DIR (.data/dynamodb, or
 * .data/dynamodb-local for DynamoDB Local), DYNAMODB_IN_MEMORY=1 or `npm start -- --in-memory` (no files),
 * FREECLIMB_SIGNING_SECRET (else a throwaway one). With FREECLIMB_API_KEY (and FREECLIMB_API_URL, FreeClimb's
 * own API by default) on DynamoDB Local, it also enriches each new record from the calls table's stream
 * (local/stream-enricher.ts); dynalite has no streams.
 */

const STAGE = 'local';

class StartError extends Error {}

async function main(): Promise<void> {
  const settings = readSettings();
  if (settings.dataDir) mkdirSync(settings.dataDir, { recursive: true });
  // DynamoDB Local takes seconds to start, and so does `serverless print` (read once per change of
  // serverless.yml, then from its cache): both at once.
  const [definitionRead, engineStart] = await Promise.allSettled([
    cachedServiceDefinition(STAGE),
    startLocalEngine({
      engine: settings.engine,
      port: settings.dynamodbPort,
      dataDir: settings.dataDir,
    }).catch((error: unknown) => {
      throw describeStartFailure(error, `DynamoDB port ${settings.dynamodbPort}`, 'DYNAMODB_PORT');
    }),
  ]);
  if (engineStart.status === 'rejected') throw engineStart.reason;
  const dynamodb = engineStart.value;

  let server: LocalServer | undefined;
  let enricher: StreamEnricher | undefined;
  try {
    if (definitionRead.status === 'rejected') throw definitionRead.reason;
    const definition = definitionRead.value;
    const enrichment = enrichmentOf(settings.engine, definition);
    await createLocalTables(dynamodb, definition.tables, {
      region: definition.region,
      streams: enrichment.config !== undefined,
    });
    const secret = configureEnvironment(definition, dynamodb);
    const handler = await loadHandler(definition.handler);
    // Before the webhook is served: the stream is read from the first record it stores on.
    enricher =
      enrichment.config === undefined
        ? undefined
        : await startStreamEnricher({
            endpoint: dynamodb.endpoint,
            region: process.env.AWS_REGION ?? definition.region,
            config: enrichment.config,
          });
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
    if (enrichment.notice !== undefined) console.log(enrichment.notice);
    printBanner(definition, dynamodb, server, settings, secret, enrichment);
  } catch (error) {
    await enricher?.stop().catch(() => undefined);
    await dynamodb.close().catch(() => undefined);
    throw error;
  }
  stopOnSignals(server, dynamodb, enricher);
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

/**
 * Whether this run enriches: with FREECLIMB_API_KEY, on an engine with streams, when serverless.yml gives
 * the calls table a stream. `notice`: the one line saying why not, when that is news to the user.
 */
interface Enrichment {
  config?: EnricherConfig;
  notice?: string;
}

function enrichmentOf(engine: LocalEngine, definition: ServiceDefinition): Enrichment {
  const keySet = (process.env.FREECLIMB_API_KEY ?? '').trim() !== '';
  if (!SUPPORTS_STREAMS[engine]) {
    return {
      notice: keySet
        ? `Enrichment off: it needs --engine dynamodb-local (${engine} has no DynamoDB Streams); FREECLIMB_API_KEY is not used`
        : `Enrichment (FreeClimb's call details) needs FREECLIMB_API_KEY and --engine dynamodb-local (${engine} has no DynamoDB Streams)`,
    };
  }
  if (!keySet) return {};
  const callsTable = definition.environment.CALLS_TABLE;
  const table = definition.tables.find((candidate) => candidate.create.TableName === callsTable);
  if (table?.stream === undefined) {
    return { notice: `Enrichment off: serverless.yml declares no stream on the calls table ${callsTable}` };
  }
  try {
    return { config: localEnricherConfig({ ...process.env, CALLS_TABLE: callsTable }) };
  } catch (error) {
    if (error instanceof ConfigError) throw new StartError(error.message);
    throw error;
  }
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
  enrichment: Enrichment,
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
  const enrichmentLine = SUPPORTS_STREAMS[settings.engine]
    ? `\n  Enrichment      ${describeEnrichment(enrichment)}`
    : '';
  const awsEnv = `AWS_ACCESS_KEY_ID=${DUMMY_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${DUMMY_CREDENTIALS.secretAccessKey}`;

  console.log(`
FreeClimb call records, running locally (stage ${definition.stage})

  Webhook         ${definition.route.method} ${webhookUrl}
  Calls table     ${callsTable}
  Rejected table  ${rejectedTable}
  DynamoDB        ${dynamodb.endpoint} (${ENGINE_LABELS[dynamodb.engine]}; any credentials work)
  Data            ${data}
  Signing secret  ${secretLine}${enrichmentLine}

Send a correctly signed sample, then look at it (the CLI finds this engine by itself):
  FREECLIMB_SIGNING_SECRET=${secretForCommand} npx freeclimb-records send --url ${webhookUrl}
  npx freeclimb-records get <callId>      (also: legs <callId>, rejected list, --help)

Read the stored calls with the AWS CLI:
  ${awsEnv} aws dynamodb scan --endpoint-url ${dynamodb.endpoint} --region ${process.env.AWS_REGION} --table-name ${callsTable}

Ctrl-C stops.
`);
}

/** On: against which API, and how soon it retries; the key is never shown. */
function describeEnrichment({ config }: Enrichment): string {
  if (config === undefined) {
    return "off (set FREECLIMB_API_KEY to add FreeClimb's call details to each new record)";
  }
  const { baseSeconds, maxSeconds } = config.retry;
  return (
    `on: FreeClimb's API at ${config.api.baseUrl}, key from FREECLIMB_API_KEY (not shown); ` +
    `retries after ${baseSeconds} s, doubling, at most ${maxSeconds} s apart`
  );
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

/**
 * Ctrl-C or SIGTERM: stop taking requests, stop enriching (its timers and poller), let the engine flush, exit
 * 0. A second signal exits at once.
 */
function stopOnSignals(server: LocalServer, dynamodb: LocalDynamoDb, enricher?: StreamEnricher): void {
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
      .then(() => stopEnricher(enricher))
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

async function stopEnricher(enricher: StreamEnricher | undefined): Promise<void> {
  if (enricher === undefined) return;
  const { dropped } = await enricher.stop();
  if (dropped > 0) {
    const attempts =
      dropped === 1
        ? '1 enrichment attempt still to come was'
        : `${dropped} enrichment attempts still to come were`;
    console.log(
      `${attempts} dropped: "npx freeclimb-records enrich" finishes any record left without details`,
    );
  }
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

main().catch((error: unknown) => {
  // Expected failures get one line; anything else keeps its stack for whoever has to fix it.
  console.error(error instanceof StartError ? `npm start: ${error.message}` : error);
  process.exit(1);
});
