import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient, ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { prepareTestRun } from './global-setup';
import { type MotoServer, MotoServerMissingError, startMotoServer } from './moto-server';

/**
 * Global setup of the `emulator` project: one moto server for its test files, on a free loopback port,
 * published in TEST_MOTO_ENDPOINT, started while the run is prepared; its request recording goes to a
 * directory of its own, not the project.
 */

/** Key on jest's main-process globals, for the teardown. */
export const MOTO_HANDLE = '__testMotoServer';
export type GlobalWithMoto = typeof globalThis & {
  [MOTO_HANDLE]?: { server: MotoServer; directory: string };
};

/** The warm-up request's own access key: no test's recording counts it. */
const WARM_UP_ACCESS_KEY = 'WARMUPEMULATOR';

export default async function globalSetup(): Promise<void> {
  const directory = await mkdtemp(path.join(tmpdir(), 'freeclimb-call-records-moto-'));
  const started = startMotoServer({ MOTO_RECORDER_FILEPATH: path.join(directory, 'recording.jsonl') });
  const [server] = await Promise.all([started, prepareTestRun()]).catch(async (error: unknown) => {
    await rm(directory, { recursive: true, force: true });
    // Jest prints a failed global setup's stack: for a missing moto_server, the one line that says what to do.
    if (error instanceof MotoServerMissingError) error.stack = `npm test: ${error.message}`;
    throw error;
  });
  (globalThis as GlobalWithMoto)[MOTO_HANDLE] = { server, directory };
  process.env.TEST_MOTO_ENDPOINT = server.endpoint;
  console.log(`\nmoto_server at ${server.endpoint}`);
  warmUpTemplateValidation(server.endpoint);
}

/**
 * moto's ValidateTemplate runs AWS's linter (cfn-lint), whose first use in the server loads it: several
 * seconds on a busy machine. One validation now, not awaited, loads it while other tests run, so the first
 * deploy does not wait for that; every deploy still has its template validated.
 */
function warmUpTemplateValidation(endpoint: string): void {
  const client = new CloudFormationClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: WARM_UP_ACCESS_KEY, secretAccessKey: WARM_UP_ACCESS_KEY },
  });
  const template = { Resources: { Topic: { Type: 'AWS::SNS::Topic' } } };
  client
    .send(new ValidateTemplateCommand({ TemplateBody: JSON.stringify(template) }))
    .catch(() => undefined)
    .finally(() => client.destroy());
}
