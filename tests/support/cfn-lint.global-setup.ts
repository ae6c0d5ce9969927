import { CfnLintMissingError, cfnLintVersion } from './cfn-lint';
import { prepareTestRun } from './global-setup';

/**
 * Global setup of the `template` project: its tests read packaged templates, and some run AWS's linter, so a
 * machine without cfn-lint stops here with one line that says how to install it (nothing is skipped).
 */
export default async function globalSetup(): Promise<void> {
  await prepareTestRun();
  try {
    console.log(`\n${await cfnLintVersion()}`);
  } catch (error) {
    // Jest prints a failed global setup's stack: for a missing cfn-lint, the one line that says what to do.
    if (error instanceof CfnLintMissingError) error.stack = `npm test: ${error.message}`;
    throw error;
  }
}
