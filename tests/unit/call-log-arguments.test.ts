import { callLogFilter, callLogWindow } from '../../cli/call-log-arguments';
import { UsageError } from '../../cli/cli-errors';

const NOW = Date.parse('2026-11-25T15:00:00.000Z');

describe('callLogWindow', () => {
  test.each([
    ['nothing: the last 24 hours', {}, '2026-11-24T15:00:00.000Z', '2026-11-25T15:00:00.000Z'],
    ['--since 90m', { since: '90m' }, '2026-11-25T13:30:00.000Z', '2026-11-25T15:00:00.000Z'],
    [
      '--from a date: midnight UTC, until now',
      { from: '2026-11-25' },
      '2026-11-25T00:00:00.000Z',
      '2026-11-25T15:00:00.000Z',
    ],
    [
      '--from and --until with an offset and Z',
      { from: '2026-11-24T20:00-06:00', until: '2026-11-25T04:30:00.5Z' },
      '2026-11-25T02:00:00.000Z',
      '2026-11-25T04:30:00.500Z',
    ],
    [
      'exactly 366 days',
      { from: '2025-11-24T15:00:00Z' },
      '2025-11-24T15:00:00.000Z',
      '2026-11-25T15:00:00.000Z',
    ],
  ])('%s', (_name, values, from, until) => {
    // Act
    const window = callLogWindow(values as Record<string, string>, NOW);

    // Assess
    expect([new Date(window.fromMs).toISOString(), new Date(window.untilMs).toISOString()]).toEqual([
      from,
      until,
    ]);
  });

  test.each([
    [{ from: '2025-11-24T14:59:59Z' }, 'the longest window is 366 days'],
    [{ from: '2026-11-25T15:00:00Z' }, 'is not before now'],
    [{ from: '2026-11-25T10:00' }, 'expected an ISO time'],
    [{ from: '2026-02-30' }, 'expected an ISO time'],
    [{ from: '2026-11-24T24:00Z' }, 'expected an ISO time'],
    [{ from: '2026-11-24T23:60Z' }, 'expected an ISO time'],
    [{ from: '2026-11-24T20:00+25:00' }, 'expected an ISO time'],
    [{ from: '25/11/2026' }, 'expected an ISO time'],
    [{ since: '0h' }, 'expected a duration'],
  ])('%j is refused', (values, message) => {
    // Act
    const refuse = () => callLogWindow(values, NOW);

    // Assess
    expect(refuse).toThrow(UsageError);
    expect(refuse).toThrow(message);
  });
});

describe('callLogFilter', () => {
  test('takes the schema values and an E.164 number or a SIP address', () => {
    // Act
    const filters = [
      callLogFilter({ status: 'noAnswer', direction: 'outboundAPI', number: '+442079460321' }),
      callLogFilter({ number: 'sips:agent@pbx.example.com;transport=tls' }),
      callLogFilter({}),
    ];

    // Assess
    expect(filters).toEqual([
      { status: 'noAnswer', direction: 'outboundAPI', number: '+442079460321' },
      { number: 'sips:agent@pbx.example.com;transport=tls' },
      {},
    ]);
  });

  test.each([
    [
      { status: 'Completed' },
      '--status Completed: expected one of completed, busy, failed, noAnswer, canceled',
    ],
    [{ direction: 'outboundConference' }, '--direction outboundConference: expected one of'],
    [{ number: '+0123' }, '--number +0123: expected an E.164 number'],
    [{ number: 'sip:' }, '--number sip:: expected an E.164 number'],
    [{ number: '+1312555014212345' }, 'expected an E.164 number'],
  ])('%j is refused', (values, message) => {
    // Act
    const refuse = () => callLogFilter(values);

    // Assess
    expect(refuse).toThrow(UsageError);
    expect(refuse).toThrow(message);
  });
});
