import { Readable } from 'node:stream';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Makes a fraction of a client's DynamoDB attempts come back as DynamoDB's own throttling answer (HTTP 400,
 * `ProvisionedThroughputExceededException`), below the SDK's retry and deserializer, so the SDK classifies and
 * retries it exactly as it would a real one. Returns how many attempts were throttled.
 */
export function throttleAttempts(
  doc: DynamoDBDocumentClient,
  fraction: number,
  random: () => number = Math.random,
): { throttled(): number } {
  let throttled = 0;
  // Typed loosely: the stack's generics are the SDK's internals; the shapes used here are its public contract.
  const inject = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    if (random() >= fraction) return next(args);
    throttled += 1;
    const body = JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    });
    return {
      output: undefined as never,
      response: {
        statusCode: 400,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: Readable.from([Buffer.from(body)]),
      },
    };
  };
  doc.middlewareStack.addRelativeTo(inject as never, {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name: 'injectThrottling',
  });
  return { throttled: () => throttled };
}
