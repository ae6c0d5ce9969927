import { parseRetryAfter } from '../../lib/freeclimb-api';

const NOW_MS = Date.UTC(2026, 0, 15, 9, 30, 0);

describe('parseRetryAfter', () => {
  test.each([
    ['delta-seconds', '120', 120],
    ['zero seconds', '0', 0],
    ['delta-seconds with spaces around', ' 7 ', 7],
    ['an HTTP date 90 s ahead', 'Thu, 15 Jan 2026 09:31:30 GMT', 90],
    ['an HTTP date 1 s ahead', 'Thu, 15 Jan 2026 09:30:01 GMT', 1],
    ['an HTTP date already past', 'Thu, 15 Jan 2026 09:29:00 GMT', 0],
    ['an HTTP date exactly now', 'Thu, 15 Jan 2026 09:30:00 GMT', 0],
  ])('reads %s', (_name, value, seconds) => {
    // Prepare
    const header = value;

    // Act
    const parsed = parseRetryAfter(header, NOW_MS);

    // Assess
    expect(parsed).toBe(seconds);
  });

  test('rounds a date a fraction of a second ahead up to the next whole second', () => {
    // Prepare
    const now = NOW_MS - 1;

    // Act
    const parsed = parseRetryAfter('Thu, 15 Jan 2026 09:30:00 GMT', now);

    // Assess
    expect(parsed).toBe(1);
  });

  test.each([
    ['no header', null],
    ['an empty header', ''],
    ['negative seconds', '-5'],
    ['fractional seconds', '1.5'],
    ['seconds with a unit', '10s'],
    ['a date in another zone', 'Thu, 15 Jan 2026 09:31:30 EST'],
    ['a date with the wrong weekday', 'Fri, 15 Jan 2026 09:31:30 GMT'],
    ['an ISO date', '2026-01-15T09:31:30Z'],
  ])('ignores %s', (_name, value) => {
    // Prepare
    const header = value;

    // Act
    const parsed = parseRetryAfter(header, NOW_MS);

    // Assess
    expect(parsed).toBeUndefined();
  });
});
