import {
  accessKeyOf,
  iamActionsOf,
  type RecordedRequest,
  UnmappedRequestError,
} from '../support/iam-request-actions';

// Each recorded request maps to the IAM action AWS authorises and the ARN it touches.

const account = { accountId: '123456789012' };
const signed = (service: string) => ({
  Authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261205/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
});
const request = (service: string, method: string, url: string, body = '', headers = {}): RecordedRequest => ({
  method,
  url: `http://127.0.0.1:5000${url}`,
  headers: { ...signed(service), ...headers },
  body: Buffer.from(body).toString('base64'),
  body_encoded: true,
});

test.each([
  [
    'a query-protocol call, by its Action field and stack name',
    request('cloudformation', 'POST', '/', 'Action=DescribeStacks&StackName=svc-prod'),
    [
      {
        action: 'cloudformation:DescribeStacks',
        resource: 'arn:aws:cloudformation:us-east-1:123456789012:stack/svc-prod/id',
      },
    ],
  ],
  [
    'a template by URL, which CloudFormation reads from S3 with the caller’s credentials',
    request(
      'cloudformation',
      'POST',
      '/',
      `Action=ValidateTemplate&TemplateURL=${encodeURIComponent('https://s3.amazonaws.com/b/k/t.json')}`,
    ),
    [
      { action: 'cloudformation:ValidateTemplate', resource: '*' },
      {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::b/k/t.json',
        calledVia: 'cloudformation.amazonaws.com',
      },
    ],
  ],
  [
    'a JSON-protocol call, by its X-Amz-Target',
    request('ecr', 'POST', '/', '{"repositoryNames":["repo"],"registryId":"123456789012"}', {
      'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
    }),
    [{ action: 'ecr:DescribeRepositories', resource: 'arn:aws:ecr:us-east-1:123456789012:repository/repo' }],
  ],
  [
    'a Lambda REST route',
    request('lambda', 'PUT', '/2015-03-31/functions/fn/configuration'),
    [
      {
        action: 'lambda:UpdateFunctionConfiguration',
        resource: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
      },
    ],
  ],
  [
    'S3 HEAD bucket',
    request('s3', 'HEAD', '/bucket/'),
    [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::bucket' }],
  ],
  [
    'S3 PUT object',
    request('s3', 'PUT', '/bucket/a/b.zip'),
    [{ action: 's3:PutObject', resource: 'arn:aws:s3:::bucket/a/b.zip' }],
  ],
  [
    'S3 DeleteObjects, one action per object',
    request(
      's3',
      'POST',
      '/bucket/?delete',
      '<Delete><Object><Key>a</Key><VersionId>1</VersionId></Object><Object><Key>b&amp;c</Key></Object></Delete>',
    ),
    [
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::bucket/a' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::bucket/b&c' },
    ],
  ],
])('%s', (_, recorded, expected) => {
  // Act
  const actions = iamActionsOf(recorded, account);

  // Assess
  expect(actions).toEqual(expected);
});

test('a request it cannot place is an error, not a pass', () => {
  // Prepare
  const unknown = request('lambda', 'GET', '/2021-10-31/functions/fn/url');

  // Act
  const map = () => iamActionsOf(unknown, account);

  // Assess
  expect(map).toThrow(UnmappedRequestError);
});

test('the access key tells who signed a request, so that callers at the same time stand apart', () => {
  // Prepare
  const recorded = request('s3', 'PUT', '/bucket/a.zip');

  // Act
  const key = accessKeyOf(recorded);

  // Assess
  expect(key).toBe('AKID');
  expect(() => accessKeyOf({ ...recorded, headers: {} })).toThrow(UnmappedRequestError);
});
