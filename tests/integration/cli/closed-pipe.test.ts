import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

// The shipped bin as a shell runs it, with its standard output read by something that stops early
// (`freeclimb-records calls | head -1`).

const BIN = path.resolve(__dirname, '../../../cli/freeclimb-records.js');

test('a reader that closes the pipe early ends the CLI quietly, with no stack trace', async () => {
  // Prepare: the reading end is closed before the CLI has written anything.
  const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });

  // Act
  const [code] = await once(child, 'exit');

  // Assess
  expect(stderr).toBe('');
  expect(code).toBe(0);
});
