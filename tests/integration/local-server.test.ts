import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { SIGNATURE_HEADER, signatureHeader } from '../../lib/signature';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/local-dynamodb';
import { applyLocalEnvironment } from '../../local/local-environment';
import { type HttpApiHandler, type LocalServer, startLocalServer } from '../../local/local-server';
import type { ServiceDefinition } from '../../local/service-definition';
import { cachedServiceDefinition } from '../../local/service-definition-cache';
import { testDocumentClient, testTables } from '../support/dynamodb';

// What `npm start` runs, in-process: dynalite with the tables of serverless.yml, the API Gateway stand-in
// and the real handler, driven over HTTP with fetch as FreeClimb would drive the deployed API.

const SECRET = `sigsec_test_${randomBytes(16).toString('hex')}`;
const ROUTE = { method: 'POST', path: '/freeclimb/call-status' };
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'bodies', 'completed-inbound.json');

let definition: ServiceDefinition;
let engine: LocalDynamoDb;
let server: LocalServer;

beforeAll(async () => {
  definition = await cachedServiceDefinition('test');
  engine = await startLocalDynamoDb({ port: 0, tables: definition.tables });
  // The handler reads its configuration at module load, so the environment comes first.
  applyLocalEnvironment(definition, engine.endpoint);
  process.env.FREECLIMB_SIGNING_SECRET = SECRET;
  const { handler } = await import('../../handlers/call-status');
  server = await startLocalServer({
    port: 0,
    handler,
    route: definition.route,
    functionTimeoutSeconds: definition.functionTimeoutSeconds,
    functionName: definition.functionName,
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await engine?.close();
});

/** The fixture's exact bytes with a fresh callId, so every test stores its own record. */
function freshBody(): { body: Buffer; callId: string } {
  const callId = `CA${randomBytes(20).toString('hex')}`;
  const text = readFileSync(FIXTURE, 'utf8').replace(/("callId"\s*:\s*)"[^"]*"/, `$1"${callId}"`);
  return { body: Buffer.from(text, 'utf8'), callId };
}

function post(url: string, body: Buffer, signature: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
    body,
  });
}

/** A POST whose header lines are sent exactly as given, repeats included. */
function rawPost(url: string, body: string, headers: Array<[string, string]>): Promise<number> {
  return new Promise((resolve, reject) => {
    // A raw header list gets neither Host nor framing added automatically.
    const lines = [
      ['Host', new URL(url).host],
      ...headers,
      ['Content-Length', String(Buffer.byteLength(body))],
    ].flat();
    const request = httpRequest(url, { method: 'POST', headers: lines }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function storedCall(callId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await testDocumentClient().send(
    new GetCommand({ TableName: testTables().callsTable, Key: { callId }, ConsistentRead: true }),
  );
  return Item;
}

describe('the webhook through the local server', () => {
  test('serves the route serverless.yml defines', () => {
    // Prepare
    const { route } = definition;

    // Act
    const url = server.webhookUrl;

    // Assess
    expect(route).toEqual(ROUTE);
    expect(url).toBe(`${server.url}${ROUTE.path}`);
  });

  test('a correctly signed callStatus is answered 2xx with an empty body and stored', async () => {
    // Prepare
    const { body, callId } = freshBody();
    const signature = signatureHeader([SECRET], nowSeconds(), body);

    // Act
    const response = await post(server.webhookUrl, body, signature);

    // Assess
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    expect(await response.text()).toBe('');
    expect(await storedCall(callId)).toEqual(expect.objectContaining({ callId }));
  });

  test('a wrong signature is answered 401 and nothing is stored', async () => {
    // Prepare
    const { body, callId } = freshBody();
    const signature = signatureHeader(['sigsec_not_the_configured_secret'], nowSeconds(), body);

    // Act
    const response = await post(server.webhookUrl, body, signature);

    // Assess
    expect(response.status).toBe(401);
    expect(await storedCall(callId)).toBeUndefined();
  });

  test('an unknown path is answered 404 like API Gateway, without invoking the handler', async () => {
    // Prepare
    const { body, callId } = freshBody();
    const signature = signatureHeader([SECRET], nowSeconds(), body);

    // Act
    const response = await post(`${server.url}/freeclimb/unknown`, body, signature);

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
    expect(await storedCall(callId)).toBeUndefined();
  });
});

describe('the API Gateway stand-in', () => {
  let adapter: LocalServer;
  const invocations: Array<{ event: APIGatewayProxyEventV2; context: Context }> = [];
  let respond: HttpApiHandler = async () => ({ statusCode: 204 });

  beforeAll(async () => {
    adapter = await startLocalServer({
      port: 0,
      route: ROUTE,
      functionTimeoutSeconds: 15,
      handler: (event, context) => {
        invocations.push({ event, context });
        return respond(event, context);
      },
      logError: () => undefined,
    });
  });

  afterAll(async () => {
    await adapter?.close();
  });

  beforeEach(() => {
    invocations.length = 0;
    respond = async () => ({ statusCode: 204 });
  });

  test('builds a payload 2.0 event: lower-cased, comma-joined headers, cookies, query and a text JSON body', async () => {
    // Prepare
    const body = '{"callId":"CA1","note":"é"}';

    // Act: node:http, because fetch folds repeated headers into one before they are sent.
    const status = await rawPost(`${adapter.webhookUrl}?a=1&a=2&b=x%20y`, body, [
      ['Content-Type', 'application/json'],
      ['X-Repeated', 'one'],
      ['X-Repeated', 'two'],
      ['Cookie', 'first=1; second=2'],
    ]);

    // Assess
    expect(status).toBe(204);
    const [invocation] = invocations;
    expect(invocation?.event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /freeclimb/call-status',
      rawPath: '/freeclimb/call-status',
      rawQueryString: 'a=1&a=2&b=x%20y',
      cookies: ['first=1', 'second=2'],
      queryStringParameters: { a: '1,2', b: 'x y' },
      body,
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/freeclimb/call-status', protocol: 'HTTP/1.1' },
        routeKey: 'POST /freeclimb/call-status',
        stage: '$default',
      },
    });
    expect(invocation?.event.headers).toMatchObject({
      'content-type': 'application/json',
      'x-repeated': 'one,two',
    });
    expect(invocation?.event.headers).not.toHaveProperty('cookie');
    expect(invocation?.context.getRemainingTimeInMillis()).toBeGreaterThan(14_000);
  });

  test('passes bytes that are not text base64-encoded, and an empty body as no body', async () => {
    // Prepare
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01]);

    // Act
    await fetch(adapter.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: binary,
    });
    await fetch(adapter.webhookUrl, { method: 'POST' });

    // Assess
    expect(invocations[0]?.event).toMatchObject({ body: binary.toString('base64'), isBase64Encoded: true });
    expect(invocations[1]?.event).not.toHaveProperty('body');
    expect(invocations[1]?.event.isBase64Encoded).toBe(false);
  });

  test('answers another method on the route 404 without invoking the handler', async () => {
    // Prepare
    const url = adapter.webhookUrl;

    // Act
    const response = await fetch(url, { method: 'GET' });

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
    expect(invocations).toHaveLength(0);
  });

  test('answers a handler that throws with 500 and no details, like API Gateway', async () => {
    // Prepare
    respond = async () => {
      throw new Error('internal detail');
    };

    // Act
    const response = await fetch(adapter.webhookUrl, { method: 'POST', body: '{}' });

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  test('writes the handler result: status, headers and a base64 body decoded', async () => {
    // Prepare
    respond = async () => ({
      statusCode: 422,
      headers: { 'content-type': 'application/json', 'x-count': 2 },
      body: Buffer.from('{"issues":[]}').toString('base64'),
      isBase64Encoded: true,
    });

    // Act
    const response = await fetch(adapter.webhookUrl, { method: 'POST', body: '{}' });

    // Assess
    expect(response.status).toBe(422);
    expect(response.headers.get('x-count')).toBe('2');
    expect(await response.text()).toBe('{"issues":[]}');
  });
});
