import { isoUtc, parseIsoTime, parseRfc1123 } from '../../lib/freeclimb-time';

describe('parseRfc1123', () => {
  test.each([
    ['the example of FreeClimb’s description', 'Mon, 15 Jun 2009 20:45:30 GMT', '2009-06-15T20:45:30.000Z'],
    ['a one-digit day, as Java writes it', 'Wed, 3 Jun 2026 07:05:09 GMT', '2026-06-03T07:05:09.000Z'],
    ['a two-digit day with a leading zero', 'Wed, 03 Jun 2026 07:05:09 GMT', '2026-06-03T07:05:09.000Z'],
    ['the first and last second of a day', 'Thu, 01 Jan 1970 00:00:00 GMT', '1970-01-01T00:00:00.000Z'],
    ['the last second of a year', 'Thu, 31 Dec 2026 23:59:59 GMT', '2026-12-31T23:59:59.000Z'],
    ['the 29th of February of a leap year', 'Thu, 29 Feb 2024 12:00:00 GMT', '2024-02-29T12:00:00.000Z'],
  ])('reads %s', (_name, text, expected) => {
    // Prepare
    const input = text;

    // Act
    const ms = parseRfc1123(input);

    // Assess
    expect(ms === undefined ? undefined : isoUtc(ms)).toBe(expected);
  });

  test.each(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].map((day, index) => [day, 14 + index]))(
    'knows %s as the weekday of June %i 2026',
    (day, date) => {
      // Prepare
      const text = `${day}, ${date} Jun 2026 10:00:00 GMT`;

      // Act
      const ms = parseRfc1123(text);

      // Assess
      expect(ms).toBe(Date.UTC(2026, 5, date as number, 10));
    },
  );

  test.each(
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [
      m,
      i,
    ]),
  )('knows %s as month %i', (month, index) => {
    // Prepare: the first of each month of 2026, with its own weekday.
    const ms = Date.UTC(2026, index as number, 1, 8);
    const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(ms).getUTCDay()];

    // Act
    const parsed = parseRfc1123(`${day}, 01 ${month} 2026 08:00:00 GMT`);

    // Assess
    expect(parsed).toBe(ms);
  });

  test.each([
    ['a day name that is no day', 'Mox, 15 Jun 2009 20:45:30 GMT'],
    ['a day name in lower case', 'mon, 15 Jun 2009 20:45:30 GMT'],
    ['a full day name', 'Monday, 15 Jun 2009 20:45:30 GMT'],
    ['the wrong weekday for the date', 'Tue, 15 Jun 2009 20:45:30 GMT'],
    ['no day name', '15 Jun 2009 20:45:30 GMT'],
    ['a month that is no month', 'Mon, 15 Jux 2009 20:45:30 GMT'],
    ['the 31st of June', 'Wed, 31 Jun 2009 20:45:30 GMT'],
    ['the 29th of February of a common year', 'Sun, 29 Feb 2026 12:00:00 GMT'],
    ['day 0', 'Sun, 00 Jun 2009 20:45:30 GMT'],
    ['hour 24', 'Mon, 15 Jun 2009 24:00:00 GMT'],
    ['minute 60', 'Mon, 15 Jun 2009 20:60:30 GMT'],
    ['a leap second', 'Mon, 15 Jun 2009 20:45:60 GMT'],
    ['a two-digit year', 'Mon, 15 Jun 09 20:45:30 GMT'],
    ['a year before 100', 'Fri, 15 Jun 0099 20:45:30 GMT'],
    ['a year before 100 named with the weekday of the same day in 1999', 'Tue, 15 Jun 0099 20:45:30 GMT'],
    ['UTC in place of GMT', 'Mon, 15 Jun 2009 20:45:30 UTC'],
    ['a numeric zone', 'Mon, 15 Jun 2009 20:45:30 +0000'],
    ['a US zone', 'Mon, 15 Jun 2009 20:45:30 EST'],
    ['no zone', 'Mon, 15 Jun 2009 20:45:30'],
    ['a missing comma', 'Mon 15 Jun 2009 20:45:30 GMT'],
    ['one-digit hours', 'Mon, 15 Jun 2009 8:45:30 GMT'],
    ['a leading space', ' Mon, 15 Jun 2009 20:45:30 GMT'],
    ['text after it', 'Mon, 15 Jun 2009 20:45:30 GMT.'],
    ['an ISO time', '2009-06-15T20:45:30Z'],
    ['an empty string', ''],
  ])('refuses %s', (_name, text) => {
    // Prepare
    const input = text;

    // Act
    const ms = parseRfc1123(input);

    // Assess
    expect(ms).toBeUndefined();
  });
});

describe('parseIsoTime', () => {
  test.each([
    ['UTC with milliseconds', '2022-01-01T00:00:00.000Z', '2022-01-01T00:00:00.000Z'],
    ['UTC without a fraction', '2026-06-15T20:45:30Z', '2026-06-15T20:45:30.000Z'],
    ['a positive offset', '2026-06-15T22:45:30.250+02:00', '2026-06-15T20:45:30.250Z'],
    ['a negative offset with minutes', '2026-06-15T15:15:30-05:30', '2026-06-15T20:45:30.000Z'],
    ['microseconds, cut to the millisecond', '2026-06-15T20:45:30.123987Z', '2026-06-15T20:45:30.123Z'],
    ['one fraction digit', '2026-06-15T20:45:30.5Z', '2026-06-15T20:45:30.500Z'],
    ['the 29th of February of a leap year', '2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ['the largest offsets', '2026-06-15T20:45:30+23:59', '2026-06-14T20:46:30.000Z'],
  ])('reads %s', (_name, text, expected) => {
    // Prepare
    const input = text;

    // Act
    const ms = parseIsoTime(input);

    // Assess
    expect(ms === undefined ? undefined : isoUtc(ms)).toBe(expected);
  });

  test.each([
    ['no zone', '2026-06-15T20:45:30'],
    ['text before it', 'x2026-06-15T20:45:30Z'],
    ['a year before 100', '0099-06-15T20:45:30Z'],
    ['month 0', '2026-00-15T20:45:30Z'],
    ['hour 25', '2026-06-15T25:00:00Z'],
    ['no seconds', '2026-06-15T20:45Z'],
    ['a space for the T', '2026-06-15 20:45:30Z'],
    ['the 30th of February', '2026-02-30T12:00:00Z'],
    ['month 13', '2026-13-01T12:00:00Z'],
    ['hour 24', '2026-06-15T24:00:00Z'],
    ['minute 60', '2026-06-15T20:60:00Z'],
    ['a leap second', '2026-06-15T20:45:60Z'],
    ['an offset of 24 hours', '2026-06-15T20:45:30+24:00'],
    ['an offset with minute 60', '2026-06-15T20:45:30+01:60'],
    ['an offset without a colon', '2026-06-15T20:45:30+0200'],
    ['an RFC 1123 time', 'Mon, 15 Jun 2009 20:45:30 GMT'],
    ['text after it', '2026-06-15T20:45:30Z '],
    ['an empty string', ''],
  ])('refuses %s', (_name, text) => {
    // Prepare
    const input = text;

    // Act
    const ms = parseIsoTime(input);

    // Assess
    expect(ms).toBeUndefined();
  });
});

describe('isoUtc', () => {
  test('writes epoch milliseconds as ISO 8601 UTC with milliseconds', () => {
    // Prepare
    const ms = Date.UTC(2009, 5, 15, 20, 45, 30, 7);

    // Act
    const text = isoUtc(ms);

    // Assess
    expect(text).toBe('2009-06-15T20:45:30.007Z');
  });
});
