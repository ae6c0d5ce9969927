import { handlerTarget } from '../../bench/engine';
import { measureRoundTrips } from '../../bench/round-trips';
import { benchSecret } from '../../bench/workload';
import { cachedServiceDefinition } from '../../local/service-definition-cache';

// The production duplicate path: DynamoDB returns the stored item with the failed condition
// (ReturnValuesOnConditionCheckFailure: ALL_OLD), so the store needs no read. dynalite ignores that option
// and only ever exercises the GetItem fallback. Requests are counted by a middleware on the handler's own
// client after the retry step: every HTTP request that reaches the engine is one count.

test('on DynamoDB Local a duplicate costs one request and a conflicting one two', async () => {
  // Prepare
  const definition = await cachedServiceDefinition('test');
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB as string;
  const target = handlerTarget(definition, benchSecret(), endpoint);

  // Act
  const trips = await measureRoundTrips(target);

  // Assess
  const byDelivery = Object.fromEntries(
    trips.map((trip) => [trip.delivery, [trip.status, trip.operations.join(', ')]]),
  );
  expect(byDelivery).toEqual({
    'new event': [204, 'PutItemCommand'],
    'duplicate (same body again)': [204, 'PutItemCommand'],
    'conflicting duplicate (same callId, other body)': [204, 'PutItemCommand, PutItemCommand'],
    'rejected delivery (signed, invalid)': [422, 'PutItemCommand'],
    'forged delivery (bad signature)': [401, ''],
  });
});
