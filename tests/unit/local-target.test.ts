import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type LocalTarget,
  readLocalTarget,
  removeLocalTarget,
  writeLocalTarget,
} from '../../scripts/local-target';

// The file through which `npm start` tells the operator CLI where its engine and tables are.

function targetFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'local-target-')), 'local-target.json');
}

const TARGET: LocalTarget = {
  endpoint: 'http://127.0.0.1:8300',
  region: 'us-east-1',
  callsTable: 'freeclimb-call-records-local-calls',
  rejectedTable: 'freeclimb-call-records-local-rejected',
  webhookUrl: 'http://localhost:3300/freeclimb/call-status',
  pid: 4242,
};

describe('local target file', () => {
  test('what npm start writes is what the CLI reads', () => {
    // Prepare
    const file = targetFile();

    // Act
    writeLocalTarget(TARGET, file);

    // Assess
    expect(readLocalTarget(file)).toEqual(TARGET);
  });

  test('absent or not ours: nothing is read', () => {
    // Prepare
    const missing = targetFile();
    const foreign = targetFile();
    writeFileSync(foreign, '{"endpoint":"http://127.0.0.1:1"}');

    // Act
    const results = [readLocalTarget(missing), readLocalTarget(foreign)];

    // Assess
    expect(results).toEqual([undefined, undefined]);
  });

  test('only the process that wrote it removes it, so a later npm start keeps its own', () => {
    // Prepare
    const file = targetFile();
    writeLocalTarget(TARGET, file);

    // Act
    removeLocalTarget(TARGET.pid + 1, file);
    const keptForOtherPid = existsSync(file);
    removeLocalTarget(TARGET.pid, file);

    // Assess
    expect(keptForOtherPid).toBe(true);
    expect(existsSync(file)).toBe(false);
  });
});
