import { accountKeyPolicy } from '../support/iam-account-key-policy';
import { IamSimulationError, type PolicyDocument, simulate } from '../support/iam-simulation';

// The simulator wrapper: a context key the simulator leaves out is an error unless it is a known gap of its
// data, and a known gap is evaluated as given, so a condition on it can both allow and refuse.

const ACCOUNT = '123456789012';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const LOG_GROUP = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/fn`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/fn-role/fn`;
const viaLogsForOwnGroup: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: KEY,
      Condition: {
        StringEquals: { 'kms:ViaService': 'logs.us-east-1.amazonaws.com' },
        ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': LOG_GROUP },
      },
    },
  ],
};

const generateDataKey = (context: Record<string, string>) =>
  simulate(
    { principal: SESSION, action: 'kms:GenerateDataKey', resource: KEY, accountId: ACCOUNT, context },
    { identity: [viaLogsForOwnGroup], resource: accountKeyPolicy(ACCOUNT) },
  );

test.each([
  [LOG_GROUP, 'Allowed'],
  [`${LOG_GROUP}-other`, 'ImplicitlyDenied'],
])(
  'an encryption context key (a gap of the data) is evaluated as given: %s is %s',
  async (group, expected) => {
    // Act
    const verdict = await generateDataKey({
      'kms:ViaService': 'logs.us-east-1.amazonaws.com',
      'kms:EncryptionContext:aws:logs:arn': group,
    });

    // Assess
    expect(verdict).toEqual({
      result: expected,
      validated: true,
      unchecked: ['kms:EncryptionContext:aws:logs:arn'],
    });
  },
);

test('a context key the simulator leaves out and no gap explains is an error, not a quiet verdict', async () => {
  // Act
  const run = simulate(
    {
      principal: SESSION,
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/key',
      accountId: ACCOUNT,
      context: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
    },
    { identity: [viaLogsForOwnGroup] },
  );

  // Assess
  await expect(run).rejects.toThrow(IamSimulationError);
});
