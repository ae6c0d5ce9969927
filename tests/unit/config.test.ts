import { loadConfig, VERIFICATION_DISABLED } from '../../lib/config';
import { ConfigError } from '../../lib/errors';

type Env = Record<string, string | undefined>;

const BASE_ENV: Env = {
  CALLS_TABLE: 'calls-dev',
  REJECTED_TABLE: 'rejected-dev',
  FREECLIMB_SIGNING_SECRET_PARAMETER: '/freeclimb/dev/signing-secret',
};

function configErrorFor(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('loadConfig', () => {
  test('uses the defaults: 5 minutes tolerance, keep forever, 64 KiB bodies', () => {
    // Prepare
    const env = { ...BASE_ENV };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toEqual({
      callsTable: 'calls-dev',
      rejectedTable: 'rejected-dev',
      signing: { kind: 'ssm', parameterName: '/freeclimb/dev/signing-secret' },
      toleranceSeconds: 5 * 60,
      retentionDays: 0,
      maxBodyBytes: 64 * 1024,
    });
  });

  test('reads the numbers it is given', () => {
    // Prepare
    const env = {
      ...BASE_ENV,
      SIGNATURE_TOLERANCE_SECONDS: '120',
      RETENTION_DAYS: '90',
      MAX_BODY_BYTES: '8192',
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toMatchObject({ toleranceSeconds: 120, retentionDays: 90, maxBodyBytes: 8192 });
  });

  test.each([
    ['CALLS_TABLE', undefined],
    ['CALLS_TABLE', ''],
    ['CALLS_TABLE', '   '],
    ['REJECTED_TABLE', undefined],
    ['REJECTED_TABLE', ''],
  ])('refuses %s set to %p, naming it', (name, value) => {
    // Prepare
    const env = { ...BASE_ENV, [name]: value };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toContain(name);
  });

  test('refuses both secret sources at once, naming both', () => {
    // Prepare
    const env = { ...BASE_ENV, FREECLIMB_SIGNING_SECRET: 'sigsec_local' };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toContain('FREECLIMB_SIGNING_SECRET_PARAMETER');
    expect(error.message).toMatch(/FREECLIMB_SIGNING_SECRET(?!_)/);
  });

  test.each([
    ['no secret variable', {}],
    ['blank values', { FREECLIMB_SIGNING_SECRET_PARAMETER: '  ', FREECLIMB_SIGNING_SECRET: ' , ,' }],
  ])('refuses %s, naming FREECLIMB_SIGNING_SECRET_PARAMETER', (_name, secrets) => {
    // Prepare
    const env = { CALLS_TABLE: 'calls', REJECTED_TABLE: 'rejected', ...secrets };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toContain('FREECLIMB_SIGNING_SECRET_PARAMETER');
  });

  test('splits comma-separated environment secrets, dropping blanks and spaces', () => {
    // Prepare
    const env = {
      CALLS_TABLE: 'calls',
      REJECTED_TABLE: 'rejected',
      FREECLIMB_SIGNING_SECRET: ' sigsec_old , ,sigsec_new,, ',
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config.signing).toEqual({ kind: 'environment', secrets: ['sigsec_old', 'sigsec_new'] });
  });

  test('turns verification off with the exact value, outside Lambda', () => {
    // Prepare
    const env = {
      CALLS_TABLE: 'calls',
      REJECTED_TABLE: 'rejected',
      FREECLIMB_SIGNATURE_VERIFICATION: VERIFICATION_DISABLED,
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(VERIFICATION_DISABLED).toBe('disabled-for-local-development');
    expect(config.signing).toEqual({ kind: 'disabled' });
  });

  test.each([
    'disabled',
    'false',
    'off',
    'DISABLED-FOR-LOCAL-DEVELOPMENT',
    ' disabled-for-local-development',
  ])('refuses FREECLIMB_SIGNATURE_VERIFICATION=%p, naming it', (value) => {
    // Prepare
    const env = { ...BASE_ENV, FREECLIMB_SIGNATURE_VERIFICATION: value };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toContain('FREECLIMB_SIGNATURE_VERIFICATION');
  });

  test('refuses to turn verification off inside AWS Lambda', () => {
    // Prepare
    const env = {
      ...BASE_ENV,
      FREECLIMB_SIGNATURE_VERIFICATION: VERIFICATION_DISABLED,
      AWS_LAMBDA_FUNCTION_NAME: 'freeclimb-call-records-dev-callStatus',
    };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toContain('FREECLIMB_SIGNATURE_VERIFICATION');
  });

  test.each([
    ['SIGNATURE_TOLERANCE_SECONDS', '0'],
    ['SIGNATURE_TOLERANCE_SECONDS', '3601'],
    ['SIGNATURE_TOLERANCE_SECONDS', '1.5'],
    ['SIGNATURE_TOLERANCE_SECONDS', '-1'],
    ['SIGNATURE_TOLERANCE_SECONDS', '5m'],
    ['SIGNATURE_TOLERANCE_SECONDS', '1e2'],
    ['RETENTION_DAYS', '-1'],
    ['RETENTION_DAYS', '36501'],
    ['RETENTION_DAYS', '7.5'],
    ['RETENTION_DAYS', 'forever'],
    ['MAX_BODY_BYTES', '1023'],
    ['MAX_BODY_BYTES', '262145'],
    ['MAX_BODY_BYTES', '64k'],
    ['MAX_BODY_BYTES', '0x10000'],
  ])('refuses %s=%p, naming it', (name, value) => {
    // Prepare
    const env = { ...BASE_ENV, [name]: value };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toContain(name);
  });

  test.each([
    ['SIGNATURE_TOLERANCE_SECONDS', '1', 'toleranceSeconds', 1],
    ['SIGNATURE_TOLERANCE_SECONDS', '3600', 'toleranceSeconds', 3600],
    ['RETENTION_DAYS', '0', 'retentionDays', 0],
    ['RETENTION_DAYS', '36500', 'retentionDays', 36_500],
    ['MAX_BODY_BYTES', '1024', 'maxBodyBytes', 1024],
    ['MAX_BODY_BYTES', '262144', 'maxBodyBytes', 262_144],
  ])('accepts %s=%p at the edge of its range', (name, value, key, expected) => {
    // Prepare
    const env = { ...BASE_ENV, [name]: value };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toHaveProperty(key, expected);
  });

  test('an empty FREECLIMB_SIGNATURE_VERIFICATION is as good as unset: verification stays on', () => {
    // Prepare
    const env = { ...BASE_ENV, FREECLIMB_SIGNATURE_VERIFICATION: '' };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config.signing).toEqual({ kind: 'ssm', parameterName: '/freeclimb/dev/signing-secret' });
  });

  test('reads numbers with spaces around them, and an empty one as the default', () => {
    // Prepare
    const env = {
      ...BASE_ENV,
      SIGNATURE_TOLERANCE_SECONDS: ' 120 ',
      RETENTION_DAYS: '',
      MAX_BODY_BYTES: '  ',
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toMatchObject({ toleranceSeconds: 120, retentionDays: 0, maxBodyBytes: 65536 });
  });

  test.each([
    ['CALLS_TABLE', 'CALLS_TABLE is not set: it must hold the name of the calls table'],
    ['REJECTED_TABLE', 'REJECTED_TABLE is not set: it must hold the name of the rejected-deliveries table'],
    [
      'FREECLIMB_SIGNING_SECRET_PARAMETER',
      'FREECLIMB_SIGNING_SECRET_PARAMETER is not set: name the SSM parameter holding the FreeClimb signing secret ' +
        '(or set FREECLIMB_SIGNING_SECRET when running locally)',
    ],
  ])('without %s, says what it must hold', (name, message) => {
    // Prepare
    const env = { ...BASE_ENV, [name]: undefined };

    // Act
    const error = configErrorFor(env);

    // Assess
    expect(error.message).toBe(message);
  });
});
