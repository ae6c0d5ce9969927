import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { writeLocalTarget } from '../../scripts/local-target';
import { testDocumentClient, testTables } from './dynamodb';

/** A calls table of a test's own, and a local-target file that points the CLI at it. */
export interface CallsTableCopy {
  callsTable: string;
  localTargetFile: string;
}

/**
 * Creates an empty table shaped exactly like the test engine's calls table (keys and indexes read back with
 * DescribeTable, so serverless.yml stays their one definition), for tests that count everything in a table
 * or a window and must not see other test files' records.
 */
export async function copyOfCallsTable(): Promise<CallsTableCopy> {
  const { callsTable, rejectedTable } = testTables();
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
    const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '';
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'freeclimb-records-')), 'local-target.json');
    writeLocalTarget(
      {
        endpoint,
        region: 'us-east-1',
        callsTable: copy,
        rejectedTable,
        webhookUrl: 'http://127.0.0.1:9/freeclimb/call-status',
        pid: process.pid,
      },
      file,
    );
    return { callsTable: copy, localTargetFile: file };
  } finally {
    doc.destroy();
  }
}
