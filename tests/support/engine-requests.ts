import { Readable } from 'node:stream';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One DynamoDB request as it went over the wire: its operation and its JSON body. */
export interface SentRequest {
  /** The operation from the `X-Amz-Target` header, e.g. `PutItem`. */
  operation: string;
  body: Record<string, unknown>;
}

/**
 * Records every DynamoDB request a client really sends, one per attempt, as serialised for the engine:
 * the capture sits below the SDK's retries and serializer, next to the transport, so it sees exactly what
 * the engine receives and changes nothing.
 */
export function recordSentRequests(doc: DynamoDBDocumentClient): SentRequest[] {
  const sent: SentRequest[] = [];
  atTransport(doc, 'recordSentRequests', (request, send) => {
    sent.push(request);
    return send();
  });
  return sent;
}

/**
 * Answers every attempt that `matches` with DynamoDB's own HTTP 500 `InternalServerError`, below the SDK's
 * retries and deserializer: the SDK retries it and finally fails exactly as it would against a sick
 * DynamoDB. Other requests reach the engine. Returns how many attempts were refused.
 */
export function refuseRequests(
  doc: DynamoDBDocumentClient,
  matches: (request: SentRequest) => boolean,
): { refused(): number } {
  let refused = 0;
  atTransport(doc, 'refuseRequests', (request, send) => {
    if (!matches(request)) return send();
    refused += 1;
    const body = JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
      message: 'Internal server error',
    });
    return Promise.resolve({
      output: undefined,
      response: {
        statusCode: 500,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: Readable.from([Buffer.from(body)]),
      },
    });
  });
  return { refused: () => refused };
}

/** Adds a step that sees each attempt as it is about to go over the wire, below retries and deserializer. */
function atTransport(
  doc: DynamoDBDocumentClient,
  name: string,
  step: (request: SentRequest, send: () => Promise<unknown>) => Promise<unknown>,
): void {
  // Typed loosely: the stack's generics are the SDK's internals; the shapes used here are its public contract.
  const middleware =
    (next: (args: unknown) => Promise<unknown>) =>
    async (args: unknown): Promise<unknown> => {
      const request = (args as { request?: { headers?: Record<string, string>; body?: unknown } }).request;
      const target = request?.headers?.['x-amz-target'] ?? '';
      const sent = {
        operation: target.slice(target.indexOf('.') + 1),
        body: JSON.parse(bodyText(request?.body)),
      };
      return step(sent, () => next(args));
    };
  doc.middlewareStack.addRelativeTo(middleware as never, {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name,
  });
}

/** The serialised body as text, whichever form the serializer left it in. */
function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  // Decoded as bytes: the SDK's byte body warns when string methods are called on it.
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  throw new Error(`Unexpected DynamoDB request body: ${typeof body}`);
}
