import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SIGNATURE_HEADER, signatureHeader } from '../lib/signature';
import { PROJECT_ROOT } from './service-definition';

/**
 * `npm run send-sample -- [--url <url>] [--secret <secret>] [body.json]`: POSTs a correctly signed
 * callStatus webhook, as FreeClimb would. With a body file its exact bytes are sent; without one, the
 * completed-inbound fixture with a fresh callId, so every run stores a new record.
 */

const DEFAULT_URL = 'http://localhost:3000/freeclimb/call-status';
const DEFAULT_BODY = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'bodies', 'completed-inbound.json');
/** Matches the first top-level-looking `"callId": "…"` member, whatever the spacing. */
const CALL_ID_MEMBER = /("callId"\s*:\s*)"[^"]*"/;

class UsageError extends Error {}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { url: { type: 'string' }, secret: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log('Usage: npm run send-sample -- [--url <url>] [--secret <secret>] [body.json]');
    return;
  }
  const url = values.url ?? DEFAULT_URL;
  const secrets = (values.secret ?? process.env.FREECLIMB_SIGNING_SECRET ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.length === 0) {
    throw new UsageError('No signing secret: pass --secret <secret> or set FREECLIMB_SIGNING_SECRET');
  }
  const bodyPath = positionals[0];
  const body = bodyPath ? readBody(path.resolve(bodyPath)) : withFreshCallId(readBody(DEFAULT_BODY));

  // Signed with every secret given, as FreeClimb does while two secrets are active.
  const signature = signatureHeader(secrets, Math.floor(Date.now() / 1000), body);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new UsageError(unreachable(url, error));
  }
  const responseBody = await response.text();
  console.log(`${response.status} ${response.statusText}  callId ${callIdOf(body) ?? '(none in the body)'}`);
  if (responseBody) console.log(responseBody);
  if (!response.ok) process.exitCode = 1;
}

function readBody(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`Cannot read the body file ${file}: ${(error as Error).message}`);
  }
}

/** Replaces only the callId's value, so every other byte of the fixture is sent as it is. */
function withFreshCallId(body: Buffer): Buffer {
  const text = body.toString('utf8');
  if (!CALL_ID_MEMBER.test(text)) throw new UsageError('The sample body has no "callId" member to replace');
  const callId = `CA${randomBytes(20).toString('hex')}`;
  return Buffer.from(text.replace(CALL_ID_MEMBER, `$1"${callId}"`), 'utf8');
}

function callIdOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { callId?: unknown };
    return typeof parsed.callId === 'string' ? parsed.callId : undefined;
  } catch {
    return undefined;
  }
}

/** fetch only says "fetch failed"; the reason is in its cause. */
function unreachable(url: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return `Nothing is listening on ${url}: start it with npm start`;
  if ((error as Error).name === 'TimeoutError') return `No answer from ${url} within 30 s`;
  return `Cannot reach ${url}: ${cause?.message ?? (error as Error).message}`;
}

main().catch((error: unknown) => {
  console.error(
    error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      ? `send-sample: ${(error as Error).message}`
      : error,
  );
  process.exit(1);
});
