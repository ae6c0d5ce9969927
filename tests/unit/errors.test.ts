import {
  ConfigError,
  InvalidPayloadError,
  MalformedBodyError,
  messageOf,
  PayloadTooLargeError,
  SignatureError,
  StoreUnavailableError,
  UnsupportedMediaTypeError,
  UnverifiedRequestError,
  type WebhookError,
} from '../../lib/errors';

// The outcome names are what logs and metrics count (lib/delivery-metrics.ts maps them to metric names,
// the alarm sums those): each is written out here, so renaming one is a decision, not an accident.

describe('webhook errors', () => {
  // Each error is made inside its test, not when the file loads: a mutation run counts what a test runs.
  test.each<[string, () => WebhookError, number, string]>([
    ['SignatureError', () => new SignatureError('mismatch', 'x'), 401, 'unauthorized'],
    ['PayloadTooLargeError', () => new PayloadTooLargeError('x'), 413, 'too-large'],
    ['UnsupportedMediaTypeError', () => new UnsupportedMediaTypeError('x'), 415, 'unsupported-media-type'],
    ['MalformedBodyError', () => new MalformedBodyError('x'), 400, 'malformed'],
    ['InvalidPayloadError', () => new InvalidPayloadError([]), 422, 'invalid'],
    ['StoreUnavailableError', () => new StoreUnavailableError('x'), 503, 'store-failed'],
    ['UnverifiedRequestError', () => new UnverifiedRequestError('x'), 503, 'unverified'],
  ])('%s answers %i and is counted as %s', (name, make, statusCode, outcome) => {
    // Act
    const error = make();

    // Assess
    expect({ name: error.name, statusCode: error.statusCode, outcome: error.outcome }).toEqual({
      name,
      statusCode,
      outcome,
    });
  });

  test('keeps its cause', () => {
    // Prepare
    const cause = new Error('ProvisionedThroughputExceededException');

    // Act
    const error = new StoreUnavailableError('Could not store the call record', { cause });

    // Assess
    expect(error.cause).toBe(cause);
  });
});

test('a ConfigError is named so in logs and keeps its cause', () => {
  // Prepare
  const cause = new Error('AccessDeniedException');

  // Act
  const error = new ConfigError('CALLS_TABLE is not set', { cause });

  // Assess
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe('ConfigError');
  expect(error.cause).toBe(cause);
});

describe('messageOf', () => {
  test.each<[string, unknown, string]>([
    ['an Error, its message alone', new TypeError('socket hang up'), 'socket hang up'],
    ['a thrown string, as it is', 'not JSON', 'not JSON'],
    ['anything else, as text', 42, '42'],
    ['undefined', undefined, 'undefined'],
  ])('%s', (_name, thrown, message) => {
    // Act
    const text = messageOf(thrown);

    // Assess
    expect(text).toBe(message);
  });
});
