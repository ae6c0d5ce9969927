import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';

/** Everything the CLI touches outside itself, so tests can run it in-process with their own. */
export interface CliIo {
  stdout: (text: string) => void;
  /**
   * Resolves once stdout can take more. A pipe to a slow reader (`calls --json | less`) queues whatever is
   * written in memory; commands that stream a window wait here between entries, so memory stays flat there
   * too. Absent where writes never queue (tests that collect the output).
   */
  drained?: () => Promise<void>;
  stderr: (text: string) => void;
  /** The CLI's own settings: TZ, DYNAMODB_PORT, FREECLIMB_SIGNING_SECRET (AWS credentials: the SDK's chain). */
  env: Record<string, string | undefined>;
  /** Epoch milliseconds. */
  now: () => number;
  /** True when stderr is a terminal: progress then rewrites one line instead of printing several. */
  interactive?: boolean;
  /** Where each `npm start` records its target; the project's `.data/local-targets` when absent. */
  localTargetsDir?: string;
  /** Builds the CloudFormation client for `--stage` (tests add middleware to it); the SDK default when absent. */
  cloudFormationClient?: (region: string | undefined) => CloudFormationClient;
}
