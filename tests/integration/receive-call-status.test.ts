import type { WebhookError } from '../../lib/errors';
import { receiveCallStatus } from '../../lib/receive-call-status';
import {
  bodyFixture,
  clockAt,
  readCall,
  signedEvent,
  TEST_SECRET,
  testStore,
  withFreshIds,
} from '../support/webhook';

// receiveCallStatus as other callers than the webhook's service would use it: only what it requires.

const store = testStore();

test('stores a signed delivery when the caller asks for no onVerified callback and no deadline', async () => {
  // Prepare
  const body = withFreshIds(bodyFixture('completed-inbound'));
  const event = signedEvent(body);

  // Act
  const receipt = await receiveCallStatus(
    { headers: event.headers, body: event.body, isBase64Encoded: false, receivedAtMs: clockAt(2)() },
    {
      store,
      secrets: async () => [TEST_SECRET],
      toleranceSeconds: 300,
      retentionDays: 0,
      maxBodyBytes: 65536,
    },
  );

  // Assess
  expect(receipt.outcome).toBe('stored');
  expect((await readCall(store, receipt.payload.callId))?.rawBody).toBe(body.toString('utf8'));
});

describe('an authentic delivery received again at the same instant (as `recover` runs a line twice)', () => {
  const deps = {
    store,
    secrets: async () => [TEST_SECRET],
    toleranceSeconds: 300,
    retentionDays: 0,
    maxBodyBytes: 65536,
  };
  const requestOf = (body: Buffer) => {
    const event = signedEvent(body);
    return { headers: event.headers, body: event.body, isBase64Encoded: false, receivedAtMs: clockAt(2)() };
  };

  test('an invalid one is kept in the rejected table once, and the second time says it was already there', async () => {
    // Prepare
    const body = Buffer.from(
      withFreshIds(bodyFixture('completed-inbound')).toString('utf8').replace('"completed"', '"ringing"'),
    );

    // Act
    const errors: WebhookError[] = [];
    for (let run = 0; run < 2; run += 1) {
      errors.push(
        await receiveCallStatus(requestOf(body), deps).then(
          () => {
            throw new Error('an invalid body was stored');
          },
          (error: WebhookError) => error,
        ),
      );
    }

    // Assess
    expect(errors.map((error) => [error.statusCode, error.keptBefore])).toEqual([
      [422, false],
      [422, true],
    ]);
    expect(errors[1]?.rejectionId).toBe(errors[0]?.rejectionId);
  });

  test('a conflicting one is kept once, and the second receipt says it was already there', async () => {
    // Prepare
    const stored = withFreshIds(bodyFixture('completed-inbound'));
    await receiveCallStatus(requestOf(stored), deps);
    const differing = Buffer.from(stored.toString('utf8').replace('"callDuration":47', '"callDuration":48'));

    // Act
    const first = await receiveCallStatus(requestOf(differing), deps);
    const second = await receiveCallStatus(requestOf(differing), deps);

    // Assess
    expect([first.outcome, first.keptBefore, second.outcome, second.keptBefore]).toEqual([
      'conflict',
      false,
      'conflict',
      true,
    ]);
    expect(second.rejectionId).toBe(first.rejectionId);
  });
});
