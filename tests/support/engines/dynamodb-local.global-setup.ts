import { AwsCliMissingError, requireAwsCli } from '../aws-cli';
import { startTestEngine } from '../global-setup';
import { stopTestEngines } from '../test-engine';

/**
 * Global setup of the `dynamodb-local` project: starts the engine once for all its test files, and checks
 * meanwhile that the AWS CLI its documentation tests run is there. A missing Java is reported first.
 */
export default async function globalSetup(): Promise<void> {
  const [engine, cli] = await Promise.allSettled([startTestEngine('dynamodb-local'), requireAwsCli()]);
  if (engine.status === 'rejected') throw engine.reason;
  if (cli.status === 'rejected') {
    await stopTestEngines();
    const error = cli.reason as AwsCliMissingError;
    // Jest prints a failed global setup's stack: the one line that says what to do.
    if (error instanceof AwsCliMissingError) error.stack = `npm test: ${error.message}`;
    throw error;
  }
}
