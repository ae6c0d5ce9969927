import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { writeLocalTarget } from '../../scripts/local-target';
import { emptyLocalTargetsDir, jestEngineTarget } from './cli';
import { testDocumentClient, testTables } from './dynamodb';

/** A calls table of a test's own, and a local-targets directory that points the CLI at it. */
export interface CallsTableCopy {
  callsTable: string;
  localTargetsDir: string;
}

/**
 * Creates an empty table shaped exactly like the test engine's calls table (keys and indexes read back with
 * DescribeTable, so serverless.yml stays their one definition), for tests that count everything in a table
 * or a window and must not see other test files' records.
 */
export async function copyOfCallsTable(): Promise<CallsTableCopy> {
  const { callsTable } = testTables();
  const doc = testDocumentClient();
  try {
    const { Table } = await doc.send(new DescribeTableCommand({ TableName: callsTable }));
    if (Table === undefined) throw new Error(`${callsTable} is not in the test engine`);
    const copy = `${callsTable}-${randomBytes(4).toString('hex')}`;
    await doc.send(
      new CreateTableCommand({
        TableName: copy,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: Table.AttributeDefinitions,
        KeySchema: Table.KeySchema,
        GlobalSecondaryIndexes: Table.GlobalSecondaryIndexes?.map((index) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection,
        })),
      }),
    );
    const localTargetsDir = emptyLocalTargetsDir();
    writeLocalTarget({ ...jestEngineTarget(), callsTable: copy }, localTargetsDir);
    return { callsTable: copy, localTargetsDir };
  } finally {
    doc.destroy();
  }
}
