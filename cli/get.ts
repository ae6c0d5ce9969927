import type { CallRecord } from '../lib/call-record';
import { getCall } from '../lib/call-store';
import { callIdArgument } from './arguments';
import { NotFoundError } from './cli-errors';
import type { Command } from './command';
import { columns, formatDuration, indentJson, json, type TimeFormat } from './format';
import { terminalJson, terminalText } from './terminal-text';

/** Attributes in the order people look for them; any others follow alphabetically, `rawBody` comes last. */
const ORDER = [
  'callId',
  'parentCallId',
  'accountId',
  'requestType',
  'direction',
  'from',
  'to',
  'callStatus',
  'callEndedReason',
  'callDuration',
  'recordingUrl',
  'recordingId',
  'recordingDurationSec',
  'receivedAt',
  'signedAt',
  'expiresAt',
  'schemaVersion',
];
const TIMES = new Set([
  'receivedAt',
  'signedAt',
  'startTime',
  'connectTime',
  'endTime',
  'enrichedAt',
  'gaveUpAt',
]);
const DURATIONS = new Set(['callDuration', 'recordingDurationSec', 'duration', 'connectDuration']);
/** Maps shown as their own block after the record's attributes: what enrichment added, or why it gave up. */
const BLOCKS: Record<string, { title: string; order: readonly string[] }> = {
  details: {
    title: "details (from FreeClimb's Call resource)",
    order: [
      'status',
      'startTime',
      'connectTime',
      'endTime',
      'duration',
      'connectDuration',
      'answeredBy',
      'callerName',
      'phoneNumberId',
      'applicationId',
      'enrichedAt',
    ],
  },
  enrichment: {
    title: 'enrichment (gave up; `enrich` tries again)',
    order: ['gaveUpAt', 'attempts', 'reason'],
  },
};

/** `get <callId>`: one call leg with every stored attribute. */
export const getCommand: Command = {
  summary: 'one call: every attribute, times in UTC and local time, the raw body as sent (indented)',
  usage: 'get <callId>',
  options: {},
  positionals: { min: 1, max: 1, names: 'a call id' },
  async run(context, _values, positionals) {
    const callId = callIdArgument(positionals[0], 'get');
    const target = await context.target();
    const call = await getCall(target.store, callId, { consistentRead: true });
    if (call === undefined) {
      throw new NotFoundError(`No call ${callId} in ${target.store.callsTable}`);
    }
    context.io.stdout(context.json ? json(call) : describeCall(call, context.time()));
    return 0;
  },
};

/** The readable form of one call item; stored strings with their control characters escaped. */
export function describeCall(call: CallRecord, time: TimeFormat): string {
  const item = call as unknown as Record<string, unknown>;
  const others = Object.keys(item)
    .filter((name) => !ORDER.includes(name) && name !== 'rawBody' && !isBlock(name, item[name]))
    .sort();
  const blocks = Object.keys(BLOCKS)
    .filter((name) => isBlock(name, item[name]))
    .map((name) => describeBlock(name, item[name] as Record<string, unknown>, time));
  const raw = typeof call.rawBody === 'string' ? `\nrawBody\n${indent(bodyText(call.rawBody))}\n` : '';
  return `Call ${terminalText(call.callId)}\n${columns(rowsOf(item, [...ORDER, ...others], time))}\n${blocks.join('')}${raw}`;
}

function isBlock(name: string, value: unknown): boolean {
  return name in BLOCKS && typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A map's attributes under its title, in their order, any others after them alphabetically. */
function describeBlock(name: string, map: Record<string, unknown>, time: TimeFormat): string {
  const { title, order } = BLOCKS[name] as { title: string; order: readonly string[] };
  const others = Object.keys(map)
    .filter((key) => !order.includes(key))
    .sort();
  return `\n${title}\n${columns(rowsOf(map, [...order, ...others], time), '    ')}\n`;
}

function rowsOf(item: Record<string, unknown>, names: string[], time: TimeFormat): Array<[string, string]> {
  return names
    .filter((name) => item[name] !== undefined)
    .map((name) => [terminalText(name), attributeText(name, item[name], time)]);
}

function attributeText(name: string, value: unknown, time: TimeFormat): string {
  if (TIMES.has(name) && typeof value === 'string') return terminalText(time.both(value));
  if (name === 'expiresAt' && typeof value === 'number') {
    return `${value} = ${time.both(new Date(value * 1000).toISOString())}`;
  }
  if (DURATIONS.has(name) && typeof value === 'number') {
    return value >= 60 ? `${value} s (${formatDuration(value)})` : `${value} s`;
  }
  return typeof value === 'string' ? terminalText(value) : terminalJson(JSON.stringify(value));
}

/**
 * The body as sent: JSON indented token by token, its raw DEL and C1 characters in JSON's own escapes (so it
 * is still the same JSON); anything else on one line, every control character escaped.
 */
function bodyText(rawBody: string): string {
  try {
    JSON.parse(rawBody);
  } catch {
    return terminalText(rawBody);
  }
  return terminalJson(indentJson(rawBody));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
