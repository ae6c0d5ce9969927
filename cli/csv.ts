/**
 * RFC 4180 CSV (comma-separated, CRLF line ends, a quoted field's quotes doubled) that a spreadsheet opens
 * as text, never as a formula. `from` and `to` come from callers and SIP trunks (any string up to 256
 * characters), so one could carry `=HYPERLINK(…)` or `=cmd|' /C calc'!A0`.
 *
 * OWASP's "CSV Injection" page (https://owasp.org/www-community/attacks/CSV_Injection) asks that no cell
 * begin with `=`, `+`, `-`, `@`, a tab, CR or LF, and warns that checking the start of the input is not
 * enough: a field separator (`,` or `;`) or a quote inside it can start a new cell with the dangerous
 * character at its beginning. That happens here when the file is opened where the list separator is `;`
 * (much of Europe): the spreadsheet splits our fields at their `;` (a quote that does not open its cell
 * protects nothing there), and at line breaks. So, in every field:
 *
 * - the field and every segment of it that follows a `,`, `;`, tab, CR or LF is a cell start: a `=`, `+`,
 *   `-` or `@` there (after any spaces and double quotes, which some imports trim) gets a `'` in front,
 *   which spreadsheets show as text, as OWASP prefixes the cell;
 * - a field that starts with a tab, CR or LF gets a leading `'` too;
 * - a field holding a separator, a quote, CR, LF, tab or one of the formula characters anywhere is quoted.
 *
 * A segment that is a plain signed whole number, such as an E.164 `+13125550142`, is no formula and is left
 * as sent, so numbers and SIP URIs (`sip:agent@pbx.example.com;transport=tcp`) read back exactly. Any other
 * value reads back with those `'` added; `--json` has every string exactly as stored.
 */

/** One record as a CSV line, CRLF included; absent values are empty cells. */
export function csvLine(values: ReadonlyArray<string | number | undefined>): string {
  return `${values.map((value) => csvField(value === undefined ? '' : String(value))).join(',')}\r\n`;
}

/** A formula character at a cell start (the field's, or after a separator or line break), after spaces and quotes. */
const FORMULA_AT_CELL_START = /(^|[,;\t\r\n])([ "]*)(?![+-][0-9]+[ "]*(?:[,;\t\r\n]|$))([=+\-@])/g;
const BREAK_AT_START = /^[\t\r\n]/;
const NEEDS_QUOTES = /[,;"\t\r\n=+\-@]/;

function csvField(value: string): string {
  const inert = value.replace(FORMULA_AT_CELL_START, "$1$2'$3").replace(BREAK_AT_START, "'$&");
  return NEEDS_QUOTES.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}
