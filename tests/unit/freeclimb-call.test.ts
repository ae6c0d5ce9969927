import * as v from 'valibot';
import { FreeClimbCall, toCallDetails, whyNotFinal } from '../../lib/freeclimb-call';
import { callResource, type FakeCallStatus } from '../support/fake-freeclimb';
import { freshId } from '../support/webhook';

const ENRICHED_AT_MS = Date.UTC(2026, 0, 15, 9, 31, 0);
const STARTED_AT_MS = Date.UTC(2026, 0, 15, 9, 30, 0);

/** A Call resource as FreeClimb serialises it, checked by the schema. */
function parsedCall(resource: Record<string, unknown>): FreeClimbCall {
  return v.parse(FreeClimbCall, resource);
}

function issuesOf(resource: Record<string, unknown>): string[] {
  const result = v.safeParse(FreeClimbCall, resource);
  return result.success ? [] : result.issues.map((issue) => `${v.getDotPath(issue)} ${issue.message}`);
}

const resource = (
  options: Parameters<typeof callResource>[2] = {},
  overrides: Record<string, unknown> = {},
) => callResource(freshId('CA'), freshId('AC'), { startedAtMs: STARTED_AT_MS, ...options }, overrides);

describe('FreeClimbCall and toCallDetails', () => {
  test('a completed call with both time formats: every field, times in ISO 8601 UTC', () => {
    // Prepare
    const call = parsedCall(resource({ ringSeconds: 6, talkSeconds: 41, answeredBy: 'machine' }));

    // Act
    const details = toCallDetails(call, ENRICHED_AT_MS);

    // Assess
    expect(details).toEqual({
      status: 'completed',
      startTime: '2026-01-15T09:30:00.000Z',
      connectTime: '2026-01-15T09:30:06.000Z',
      endTime: '2026-01-15T09:30:47.000Z',
      duration: 47,
      connectDuration: 41,
      answeredBy: 'machine',
      callerName: 'ACME SUPPORT',
      phoneNumberId: 'PN0123456789abcdef0123456789abcdef01234567',
      applicationId: 'AP0123456789abcdef0123456789abcdef01234567',
      enrichedAt: '2026-01-15T09:31:00.000Z',
    });
  });

  test('RFC 1123 times only (older API versions) give the same ISO times', () => {
    // Prepare
    const both = parsedCall(resource({ times: 'rfc1123-and-iso' }));
    const rfcOnly = parsedCall(resource({ times: 'rfc1123-only' }));

    // Act
    const fromBoth = toCallDetails(both, ENRICHED_AT_MS);
    const fromRfc = toCallDetails(rfcOnly, ENRICHED_AT_MS);

    // Assess
    expect(fromRfc).toEqual(fromBoth);
    expect(fromRfc.endTime).toBe('2026-01-15T09:30:47.000Z');
  });

  test('the ISO field wins over the RFC 1123 one, and an offset becomes UTC', () => {
    // Prepare: the two disagree (they never should), so it shows which one is read.
    const call = parsedCall(
      resource(
        {},
        {
          startTime: 'Thu, 15 Jan 2026 09:30:00 GMT',
          startTimeISO: '2026-01-15T11:30:01.500+02:00',
          connectTimeISO: '',
          endTimeISO: null,
        },
      ),
    );

    // Act
    const details = toCallDetails(call, ENRICHED_AT_MS);

    // Assess
    expect(details.startTime).toBe('2026-01-15T09:30:01.500Z');
    expect(details.connectTime).toBe('2026-01-15T09:30:06.000Z');
    expect(details.endTime).toBe('2026-01-15T09:30:47.000Z');
  });

  test.each([
    ['null', null],
    ['empty strings', ''],
  ])('optional fields that are %s are left out, never stored empty', (_name, empty) => {
    // Prepare
    const call = parsedCall(
      resource(
        { status: 'busy', times: 'rfc1123-only' },
        {
          startTime: empty,
          duration: empty,
          connectDuration: empty,
          answeredBy: empty,
          callerName: empty,
          phoneNumberId: empty,
          applicationId: empty,
        },
      ),
    );

    // Act
    const details = toCallDetails(call, ENRICHED_AT_MS);

    // Assess
    expect(details).toStrictEqual({ status: 'busy', enrichedAt: '2026-01-15T09:31:00.000Z' });
  });

  test('absent optional fields are left out too', () => {
    // Prepare
    const call = parsedCall({ status: 'noAnswer' });

    // Act
    const details = toCallDetails(call, ENRICHED_AT_MS);

    // Assess
    expect(details).toStrictEqual({ status: 'noAnswer', enrichedAt: '2026-01-15T09:31:00.000Z' });
  });

  test('zero seconds are a value, and durations written as digits are numbers', () => {
    // Prepare
    const call = parsedCall(resource({}, { duration: '12', connectDuration: 0 }));

    // Act
    const details = toCallDetails(call, ENRICHED_AT_MS);

    // Assess
    expect(details).toMatchObject({ duration: 12, connectDuration: 0 });
  });

  test('fields the details do not take are dropped, the call id kept for the client to check', () => {
    // Prepare
    const input = resource();

    // Act
    const call = parsedCall(input);

    // Assess
    expect(Object.keys(call).sort()).toEqual(
      [
        'answeredBy',
        'applicationId',
        'callId',
        'callerName',
        'connectDuration',
        'connectTime',
        'connectTimeISO',
        'duration',
        'endTime',
        'endTimeISO',
        'phoneNumberId',
        'startTime',
        'startTimeISO',
        'status',
      ].sort(),
    );
    expect(call.callId).toBe(input.callId);
  });

  test.each([
    ['a status it does not know', { status: 'ended' }, 'status must be one of: queued, ringing, inProgress'],
    ['a null status', { status: null }, 'status must be one of'],
    [
      'an RFC 1123 time in another zone',
      { endTime: 'Thu, 15 Jan 2026 09:30:47 EST' },
      'endTime must be empty or an RFC 1123 time in GMT',
    ],
    [
      'an RFC 1123 time with the wrong weekday',
      { startTime: 'Mon, 15 Jan 2026 09:30:00 GMT' },
      'startTime must be empty or an RFC 1123 time in GMT',
    ],
    [
      'an ISO field that is no ISO time',
      { connectTimeISO: '15/01/2026' },
      'connectTimeISO must be empty or an ISO 8601 time',
    ],
    [
      'a time that is not a string',
      { startTime: 1768469400 },
      'startTime must be empty or an RFC 1123 time in GMT',
    ],
    ['a negative duration', { duration: -1 }, 'duration must be a whole number of seconds'],
    [
      'a duration that is neither number nor text',
      { duration: true },
      'duration must be empty or a whole number of seconds',
    ],
    ['a fractional duration', { connectDuration: 4.5 }, 'connectDuration must be a whole number of seconds'],
    [
      'a caller name too long to keep',
      { callerName: 'x'.repeat(257) },
      'callerName must be empty or a string of at most 256 characters',
    ],
    [
      'a number for a name',
      { answeredBy: 1 },
      'answeredBy must be empty or a string of at most 256 characters',
    ],
  ])('refuses %s, naming the field without its value', (_name, change, message) => {
    // Prepare
    const input = resource({}, change);

    // Act
    const issues = issuesOf(input);

    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(message);
    expect(issues[0]).not.toContain('EST');
    expect(issues[0]).not.toContain('15/01');
  });

  test('refuses a call without a status', () => {
    // Prepare
    const { status: _status, ...withoutStatus } = resource();

    // Act
    const issues = issuesOf(withoutStatus);

    // Assess
    expect(issues).toEqual(['status is required']);
  });

  test('refuses an array, as a call without fields', () => {
    // Prepare
    const body: unknown = [];

    // Act
    const result = v.safeParse(FreeClimbCall, body);

    // Assess
    expect(result.success).toBe(false);
    expect(result.issues?.map((issue) => issue.message)).toEqual(['is required']);
  });

  test.each([
    ['null', null],
    ['a string', 'completed'],
  ])('refuses %s as a whole', (_name, input) => {
    // Prepare
    const body = input;

    // Act
    const result = v.safeParse(FreeClimbCall, body);

    // Assess
    expect(result.success).toBe(false);
    expect(result.issues?.[0]?.message).toBe('must be a JSON object');
  });

  test('a caller name of exactly 256 characters is kept', () => {
    // Prepare
    const name = 'x'.repeat(256);

    // Act
    const call = parsedCall(resource({ callerName: name }));

    // Assess
    expect(call.callerName).toBe(name);
  });
});

describe('whyNotFinal', () => {
  test.each(['queued', 'ringing', 'inProgress'] as FakeCallStatus[])(
    'a call still %s is not final',
    (status) => {
      // Prepare
      const call = parsedCall(resource({ status }));

      // Act
      const reason = whyNotFinal(call);

      // Assess
      expect(reason).toBe(`FreeClimb shows the call as ${status}`);
    },
  );

  test.each(['canceled', 'failed', 'busy', 'noAnswer'] as FakeCallStatus[])(
    'a %s call is final without any time',
    (status) => {
      // Prepare
      const call = parsedCall(resource({ status, times: 'none' }));

      // Act
      const reason = whyNotFinal(call);

      // Assess
      expect(reason).toBeUndefined();
    },
  );

  test('a completed call with its three times is final, in either format', () => {
    // Prepare
    const both = parsedCall(resource());
    const rfcOnly = parsedCall(resource({ times: 'rfc1123-only' }));
    const isoOnly = parsedCall(resource({}, { startTime: null, connectTime: '', endTime: null }));

    // Act
    const reasons = [both, rfcOnly, isoOnly].map(whyNotFinal);

    // Assess
    expect(reasons).toEqual([undefined, undefined, undefined]);
  });

  test('a completed call without its times is not final, naming the missing ones', () => {
    // Prepare
    const none = parsedCall(resource({ times: 'none' }));
    const noEnd = parsedCall(resource({ times: 'rfc1123-and-iso' }, { endTime: '', endTimeISO: null }));
    const noConnect = parsedCall(resource({ times: 'rfc1123-only' }, { connectTime: null }));

    // Act
    const reasons = [none, noEnd, noConnect].map(whyNotFinal);

    // Assess
    expect(reasons).toEqual([
      'FreeClimb shows the call completed without its startTime, connectTime, endTime',
      'FreeClimb shows the call completed without its endTime',
      'FreeClimb shows the call completed without its connectTime',
    ]);
  });
});
