import { UsageError } from '../../cli/cli-errors';
import { MAX_WINDOW_DAYS, timeWindow } from '../../cli/time-window';

// The one reading of `--since`: a bounded window and the UTC days (one Query each) it touches.

const NOW = Date.parse('2031-03-02T06:00:00.000Z');

describe('timeWindow', () => {
  test.each([
    ['90m', '2031-03-02T04:30:00.000Z', ['2031-03-02']],
    ['24h', '2031-03-01T06:00:00.000Z', ['2031-03-02', '2031-03-01']],
    ['2d', '2031-02-28T06:00:00.000Z', ['2031-03-02', '2031-03-01', '2031-02-28']],
  ])('%s reaches back to %s, over the days %j, newest first', (since, sinceIso, days) => {
    // Prepare
    const flag = '--since';

    // Act
    const window = timeWindow(since, flag, NOW);

    // Assess
    expect(window).toEqual({ text: since, sinceMs: Date.parse(sinceIso), untilMs: NOW, sinceIso, days });
  });

  test('the longest window, a year with its leap day, is a plan of at most 367 Queries', () => {
    // Prepare
    const longest = [`${MAX_WINDOW_DAYS}d`, `${MAX_WINDOW_DAYS * 24}h`, `${MAX_WINDOW_DAYS * 24 * 60}m`];

    // Act
    const plans = longest.map((since) => timeWindow(since, '--since', NOW).days.length);

    // Assess
    expect(MAX_WINDOW_DAYS).toBe(366);
    expect(plans).toEqual([367, 367, 367]);
  });

  test.each([
    ['367d', 'the longest window is 366d (it is read one Query per day)'],
    ['8785h', 'the longest window is 366d (it is read one Query per day)'],
    ['527041m', 'the longest window is 366d (it is read one Query per day)'],
    ['10000000d', 'the longest window is 366d (it is read one Query per day)'],
    ['99999999999d', 'the longest window is 366d (it is read one Query per day)'],
    [`${'9'.repeat(400)}d`, 'the longest window is 366d (it is read one Query per day)'],
    ['0d', 'expected a duration like 90m, 24h or 7d'],
    ['7', 'expected a duration like 90m, 24h or 7d'],
    ['-7d', 'expected a duration like 90m, 24h or 7d'],
    ['1.5h', 'expected a duration like 90m, 24h or 7d'],
  ])('%s is a usage error: %s', (since, message) => {
    // Prepare
    const read = () => timeWindow(since, '--since', NOW);

    // Act
    let error: unknown;
    try {
      read();
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(`--since ${since}: ${message}`);
  });
});
