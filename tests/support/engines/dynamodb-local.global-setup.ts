import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AwsCliMissingError, requireAwsCli } from '../aws-cli';
import { startTestEngine } from '../global-setup';
import { stopTestEngines } from '../test-engine';

/**
 * How long a missing CLI waits for the engine's start to settle when there is a `java` on PATH: one too old
 * exits within a fraction of a second, a working one takes seconds to answer.
 */
const JAVA_VERDICT_MS = 2000;

/**
 * Global setup of the `dynamodb-local` project: starts the engine once for all its test files, and checks
 * meanwhile that the AWS CLI its documentation tests run is there. A missing Java is reported first. A
 * missing CLI does not wait for the engine to finish starting: the JVM still starting is killed when jest
 * exits (local/server-process.ts, which local/dynamodb-local.ts starts it with), which saves the run
 * seconds of CPU for nothing.
 */
export default async function globalSetup(): Promise<void> {
  const engine = startTestEngine('dynamodb-local').then(
    () => ({ started: true as const }),
    (error: unknown) => ({ started: false as const, error }),
  );
  const cli = await requireAwsCli().then(
    () => undefined,
    (error: unknown) => error,
  );
  if (cli === undefined) {
    const started = await engine;
    if (!started.started) throw started.error;
    return;
  }
  // Without a java on PATH the engine's start fails, whatever the machine's load: wait for it.
  const javaOnPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && existsSync(path.join(dir, 'java')));
  const verdict = javaOnPath
    ? await Promise.race([engine, sleep(JAVA_VERDICT_MS).then(() => undefined)])
    : await engine;
  if (verdict?.started === false) throw verdict.error;
  if (verdict?.started) await stopTestEngines();
  // Jest prints a failed global setup's stack: the one line that says what to do.
  if (cli instanceof AwsCliMissingError) cli.stack = `npm test: ${cli.message}`;
  throw cli;
}
