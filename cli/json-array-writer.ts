/**
 * One JSON array written element by element, in exactly the text `JSON.stringify(array, null, 2)` gives for
 * the whole array, so a list command's `--json` can print a window of any length while holding one element:
 * building the whole text at once first holds every element, then passes V8's string limit (2^29 - 24
 * characters: 1.4 to 1.7 million call log entries, by their size) with `RangeError: Invalid string length`.
 *
 * The `[` is written with the first element, so a command that fails before reading anything leaves stdout
 * empty. One that fails halfway leaves an array without its `]`: no JSON reader takes that for a whole
 * (shorter) list, and the exit code says it failed.
 */
export class JsonArrayWriter {
  private count = 0;

  constructor(private readonly out: (text: string) => void) {}

  /** Writes one element. */
  add(value: unknown): void {
    // The element as JSON.stringify lays it out inside an array, indented one level, without the brackets.
    const element = JSON.stringify([value], null, 2).slice('[\n'.length, -'\n]'.length);
    this.out(`${this.count === 0 ? '[' : ','}\n${element}`);
    this.count += 1;
  }

  /** Closes the array (an empty one is `[]`) and ends the line. */
  end(): void {
    this.out(this.count === 0 ? '[]\n' : '\n]\n');
  }
}
