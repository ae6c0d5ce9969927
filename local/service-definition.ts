import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type {
  CreateTableCommandInput,
  StreamSpecification,
  StreamViewType,
  TimeToLiveSpecification,
} from '@aws-sdk/client-dynamodb';

/**
 * The one way local tools (the local server, the tests) learn what `serverless.yml` defines. The tables,
 * route and environment are never written a second time: everything here is read from the output of
 * `serverless print`, which resolves `${sls:stage}`, params and `${self:...}` exactly as a deploy would.
 */

const execFileAsync = promisify(execFile);

/** The project root: this file lives in `<root>/local`. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The function that receives the callStatus webhook, by its key under `functions:` in serverless.yml. */
const WEBHOOK_FUNCTION = 'callStatus';

/** The framework's default when a function sets no timeout. */
const DEFAULT_TIMEOUT_SECONDS = 6;

export interface HttpRoute {
  /** Upper-case HTTP method, as in an API Gateway route key. */
  method: string;
  /** Path starting with `/`. */
  path: string;
}

export interface ServiceDefinition {
  stage: string;
  region: string;
  /** `provider.environment`, every value as a string, exactly as Lambda would receive it. */
  environment: Record<string, string>;
  /** Every `AWS::DynamoDB::Table` resource, reduced to what a local engine can be given. */
  tables: TableDefinition[];
  functionName: string;
  functionTimeoutSeconds: number;
  /** The Lambda runtime the function deploys with, e.g. `nodejs24.x`. */
  runtime: string;
  /** `handlers/call-status.handler`: the module path (from the project root) and the export, dot-joined. */
  handler: string;
  route: HttpRoute;
  /** `custom.esbuild`: serverless-esbuild's bundling options, as printed (empty when not set). */
  esbuild: Record<string, unknown>;
}

/** One table as the template declares it: what CreateTable accepts, its TTL setting and its stream. */
export interface TableDefinition {
  create: CreateTableCommandInput;
  /** `TimeToLiveSpecification` (UpdateTimeToLive's input, applied after CreateTable where supported). */
  timeToLive?: TimeToLiveSpecification;
  /**
   * The table's `StreamSpecification` in CreateTable's form, also when the template declares it under a
   * condition (`Fn::If`, e.g. only where the enricher is deployed): what the table has where it has one. Not
   * in `create`: a local run turns it on only when it reads the stream (see local/local-dynamodb.ts).
   */
  stream?: StreamSpecification;
}

/** The subset of `serverless print --format json` this module reads. */
interface PrintedService {
  provider?: {
    region?: string;
    stage?: string;
    runtime?: string;
    timeout?: number;
    environment?: Record<string, unknown>;
  };
  functions?: Record<
    string,
    {
      name?: string;
      handler?: string;
      runtime?: string;
      timeout?: number;
      events?: Array<{ httpApi?: string | { method?: string; path?: string } }>;
    }
  >;
  custom?: { esbuild?: Record<string, unknown> };
  resources?: { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> };
}

/**
 * Runs the project's own Serverless Framework (`serverless print`, offline, no credentials) for `stage`
 * and returns the parts local tools need. Throws with the framework's own message when it fails.
 */
export async function readServiceDefinition(stage: string): Promise<ServiceDefinition> {
  const printed = await printService(stage);
  return toServiceDefinition(printed, stage);
}

async function printService(stage: string): Promise<PrintedService> {
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'serverless');
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(bin, ['print', '--format', 'json', '--stage', stage], {
      cwd: PROJECT_ROOT,
      // Telemetry would try the network on every run; these tools must work offline.
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    const { stderr, stdout: out } = error as { stderr?: string; stdout?: string };
    const detail = `${stderr ?? ''}\n${out ?? ''}`.trim();
    throw new Error(`serverless print --stage ${stage} failed${detail ? `:\n${detail}` : ''}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(stdout) as PrintedService;
  } catch (error) {
    throw new Error(`serverless print --stage ${stage} did not print JSON:\n${stdout.slice(0, 500)}`, {
      cause: error,
    });
  }
}

function toServiceDefinition(printed: PrintedService, stage: string): ServiceDefinition {
  const fn = printed.functions?.[WEBHOOK_FUNCTION];
  if (!fn?.handler) {
    throw new Error(`serverless.yml defines no function "${WEBHOOK_FUNCTION}" with a handler`);
  }
  const runtime = fn.runtime ?? printed.provider?.runtime;
  if (!runtime) throw new Error('serverless.yml sets no provider.runtime');
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(printed.provider?.environment ?? {})) {
    // Lambda only has string variables; YAML may have produced numbers or booleans.
    environment[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return {
    stage,
    region: printed.provider?.region ?? 'us-east-1',
    environment,
    tables: tablesOf(printed),
    functionName: fn.name ?? WEBHOOK_FUNCTION,
    functionTimeoutSeconds: fn.timeout ?? printed.provider?.timeout ?? DEFAULT_TIMEOUT_SECONDS,
    runtime,
    handler: fn.handler,
    route: httpApiRouteOf(fn.events ?? []),
    esbuild: printed.custom?.esbuild ?? {},
  };
}

/** CloudFormation table properties that CreateTable also accepts; TTL is a call of its own, the rest (PITR, SSE, tags) are AWS-only. */
const CREATE_TABLE_PROPERTIES = [
  'TableName',
  'KeySchema',
  'AttributeDefinitions',
  'GlobalSecondaryIndexes',
  'BillingMode',
] as const;

function tablesOf(printed: PrintedService): TableDefinition[] {
  const tables: TableDefinition[] = [];
  for (const [logicalId, resource] of Object.entries(printed.resources?.Resources ?? {})) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const properties = resource.Properties ?? {};
    if (typeof properties.TableName !== 'string') {
      // Without an explicit name CloudFormation invents one, and the function could not be told it.
      throw new Error(`Table ${logicalId} in serverless.yml has no TableName`);
    }
    const input: Record<string, unknown> = {};
    for (const key of CREATE_TABLE_PROPERTIES) {
      if (properties[key] !== undefined) input[key] = properties[key];
    }
    const timeToLive = properties.TimeToLiveSpecification as TimeToLiveSpecification | undefined;
    const stream = streamOf(properties.StreamSpecification);
    tables.push({
      create: input as unknown as CreateTableCommandInput,
      ...(timeToLive ? { timeToLive } : {}),
      ...(stream ? { stream } : {}),
    });
  }
  return tables;
}

/**
 * `StreamSpecification: { StreamViewType }`, or `Fn::If: [condition, { StreamViewType }, AWS::NoValue]` (either
 * branch): the view type, with the stream enabled as CreateTable wants it. Undefined when none is declared.
 */
function streamOf(declared: unknown): StreamSpecification | undefined {
  const conditional = (declared as { 'Fn::If'?: unknown } | undefined)?.['Fn::If'];
  const candidates = Array.isArray(conditional) ? conditional.slice(1) : [declared];
  for (const candidate of candidates) {
    const viewType = (candidate as { StreamViewType?: unknown } | undefined)?.StreamViewType;
    if (typeof viewType === 'string') {
      return { StreamEnabled: true, StreamViewType: viewType as StreamViewType };
    }
  }
  return undefined;
}

function httpApiRouteOf(
  events: NonNullable<NonNullable<PrintedService['functions']>[string]['events']>,
): HttpRoute {
  for (const event of events) {
    const httpApi = event.httpApi;
    if (httpApi === undefined) continue;
    // Both forms the framework accepts: `httpApi: 'POST /path'` and `httpApi: { method, path }`.
    const [method, routePath] =
      typeof httpApi === 'string' ? httpApi.trim().split(/\s+/, 2) : [httpApi.method, httpApi.path];
    if (method && routePath) return { method: method.toUpperCase(), path: routePath };
  }
  throw new Error(
    `Function "${WEBHOOK_FUNCTION}" in serverless.yml has no httpApi event with a method and path`,
  );
}
