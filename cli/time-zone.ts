import { readFileSync, realpathSync } from 'node:fs';
import { UsageError } from './cli-errors';

/**
 * The zone the CLI shows local times in, from `TZ`. Node's `Intl` knows only IANA names (`Europe/Berlin`),
 * while containers and CI images often set the POSIX forms that `date` accepts: `:/etc/localtime`, `:UTC`,
 * `UTC0`, `<+03>-3`, `CET-1CEST,M3.5.0,M10.5.0/3`. Those are read here as `date` reads them where `Intl` can
 * follow (a named zone, a zone file, a fixed offset); a rule-based daylight-saving string falls back to the
 * system zone (every time printed carries its zone's name, so the reader sees which clock it is). Only a
 * value that is no zone in any form is an error.
 *
 * Returns an `Intl` time zone, or undefined for `Intl`'s default (TZ unset: the system's).
 */
export function localTimeZone(
  tz: string | undefined,
  system: () => string = systemTimeZone,
): string | undefined {
  if (tz === undefined || tz === '') return undefined;
  if (isTimeZone(tz)) return tz;
  if (tz.startsWith(':')) {
    const rest = tz.slice(1);
    if (isTimeZone(rest)) return rest;
    if (rest === '/etc/localtime') return system();
    if (rest.startsWith('/')) return zoneOfFile(rest) ?? system();
  }
  const posix = POSIX_TZ.exec(tz);
  if (posix !== null) {
    const [, offset = '', daylightSaving = ''] = posix;
    return daylightSaving === '' ? fixedOffset(tz, offset) : system();
  }
  throw notAZone(tz);
}

const NAME = '(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]+>)';
const OFFSET = '[+-]?\\d{1,2}(?::\\d{2}){0,2}';
/** `std offset [dst [offset][,start[/time],end[/time]]]`, as POSIX defines TZ. */
const POSIX_TZ = new RegExp(`^${NAME}(${OFFSET})((?:${NAME}(?:${OFFSET})?(?:,.+)?)?)$`);

/** POSIX counts hours west of UTC (`EST5` is UTC-5); `Intl` takes `-05:00`. */
function fixedOffset(tz: string, offset: string): string {
  const [hours = 0, minutes = 0, seconds = 0] = offset.replace(/^[+-]/, '').split(':').map(Number);
  if (hours === 0 && minutes === 0 && seconds === 0) return 'UTC';
  if (hours > 23 || minutes > 59 || seconds !== 0) throw notAZone(tz);
  const sign = offset.startsWith('-') ? '+' : '-';
  return `${sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

function notAZone(tz: string): UsageError {
  return new UsageError(`TZ=${tz} is not a time zone (e.g. Europe/Berlin, America/Chicago, UTC)`);
}

/** The zone the machine is set to: where /etc/localtime points, else /etc/timezone, else UTC. */
export function systemTimeZone(): string {
  const linked = zoneOfFile('/etc/localtime');
  if (linked !== undefined) return linked;
  try {
    const named = readFileSync('/etc/timezone', 'utf8').trim();
    if (isTimeZone(named)) return named;
  } catch {
    // No such file: not a Debian-style system.
  }
  return 'UTC';
}

/** `/usr/share/zoneinfo/Europe/Berlin` (or a link to it) is `Europe/Berlin`. */
function zoneOfFile(file: string): string | undefined {
  let resolved = file;
  try {
    resolved = realpathSync(file);
  } catch {
    // Read the name from the path as given.
  }
  const at = resolved.lastIndexOf('zoneinfo/');
  const name = at === -1 ? '' : resolved.slice(at + 'zoneinfo/'.length).replace(/^(posix|right)\//, '');
  return isTimeZone(name) ? name : undefined;
}

function isTimeZone(name: string): boolean {
  if (name === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
