import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Direct access to the test engine's tables, independent of the code under test, so that a test can check
 * what was really stored.
 */

/** A document client for the engine the jest global setup started (from `AWS_ENDPOINT_URL_DYNAMODB`). */
export function testDocumentClient(): DynamoDBDocumentClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  // Without an endpoint the SDK would go to real AWS: refuse rather than risk it.
  if (!endpoint)
    throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: the jest global setup starts the engine');
  const client = new DynamoDBClient({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
  return DynamoDBDocumentClient.from(client);
}

/** The test stage's table names, as the global setup read them from serverless.yml. */
export function testTables(): { callsTable: string; rejectedTable: string } {
  const callsTable = process.env.CALLS_TABLE;
  const rejectedTable = process.env.REJECTED_TABLE;
  if (!callsTable || !rejectedTable) {
    throw new Error('CALLS_TABLE/REJECTED_TABLE are not set: the jest global setup sets them');
  }
  return { callsTable, rejectedTable };
}
