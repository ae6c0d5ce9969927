import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ServiceDefinition } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';

/** The most items one BatchWriteItem takes. */
export const BATCH_WRITE_LIMIT = 25;

/** serverless.yml's calls table, as CreateTable takes it: what the measurements' scratch tables copy. */
export function callsTableOf(definition: ServiceDefinition): CreateTableCommandInput {
  const callsTable = definition.tables.find(
    (table) => table.create.TableName === definition.environment.CALLS_TABLE,
  )?.create;
  if (callsTable === undefined) throw new BrokenBenchmarkError('serverless.yml defines no calls table');
  return callsTable;
}

/**
 * Puts up to {@link BATCH_WRITE_LIMIT} items into `table` with one BatchWriteItem, sending again whatever the
 * engine leaves unprocessed.
 */
export async function putBatch(doc: DynamoDBDocumentClient, table: string, items: object[]): Promise<void> {
  let unprocessed: unknown[] = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; unprocessed.length > 0; attempt += 1) {
    if (attempt > 10) throw new BrokenBenchmarkError('the engine keeps refusing part of a BatchWrite');
    const result = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: unprocessed as never } }));
    unprocessed = result.UnprocessedItems?.[table] ?? [];
  }
}
