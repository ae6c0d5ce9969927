import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocumentClient, createSsmClient } from './aws-clients';
import type { CallStore } from './call-store';
import { type Config, loadConfig } from './config';
import { countOutcome, createMetrics } from './delivery-metrics';
import { InvalidPayloadError, UnverifiedRequestError, WebhookError } from './errors';
import { errorResponse, STORED } from './http-response';
import { maskAddress } from './phone-mask';
import { type ReceiveDependencies, receiveCallStatus } from './receive-call-status';
import { SIGNATURE_HEADER } from './signature';
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
  /** The client that reads the signing-secret parameter; a bounded SDK client when absent. */
  ssm?: SSMClient;
}

/**
 * The message of a 503's log line: one for a delivery whose signature held, one for a request nobody could
 * check. `freeclimb-records recover` finds them by these words and verifies either kind again itself.
 */
export const NOT_STORED_MESSAGES = {
  verified: 'Delivery not stored: recover it from this line',
  unverified: 'Request not verified, not stored',
} as const;

/** Time kept back from the Lambda timeout to log and answer after giving up on DynamoDB. */
export const ANSWER_MARGIN_MS = 1000;

/**
 * Builds the webhook's handler once per container: config, clients and logger are created here, not per
 * request. A configuration error does not crash the container: every request then answers 503 and is logged
 * as not verified, with its body and signature, so `freeclimb-records recover` can keep the authentic ones
 * once the deployment is fixed.
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
      const receivedAtMs = now();
      const failure = new UnverifiedRequestError('The service is not configured', { cause: error });
      logFailure(logger, failure, event, { receivedAtMs, verified: false });
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
      : createSigningSecrets(config.signing, () => (ssm ??= options.ssm ?? createSsmClient()), now, logger);
  if (secrets === undefined) {
    logger.warn('Signature verification is switched off (local development only)');
  }

  return async (event, context) => {
    const deadline = startDeadline(context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS);
    const check = { receivedAtMs: now(), verified: false };
    const deps: ReceiveDependencies = {
      store,
      secrets,
      toleranceSeconds: config.toleranceSeconds,
      retentionDays: config.retentionDays,
      maxBodyBytes: config.maxBodyBytes,
      abortSignal: deadline.signal,
      onVerified: () => {
        check.verified = true;
      },
    };
    try {
      const receipt = await receiveCallStatus(
        {
          headers: event.headers ?? {},
          body: event.body,
          isBase64Encoded: event.isBase64Encoded,
          receivedAtMs: check.receivedAtMs,
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
      logFailure(logger, error, event, check);
      countOutcome(metrics, outcomeOf(error));
      return errorResponse(error);
    } finally {
      // Stryker disable next-line CallExpression: the timer is unref'd and its abort reaches nothing once answered; clearing it is for throughput (see startDeadline)
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
  // Stryker disable next-line CallExpression: every request clears its timer once answered, so no test can see it keep a process alive
  timer.unref();
  // Stryker disable next-line ArrowFunction: the timer is unref'd and its abort reaches nothing once answered; clearing it is for throughput
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * One line per refused delivery. A server-side failure's line is the delivery's last copy, so it carries what
 * `freeclimb-records recover` needs to check it again and keep it only if it is authentic: the body exactly as
 * API Gateway handed it over, the signature header as received and the receive time. `verified` says whether
 * the signature was checked; an unverified line is worded apart, so no one mistakes it for a lost delivery.
 */
function logFailure(
  logger: Logger,
  error: unknown,
  event: APIGatewayProxyEventV2,
  check: { receivedAtMs: number; verified: boolean },
): void {
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
  logger.error(check.verified ? NOT_STORED_MESSAGES.verified : NOT_STORED_MESSAGES.unverified, {
    outcome: outcomeOf(error),
    status: errorResponse(error).statusCode,
    verified: check.verified,
    error,
    receivedAt: new Date(check.receivedAtMs).toISOString(),
    signature: event.headers?.[SIGNATURE_HEADER],
    contentType: event.headers?.['content-type'],
    rawBody: event.body,
    isBase64Encoded: event.isBase64Encoded,
  });
}

function outcomeOf(error: unknown): string {
  return error instanceof WebhookError ? error.outcome : 'internal-error';
}
