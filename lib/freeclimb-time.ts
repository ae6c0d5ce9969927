/**
 * The two ways FreeClimb's REST API writes a time, read strictly: a value that is not exactly one of them is
 * no time at all (undefined), never a guess. `Date.parse` would accept `Mon, 15 Jun 2009 20:45:30 EST`, a
 * wrong weekday or the 30th of February, and shift or invent a moment without saying so.
 */

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// Day of month in one or two digits: RFC 1123 allows both, and Java's RFC 1123 formatter writes `3 Jun`.
const RFC_1123 = /^([A-Z][a-z]{2}), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 1123 time in GMT (`Mon, 15 Jun 2009 20:45:30 GMT`), as FreeClimb's `startTime`, `connectTime` and
 * `endTime` and HTTP's `Retry-After` date carry it, in epoch milliseconds. Only `GMT`; the weekday must be
 * the date's own, and every field in range (no 24:00, no leap second).
 */
export function parseRfc1123(text: string): number | undefined {
  const match = RFC_1123.exec(text);
  if (match === null) {
    return undefined;
  }
  const [, dayName, day, monthName, year, hours, minutes, seconds] = match as unknown as string[];
  const month = MONTH_NAMES.indexOf(monthName as string);
  const ms = exactUtc(Number(year), month, Number(day), Number(hours), Number(minutes), Number(seconds));
  // Stryker disable next-line ConditionalExpression,BlockStatement: a date that does not exist has no weekday (NaN), so the day name refuses it too
  if (ms === undefined) {
    return undefined;
  }
  return DAY_NAMES[new Date(ms).getUTCDay()] === dayName ? ms : undefined;
}

/**
 * An ISO 8601 date-time with seconds and a zone (`2022-01-01T00:00:00.000Z`, `…+02:00`), as FreeClimb's `*ISO`
 * fields carry it, in epoch milliseconds; digits past the millisecond are dropped.
 */
export function parseIsoTime(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (match === null) {
    return undefined;
  }
  const [, year, month, day, hours, minutes, seconds, fraction, , sign, offsetHours, offsetMinutes] = match;
  const ms = exactUtc(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hours),
    Number(minutes),
    Number(seconds),
  );
  const offsetMs = sign === undefined ? 0 : zoneOffsetMs(sign, Number(offsetHours), Number(offsetMinutes));
  if (ms === undefined || offsetMs === undefined) {
    return undefined;
  }
  const millis = fraction === undefined ? 0 : Math.floor(Number(fraction) * 1000);
  return ms + millis - offsetMs;
}

/** Epoch milliseconds as ISO 8601 UTC, the form every time in a record takes (`2009-06-15T20:45:30.000Z`). */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The moment, when every field is in its range and the date exists. Date.UTC rolls a day or month out of
 * range over (30 Feb into March, month 13 into the next year, years below 100 into the 1900s), so a date
 * whose year or day of month comes back changed does not exist.
 */
function exactUtc(
  year: number,
  month: number,
  day: number,
  hours: number,
  minutes: number,
  seconds: number,
): number | undefined {
  // An hour past 23 rolls the day over, which the date check below refuses; a minute or second past 59 may not.
  if (minutes > 59 || seconds > 59) {
    return undefined;
  }
  const ms = Date.UTC(year, month, day, hours, minutes, seconds);
  const date = new Date(ms);
  return date.getUTCFullYear() === year && date.getUTCDate() === day ? ms : undefined;
}

function zoneOffsetMs(sign: string, hours: number, minutes: number): number | undefined {
  if (hours > 23 || minutes > 59) {
    return undefined;
  }
  return (sign === '-' ? -1 : 1) * (hours * 60 + minutes) * 60 * 1000;
}
