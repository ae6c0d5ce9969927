import { UsageError } from '../../cli/cli-errors';
import { localTimeZone } from '../../cli/time-zone';

// TZ as containers, CI images and `date` know it, read into a zone Intl can show.

const system = () => 'Asia/Tokyo';

describe('localTimeZone', () => {
  test.each([
    [undefined, undefined],
    ['', undefined],
    ['America/Chicago', 'America/Chicago'],
    ['EST5EDT', 'EST5EDT'],
    [':UTC', 'UTC'],
    [':Europe/Berlin', 'Europe/Berlin'],
    [':/etc/localtime', 'Asia/Tokyo'],
    [':/usr/share/zoneinfo/Europe/Paris', 'Europe/Paris'],
    [':/nowhere/at/all', 'Asia/Tokyo'],
    ['UTC0', 'UTC'],
    ['GMT+0', 'GMT+0'],
    ['EST5', '-05:00'],
    ['<+03>-3', '+03:00'],
    ['IST-5:30', '+05:30'],
    ['CET-1CEST,M3.5.0,M10.5.0/3', 'Asia/Tokyo'],
    ['EST5EDT4,M3.2.0/2,M11.1.0/2', 'Asia/Tokyo'],
  ])('TZ=%j is shown in %j', (tz, zone) => {
    // Prepare
    const value = tz;

    // Act
    const result = localTimeZone(value, system);

    // Assess
    expect(result).toBe(zone);
  });

  test.each(['Mars/Olympus', ':Mars/Olympus', 'ABC999', 'XYZ25', 'Europe/Berlin '])(
    'TZ=%j is no zone in any form: a usage error',
    (tz) => {
      // Prepare
      const read = () => localTimeZone(tz, system);

      // Act
      let error: unknown;
      try {
        read();
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(
        `TZ=${tz} is not a time zone (e.g. Europe/Berlin, America/Chicago, UTC)`,
      );
    },
  );
});
