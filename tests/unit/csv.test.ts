import { csvLine } from '../../cli/csv';

describe('csvLine (RFC 4180)', () => {
  test.each([
    ['plain values as they are, CRLF at the end', ['CA1', 47, '+13125550142'], 'CA1,47,+13125550142\r\n'],
    ['absent values as empty cells', ['CA1', undefined, 'x'], 'CA1,,x\r\n'],
    ['a comma: quoted', ['a,b'], '"a,b"\r\n'],
    ['a quote: quoted and doubled', ['say "hi"'], '"say ""hi"""\r\n'],
    ['CR and LF: quoted', ['a\r\nb', 'c\nd'], '"a\r\nb","c\nd"\r\n'],
    [
      'a SIP address with parameters',
      ['sip:agent@pbx.example.com;transport=tls'],
      'sip:agent@pbx.example.com;transport=tls\r\n',
    ],
    [
      'a formula: defused with a quote mark',
      ['=1+1', '@SUM(A1)', '-2+3', '+cmd|x'],
      "'=1+1,'@SUM(A1),'-2+3,'+cmd|x\r\n",
    ],
    ['a tab at the start: defused', ['\tx'], "'\tx\r\n"],
    ['a signed number (E.164) stays as sent', ['+442079460321', '-5'], '+442079460321,-5\r\n'],
    [
      'a formula with a comma and quotes: defused, then quoted',
      ['=HYPERLINK("u","t")'],
      '"\'=HYPERLINK(""u"",""t"")"\r\n',
    ],
  ])('%s', (_name, values, line) => {
    // Act
    const text = csvLine(values);

    // Assess
    expect(text).toBe(line);
  });
});
