/**
 * Stored and received strings as the readable output may show them. A `from` of a few bytes can otherwise
 * drive the operator's terminal: ESC (`\u001b`) and the C1 CSI (`\u009b`) start sequences that recolour,
 * move the cursor, clear the screen or set the window title; CR overwrites what a line said; a line break
 * splits one entry in two, so `calls | wc -l` miscounts. Control characters are never written raw.
 *
 * The one form: the escapes of a JSON string, the same `--json` prints for C0. `\n`, `\r`, `\t`, `\b`, `\f`
 * for those five, `\u00XX` for every other C0 character (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–
 * U+009F); and a backslash as `\\`, since without that a stored `\u001b` (six plain characters) could not
 * be told from an escaped ESC. Everything else, quotes and non-ASCII text included, is shown as it is. So
 * what is shown reads back exactly, as the inside of a JSON string literal (with its `"` escaped); `--json`
 * and `--csv` carry the exact strings.
 */
export function terminalText(text: string): string {
  return text.replace(/[\\\p{Cc}]/gu, escaped);
}

/**
 * JSON text (a body, as `get` lays it out) for the terminal, its line breaks kept. In JSON a backslash
 * always opens an escape and C0 characters cannot stand raw inside strings, but DEL and C1 can: those (and
 * any control character other than the layout's line breaks) get JSON's own `\u00XX`, so what is shown is
 * still the same JSON, with the same meaning.
 */
export function terminalJson(json: string): string {
  return json.replace(/(?!\n)\p{Cc}/gu, escaped);
}

const SHORT_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function escaped(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
