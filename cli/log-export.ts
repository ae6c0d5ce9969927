import { NOT_STORED_MESSAGES } from '../lib/call-status-service';
import { CliError } from './cli-errors';

/**
 * A CloudWatch export of the webhook's log, as `recover` reads it: the file's text whatever tool wrote it,
 * and the webhook's 503 lines in it. Nothing here decides whether a line is authentic; it only finds the
 * lines, whole, so that the verdict is never taken on a part of one.
 */

/** One 503 line as found in the export, with where it was. */
export interface LogLine {
  /** `line 3` in JSON Lines, `entry 3` in a JSON document. */
  source: string;
  /** The log line's own fields (`receivedAt`, `signature`, `contentType`, `rawBody`, `isBase64Encoded`…). */
  fields: Record<string, unknown>;
  /** Why the line cannot be judged (damaged, or an export row that lacks a field it needs). */
  unreadable?: string;
}

/** What an export held: its 503 lines, and how many other entries were passed over. */
export interface ExportContents {
  lines: LogLine[];
  /** Entries that are log lines, but not 503 lines (other levels, Lambda's START/END/REPORT…). */
  ignored: number;
}

/**
 * The fields a 503 line carries for `recover`. A row of a Logs Insights query that selected fields one by one
 * (not `@message`) must have them all: a field left out of the query is indistinguishable from one the
 * request did not have, and guessing would call a genuine delivery forged (no `signature`), not JSON (no
 * `contentType`) or tampered with (no `isBase64Encoded`).
 */
export const LINE_FIELDS = ['receivedAt', 'signature', 'contentType', 'rawBody', 'isBase64Encoded'] as const;

const MESSAGES: readonly string[] = Object.values(NOT_STORED_MESSAGES);

/** Byte order marks, longest first (UTF-32 LE's starts like UTF-16 LE's). */
const BYTE_ORDER_MARKS: ReadonlyArray<{ bytes: number[]; encoding: string; readable: boolean }> = [
  { bytes: [0xff, 0xfe, 0x00, 0x00], encoding: 'UTF-32 LE', readable: false },
  { bytes: [0x00, 0x00, 0xfe, 0xff], encoding: 'UTF-32 BE', readable: false },
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8', readable: true },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le', readable: true },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be', readable: true },
];

/**
 * The text of an export file: UTF-8 with or without a byte order mark (what the AWS CLI, a browser download
 * or PowerShell 7 writes), or UTF-16 LE/BE with one (Windows PowerShell 5.1's `>` writes UTF-16 LE). Anything
 * else is refused with one line naming what the bytes look like: read as the wrong encoding, a file of lines
 * would yield no line at all, and "found nothing" must never pass for "nothing to recover".
 */
export function decodeExport(bytes: Uint8Array, name: string): string {
  const mark = BYTE_ORDER_MARKS.find((bom) => bom.bytes.every((byte, at) => bytes[at] === byte));
  if (mark !== undefined && !mark.readable) {
    throw new CliError(
      `${name} is ${mark.encoding} text, which recover does not read: save it as UTF-8 and run recover again`,
    );
  }
  const encoding = mark?.encoding ?? 'utf-8';
  // ASCII in UTF-16 is valid UTF-8 too, with a NUL in every other byte; no log export holds a NUL.
  if (mark === undefined && bytes.includes(0)) {
    throw new CliError(
      `${name} is not UTF-8 text${guessEncoding(bytes)}: save it as UTF-8 and run recover again`,
    );
  }
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(mark?.bytes.length ?? 0));
  } catch (error) {
    const what =
      mark === undefined
        ? `is not UTF-8 text${guessEncoding(bytes)}`
        : `starts with a ${label(encoding)} byte order mark but is not valid ${label(encoding)}`;
    throw new CliError(`${name} ${what}: save it as UTF-8 and run recover again`, { cause: error });
  }
}

function label(encoding: string): string {
  return encoding.toUpperCase().replace('LE', ' LE').replace('BE', ' BE');
}

/** What bytes that are not UTF-8 probably are, for the refusal. */
function guessEncoding(bytes: Uint8Array): string {
  const sample = bytes.subarray(0, 4096);
  let evenZeros = 0;
  let oddZeros = 0;
  sample.forEach((byte, at) => {
    if (byte === 0) {
      if (at % 2 === 0) evenZeros += 1;
      else oddZeros += 1;
    }
  });
  const half = sample.length / 2;
  if (oddZeros > half / 2 && evenZeros === 0) return ' (it looks like UTF-16 LE without a byte order mark)';
  if (evenZeros > half / 2 && oddZeros === 0) return ' (it looks like UTF-16 BE without a byte order mark)';
  if (evenZeros + oddZeros > 0) return ' (it holds NUL bytes: not a text file)';
  return ' (perhaps Windows-1252 or Latin-1)';
}

/**
 * The webhook's 503 lines in an export, in order. Read: JSON Lines as the function writes them (also with
 * Lambda's text prefix before the JSON); `aws logs filter-log-events` output (`{"events":[{"message":…}]}`);
 * a Logs Insights export, the console's JSON download (an array of rows) or `aws logs get-query-results`
 * output (`{"results":[[{"field","value"}]]}`). A row is read from its whole line (`@message`, or `message`)
 * wherever it has one, whatever other columns the query selected; only a row without one is read from its
 * columns, and then it must have every one of {@link LINE_FIELDS}.
 */
export function notStoredLines(text: string): ExportContents {
  const document = wholeDocument(text);
  const entries = document ?? jsonLines(text);
  const lines: LogLine[] = [];
  let ignored = 0;
  for (const entry of entries) {
    const line = lineOf(entry);
    if (line === undefined) ignored += 1;
    else lines.push(line);
  }
  return { lines, ignored };
}

interface Entry {
  source: string;
  /** A parsed JSON value, or the text of a line that held none. */
  value: unknown;
  /** An export row (Logs Insights), as opposed to a whole log line or a CloudWatch event. */
  row: boolean;
}

/** The 503 line an entry holds, or undefined when it holds another log line. */
function lineOf(entry: Entry): LogLine | undefined {
  const { source, value } = entry;
  if (typeof value === 'string') return damaged(source, value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  for (const key of ['@message', 'message']) {
    const whole = fields[key];
    if (typeof whole !== 'string') continue;
    const inner = parseFromBrace(whole);
    if (isObject(inner)) return lineOf({ source, value: inner, row: false });
    // The webhook's own line has its message here; any other text is another log line, or a damaged one.
    if (!MESSAGES.includes(whole)) return damaged(source, whole);
  }
  if (!entry.row) {
    const isNotStoredLine =
      MESSAGES.includes(fields.message as string) || 'rawBody' in fields || 'signature' in fields;
    return isNotStoredLine ? { source, fields } : undefined;
  }
  if (!LINE_FIELDS.some((name) => name in fields)) return undefined;
  const missing = LINE_FIELDS.filter((name) => !(name in fields));
  if (missing.length === 0) return { source, fields };
  return {
    source,
    fields,
    unreadable:
      `the row has no ${missing.join(', ')}: a field left out of the query cannot be told from one the ` +
      'request lacked; export whole lines (fields @timestamp, @message)',
  };
}

/** Text that is not JSON: a damaged 503 line is reported, any other line (Lambda's own) passed over. */
function damaged(source: string, text: string): LogLine | undefined {
  return MESSAGES.some((message) => text.includes(message))
    ? { source, fields: {}, unreadable: 'a 503 line that is not whole JSON (cut or damaged)' }
    : undefined;
}

function wholeDocument(text: string): Entry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const record = parsed as Record<string, unknown>;
  const entries = (values: unknown[], row: boolean) =>
    values.map((value, index) => ({ source: `entry ${index + 1}`, value, row }));
  if (Array.isArray(parsed)) return entries(parsed, true);
  if (Array.isArray(record?.events)) return entries(record.events, false);
  if (Array.isArray(record?.results)) return entries(record.results.map(fieldList), true);
  return entries([parsed], false);
}

function jsonLines(text: string): Entry[] {
  const entries: Entry[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() !== '') {
      entries.push({ source: `line ${index + 1}`, value: parseFromBrace(line) ?? line, row: false });
    }
  });
  return entries;
}

/** `[{field, value}, …]` as `get-query-results` gives a row: as one object. */
function fieldList(row: unknown): unknown {
  if (!Array.isArray(row)) return row;
  return Object.fromEntries(
    row.map((cell: { field?: unknown; value?: unknown }) => [String(cell?.field), cell?.value]),
  );
}

/** Parses the JSON object a line holds, after any text prefix; undefined when there is none. */
function parseFromBrace(line: string): unknown {
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(line.slice(start));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
