import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../../local/service-definition';

/**
 * The rows of the tables in one section of a document, for tests that hold the code to what a table in the
 * docs says (the table is the one list; the test makes it true).
 */

/**
 * Every table row under `heading` in `doc` (relative to the project), up to the next heading of level 1 to
 * 3, as its cells without the outer pipes; the header's separator row is left out.
 */
export async function sectionTableRows(doc: string, heading: string): Promise<string[][]> {
  const text = await readFile(path.join(PROJECT_ROOT, doc), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${doc} has no "${heading}" section`);
  const section = text.slice(start + heading.length + 2).split(/\n#{1,3} /)[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s:|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split('|')
        .map((cell) => cell.trim()),
    );
}
