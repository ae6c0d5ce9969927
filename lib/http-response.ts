import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InvalidPayloadError, WebhookError } from './errors';

/** FreeClimb ignores the body of the answer; an empty 204 says "stored" and nothing more. */
export const STORED: APIGatewayProxyStructuredResultV2 = { statusCode: 204 };

/**
 * The one place errors become HTTP answers. Only 4xx messages are shown to the caller (they describe the
 * request, never our internals); everything else is a bare status with a generic text.
 */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof WebhookError && error.statusCode < 500) {
    const issues = error instanceof InvalidPayloadError ? { issues: error.issues } : {};
    return json(error.statusCode, { message: error.message, ...issues });
  }
  if (error instanceof WebhookError) {
    return json(error.statusCode, { message: 'Service Unavailable' });
  }
  return json(500, { message: 'Internal Server Error' });
}

function json(statusCode: number, body: object): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
