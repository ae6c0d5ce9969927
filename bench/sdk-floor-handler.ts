import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/*
 * Benchmark only: the leanest Lambda handler that can do the function's one durable job with the AWS SDK.
 * Its cold import is the floor any SDK-based handler starts from, so the start-up measurement compares
 * ours with it. It is bundled with the same esbuild options as the real handler and never deployed.
 */

/** Built once per container, as any handler would: the client and its default credential chain. */
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** Stores `callId` once: the same write-once conditional PutItem as the store's. */
export const handler = async (event: { callId: string }): Promise<{ statusCode: number }> => {
  await documents.send(
    new PutCommand({
      TableName: process.env.CALLS_TABLE,
      Item: { callId: event.callId },
      ConditionExpression: 'attribute_not_exists(callId)',
    }),
  );
  return { statusCode: 204 };
};
