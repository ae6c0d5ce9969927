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
