import {
  ConfigError,
  InvalidPayloadError,
  PayloadTooLargeError,
  SignatureError,
  StoreUnavailableError,
  UnverifiedRequestError,
  WebhookError,
} from '../../lib/errors';
import { errorResponse, STORED } from '../../lib/http-response';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('errorResponse', () => {
  test('an unexpected error that is no WebhookError is a 500 that tells nothing of it', () => {
    // Prepare
    const error = new TypeError("Cannot read properties of undefined (reading 'callId')");

    // Act
    const response = errorResponse(error);

    // Assess
    expect(response).toEqual({
      statusCode: 500,
      headers: JSON_HEADERS,
      body: '{"message":"Internal Server Error"}',
    });
  });

  test.each([
    ['a ConfigError', new ConfigError('CALLS_TABLE is not set')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('%s is a 500 too', (_name, error) => {
    // Act
    const response = errorResponse(error);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"message":"Internal Server Error"}');
  });

  test('a 4xx shows its own message, which describes the request', () => {
    // Prepare
    const error = new SignatureError('mismatch', 'FreeClimb-Signature does not match the request body');

    // Act
    const response = errorResponse(error);

    // Assess
    expect(response).toEqual({
      statusCode: 401,
      headers: JSON_HEADERS,
      body: '{"message":"FreeClimb-Signature does not match the request body"}',
    });
  });

  test('a 422 lists its issues; other 4xx carry no issues key', () => {
    // Prepare
    const invalid = new InvalidPayloadError([{ path: 'callStatus', message: 'must be one of: completed' }]);
    const tooLarge = new PayloadTooLargeError('The body is larger than 65536 bytes');

    // Act
    const invalidResponse = errorResponse(invalid);
    const tooLargeResponse = errorResponse(tooLarge);

    // Assess
    expect(invalidResponse.statusCode).toBe(422);
    expect(JSON.parse(invalidResponse.body ?? '')).toEqual({
      message: 'The body is not a valid FreeClimb callStatus webhook',
      issues: [{ path: 'callStatus', message: 'must be one of: completed' }],
    });
    expect(tooLargeResponse).toEqual({
      statusCode: 413,
      headers: JSON_HEADERS,
      body: '{"message":"The body is larger than 65536 bytes"}',
    });
  });

  test.each([
    ['a store failure', new StoreUnavailableError('Could not store the call record in calls-prod')],
    ['an unverified request', new UnverifiedRequestError('No signing secret in /freeclimb/prod/secret')],
  ])('%s is a bare 503 that never shows our internals', (_name, error) => {
    // Act
    const response = errorResponse(error);

    // Assess
    expect(response).toEqual({
      statusCode: 503,
      headers: JSON_HEADERS,
      body: '{"message":"Service Unavailable"}',
    });
  });

  test('only a 4xx shows its message: a WebhookError of status 500 is answered with the generic text', () => {
    // Prepare
    class ServerSideError extends WebhookError {
      readonly statusCode = 500;
      readonly outcome = 'server-side';
    }

    // Act
    const response = errorResponse(new ServerSideError('table calls-prod: internal detail'));

    // Assess
    expect(response).toEqual({
      statusCode: 500,
      headers: JSON_HEADERS,
      body: '{"message":"Service Unavailable"}',
    });
  });
});

test('a stored delivery is answered 204 with no body', () => {
  // Assess
  expect(STORED).toEqual({ statusCode: 204 });
});
