import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, type StreamSpecification } from '@aws-sdk/client-dynamodb';
import { writeLocalTarget } from '../../local/local-target';
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
 * or a window and must not see other test files' records; with `stream`, its DynamoDB stream on.
 */
export async function copyOfCallsTable(
  options: { withoutIndex?: string; stream?: StreamSpecification } = {},
): Promise<CallsTableCopy> {
  const copy = await copyOfTable(testTables().callsTable, options);
  const localTargetsDir = emptyLocalTargetsDir();
  writeLocalTarget({ ...jestEngineTarget(), callsTable: copy }, localTargetsDir);
  return { callsTable: copy, localTargetsDir };
}

/**
 * Creates an empty table shaped exactly like the test engine's table `source` (the calls or the rejected
 * table), named after it, and returns its name.
 */
export async function copyOfTable(
  source: string,
  options: { withoutIndex?: string; stream?: StreamSpecification } = {},
): Promise<string> {
  const doc = testDocumentClient();
  try {
    const { Table } = await doc.send(new DescribeTableCommand({ TableName: source }));
    if (Table === undefined) throw new Error(`${source} is not in the test engine`);
    const copy = `${source}-${randomBytes(4).toString('hex')}`;
    // As a table deployed before an index existed: without it, and without its key's definition.
    const indexes = (Table.GlobalSecondaryIndexes ?? []).filter(
      (index) => index.IndexName !== options.withoutIndex,
    );
    const keys = new Set([...(Table.KeySchema ?? []), ...indexes.flatMap((index) => index.KeySchema ?? [])]);
    const keyNames = new Set([...keys].map((key) => key.AttributeName));
    await doc.send(
      new CreateTableCommand({
        TableName: copy,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: Table.AttributeDefinitions?.filter((attribute) =>
          keyNames.has(attribute.AttributeName),
        ),
        KeySchema: Table.KeySchema,
        ...(indexes.length > 0
          ? {
              GlobalSecondaryIndexes: indexes.map((index) => ({
                IndexName: index.IndexName,
                KeySchema: index.KeySchema,
                Projection: index.Projection,
              })),
            }
          : {}),
        // The stream serverless.yml declares (the test engine's table is created without it).
        ...(options.stream ? { StreamSpecification: options.stream } : {}),
      }),
    );
    return copy;
  } finally {
    doc.destroy();
  }
}
