import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EnrichmentQueue } from './enrichment-batch';

/** SQS's longest message delay (DelaySeconds): a retry further away is sent at this delay. */
export const SQS_MAX_DELAY_SECONDS = 900;

/** The message attribute that carries why a job was retried or dead-lettered (also in a dead letter's body). */
export const REASON_ATTRIBUTE = 'reason';

/** The message attribute naming the call, when the input names one (to find a dead letter by call). */
export const CALL_ID_ATTRIBUTE = 'callId';

/** SQS caps a message attribute's value with the message; a reason is a sentence, this keeps it one. */
const MAX_REASON_LENGTH = 1000;

/** The two queues of the enricher, by URL (`Ref` of an `AWS::SQS::Queue`). */
export interface EnrichmentQueueUrls {
  retryQueueUrl: string;
  deadLetterQueueUrl: string;
}

/**
 * What the dead-letter queue holds for a job the enricher gave up on: why, and the job (parsed from its JSON
 * when the input was a message body, as it came otherwise).
 */
export interface DeadLetter {
  reason: string;
  job: unknown;
}

/**
 * The enricher's queue on SQS: a retry is a new message on the retry queue whose body is the next job's
 * JSON, delayed by the backoff (`DelaySeconds`, at most {@link SQS_MAX_DELAY_SECONDS}); a dead letter is a
 * message on the dead-letter queue with the reason in its body and as the `reason` attribute. A failed
 * SendMessage rejects, so the batch reports the item and the trigger delivers it again.
 */
export function createSqsEnrichmentQueue(
  sqs: SQSClient,
  urls: EnrichmentQueueUrls,
  options: { abortSignal?: AbortSignal } = {},
): EnrichmentQueue {
  const send = async (command: SendMessageCommand) => {
    await sqs.send(command, { abortSignal: options.abortSignal });
  };
  return {
    retryLater: (job, delaySeconds, reason) =>
      send(
        new SendMessageCommand({
          QueueUrl: urls.retryQueueUrl,
          MessageBody: JSON.stringify(job),
          DelaySeconds: Math.min(Math.max(Math.ceil(delaySeconds), 0), SQS_MAX_DELAY_SECONDS),
          MessageAttributes: attributes(reason, job.callId),
        }),
      ),
    deadLetter: (input, reason) => {
      const job = parsedJob(input);
      const letter: DeadLetter = { reason, job };
      return send(
        new SendMessageCommand({
          QueueUrl: urls.deadLetterQueueUrl,
          MessageBody: JSON.stringify(letter),
          MessageAttributes: attributes(reason, callIdOf(job)),
        }),
      );
    },
  };
}

function attributes(reason: string, callId: string | undefined) {
  const text = (value: string) => ({ DataType: 'String', StringValue: value });
  return {
    [REASON_ATTRIBUTE]: text(reason.slice(0, MAX_REASON_LENGTH)),
    ...(callId === undefined ? {} : { [CALL_ID_ATTRIBUTE]: text(callId) }),
  };
}

/** A message body's JSON as a value; text that is not JSON (a poison message) stays text. */
function parsedJob(input: unknown): unknown {
  // Stryker disable next-line ConditionalExpression: JSON.parse of a job object (never an array) throws, and the catch returns it as well
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function callIdOf(job: unknown): string | undefined {
  const callId = (job as { callId?: unknown } | null)?.callId;
  // SQS refuses an empty attribute value.
  return typeof callId === 'string' && callId !== '' ? callId : undefined;
}
