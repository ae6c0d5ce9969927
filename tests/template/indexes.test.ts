import path from 'node:path';
import { sectionTableRows } from '../support/doc-table';
import { packagedTemplate } from '../support/packaged-template';

// Adding an index to a table that already holds records is a deploy of its own (AWS: "If you add or delete an
// index during an update, we recommend that you don't update any other resources"), then a wait until it is
// ACTIVE, then `backfill`. docs/deploying.md keeps the list of indexes and the version that added each, with
// that path for stages deployed before it: a new index fails this test until it is in that table.

const DOC = path.join('docs', 'deploying.md');
const HEADING = '## Adding an index to a stage that already exists';
const TABLES: Record<string, string> = { calls: 'CallsTable', rejected: 'RejectedTable' };

test('docs/deploying.md lists exactly the indexes of each table, each with the version that added it', async () => {
  // Prepare
  const template = await packagedTemplate();
  const rows = (await sectionTableRows(DOC, HEADING)).filter(([table]) => /^`\w+`$/.test(table ?? ''));

  // Act
  const deployed = Object.entries(TABLES).flatMap(([table, id]) => {
    const properties = template.Resources[id]?.Properties ?? {};
    const indexes = [
      ...((properties.GlobalSecondaryIndexes ?? []) as Array<{ IndexName: string }>),
      ...((properties.LocalSecondaryIndexes ?? []) as Array<{ IndexName: string }>),
    ];
    return indexes.map(({ IndexName }) => `${table} ${IndexName}`);
  });
  const documented = rows.map(([table, index]) => `${table?.slice(1, -1)} ${index?.slice(1, -1)}`);

  // Assess
  expect(documented.sort()).toEqual(deployed.sort());
  for (const [, , addedBy] of rows) expect(addedBy).toMatch(/[0-9a-f]{7}/);
}, 300_000);
