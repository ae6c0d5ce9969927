import { indentJson } from '../../cli/format';
import { terminalJson, terminalText } from '../../cli/terminal-text';

// What the readable output does with stored strings: no control character is written raw, and what is shown
// reads back exactly.

/** Every character a terminal takes as a control: C0, DEL, C1. */
const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)),
  ...Array.from({ length: 0x21 }, (_, offset) => String.fromCharCode(0x7f + offset)),
];

/** The control characters written raw in `text`. */
function rawControls(text: string): string[] {
  return CONTROLS.filter((control) => text.includes(control));
}

/** Reads shown text back, as the inside of a JSON string literal. */
function readBack(shown: string): string {
  return JSON.parse(`"${shown.replaceAll('"', '\\"')}"`);
}

describe('terminalText', () => {
  test.each([
    ['ESC of a colour sequence', '\u001b[31mred\u001b[0m', '\\u001b[31mred\\u001b[0m'],
    ['a line break', '+1312\n5550142', '+1312\\n5550142'],
    ['CR, tab, backspace, form feed', 'a\rb\tc\bd\fe', 'a\\rb\\tc\\bd\\fe'],
    ['NUL and BEL', 'a\u0000b\u0007', 'a\\u0000b\\u0007'],
    ['DEL', 'a\u007fb', 'a\\u007fb'],
    ['C1: CSI and NEL', '\u009b2J\u0085', '\\u009b2J\\u0085'],
    ['a backslash, so a stored "\\u001b" is not taken for ESC', 'a\\u001b', 'a\\\\u001b'],
    ['quotes and non-ASCII text as they are', 'Zoë "the desk" → 東京 \u00a0', 'Zoë "the desk" → 東京 \u00a0'],
    [
      'an E.164 number and a SIP URI as they are',
      '+13125550142 sip:a@b.example;transport=tcp',
      '+13125550142 sip:a@b.example;transport=tcp',
    ],
  ])('%s', (_name, stored, shown) => {
    // Act
    const text = terminalText(stored);

    // Assess
    expect(text).toBe(shown);
  });

  test('every C0, DEL and C1 character is escaped, and every one reads back as itself', () => {
    // Prepare
    const stored = `x${CONTROLS.join('x')}x\\"`;

    // Act
    const text = terminalText(stored);

    // Assess
    expect(rawControls(text)).toEqual([]);
    expect(readBack(text)).toBe(stored);
  });

  test('C0 is shown as --json shows it', () => {
    // Prepare
    const c0 = CONTROLS.slice(0, 0x20).join('');

    // Act
    const text = terminalText(c0);

    // Assess
    expect(text).toBe(JSON.stringify(c0).slice(1, -1));
  });
});

describe('terminalJson', () => {
  test('a body laid out by indentJson: its line breaks kept, raw DEL and C1 in strings escaped, the same JSON', () => {
    // Prepare: JSON holds C0 only as escapes, but DEL and C1 raw.
    const body = '{"from":"\\u001b[31m\\\\x","to":"a\u009b2J\u007f\u0085b","n":1}';

    // Act
    const text = terminalJson(indentJson(body));

    // Assess
    expect(text).toBe('{\n  "from": "\\u001b[31m\\\\x",\n  "to": "a\\u009b2J\\u007f\\u0085b",\n  "n": 1\n}');
    expect(rawControls(text)).toEqual(['\n']);
    expect(JSON.parse(text)).toEqual(JSON.parse(body));
  });
});
