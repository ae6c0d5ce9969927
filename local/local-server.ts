import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { HttpRoute } from './service-definition';

/**
 * A local stand-in for API Gateway HTTP API (payload format 2.0) in front of one Lambda handler: it builds
 * the event and context the way API Gateway and Lambda do, so the handler runs locally exactly as deployed.
 */

/** The handler signature API Gateway HTTP API invokes. */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

export interface LocalServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on; loopback by default so the unauthenticated-in-dev server is not on the network. */
  host?: string;
  handler: HttpApiHandler;
  /** The one route served, normally `readServiceDefinition(stage).route`. */
  route: HttpRoute;
  /** Lambda's timeout: `context.getRemainingTimeInMillis()` counts down from it, and exceeding it is a 500. */
  functionTimeoutSeconds: number;
  /** For the Lambda context (`functionName`, log group, ARN). */
  functionName?: string;
  /** One line per request (method, path, status, duration); silent when absent. */
  logRequest?: (line: string) => void;
  /** Where handler failures are reported; `console.error` when absent. */
  logError?: (message: string, error: unknown) => void;
}

export interface LocalServer {
  /** Origin, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The route's full URL, e.g. `http://127.0.0.1:3000/freeclimb/call-status`. */
  webhookUrl: string;
  port: number;
  close(): Promise<void>;
}

/** API Gateway's payload limit for HTTP APIs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway's answers when the request never reaches the function or the function fails. */
const NOT_FOUND = { statusCode: 404, body: '{"message":"Not Found"}' };
const TOO_LARGE = { statusCode: 413, body: '{"message":"Request Entity Too Large"}' };
const INTERNAL_ERROR = { statusCode: 500, body: '{"message":"Internal Server Error"}' };
/** Placeholder identity of the fake account and API; real ones only exist in AWS. */
const ACCOUNT_ID = '000000000000';
const API_ID = 'local';

/**
 * Serves `route` on node:http by invoking `handler` with an `APIGatewayProxyEventV2`. Anything else gets
 * API Gateway's 404; bodies over 10 MB get 413; a handler that throws, times out or returns a malformed
 * result gets API Gateway's 500 and is logged. Rejects with the `listen` error (e.g. EADDRINUSE).
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const startedAt = Date.now();
    res.on('finish', () => {
      options.logRequest?.(`${req.method} ${req.url} → ${res.statusCode} (${Date.now() - startedAt} ms)`);
    });
    handleRequest(req, res, options).catch((error) => {
      // Only a bug in this adapter gets here; still answer like API Gateway rather than hang the client.
      (options.logError ?? defaultLogError)('Local server failed to handle the request', error);
      if (!res.headersSent) sendJson(res, INTERNAL_ERROR);
      else res.destroy();
    });
  });
  server.listen(options.port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error)),
  ]);
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    webhookUrl: `${url}${options.route.path}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from clients would otherwise hold close() open until they time out.
        server.closeIdleConnections();
      }),
  };
}

function defaultLogError(message: string, error: unknown): void {
  console.error(message, error);
}

async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: LocalServerOptions,
): Promise<void> {
  const requestId = apiGatewayRequestId();
  res.setHeader('apigw-requestid', requestId);
  const target = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();

  // API Gateway matches the route before it looks at the body.
  if (method !== options.route.method || target.pathname !== options.route.path) {
    req.resume();
    sendJson(res, NOT_FOUND);
    return;
  }

  const body = await readBody(req, MAX_PAYLOAD_BYTES);
  if (body === undefined) {
    // Stop reading the rest of an oversized upload; the client gets the answer and the socket is closed.
    res.setHeader('connection', 'close');
    sendJson(res, TOO_LARGE);
    return;
  }

  const event = toEvent(req, target, method, body, requestId, options.route);
  const context = lambdaContext(options);
  let result: APIGatewayProxyResultV2;
  try {
    result = await withTimeout(options.handler(event, context), options.functionTimeoutSeconds);
  } catch (error) {
    (options.logError ?? defaultLogError)(`Handler failed for ${event.routeKey} (${requestId})`, error);
    sendJson(res, INTERNAL_ERROR);
    return;
  }
  writeResult(res, result, options);
}

/** Reads the whole body, or returns undefined as soon as it is known to exceed `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(
  req: IncomingMessage,
  target: URL,
  method: string,
  body: Buffer,
  requestId: string,
  route: HttpRoute,
): APIGatewayProxyEventV2 {
  const headers = joinedHeaders(req.rawHeaders);
  // Hop-by-hop headers describe the client's connection to API Gateway and never reach the function.
  for (const hopByHop of ['connection', 'keep-alive']) delete headers[hopByHop];
  // Payload 2.0 moves cookies out of the headers into their own array.
  const cookies = headers.cookie
    ?.split(';')
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  delete headers.cookie;

  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  // API Gateway adds these for every request; handlers that log or trust them should see them locally too.
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

  const now = new Date();
  const domainName = (headers.host ?? 'localhost').replace(/:\d+$/, '');
  const routeKey = `${route.method} ${route.path}`;
  const rawQueryString = target.search.slice(1);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: target.pathname,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters: joinedQuery(target.searchParams) } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: target.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (body.length > 0) {
    const text = isTextContentType(headers['content-type']) ? utf8OrUndefined(body) : undefined;
    if (text === undefined) {
      event.body = body.toString('base64');
      event.isBase64Encoded = true;
    } else {
      event.body = text;
    }
  }
  return event;
}

/** Lower-cased names; a header sent more than once becomes one comma-joined value, as API Gateway does. */
function joinedHeaders(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return headers;
}

/** Decoded parameters; a repeated key becomes one comma-joined value, as API Gateway does. */
function joinedQuery(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of params) {
    const previous = query[key];
    query[key] = previous === undefined ? value : `${previous},${value}`;
  }
  return query;
}

/** JSON and text are passed as text; everything else (and no content type at all) arrives base64-encoded. */
function isTextContentType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType.startsWith('text/') || mediaType === 'application/json' || mediaType.endsWith('+json');
}

function utf8OrUndefined(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** API Gateway's request id looks like `JKJaXmPLvHcESHA=`. */
function apiGatewayRequestId(): string {
  return randomBytes(10).toString('base64');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` format: `12/Mar/2020:19:03:58 +0000`. */
function apiGatewayTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

function lambdaContext(options: LocalServerOptions): Context {
  const functionName = options.functionName ?? 'local-function';
  const deadline = Date.now() + options.functionTimeoutSeconds * 1000;
  const unsupported = () => {
    throw new Error('done/fail/succeed are not supported: return a value from the async handler');
  };
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${today}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Lambda stops a function at its timeout; here the invocation is abandoned (it cannot be killed) and fails. */
async function withTimeout<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Task timed out after ${seconds.toFixed(2)} seconds`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function writeResult(
  res: ServerResponse,
  result: APIGatewayProxyResultV2,
  options: LocalServerOptions,
): void {
  // Payload 2.0: a result without statusCode is not a response description but the body itself, as JSON.
  if (!isStructured(result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const { statusCode } = result;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    (options.logError ?? defaultLogError)('Handler returned an invalid statusCode', statusCode);
    sendJson(res, INTERNAL_ERROR);
    return;
  }
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    res.setHeader(name, String(value));
  }
  if (result.cookies && result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  const body = result.body ?? '';
  res.statusCode = statusCode;
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function isStructured(
  result: APIGatewayProxyResultV2,
): result is APIGatewayProxyStructuredResultV2 & { statusCode: number } {
  return typeof result === 'object' && result !== null && 'statusCode' in result;
}

function sendJson(res: ServerResponse, response: { statusCode: number; body: string }): void {
  res.writeHead(response.statusCode, { 'content-type': 'application/json' });
  res.end(response.body);
}
