import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalTables } from '../../local/local-dynamodb';
import type { TableDefinition } from '../../local/service-definition';
import { cachedServiceDefinition } from '../../local/service-definition-cache';
import { copyOfCallsTable } from '../support/calls-table-copy';
import { testDocumentClient, testTables } from '../support/dynamodb';
import { readJson } from '../support/fixture-bodies';

// What DynamoDB itself enforces on the tables serverless.yml defines, checked on AWS's own emulator
// (dynalite has no TTL and accepts an empty index key).

let tables: TableDefinition[];

beforeAll(async () => {
  ({ tables } = await cachedServiceDefinition('test'));
});

describe('time to live', () => {
  test('serverless.yml turns TTL on (attribute expiresAt) for both tables', () => {
    // Prepare
    const { callsTable, rejectedTable } = testTables();

    // Act
    const declared = tables.map((table) => [table.create.TableName, table.timeToLive]);

    // Assess
    expect(declared).toEqual(
      expect.arrayContaining([
        [callsTable, { AttributeName: 'expiresAt', Enabled: true }],
        [rejectedTable, { AttributeName: 'expiresAt', Enabled: true }],
      ]),
    );
  });

  test.each(['callsTable', 'rejectedTable'] as const)(
    'the %s has TTL enabled on expiresAt, as the template declares it',
    async (which) => {
      // Prepare
      const tableName = testTables()[which];
      const doc = testDocumentClient();

      // Act
      const { TimeToLiveDescription } = await doc.send(
        new DescribeTimeToLiveCommand({ TableName: tableName }),
      );
      doc.destroy();

      // Assess
      expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    },
  );
});

describe('the sparse parentCallId index', () => {
  test('the engine refuses an empty-string parentCallId, so the index stays sparse only if we never write one', async () => {
    // Prepare
    const { callsTable } = testTables();
    const doc = testDocumentClient();
    const item = {
      ...readJson('child-leg-outbound-dial.json'),
      callId: 'CAempty0parent0id',
      parentCallId: '',
    };

    // Act
    const refused = await doc.send(new PutCommand({ TableName: callsTable, Item: item })).catch((e) => e);
    doc.destroy();

    // Assess
    expect(refused).toMatchObject({ name: 'ValidationException' });
    expect((refused as Error).message).toMatch(/parentCallId/);
  });
});

describe("the calls table's stream (the enricher's trigger)", () => {
  test('serverless.yml declares it with each new image, and only the calls table has one', () => {
    // Act
    const declared = tables.map((table) => [table.create.TableName, table.stream]);

    // Assess
    const { callsTable, rejectedTable } = testTables();
    expect(declared).toEqual(
      expect.arrayContaining([
        [callsTable, { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' }],
        [rejectedTable, undefined],
      ]),
    );
  });

  test('a calls table kept from a run without enrichment gets its stream when a run enriches', async () => {
    // Prepare: as an earlier npm start left it, without a stream.
    const { callsTable } = await copyOfCallsTable();
    const declared = tables.find(
      (table) => table.create.TableName === testTables().callsTable,
    ) as TableDefinition;
    const engine = {
      engine: 'dynamodb-local' as const,
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB as string,
      port: 0,
      pid: 0,
      close: async () => undefined,
    };
    const doc = testDocumentClient();

    // Act
    await createLocalTables(
      engine,
      [{ ...declared, create: { ...declared.create, TableName: callsTable } }],
      {
        streams: true,
      },
    );
    const { Table } = await doc.send(new DescribeTableCommand({ TableName: callsTable }));
    doc.destroy();

    // Assess
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(Table?.LatestStreamArn).toEqual(expect.stringContaining(`table/${callsTable}/stream/`));
  });
});
