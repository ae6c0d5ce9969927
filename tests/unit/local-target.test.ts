import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  findLocalTarget,
  type LocalTarget,
  readLocalTargets,
  removeLocalTarget,
  writeLocalTarget,
} from '../../local/local-target';

// The records through which each `npm start` tells the operator CLI where its engine and tables are.

function targetsDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'local-targets-'));
}

const FIRST: LocalTarget = {
  endpoint: 'http://127.0.0.1:8300',
  region: 'us-east-1',
  callsTable: 'freeclimb-call-records-local-calls',
  rejectedTable: 'freeclimb-call-records-local-rejected',
  webhookUrl: 'http://localhost:3300/freeclimb/call-status',
  pid: 4242,
  startedAt: '2026-11-25T09:00:00.000Z',
};
const SECOND: LocalTarget = {
  ...FIRST,
  endpoint: 'http://127.0.0.1:8301',
  webhookUrl: 'http://localhost:3301/freeclimb/call-status',
  pid: 4343,
  startedAt: '2026-11-25T10:00:00.000Z',
};

const everyoneAlive = { isAlive: () => true, answers: async () => true };

describe('local target records', () => {
  test('what npm start writes is what the CLI reads, one file per run named for its pid', () => {
    // Prepare
    const dir = targetsDir();

    // Act
    const file = writeLocalTarget(FIRST, dir);

    // Assess
    expect(path.basename(file)).toBe('4242.json');
    expect(readLocalTargets(dir)).toEqual([FIRST]);
  });

  test('absent, not ours, or not named for its pid: nothing is read', () => {
    // Prepare
    const missing = path.join(targetsDir(), 'missing');
    const foreign = targetsDir();
    writeFileSync(path.join(foreign, '1.json'), '{"endpoint":"http://127.0.0.1:1"}');
    writeFileSync(path.join(foreign, '2.json'), JSON.stringify(FIRST));

    // Act
    const results = [readLocalTargets(missing), readLocalTargets(foreign)];

    // Assess
    expect(results).toEqual([[], []]);
  });

  test('two runs: the one that stops removes only its own record, the other stays found', async () => {
    // Prepare
    const dir = targetsDir();
    writeLocalTarget(FIRST, dir);
    writeLocalTarget(SECOND, dir);

    // Act
    removeLocalTarget(SECOND.pid, dir);
    const found = await findLocalTarget(dir, everyoneAlive);

    // Assess
    expect(existsSync(path.join(dir, '4343.json'))).toBe(false);
    expect(found).toEqual({ target: FIRST, others: [] });
  });

  test('a record whose process is gone is passed over', async () => {
    // Prepare
    const dir = targetsDir();
    writeLocalTarget(FIRST, dir);
    writeLocalTarget(SECOND, dir);

    // Act
    const found = await findLocalTarget(dir, { isAlive: (pid) => pid === FIRST.pid });

    // Assess
    expect(found).toEqual({ target: FIRST, others: [] });
  });

  test('two live runs that answer: the latest started, the other named; DYNAMODB_PORT picks one', async () => {
    // Prepare
    const dir = targetsDir();
    writeLocalTarget(SECOND, dir);
    writeLocalTarget(FIRST, dir);

    // Act
    const latest = await findLocalTarget(dir, everyoneAlive);
    const byPort = await findLocalTarget(dir, { ...everyoneAlive, port: '8300' });
    const noneOnPort = await findLocalTarget(dir, { ...everyoneAlive, port: '8999' });

    // Assess
    expect(latest).toEqual({ target: SECOND, others: [FIRST] });
    expect(byPort).toEqual({ target: FIRST, others: [] });
    expect(noneOnPort).toEqual({ target: undefined, others: [] });
  });

  test('two live runs, the later one not answering: the one that answers; neither answering: the latest', async () => {
    // Prepare
    const dir = targetsDir();
    writeLocalTarget(FIRST, dir);
    writeLocalTarget(SECOND, dir);

    // Act
    const answering = await findLocalTarget(dir, {
      isAlive: () => true,
      answers: async (endpoint) => endpoint === FIRST.endpoint,
    });
    const silent = await findLocalTarget(dir, { isAlive: () => true, answers: async () => false });

    // Assess
    expect(answering).toEqual({ target: FIRST, others: [SECOND] });
    expect(silent).toEqual({ target: SECOND, others: [FIRST] });
  });
});
