import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocumentClient, createSsmClient } from './aws-clients';
import type { CallStore } from './call-store';
import { type Config, loadConfig } from './config';
import { countOutcome, createMetrics } from './delivery-metrics';
import { InvalidPayloadError, StoreUnavailableError, WebhookError } from './errors';
import { errorResponse, STORED } from './http-response';
import { maskAddress } from './phone-mask';
import { type ReceiveDependencies, receiveCallStatus } from './receive-call-status';
import { createSigningSecrets } from './signing-secrets';

/** The parts of a Lambda context the service uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export type CallStatusHandler = (
  event: APIGatewayProxyEventV2,
  context: InvocationContext,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ServiceOptions {
  env?: Record<string, string | undefined>;
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
  store?: CallStore;
}

/** Time kept back from the Lambda timeout to log and answer after giving up on DynamoDB. */
export const ANSWER_MARGIN_MS = 1000;

/**
 * Builds the webhook's handler once per container: config, clients and logger are created here, not per
 * request. A configuration error does not crash the container: every request then answers 503 and logs its
 * body, so nothing FreeClimb sent is lost while the deployment is being fixed.
 */
export function createCallStatusHandler(options: ServiceOptions = {}): CallStatusHandler {
  const logger = options.logger ?? new Logger();
  const metrics = options.metrics ?? createMetrics();
  const now = options.now ?? Date.now;
  let config: Config;
  try {
    config = loadConfig(options.env ?? process.env);
  } catch (error) {
    logger.error('Invalid configuration: every delivery will be answered 503', { error });
    return async (event) => {
      const failure = new StoreUnavailableError('The service is not configured', { cause: error });
      logFailure(logger, failure, event);
      countOutcome(metrics, failure.outcome);
      return errorResponse(failure);
    };
  }
  const store: CallStore = options.store ?? {
    doc: createDocumentClient(),
    callsTable: config.callsTable,
    rejectedTable: config.rejectedTable,
  };
  let ssm: SSMClient | undefined;
  const secrets =
    config.signing.kind === 'disabled'
      ? undefined
      : createSigningSecrets(config.signing, () => (ssm ??= createSsmClient()), now);
  if (secrets === undefined) {
    logger.warn('Signature verification is switched off (local development only)');
  }

  return async (event, context) => {
    const deadline = startDeadline(context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS);
    const deps: ReceiveDependencies = {
      store,
      secrets,
      toleranceSeconds: config.toleranceSeconds,
      retentionDays: config.retentionDays,
      maxBodyBytes: config.maxBodyBytes,
      abortSignal: deadline.signal,
    };
    try {
      const receipt = await receiveCallStatus(
        {
          headers: event.headers ?? {},
          body: event.body,
          isBase64Encoded: event.isBase64Encoded,
          receivedAtMs: now(),
        },
        deps,
      );
      const { payload } = receipt;
      logger.info('Delivery stored', {
        outcome: receipt.outcome,
        status: STORED.statusCode,
        callId: payload.callId,
        parentCallId: payload.parentCallId ?? undefined,
        callStatus: payload.callStatus,
        from: maskAddress(payload.from),
        to: maskAddress(payload.to),
        rejectionId: receipt.rejectionId,
      });
      countOutcome(metrics, receipt.outcome);
      return STORED;
    } catch (error) {
      logFailure(logger, error, event);
      countOutcome(metrics, outcomeOf(error));
      return errorResponse(error);
    } finally {
      deadline.clear();
    }
  };
}

/**
 * An abort signal that fires after `ms` (at least 1), like `AbortSignal.timeout`, but whose timer is cleared
 * as soon as the request is answered. `AbortSignal.timeout` leaves each timer pending for the rest of the
 * Lambda timeout: under load the benchmark measured that backlog at ~10% of the write path's throughput.
 */
function startDeadline(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    Math.max(ms, 1),
  );
  // Like AbortSignal.timeout's own timer: never what keeps a process alive.
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** One line per refused delivery; server-side failures carry the raw body so the delivery can be replayed. */
function logFailure(logger: Logger, error: unknown, event: APIGatewayProxyEventV2): void {
  if (error instanceof WebhookError && error.statusCode < 500) {
    logger.warn('Delivery refused', {
      outcome: error.outcome,
      status: error.statusCode,
      reason: error.message,
      issues: error instanceof InvalidPayloadError ? error.issues : undefined,
      callId: error.callId,
      rejectionId: error.rejectionId,
    });
    return;
  }
  logger.error('Delivery not stored: replay it from this line', {
    outcome: outcomeOf(error),
    status: errorResponse(error).statusCode,
    error,
    rawBody: event.body,
    isBase64Encoded: event.isBase64Encoded,
  });
}

function outcomeOf(error: unknown): string {
  return error instanceof WebhookError ? error.outcome : 'internal-error';
}
