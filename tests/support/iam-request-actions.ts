/**
 * What IAM authorises for one recorded HTTP request to AWS: the service comes from the SigV4 credential scope,
 * the action from the `X-Amz-Target` header (JSON protocols), the `Action=` form field (query protocols) or
 * the REST route (S3, Lambda), and the resource from the request's names. A request this does not know is an
 * error, so a new call in a deploy is noticed instead of passing unchecked.
 */

/** One request as moto's recorder (`/moto-api/recorder/download-recording`) writes it, one JSON line each. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /** The body is base64 (moto records bytes that way). */
  body_encoded: boolean;
}

/** An IAM action on one resource (`*` where the action names none). */
export interface IamRequestAction {
  action: string;
  resource: string;
  /** The service that makes this call with the caller's credentials, when the caller does not itself. */
  calledVia?: string;
}

/** Where the requests went: IAM ARNs carry the account, which a request signed with dummy keys does not. */
export interface RequestAccount {
  accountId: string;
  partition?: string;
}

/** Thrown for a request whose action cannot be told: a route or service this mapper does not know yet. */
export class UnmappedRequestError extends Error {
  constructor(request: RecordedRequest, reason: string) {
    super(`${request.method} ${request.url}: ${reason}`);
    this.name = 'UnmappedRequestError';
  }
}

/** SigV4 signing names whose IAM prefix differs. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch', email: 'ses' };

/** Parses moto's recording: one JSON object per line. */
export function parseRecording(text: string): RecordedRequest[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RecordedRequest);
}

/** The IAM actions one request needs (S3's DeleteObjects needs one per kind of key it deletes). */
export function iamActionsOf(request: RecordedRequest, account: RequestAccount): IamRequestAction[] {
  const { region, service: signingName } = credentialScope(request);
  const service = IAM_PREFIX[signingName] ?? signingName;
  const where = { region, service, accountId: account.accountId, partition: account.partition ?? 'aws' };
  const url = new URL(request.url);
  if (service === 's3') return s3Actions(request, url, where);
  if (service === 'lambda') return [lambdaAction(request, url, where)];
  const action = targetAction(request) ?? formField(request, 'Action');
  if (action === undefined) throw new UnmappedRequestError(request, 'no X-Amz-Target and no Action= field');
  const direct = {
    action: `${service}:${action}`,
    resource: queryResource(request, `${service}:${action}`, where),
  };
  return [direct, ...templateRead(request, where)];
}

/**
 * A template given by URL is read from S3 by CloudFormation, with the caller's credentials (path-style
 * `https://s3.amazonaws.com/<bucket>/<key>` or virtual-hosted `https://<bucket>.s3.amazonaws.com/<key>`).
 */
function templateRead(request: RecordedRequest, where: Where): IamRequestAction[] {
  const templateUrl = where.service === 'cloudformation' ? formField(request, 'TemplateURL') : undefined;
  if (templateUrl === undefined) return [];
  const url = new URL(templateUrl);
  const hosted = /^(.+)\.s3[.-]/.exec(url.hostname);
  const path = decodeURIComponent(url.pathname).slice(1);
  const object = hosted ? `${hosted[1]}/${path}` : path;
  return [
    {
      action: 's3:GetObject',
      resource: `arn:${where.partition}:s3:::${object}`,
      calledVia: 'cloudformation.amazonaws.com',
    },
  ];
}

interface Where {
  service: string;
  region: string;
  accountId: string;
  partition: string;
}

/** The access key a request was signed with: who made it (one key per caller, as CloudTrail tells them apart). */
export function accessKeyOf(request: RecordedRequest): string {
  return credentialScope(request).accessKey;
}

function credentialScope(request: RecordedRequest): { accessKey: string; service: string; region: string } {
  const authorization = header(request, 'authorization') ?? '';
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  if (!match) throw new UnmappedRequestError(request, 'not signed with SigV4');
  return { accessKey: match[1] as string, region: match[2] as string, service: match[3] as string };
}

function header(request: RecordedRequest, name: string): string | undefined {
  const found = Object.entries(request.headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

function bodyText(request: RecordedRequest): string {
  if (request.body === null) return '';
  return request.body_encoded ? Buffer.from(request.body, 'base64').toString('utf8') : request.body;
}

function formField(request: RecordedRequest, name: string): string | undefined {
  return new URLSearchParams(bodyText(request)).get(name) ?? undefined;
}

/** `DynamoDB_20120810.PutItem` → `PutItem`. */
function targetAction(request: RecordedRequest): string | undefined {
  return header(request, 'x-amz-target')?.split('.').pop();
}

/** The resource of a query- or JSON-protocol call, for the services a deploy talks to. */
function queryResource(request: RecordedRequest, action: string, where: Where): string {
  if (where.service === 'cloudformation') {
    if (action === 'cloudformation:ValidateTemplate') return '*';
    const stack = formField(request, 'StackName');
    if (stack === undefined) throw new UnmappedRequestError(request, `${action} names no stack`);
    if (stack.startsWith('arn:')) return stack;
    // A stack's ARN ends in an id CloudFormation assigns; IAM policies match it with `/*`.
    return `arn:${where.partition}:cloudformation:${where.region}:${where.accountId}:stack/${stack}/id`;
  }
  if (action === 'sts:GetCallerIdentity') return '*';
  if (action === 'ecr:DescribeRepositories') {
    const { repositoryNames, registryId } = JSON.parse(bodyText(request)) as {
      repositoryNames?: string[];
      registryId?: string;
    };
    const [name, ...others] = repositoryNames ?? [];
    if (name === undefined || others.length > 0)
      throw new UnmappedRequestError(request, 'not one repository');
    return `arn:${where.partition}:ecr:${where.region}:${registryId ?? where.accountId}:repository/${name}`;
  }
  throw new UnmappedRequestError(request, `no resource rule for ${action}`);
}

const LAMBDA_ROUTES: Array<[method: string, path: RegExp, action: string]> = [
  ['GET', /^\/2015-03-31\/functions\/([^/]+)$/, 'GetFunction'],
  ['DELETE', /^\/2015-03-31\/functions\/([^/]+)$/, 'DeleteFunction'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, 'GetFunctionConfiguration'],
  ['PUT', /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, 'UpdateFunctionConfiguration'],
  ['PUT', /^\/2015-03-31\/functions\/([^/]+)\/code$/, 'UpdateFunctionCode'],
  ['POST', /^\/2015-03-31\/functions\/([^/]+)\/versions$/, 'PublishVersion'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/versions$/, 'ListVersionsByFunction'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/policy$/, 'GetPolicy'],
];

function lambdaAction(request: RecordedRequest, url: URL, where: Where): IamRequestAction {
  const path = decodeURIComponent(url.pathname);
  for (const [method, route, action] of LAMBDA_ROUTES) {
    const match = route.exec(path);
    if (method === request.method && match) {
      const name = match[1] as string;
      const arn = name.startsWith('arn:')
        ? name
        : `arn:${where.partition}:lambda:${where.region}:${where.accountId}:function:${name}`;
      return { action: `lambda:${action}`, resource: arn };
    }
  }
  throw new UnmappedRequestError(request, 'no Lambda route matches');
}

/** Path-style S3 (`/<bucket>/<key>`), as the SDK sends it to a custom endpoint. */
function s3Actions(request: RecordedRequest, url: URL, where: Where): IamRequestAction[] {
  const [, bucket = '', ...keyParts] = decodeURIComponent(url.pathname).split('/');
  const key = keyParts.join('/');
  const bucketArn = `arn:${where.partition}:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  const query = url.searchParams;
  const on = (action: string, resource: string) => [{ action: `s3:${action}`, resource }];
  if (bucket === '') throw new UnmappedRequestError(request, 'no bucket in the path');
  if (key === '') {
    if (request.method === 'HEAD') return on('ListBucket', bucketArn);
    if (request.method === 'GET' && query.has('versions')) return on('ListBucketVersions', bucketArn);
    if (request.method === 'GET' && !query.has('location')) return on('ListBucket', bucketArn);
    if (request.method === 'POST' && query.has('delete')) return deleteObjectsActions(request, bucketArn);
    throw new UnmappedRequestError(request, 'no S3 bucket route matches');
  }
  if (request.method === 'GET' || request.method === 'HEAD') return on('GetObject', objectArn);
  if (request.method === 'PUT') return on('PutObject', objectArn);
  if (request.method === 'DELETE') {
    return on(query.has('versionId') ? 'DeleteObjectVersion' : 'DeleteObject', objectArn);
  }
  throw new UnmappedRequestError(request, 'no S3 object route matches');
}

/** DeleteObjects is authorised per object: DeleteObject, or DeleteObjectVersion for a versioned entry. */
function deleteObjectsActions(request: RecordedRequest, bucketArn: string): IamRequestAction[] {
  const objects = [...bodyText(request).matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((match) => {
    const inner = match[1] as string;
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(inner)?.[1] ?? '';
    const action = /<VersionId>/.test(inner) ? 's3:DeleteObjectVersion' : 's3:DeleteObject';
    return { action, resource: `${bucketArn}/${unescapeXml(key)}` };
  });
  if (objects.length === 0) throw new UnmappedRequestError(request, 'DeleteObjects lists no object');
  return objects;
}

function unescapeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}
