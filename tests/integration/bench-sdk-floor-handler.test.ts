import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { handler } from '../../bench/sdk-floor-handler';
import { freshId, readCall, testStore } from '../support/webhook';

// The benchmark times the import of this handler as the floor of any SDK-based one. It is only a fair floor
// if it really does the function's one job: a write-once conditional PutItem into the calls table.

const store = testStore();

describe("the benchmark's SDK floor handler", () => {
  test('stores a new callId in the calls table', async () => {
    // Prepare
    const callId = freshId('CA');

    // Act
    const response = await handler({ callId });

    // Assess
    expect(response.statusCode).toBe(204);
    expect(await readCall(store, callId)).toEqual({ callId });
  });

  test('refuses to overwrite a stored callId', async () => {
    // Prepare
    const callId = freshId('CA');
    await handler({ callId });

    // Act
    const again = handler({ callId });

    // Assess
    await expect(again).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});
