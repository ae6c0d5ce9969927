import type { CallRecord } from '../../lib/call-record';
import { createCallStatusHandler } from '../../lib/call-status-service';
import { bodyFixture, freshId, lambdaContext, readCall, signedEvent, testEnv, testStore } from './webhook';

/**
 * Stores a call record the way production does, through the real webhook handler with a signed delivery of
 * a fixture body (fresh call and account ids unless given), and returns the item as the table holds it; in
 * `callsTable` when given (a copy of the test table), else the test table.
 */
export async function storeCall(
  fields: { callId?: string; accountId?: string } = {},
  fixture = 'completed-inbound',
  callsTable?: string,
): Promise<CallRecord> {
  const callId = fields.callId ?? freshId('CA');
  const accountId = fields.accountId ?? freshId('AC');
  const body = { ...JSON.parse(bodyFixture(fixture).toString('utf8')), callId, accountId };
  const nowMs = Date.now();
  const handle = createCallStatusHandler({
    env: testEnv(callsTable === undefined ? {} : { CALLS_TABLE: callsTable }),
    now: () => nowMs,
  });
  const response = await handle(
    signedEvent(JSON.stringify(body), { signedAt: Math.floor(nowMs / 1000) }),
    lambdaContext,
  );
  if (response.statusCode !== 204) {
    throw new Error(`The webhook answered ${response.statusCode} while storing ${callId}`);
  }
  const store = testStore();
  const record = await readCall({ ...store, callsTable: callsTable ?? store.callsTable }, callId);
  if (record === undefined) throw new Error(`${callId} was answered 204 but is not stored`);
  return record;
}
