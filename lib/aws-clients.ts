import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Retry and timeout budget of every AWS call the function makes (DynamoDB, and SSM for the secret on a cold
 * start). Worst case one call takes
 * maxAttempts × (connectionTimeout + requestTimeout) + maxBackoffMs = 12 s, inside the function's 15 s timeout
 * (less the answer margin) and API Gateway's 30 s, so a failing database still gets a 503 (and a logged body)
 * in time. The reliability suite checks this sum against the packaged template.
 */
export const AWS_CALL_BUDGET = {
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
  const client = new DynamoDBClient({ ...boundedClientOptions(), ...overrides });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** An SSM client with the same bounds: a hanging read of the secret must not use up the function's time. */
export function createSsmClient(): SSMClient {
  return new SSMClient(boundedClientOptions());
}

/**
 * An SQS client with the same bounds, for the enricher's retry and dead-letter queues: a send that cannot
 * finish within the budget fails, and the batch reports its item for redelivery. It sends to SQS's endpoint
 * for its region (or `AWS_ENDPOINT_URL`), never to the host a queue URL names: in AWS the two are the same,
 * and an emulator's queues carry AWS's URLs.
 */
export function createSqsClient(): SQSClient {
  return new SQSClient({ ...boundedClientOptions(), useQueueUrlAsEndpoint: false });
}

function boundedClientOptions() {
  return {
    maxAttempts: AWS_CALL_BUDGET.maxAttempts,
    requestHandler: {
      connectionTimeout: AWS_CALL_BUDGET.connectionTimeoutMs,
      requestTimeout: AWS_CALL_BUDGET.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
