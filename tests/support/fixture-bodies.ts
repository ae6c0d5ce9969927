import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The real callStatus-shaped bodies, read as the exact bytes a request would carry. */
export const BODIES_DIR = join(__dirname, '..', 'fixtures', 'bodies');

/** The one fixture that is a different FreeClimb webhook (inboundCall) sent to the wrong URL. */
export const NOT_CALL_STATUS = 'inbound-call-webhook.json';

export function readBody(name: string): Buffer {
  return readFileSync(join(BODIES_DIR, name));
}

export function readJson(name: string): Record<string, unknown> {
  return JSON.parse(readBody(name).toString('utf8')) as Record<string, unknown>;
}

export function allBodyNames(): string[] {
  return readdirSync(BODIES_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

export function callStatusBodyNames(): string[] {
  return allBodyNames().filter((name) => name !== NOT_CALL_STATUS);
}
