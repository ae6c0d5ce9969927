import { DEFAULT_FREECLIMB_API_URL, loadEnricherConfig } from '../../lib/enricher-config';
import { ConfigError } from '../../lib/errors';

type Env = Record<string, string | undefined>;

const BASE_ENV: Env = {
  CALLS_TABLE: 'calls-dev',
  FREECLIMB_API_KEY_PARAMETER: '/freeclimb-call-records/dev/api-key',
};

function configErrorFor(env: Env): ConfigError {
  try {
    loadEnricherConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('loadEnricherConfig', () => {
  test('the defaults: FreeClimb’s API, 5 s per request, 30 s doubling to 900 s, 24 h, three 404s, a 5-minute pause', () => {
    // Prepare
    const env = { ...BASE_ENV };

    // Act
    const config = loadEnricherConfig(env);

    // Assess
    expect(config).toEqual({
      callsTable: 'calls-dev',
      api: { baseUrl: 'https://www.freeclimb.com/apiserver', timeoutMs: 5000 },
      apiKey: { kind: 'ssm', parameterName: '/freeclimb-call-records/dev/api-key' },
      retry: { baseSeconds: 30, maxSeconds: 900, giveUpAfterMs: 24 * 3_600_000, notFoundAttempts: 3 },
      authPauseMs: 300_000,
    });
    expect(DEFAULT_FREECLIMB_API_URL).toBe('https://www.freeclimb.com/apiserver');
  });

  test('reads every setting it is given (a local run: key in the environment, a fake on loopback)', () => {
    // Prepare
    const env: Env = {
      CALLS_TABLE: ' calls-local ',
      FREECLIMB_API_KEY: ' key_local ',
      FREECLIMB_API_URL: 'http://127.0.0.1:4010/apiserver/',
      ENRICH_TIMEOUT_MS: '800',
      ENRICH_RETRY_BASE_SECONDS: '1',
      ENRICH_RETRY_MAX_SECONDS: '20',
      ENRICH_GIVE_UP_HOURS: '2',
      ENRICH_NOT_FOUND_ATTEMPTS: '5',
      ENRICH_AUTH_PAUSE_SECONDS: '0',
    };

    // Act
    const config = loadEnricherConfig(env);

    // Assess
    expect(config).toEqual({
      callsTable: 'calls-local',
      api: { baseUrl: 'http://127.0.0.1:4010/apiserver', timeoutMs: 800 },
      apiKey: { kind: 'environment', apiKey: 'key_local' },
      retry: { baseSeconds: 1, maxSeconds: 20, giveUpAfterMs: 2 * 3_600_000, notFoundAttempts: 5 },
      authPauseMs: 0,
    });
  });

  test.each([
    ['an https URL with a port and no path', 'https://api.example.com:8443', 'https://api.example.com:8443'],
    ['http to localhost', 'http://localhost:4010/apiserver', 'http://localhost:4010/apiserver'],
    ['http to ::1', 'http://[::1]:4010/apiserver//', 'http://[::1]:4010/apiserver'],
    ['a blank value (the default)', '  ', 'https://www.freeclimb.com/apiserver'],
  ])('takes %s', (_name, url, baseUrl) => {
    // Prepare
    const env = { ...BASE_ENV, FREECLIMB_API_URL: url };

    // Act
    const config = loadEnricherConfig(env);

    // Assess
    expect(config.api.baseUrl).toBe(baseUrl);
  });

  test('inside AWS Lambda takes https', () => {
    // Prepare
    const env = {
      ...BASE_ENV,
      AWS_LAMBDA_FUNCTION_NAME: 'enrich',
      FREECLIMB_API_URL: 'https://proxy.example.com/fc',
    };

    // Act
    const config = loadEnricherConfig(env);

    // Assess
    expect(config.api.baseUrl).toBe('https://proxy.example.com/fc');
  });

  test.each([
    ['plain http to another host', 'http://www.freeclimb.com/apiserver'],
    ['http to a private address', 'http://10.0.0.5/apiserver'],
    ['http to a name that starts like localhost', 'http://localhost.example.com/apiserver'],
    ['another scheme', 'ftp://127.0.0.1/apiserver'],
    ['no URL at all', 'freeclimb'],
  ])('refuses %s, naming FREECLIMB_API_URL', (_name, url) => {
    // Prepare
    const env = { ...BASE_ENV, FREECLIMB_API_URL: url };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe(
      'FREECLIMB_API_URL must be an https URL, or http to 127.0.0.1, localhost or [::1]',
    );
  });

  test('refuses http even to loopback inside AWS Lambda', () => {
    // Prepare
    const env = {
      ...BASE_ENV,
      AWS_LAMBDA_FUNCTION_NAME: 'enrich',
      FREECLIMB_API_URL: 'http://127.0.0.1:4010',
    };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe('FREECLIMB_API_URL must be an https URL');
  });

  test.each([
    ['credentials', 'https://AC123:secret@api.example.com'],
    ['only a user', 'https://AC123@api.example.com'],
    ['only a password', 'https://:secret@api.example.com'],
    ['a query', 'https://api.example.com/apiserver?debug=1'],
    ['a fragment', 'https://api.example.com/apiserver#x'],
  ])('refuses a URL with %s, and the error does not repeat it', (_name, url) => {
    // Prepare
    const env = { ...BASE_ENV, FREECLIMB_API_URL: url };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe(
      'FREECLIMB_API_URL must hold no credentials, query or fragment: the key comes from its own setting',
    );
    expect(error.message).not.toContain('secret');
  });

  test('refuses both key sources at once, naming both', () => {
    // Prepare
    const env = { ...BASE_ENV, FREECLIMB_API_KEY: 'key_local' };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe(
      'Set only one of FREECLIMB_API_KEY_PARAMETER (SSM, in AWS) and FREECLIMB_API_KEY (local)',
    );
  });

  test.each([
    ['neither', {}],
    ['blank ones', { FREECLIMB_API_KEY_PARAMETER: ' ', FREECLIMB_API_KEY: ' ' }],
  ])('refuses %s key source, naming the parameter setting', (_name, keys) => {
    // Prepare
    const env = { CALLS_TABLE: 'calls-dev', ...keys };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe(
      'FREECLIMB_API_KEY_PARAMETER is not set: name the SSM parameter holding the FreeClimb API key ' +
        '(or set FREECLIMB_API_KEY when running locally)',
    );
  });

  test('refuses a key in the environment inside AWS Lambda', () => {
    // Prepare
    const env = {
      CALLS_TABLE: 'calls-dev',
      FREECLIMB_API_KEY: 'key_local',
      AWS_LAMBDA_FUNCTION_NAME: 'enrich',
    };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe(
      'FREECLIMB_API_KEY cannot be used inside AWS Lambda: use FREECLIMB_API_KEY_PARAMETER',
    );
  });

  test('refuses a missing calls table, naming it', () => {
    // Prepare
    const env = { ...BASE_ENV, CALLS_TABLE: undefined };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe('CALLS_TABLE is not set: it must hold the name of the calls table');
  });

  test.each([
    ['ENRICH_RETRY_BASE_SECONDS', '0', 'from 1 to 900'],
    ['ENRICH_RETRY_BASE_SECONDS', '901', 'from 1 to 900'],
    ['ENRICH_RETRY_MAX_SECONDS', '901', 'from 1 to 900'],
    ['ENRICH_RETRY_MAX_SECONDS', '0', 'from 1 to 900'],
    ['ENRICH_GIVE_UP_HOURS', '0', 'from 1 to 336'],
    ['ENRICH_GIVE_UP_HOURS', '337', 'from 1 to 336'],
    ['ENRICH_TIMEOUT_MS', '99', 'from 100 to 30000'],
    ['ENRICH_TIMEOUT_MS', '30001', 'from 100 to 30000'],
    ['ENRICH_NOT_FOUND_ATTEMPTS', '0', 'from 1 to 10'],
    ['ENRICH_NOT_FOUND_ATTEMPTS', '11', 'from 1 to 10'],
    ['ENRICH_AUTH_PAUSE_SECONDS', '3601', 'from 0 to 3600'],
    ['ENRICH_AUTH_PAUSE_SECONDS', '-1', 'from 0 to 3600'],
  ])('refuses %s=%s, naming it and its range', (name, value, range) => {
    // Prepare
    const env = { ...BASE_ENV, [name]: value };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe(`${name} must be a whole number ${range}`);
  });

  test.each([
    ['ENRICH_RETRY_BASE_SECONDS', '900', 'ENRICH_RETRY_MAX_SECONDS', '900'],
    ['ENRICH_GIVE_UP_HOURS', '336', 'ENRICH_TIMEOUT_MS', '30000'],
    ['ENRICH_NOT_FOUND_ATTEMPTS', '10', 'ENRICH_AUTH_PAUSE_SECONDS', '3600'],
  ])('takes the upper bounds %s=%s and %s=%s', (first, firstValue, second, secondValue) => {
    // Prepare
    const env = { ...BASE_ENV, [first]: firstValue, [second]: secondValue };

    // Act
    const load = () => loadEnricherConfig(env);

    // Assess
    expect(load).not.toThrow();
  });

  test('refuses a longest wait below the first one, naming both', () => {
    // Prepare
    const env = { ...BASE_ENV, ENRICH_RETRY_BASE_SECONDS: '60', ENRICH_RETRY_MAX_SECONDS: '59' };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe('ENRICH_RETRY_MAX_SECONDS must be at least ENRICH_RETRY_BASE_SECONDS');
  });

  test('takes a longest wait equal to the first one', () => {
    // Prepare
    const env = { ...BASE_ENV, ENRICH_RETRY_BASE_SECONDS: '60', ENRICH_RETRY_MAX_SECONDS: '60' };

    // Act
    const config = loadEnricherConfig(env);

    // Assess
    expect(config.retry).toMatchObject({ baseSeconds: 60, maxSeconds: 60 });
  });
});
