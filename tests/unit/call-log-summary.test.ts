import type { CallLogEntry } from '../../lib/call-log';
import { CallLogTally } from '../../lib/call-log-summary';

function entry(fields: Partial<CallLogEntry>): CallLogEntry {
  return {
    callId: 'CA0',
    receivedAt: '2026-11-25T10:00:00.000Z',
    callStatus: 'completed',
    callEndedReason: 'farEndHangup',
    direction: 'inbound',
    from: '+13125550142',
    to: '+18475550199',
    callDuration: 10,
    ...fields,
  };
}

describe('CallLogTally', () => {
  test('nothing read: zeros, empty breakdowns, a mean of 0', () => {
    // Act
    const summary = new CallLogTally().summary();

    // Assess
    expect(summary).toEqual({
      total: 0,
      calls: 0,
      legs: 0,
      byStatus: {},
      byDirection: {},
      totalDurationSeconds: 0,
      enriched: 0,
      totalConnectDurationSeconds: 0,
      meanDurationSeconds: 0,
    });
  });

  test('counts every record, legs apart, breakdowns in alphabetical order, the mean to a tenth, talk time over the enriched ones', () => {
    // Prepare
    const tally = new CallLogTally();

    // Act
    tally.add(entry({ callStatus: 'noAnswer', callEndedReason: 'noAnswer', callDuration: 0 }));
    tally.add(entry({ parentCallId: 'CA1', direction: 'outboundDial', callDuration: 31 }));
    tally.add(entry({ callStatus: 'busy', direction: 'outboundAPI', callDuration: 0 }), {});
    tally.add(entry({ callDuration: 50 }), { connectDuration: 42 });
    const summary = tally.summary();

    // Assess
    expect(summary).toEqual({
      total: 4,
      calls: 3,
      legs: 1,
      byStatus: { busy: 1, completed: 2, noAnswer: 1 },
      byDirection: { inbound: 2, outboundAPI: 1, outboundDial: 1 },
      totalDurationSeconds: 81,
      enriched: 2,
      totalConnectDurationSeconds: 42,
      meanDurationSeconds: 20.3,
    });
    expect(Object.keys(summary.byStatus)).toEqual(['busy', 'completed', 'noAnswer']);
  });

  test('every breakdown is in alphabetical order, however the records came', () => {
    // Prepare
    const tally = new CallLogTally();
    const statuses: Array<CallLogEntry['callStatus']> = [
      'noAnswer',
      'canceled',
      'failed',
      'completed',
      'busy',
    ];
    const directions: Array<CallLogEntry['direction']> = [
      'outboundDial',
      'inbound',
      'outboundAPI',
      'outbound',
    ];

    // Act
    for (const callStatus of statuses) tally.add(entry({ callStatus }));
    for (const direction of directions) tally.add(entry({ direction }));
    const summary = tally.summary();

    // Assess
    expect(Object.keys(summary.byStatus)).toEqual(['busy', 'canceled', 'completed', 'failed', 'noAnswer']);
    expect(Object.keys(summary.byDirection)).toEqual(['inbound', 'outbound', 'outboundAPI', 'outboundDial']);
  });
});
