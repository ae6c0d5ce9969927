import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createCallStatusHandler } from '../lib/call-status-service';

/** Built once per container: configuration, DynamoDB and SSM clients, logger. */
const handleCallStatus = createCallStatusHandler();

/** POST /freeclimb/call-status: FreeClimb's callStatus webhook (API Gateway HTTP API, payload 2.0). */
export const handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => handleCallStatus(event, context);
