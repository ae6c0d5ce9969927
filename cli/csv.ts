/**
 * RFC 4180 CSV: comma-separated, CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF
 * (quotes doubled inside). Cells a spreadsheet would run as a formula get a leading `'`.
 */

/** One record as a CSV line, CRLF included; absent values are empty cells. */
export function csvLine(values: ReadonlyArray<string | number | undefined>): string {
  return `${values.map((value) => csvField(value === undefined ? '' : String(value))).join(',')}\r\n`;
}

/**
 * A spreadsheet runs a cell starting with `=`, `+`, `-`, `@`, a tab or CR as a formula (OWASP's "CSV
 * injection"); `from` and `to` come from callers and SIP trunks, so one could carry `=HYPERLINK(…)`. Such a
 * cell is prefixed with `'`, which spreadsheets show as text. A signed number such as an E.164 `+13125550142`
 * is not a formula and stays as sent, so the export still matches the records.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const SIGNED_NUMBER = /^[+-][0-9]+$/;

function csvField(value: string): string {
  const safe = FORMULA_START.test(value) && !SIGNED_NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
