import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Lets a test change the engine's real ConditionalCheckFailedException before the store sees it: drop the
 * stored item it carries (as an engine without `ReturnValuesOnConditionCheckFailure` answers), or attach it
 * (as DynamoDB does), so both paths of a conditional write run on either local engine.
 */
export function onConditionFailure(
  doc: DynamoDBDocumentClient,
  change: (error: ConditionalCheckFailedException) => void | Promise<void>,
): void {
  doc.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) await change(error);
        throw error;
      }
    },
    { step: 'initialize', name: 'changeConditionFailure' },
  );
}
