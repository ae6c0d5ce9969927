/** A failure the user can act on: printed as one line, exit code 1. */
export class CliError extends Error {
  readonly exitCode: number = 1;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong: printed with a pointer to the usage, exit code 2. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;
}

/** The call, or the rejected delivery, asked for is not in the table. */
export class NotFoundError extends CliError {}

/** The local engine does not answer. */
export class EngineUnreachableError extends CliError {}

/** No AWS credentials could be found, or AWS refused the ones found. */
export class CredentialsError extends CliError {}

/** The stage's stack is missing or lacks an output the CLI needs. */
export class StackError extends CliError {}
