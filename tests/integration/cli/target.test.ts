import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { createCallStatusHandler } from '../../../lib/call-status-service';
import { removeLocalTarget, writeLocalTarget } from '../../../local/local-target';
import { type CliRun, emptyLocalTargetsDir, jestEngineTarget, runRecords } from '../../support/cli';
import { testTables } from '../../support/dynamodb';
import { freePort } from '../../support/free-port';
import {
  bodyFixture,
  clockAt,
  lambdaContext,
  signedEvent,
  testEnv,
  withFreshIds,
} from '../../support/webhook';

// Where the CLI reads: a deployed stage (tables from its CloudFormation stack's outputs) or the local
// engine, and the one-line errors when neither can be reached. CloudFormation's answers are given by SDK
// middleware in place of the network; DynamoDB is the jest engine (AWS_ENDPOINT_URL_DYNAMODB).

const handle = createCallStatusHandler({ env: testEnv(), now: clockAt(2) });

async function storedCallId(): Promise<string> {
  const body = withFreshIds(bodyFixture('completed-inbound'));
  expect((await handle(signedEvent(body), lambdaContext)).statusCode).toBe(204);
  return JSON.parse(body.toString('utf8')).callId;
}

/** A CloudFormation client whose requests are answered with `status` and `xml`, recording each request body. */
function answeringCloudFormation(status: number, xml: string, requests: string[]) {
  return (region: string | undefined) => {
    const client = new CloudFormationClient({
      region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    client.middlewareStack.add(
      (_next) => async (args) => {
        requests.push(String((args.request as { body?: unknown }).body));
        return {
          response: { statusCode: status, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) },
          output: undefined as never,
        };
      },
      // Innermost: after signing, in place of the HTTP handler, before the XML is parsed.
      { step: 'deserialize', priority: 'low', name: 'answerInPlaceOfCloudFormation' },
    );
    return client;
  };
}

function describeStacksXml(outputs: Record<string, string>): string {
  const members = Object.entries(outputs)
    .map(
      ([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
    )
    .join('');
  return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackName>freeclimb-call-records-test</StackName>
    <StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/freeclimb-call-records-test/1</StackId>
    <CreationTime>2026-11-25T00:00:00Z</CreationTime>
    <StackStatus>UPDATE_COMPLETE</StackStatus>
    <Outputs>${members}</Outputs>
  </member></Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</DescribeStacksResponse>`;
}

const NO_STACK_XML = `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id freeclimb-call-records-nope does not exist</Message></Error>
  <RequestId>1</RequestId>
</ErrorResponse>`;

describe('--stage: a deployed stage', () => {
  test('the tables come from the stack freeclimb-call-records-<stage> and the call is read from them', async () => {
    // Prepare
    const callId = await storedCallId();
    const requests: string[] = [];
    const { callsTable, rejectedTable } = testTables();
    const cloudFormationClient = answeringCloudFormation(
      200,
      describeStacksXml({ CallsTableName: callsTable, RejectedTableName: rejectedTable }),
      requests,
    );

    // Act
    const run = await runRecords(['get', callId, '--stage', 'test', '--region', 'us-east-1', '--json'], {
      cloudFormationClient,
    });

    // Assess
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).callId).toBe(callId);
    expect(requests).toHaveLength(1);
    expect(new URLSearchParams(requests[0]).get('Action')).toBe('DescribeStacks');
    expect(new URLSearchParams(requests[0]).get('StackName')).toBe('freeclimb-call-records-test');
  });

  test('a stack that is not there says how to deploy it', async () => {
    // Prepare
    const cloudFormationClient = answeringCloudFormation(400, NO_STACK_XML, []);

    // Act
    const run = await runRecords(['get', `CA${'a'.repeat(40)}`, '--stage', 'nope', '--region', 'eu-west-1'], {
      cloudFormationClient,
    });

    // Assess
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'freeclimb-records: No stack freeclimb-call-records-nope in eu-west-1: deploy it with ' +
        '"npx serverless deploy --stage nope", or pass --region\n',
    });
  });

  test('a stack without the outputs of this version names the missing one', async () => {
    // Prepare
    const cloudFormationClient = answeringCloudFormation(200, describeStacksXml({ CallsTableName: 'x' }), []);

    // Act
    const run = await runRecords(['legs', `CA${'b'.repeat(40)}`, '--stage', 'old', '--region', 'us-east-1'], {
      cloudFormationClient,
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'freeclimb-records: Stack freeclimb-call-records-old has no output RejectedTableName: deploy this version of the service\n',
    );
  });

  test('no credentials anywhere: one line that says how to provide them', async () => {
    // Prepare: no keys, no profile files, no container or instance metadata, so the real chain finds nothing.
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) {
      if (
        /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|CONTAINER_|WEB_IDENTITY|ROLE_)/.test(
          name,
        )
      ) {
        delete process.env[name];
      }
    }
    const nowhere = path.join(mkdtempSync(path.join(tmpdir(), 'no-aws-')), 'missing');
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: nowhere,
      AWS_CONFIG_FILE: nowhere,
      AWS_EC2_METADATA_DISABLED: 'true',
    });

    // Act
    let run: Awaited<ReturnType<typeof runRecords>>;
    try {
      run = await runRecords(['get', `CA${'c'.repeat(40)}`, '--stage', 'prod', '--region', 'us-east-1']);
    } finally {
      process.env = saved;
    }

    // Assess
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'freeclimb-records: No AWS credentials found: set AWS_PROFILE (after "aws configure" or "aws sso login"), ' +
        'or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n',
    });
  });
});

describe('the local engine', () => {
  test('recorded by npm start but not running: says to start it', async () => {
    // Prepare
    const port = await freePort();
    const localTargetsDir = emptyLocalTargetsDir();
    writeLocalTarget({ ...jestEngineTarget(), endpoint: `http://127.0.0.1:${port}` }, localTargetsDir);

    // Act
    const run = await runRecords(['get', `CA${'d'.repeat(40)}`], { localTargetsDir });

    // Assess
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `freeclimb-records: The local DynamoDB engine at http://127.0.0.1:${port} is not reachable: start it with ` +
        '"npm start" (or set DYNAMODB_PORT to where it listens, or pass --stage <stage> for a deployed stage)\n',
    });
  });

  test('nothing recorded and nothing on DYNAMODB_PORT: the same advice, without reading serverless.yml', async () => {
    // Prepare
    const port = await freePort();
    const localTargetsDir = emptyLocalTargetsDir();

    // Act
    const run = await runRecords(['rejected', 'list'], {
      localTargetsDir,
      env: { DYNAMODB_PORT: String(port) },
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The local DynamoDB engine at http://127.0.0.1:${port} is not reachable`);
  });

  test('two npm start runs: stopping the later one removes only its record, and the CLI reads the other', async () => {
    // Prepare: this process stands for the run still serving (the jest engine), a child for the later one.
    const callId = await storedCallId();
    const localTargetsDir = emptyLocalTargetsDir();
    writeLocalTarget({ ...jestEngineTarget(), startedAt: '2026-11-25T09:00:00.000Z' }, localTargetsDir);
    const later = await otherRun(localTargetsDir, '2026-11-25T10:00:00.000Z');

    // Act: the later run stops, as npm start does on exit.
    await later.stop();
    removeLocalTarget(later.pid, localTargetsDir);
    const run = await runRecords(['get', callId, '--json'], { localTargetsDir });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).callId).toBe(callId);
  });

  test('a run killed before it could remove its record is passed over', async () => {
    // Prepare
    const callId = await storedCallId();
    const localTargetsDir = emptyLocalTargetsDir();
    writeLocalTarget({ ...jestEngineTarget(), startedAt: '2026-11-25T09:00:00.000Z' }, localTargetsDir);
    const killed = await otherRun(localTargetsDir, '2026-11-25T10:00:00.000Z');

    // Act
    await killed.stop();
    const run = await runRecords(['get', callId, '--json'], { localTargetsDir });

    // Assess
    expect(existsSync(path.join(localTargetsDir, `${killed.pid}.json`))).toBe(true);
    expect(run).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
  });

  test('two live runs: the latest started whose engine answers, and a note naming the other', async () => {
    // Prepare: the later run's pid is alive, but nothing answers at its engine (a pid reused, say).
    const callId = await storedCallId();
    const localTargetsDir = emptyLocalTargetsDir();
    const serving = jestEngineTarget();
    writeLocalTarget({ ...serving, startedAt: '2026-11-25T09:00:00.000Z' }, localTargetsDir);
    const other = await otherRun(localTargetsDir, '2026-11-25T10:00:00.000Z');

    // Act
    let run: CliRun;
    let chosenByPort: CliRun;
    try {
      run = await runRecords(['get', callId, '--json'], { localTargetsDir });
      chosenByPort = await runRecords(['get', callId, '--json'], {
        localTargetsDir,
        env: { DYNAMODB_PORT: new URL(serving.endpoint).port },
      });
    } finally {
      await other.stop();
    }

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `freeclimb-records: 2 npm start runs are live; using the engine at ${serving.endpoint} (pid ${process.pid}); ` +
        `set DYNAMODB_PORT=${new URL(other.endpoint).port} for the other\n`,
    );
    expect(chosenByPort).toEqual(expect.objectContaining({ code: 0, stderr: '' }));
  });
});

/** Another `npm start` run: a live child process, with its record pointing at an engine port nothing uses. */
async function otherRun(dir: string, startedAt: string) {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const pid = child.pid ?? 0;
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  writeLocalTarget({ ...jestEngineTarget(), endpoint, pid, startedAt }, dir);
  return {
    pid,
    endpoint,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    },
  };
}

describe('the command line', () => {
  test.each([
    [['frob'], 'unknown command "frob"'],
    [['get', '--frob'], "unknown option '--frob'"],
    [['rejected'], 'rejected needs a subcommand: list or replay'],
    [
      ['legs', `CA${'e'.repeat(40)}`, '--region', 'us-east-1'],
      '--region and --stack only apply together with --stage <stage>',
    ],
    [['--json', 'get'], 'the command comes first, before --json'],
    [['get'], 'get needs a call id (usage: get <callId>)'],
    // Extra arguments are never ignored, whatever the command.
    [['get', `CA${'f'.repeat(40)}`, 'bogus'], 'get takes one argument, a call id: remove "bogus"'],
    [['legs', `CA${'f'.repeat(40)}`, 'x', 'y'], 'legs takes one argument, a call id: remove "x" "y"'],
    [['rejected', 'list', 'extra'], 'rejected list takes no arguments: remove "extra"'],
    [['send', 'a.json', 'b.json'], 'send takes one argument, a body file: remove "b.json"'],
  ])('%j is a usage error: one line, a pointer to --help, exit 2', async (argv, message) => {
    // Prepare
    const localTargetsDir = '/nonexistent/local-targets';

    // Act
    const run = await runRecords(argv, { localTargetsDir });

    // Assess
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `freeclimb-records: ${message}\nRun "freeclimb-records --help" for the commands and their options.\n`,
    });
  });

  test('--help lists every command, exit 0', async () => {
    // Prepare
    const argv = ['--help'];

    // Act
    const run = await runRecords(argv);

    // Assess
    expect(run.code).toBe(0);
    for (const command of ['get <callId>', 'legs <callId>', 'rejected list', 'rejected replay', 'send ']) {
      expect(run.stdout).toContain(`freeclimb-records ${command}`);
    }
  });
});
