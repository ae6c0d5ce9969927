import { startTestEngine } from '../global-setup';

/** Global setup of the `dynamodb-local` project: starts the engine once for all its test files. */
export default function globalSetup(): Promise<void> {
  return startTestEngine('dynamodb-local');
}
