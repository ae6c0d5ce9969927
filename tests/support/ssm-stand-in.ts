import { SSMClient, ThrottlingException } from '@aws-sdk/client-ssm';
import { FIRST_BACKOFF_MS, MAX_BACKOFF_MS } from '../../lib/signing-secrets';

/** One answer of the stand-in: the parameter's value, or an error to throw. */
export type SsmReply = string | Error;

/**
 * A real SSMClient whose middleware stack answers GetParameter itself, before any network step (and before
 * the SDK's retries, so a failure costs no back-off time). Each call takes the next reply; the last reply
 * repeats. `inputs` keeps every request, so a test can count the reads.
 */
export function ssmStandIn(replies: SsmReply[]): { client: SSMClient; inputs: unknown[] } {
  const client = new SSMClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-key' },
  });
  const inputs: unknown[] = [];
  client.middlewareStack.add(
    () => async (args) => {
      inputs.push(args.input);
      const reply = replies[Math.min(inputs.length, replies.length) - 1];
      if (reply instanceof Error) {
        throw reply;
      }
      return { output: { Parameter: { Value: reply }, $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'answerGetParameter', priority: 'high' },
  );
  return { client, inputs };
}

/** SSM's own throttling error, as the SDK raises it once its retries are used up. */
export function ssmThrottling(): ThrottlingException {
  return new ThrottlingException({
    message: 'Rate exceeded',
    Message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });
}

/**
 * The most reads a failing SSM can see in `spanMs`, by the cache's back-off: after each failure, no read
 * until its window has passed, windows doubling from FIRST_BACKOFF_MS up to MAX_BACKOFF_MS.
 */
export function failedReadsWithin(spanMs: number): number {
  let reads = 1;
  let at = 0;
  for (let window = FIRST_BACKOFF_MS; at + window <= spanMs; window = Math.min(window * 2, MAX_BACKOFF_MS)) {
    at += window;
    reads += 1;
  }
  return reads;
}
