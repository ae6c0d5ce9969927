import { indentJson } from '../../cli/format';
import { allBodyNames, readBody } from '../support/fixture-bodies';

// `get` shows rawBody indented token by token: the tokens exactly as sent, only the whitespace new.

describe('indentJson', () => {
  test.each(allBodyNames())('%s: what a JSON round trip shows, for a body it does not change', (name) => {
    // Prepare
    const text = readBody(name).toString('utf8');

    // Act
    const indented = indentJson(text);

    // Assess
    expect(indented).toBe(JSON.stringify(JSON.parse(text), null, 2));
  });

  test.each([
    ['{"n":12345678901234567890123}', '{\n  "n": 12345678901234567890123\n}'],
    ['{"a":1,"a":2}', '{\n  "a": 1,\n  "a": 2\n}'],
    ['{"x":1.10,"y":1e2,"z":-0}', '{\n  "x": 1.10,\n  "y": 1e2,\n  "z": -0\n}'],
    ['{"s":"\\u00e9 \\"{,:}\\" \\\\"}', '{\n  "s": "\\u00e9 \\"{,:}\\" \\\\"\n}'],
    ['{"2":"b","1":"a"}', '{\n  "2": "b",\n  "1": "a"\n}'],
    [
      ' [ 1 , [ ] , { } , [ {"a" : [2]} ] ] ',
      '[\n  1,\n  [],\n  {},\n  [\n    {\n      "a": [\n        2\n      ]\n    }\n  ]\n]',
    ],
    ['"just a string"', '"just a string"'],
  ])('%s keeps every token as it is', (text, expected) => {
    // Prepare
    const sent = text;

    // Act
    const indented = indentJson(sent);

    // Assess
    expect(indented).toBe(expected);
  });

  test.each(['not json', '{"a":', ''])('%j is not JSON: shown as it is', (text) => {
    // Prepare
    const sent = text;

    // Act
    const indented = indentJson(sent);

    // Assess
    expect(indented).toBe(text);
  });
});
