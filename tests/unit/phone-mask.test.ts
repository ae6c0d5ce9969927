import { maskAddress } from '../../lib/phone-mask';

describe('maskAddress', () => {
  test.each(['+13125550142', '+442079460321', '+18475550199', '+861012345678901'])(
    'keeps only + and the last 4 digits of E.164 %s',
    (number) => {
      // Prepare
      const lastFour = number.slice(-4);
      const hidden = number.slice(1, -4);

      // Act
      const masked = maskAddress(number) ?? '';

      // Assess
      expect(masked.startsWith('+')).toBe(true);
      expect(masked.endsWith(lastFour)).toBe(true);
      expect(masked.slice(1, -4)).toMatch(/^\*+$/);
      expect(masked.replace(/[^0-9]/g, '')).toBe(lastFour);
      expect(masked).not.toContain(hidden);
    },
  );

  test.each([
    ['sip:agent@pbx.example.com', 'sip:', 'a', '@pbx.example.com', 'agent'],
    ['sips:bob.smith@sip.example.org:5061', 'sips:', 'b', '@sip.example.org:5061', 'bob.smith'],
    ['sip:+13125550142@carrier.example.net', 'sip:', '+', '@carrier.example.net', '13125550142'],
  ])('masks SIP %s to scheme, first user character and host', (uri, scheme, first, host, user) => {
    // Prepare
    const rest = user.slice(1);

    // Act
    const masked = maskAddress(uri) ?? '';

    // Assess
    expect(masked.startsWith(`${scheme}${first}`)).toBe(true);
    expect(masked.endsWith(host)).toBe(true);
    expect(masked).toMatch(/\*+@/);
    expect(masked).not.toContain(rest);
  });

  test.each(['+1234', '+12', '1234', '7'])('masks short value %s fully', (value) => {
    // Prepare
    const digits = value.replace(/[^0-9]/g, '');

    // Act
    const masked = maskAddress(value) ?? '';

    // Assess
    expect(masked.replace(/[^0-9]/g, '')).toBe('');
    expect(masked).not.toContain(digits);
    expect(masked).toContain('*');
  });

  test('never shows the digits before the last 4 of many numbers', () => {
    // Prepare
    const numbers = Array.from({ length: 50 }, (_, i) => `+1${String(2_000_000_000 + i * 7_654_321)}`);

    // Act
    const masked = numbers.map((number) => maskAddress(number) ?? '');

    // Assess
    masked.forEach((value, i) => {
      const number = numbers[i] ?? '';
      expect(value.replace(/[^0-9]/g, '')).toBe(number.slice(-4));
    });
  });

  test.each([
    ['undefined', undefined],
    ['empty', ''],
  ])('leaves an %s value as it is', (_name, value) => {
    // Prepare
    const input = value;

    // Act
    const masked = maskAddress(input);

    // Assess
    expect(masked).toBe(value);
  });

  test.each([
    ['a number without +', '13125550142', '*******0142'],
    ['a number with +', '+13125550142', '+*******0142'],
    ['a SIP URI without a host', 'sip:agent', 'sip:a****'],
    ['a SIP scheme that does not start the value', 'tel:sip:5550142', '***********0142'],
    ['a SIP URI followed by another line', 'sip:agent@pbx\n+13125550142', `${'*'.repeat(22)}0142`],
  ])('masks %s exactly', (_name, value, expected) => {
    // Act
    const masked = maskAddress(value);

    // Assess
    expect(masked).toBe(expected);
  });
});
