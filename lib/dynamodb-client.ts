import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Retry and timeout budget of every DynamoDB call. Worst case one call takes
 * maxAttempts × (connectionTimeout + requestTimeout) + maxBackoffMs = 12 s, inside the function's 15 s timeout
 * (less the answer margin) and API Gateway's 30 s, so a failing database still gets a 503 (and a logged body)
 * in time. The reliability suite checks this sum against the packaged template.
 */
export const DYNAMODB_RETRY_BUDGET = {
  maxAttempts: 3,
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  /**
   * Longest total back-off between attempts: the SDK's standard mode waits up to 1 s, then 2 s, after a
   * throttling error (full jitter, doubling), less after other errors. Measured by the reliability suite.
   */
  maxBackoffMs: 3000,
} as const;

/**
 * A document client with bounded retries and timeouts. Endpoint and region come from the standard AWS
 * settings (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB` for a local engine).
 */
export function createDocumentClient(overrides: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts: DYNAMODB_RETRY_BUDGET.maxAttempts,
    requestHandler: {
      connectionTimeout: DYNAMODB_RETRY_BUDGET.connectionTimeoutMs,
      requestTimeout: DYNAMODB_RETRY_BUDGET.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...overrides,
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
