import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { createDocumentClient } from '../lib/aws-clients';
import type { CallStore } from '../lib/call-store';
import { DUMMY_CREDENTIALS } from '../local/local-dynamodb';
import { endpointAnswers, findLocalTarget, LOCAL_TARGETS_DIR, type LocalTarget } from '../local/local-target';
import { PROJECT_ROOT, readServiceDefinition } from '../local/service-definition';
import { CliError, EngineUnreachableError, StackError, UsageError } from './cli-errors';
import type { CliIo } from './cli-io';

/** Where the CLI reads and writes: the local engine of `npm start`, or a deployed stage's tables. */
export interface Target {
  store: CallStore;
  /** For messages: `the local engine at http://127.0.0.1:8000` or `stage prod (us-east-1)`. */
  description: string;
  kind: 'local' | 'stage';
  /** The local engine's endpoint, for "not reachable" messages. */
  endpoint?: string;
  webhookUrl?: string;
  close(): void;
}

export interface TargetOptions {
  stage?: string;
  region?: string;
  /** A stack name other than serverless.yml's `<service>-<stage>`. */
  stack?: string;
}

/** Picks the target from the options: `--stage` means a deployed stage, otherwise the local engine. */
export async function resolveTarget(options: TargetOptions, io: CliIo): Promise<Target> {
  if (options.stage === undefined) {
    if (options.region !== undefined || options.stack !== undefined) {
      throw new UsageError('--region and --stack only apply together with --stage <stage>');
    }
    return localTarget(io);
  }
  return stageTarget(options.stage, options, io);
}

const DEFAULT_DYNAMODB_PORT = '8000';

/**
 * The engine `npm start` runs. Its own record says where it is; without one (an engine started some other
 * way), the port from DYNAMODB_PORT and the table names from serverless.yml, which takes a few seconds, so
 * that is only done once something is known to listen there.
 */
async function localTarget(io: CliIo): Promise<Target> {
  const recorded = await recordedLocalTarget(io);
  const port = io.env.DYNAMODB_PORT;
  const endpoint =
    port !== undefined && port !== ''
      ? `http://127.0.0.1:${port}`
      : (recorded?.endpoint ?? `http://127.0.0.1:${DEFAULT_DYNAMODB_PORT}`);
  let tables: { callsTable: string; rejectedTable: string; region: string; webhookUrl?: string };
  if (recorded !== undefined) {
    tables = recorded;
  } else {
    await assertListening(endpoint);
    const definition = await readServiceDefinition('local');
    tables = {
      callsTable: definition.environment.CALLS_TABLE ?? '',
      rejectedTable: definition.environment.REJECTED_TABLE ?? '',
      region: definition.region,
    };
  }
  const doc = createDocumentClient({
    endpoint,
    region: tables.region,
    // dynalite checks no credentials; dummies keep a developer's real ones away from it.
    credentials: DUMMY_CREDENTIALS,
    // A local engine either answers at once or is not running: no point in retrying.
    maxAttempts: 1,
  });
  return {
    store: { doc, callsTable: tables.callsTable, rejectedTable: tables.rejectedTable },
    description: `the local engine at ${endpoint}`,
    kind: 'local',
    endpoint,
    webhookUrl: tables.webhookUrl,
    close: () => doc.destroy(),
  };
}

/**
 * The live `npm start` to use (see findLocalTarget: DYNAMODB_PORT's, else the latest started that answers).
 * When several are alive, a line on stderr says which one was taken and how to take another.
 */
export async function recordedLocalTarget(io: CliIo): Promise<LocalTarget | undefined> {
  const { target, others } = await findLocalTarget(io.localTargetsDir ?? LOCAL_TARGETS_DIR, {
    port: io.env.DYNAMODB_PORT,
  });
  if (target !== undefined && others.length > 0) {
    const ports = others.map((other) => new URL(other.endpoint).port).join(', ');
    io.stderr(
      `freeclimb-records: ${others.length + 1} npm start runs are live; using the engine at ${target.endpoint} ` +
        `(pid ${target.pid}); set DYNAMODB_PORT=${ports} for ${others.length === 1 ? 'the other' : 'another'}\n`,
    );
  }
  return target;
}

/** Says how to start the engine when nothing listens on `endpoint`. */
export function engineUnreachable(endpoint: string, cause?: unknown): EngineUnreachableError {
  return new EngineUnreachableError(
    `The local DynamoDB engine at ${endpoint} is not reachable: start it with "npm start" ` +
      '(or set DYNAMODB_PORT to where it listens, or pass --stage <stage> for a deployed stage)',
    { cause },
  );
}

async function assertListening(endpoint: string): Promise<void> {
  if (!(await endpointAnswers(endpoint))) throw engineUnreachable(endpoint);
}

const STAGE_NAME = /^[A-Za-z0-9-]{1,64}$/;

/** A deployed stage: table names and URL from its CloudFormation stack's outputs, so nothing is typed in. */
async function stageTarget(stage: string, options: TargetOptions, io: CliIo): Promise<Target> {
  if (!STAGE_NAME.test(stage)) {
    throw new UsageError(`--stage ${stage}: a stage name is letters, digits and dashes`);
  }
  const stackName = options.stack ?? `${serviceName()}-${stage}`;
  const cloudFormation =
    io.cloudFormationClient?.(options.region) ?? new CloudFormationClient({ region: options.region });
  let outputs: Record<string, string>;
  try {
    const result = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = result.Stacks?.[0];
    outputs = Object.fromEntries(
      (stack?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']),
    );
  } catch (error) {
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
      const region = await cloudFormation.config.region().catch(() => options.region);
      throw new StackError(
        `No stack ${stackName} in ${region}: deploy it with "npx serverless deploy --stage ${stage}", or pass --region`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    cloudFormation.destroy();
  }
  const output = (key: string): string => {
    const value = outputs[key];
    if (!value) {
      throw new StackError(`Stack ${stackName} has no output ${key}: deploy this version of the service`);
    }
    return value;
  };
  const callsTable = output('CallsTableName');
  const rejectedTable = output('RejectedTableName');
  const doc = createDocumentClient({ region: options.region });
  const region = await doc.config.region().catch(() => options.region ?? '');
  return {
    store: { doc, callsTable, rejectedTable },
    description: `stage ${stage} (${region})`,
    kind: 'stage',
    webhookUrl: outputs.CallStatusWebhookUrl,
    close: () => doc.destroy(),
  };
}

/** The `service:` of serverless.yml, which names every stage's stack `<service>-<stage>`. */
function serviceName(): string {
  const file = path.join(PROJECT_ROOT, 'serverless.yml');
  const match = /^service:\s*([A-Za-z0-9-]+)\s*$/m.exec(readFileSync(file, 'utf8'));
  if (match?.[1] === undefined) {
    throw new CliError(`${file} names no service: pass --stack <stack name>`);
  }
  return match[1];
}
