import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createCallStatusHandler } from '../lib/call-status-service';
import { LOCAL_ENGINES, type LocalEngine } from '../local/local-dynamodb';
import type { ServiceDefinition } from '../local/service-definition';
import { BrokenBenchmarkError } from './broken-benchmark-error';
import { type HandlerTarget, startBenchEngine } from './engine';
import { benchContext, freshBody, signedEvent } from './workload';

/** DynamoDB requests one kind of delivery costs, as the SDK sent them. */
export interface RoundTrips {
  /** The engine that answered (absent when measured on a target the caller made). */
  engine?: LocalEngine;
  delivery: string;
  status: number;
  requests: number;
  /** Operation names in the order they were sent, e.g. `PutItemCommand`. */
  operations: string[];
}

/** The delivery every engine must store in exactly one request. */
export const NEW_EVENT = 'new event';

/**
 * The round trips on every local engine, each started for this and stopped after: dynalite ignores
 * `ReturnValuesOnConditionCheckFailure`, DynamoDB Local honours it as DynamoDB does, so a duplicate costs
 * one request more on the first.
 */
export async function measureRoundTripsOnEngines(
  definition: ServiceDefinition,
  secret: string,
): Promise<RoundTrips[]> {
  const results: RoundTrips[] = [];
  for (const engine of LOCAL_ENGINES) {
    const bench = await startBenchEngine(definition, secret, engine);
    try {
      for (const trip of await measureRoundTrips(bench)) results.push({ engine, ...trip });
    } finally {
      await bench.close();
    }
  }
  return results;
}

/**
 * Counts the DynamoDB requests behind each kind of delivery with a middleware on the handler's own client,
 * in the finalize step after the retry middleware, so every HTTP request (retries included) is one count.
 * A new event must cost exactly one request: anything else is a defect, and the run fails.
 */
export async function measureRoundTrips(bench: HandlerTarget): Promise<RoundTrips[]> {
  const store = bench.newStore();
  let operations: string[] = [];
  store.doc.middlewareStack.add(
    (next, context) => async (args) => {
      operations.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'countRoundTrips' },
  );
  const handler = createCallStatusHandler({ env: bench.env, store });
  const secret = bench.env.FREECLIMB_SIGNING_SECRET as string;

  const count = async (delivery: string, event: APIGatewayProxyEventV2): Promise<RoundTrips> => {
    operations = [];
    const response = await handler(event, benchContext);
    return { delivery, status: response.statusCode ?? 0, requests: operations.length, operations };
  };

  const body = freshBody(0);
  const conflicting = Buffer.from(body.toString('utf8').replace(/"callDuration":\d+/, '"callDuration":9999'));
  const invalid = Buffer.from(body.toString('utf8').replace('"completed"', '"ringing"'));
  const forged = signedEvent(freshBody(2), 'sigsec_not_the_configured_secret');
  const results = [
    await count(NEW_EVENT, signedEvent(body, secret)),
    await count('duplicate (same body again)', signedEvent(body, secret)),
    await count('conflicting duplicate (same callId, other body)', signedEvent(conflicting, secret)),
    await count('rejected delivery (signed, invalid)', signedEvent(invalid, secret)),
    await count('forged delivery (bad signature)', forged),
  ];
  store.doc.destroy();

  const expectedStatus = [204, 204, 204, 422, 401];
  results.forEach((result, index) => {
    if (result.status !== expectedStatus[index]) {
      throw new BrokenBenchmarkError(
        `${result.delivery}: answered ${result.status}, expected ${expectedStatus[index]}`,
      );
    }
  });
  const fresh = results[0] as RoundTrips;
  if (fresh.requests !== 1) {
    throw new BrokenBenchmarkError(
      `A new event cost ${fresh.requests} DynamoDB requests (${fresh.operations.join(', ')}); it must cost exactly 1`,
    );
  }
  return results;
}
