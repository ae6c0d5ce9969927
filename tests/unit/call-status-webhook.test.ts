import {
  CALL_ENDED_REASONS,
  CALL_STATUSES,
  DIRECTIONS,
  type ParseResult,
  parseCallStatusWebhook,
} from '../../lib/call-status-webhook';
import type { ValidationIssue } from '../../lib/errors';
import { callStatusBodyNames, NOT_CALL_STATUS, readJson } from '../support/fixture-bodies';

const HEX40 = '0123456789abcdef0123456789abcdef01234567';

/** A valid body to vary one field at a time (a fresh copy per call). */
function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...readJson('completed-inbound.json'), ...overrides };
}

function withoutKey(key: string): Record<string, unknown> {
  const body = validBody();
  delete body[key];
  return body;
}

function issuesOf(result: ParseResult): ValidationIssue[] {
  return result.ok ? [] : result.issues;
}

describe('parseCallStatusWebhook on the fixtures', () => {
  test.each(callStatusBodyNames())('accepts %s', (name) => {
    // Prepare
    const body = readJson(name);

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(issuesOf(result)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test(`refuses ${NOT_CALL_STATUS} (another webhook) on requestType`, () => {
    // Prepare
    const body = readJson(NOT_CALL_STATUS);

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(result.ok).toBe(false);
    expect(issuesOf(result).map((issue) => issue.path)).toContain('requestType');
  });
});

describe('enumerated fields', () => {
  const cases = [
    ...CALL_STATUSES.map((value) => ['callStatus', value] as const),
    ...CALL_ENDED_REASONS.map((value) => ['callEndedReason', value] as const),
    ...DIRECTIONS.map((value) => ['direction', value] as const),
  ];

  test('cover the values CONTRACT.md lists', () => {
    // Prepare
    const expected = {
      callStatus: ['completed', 'busy', 'failed', 'noAnswer', 'canceled'],
      direction: ['inbound', 'outbound', 'outboundAPI', 'outboundDial'],
      callEndedReasonCount: 23,
    };

    // Act
    const actual = {
      callStatus: [...CALL_STATUSES],
      direction: [...DIRECTIONS],
      callEndedReasonCount: new Set(CALL_ENDED_REASONS).size,
    };

    // Assess
    expect(actual).toEqual(expected);
  });

  test.each(cases)('accept %s %s, kept as sent', (key, value) => {
    // Prepare
    const body = validBody({ [key]: value });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(result.ok && result.payload[key]).toBe(value);
  });

  test.each([
    ['callStatus', 'ringing'],
    ['callStatus', 'Completed'],
    ['callEndedReason', 'hangup'],
    ['direction', 'outbound-api'],
  ])('refuse %s %s', (key, value) => {
    // Prepare
    const body = validBody({ [key]: value });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(issuesOf(result).map((issue) => issue.path)).toEqual([key]);
  });
});

describe('callDuration', () => {
  test.each([
    [0, 0],
    [42, 42],
    ['42', 42],
    ['0', 0],
  ])('accepts %p and stores the number %p', (sent, stored) => {
    // Prepare
    const body = validBody({ callDuration: sent });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(result.ok && result.payload.callDuration).toBe(stored);
  });

  test.each([12.5, '12.5', '1e3', -5, '-5', true, null, '', ' 42', '42 ', {}, [42]])('refuses %p', (sent) => {
    // Prepare
    const body = validBody({ callDuration: sent });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    const paths = issuesOf(result).map((issue) => issue.path);
    expect(paths.length).toBeGreaterThan(0);
    expect(new Set(paths)).toEqual(new Set(['callDuration']));
  });
});

describe('ids', () => {
  const idFields = [
    ['callId', 'CA'],
    ['accountId', 'AC'],
    ['recordingId', 'RE'],
    ['parentCallId', 'CA'],
  ] as const;
  const wrongPrefix = { CA: 'AC', AC: 'CA', RE: 'CA' } as const;

  test.each(
    idFields.flatMap(([key, prefix]) => [
      [key, `${prefix}${HEX40}`],
      [key, `${prefix}${HEX40.toUpperCase()}`],
    ]),
  )('%s accepts %s', (key, id) => {
    // Prepare
    const body = validBody({ [key]: id });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(result.ok && result.payload[key]).toBe(id);
  });

  test.each(
    idFields.flatMap(([key, prefix]) => [
      [key, '39 hex digits', `${prefix}${HEX40.slice(1)}`],
      [key, '41 hex digits', `${prefix}${HEX40}0`],
      [key, 'the wrong prefix', `${wrongPrefix[prefix]}${HEX40}`],
      [key, 'no prefix', `${HEX40}ab`],
      [key, 'a non-hex digit', `${prefix}${HEX40.slice(1)}g`],
      [key, 'a number', 42],
    ]),
  )('%s refuses %s', (key, _name, id) => {
    // Prepare
    const body = validBody({ [key]: id });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(issuesOf(result).map((issue) => issue.path)).toContain(key);
  });
});

describe('from and to', () => {
  test.each([
    ['from', 'sip:caller@sip.example.com'],
    ['to', 'sip:agent@pbx.example.com'],
    ['to', 'x'.repeat(256)],
  ] as const)('%s accepts %s', (key, address) => {
    // Prepare
    const body = validBody({ [key]: address });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(result.ok && result.payload[key]).toBe(address);
  });

  test.each(['from', 'to'])('%s refuses 257 characters', (key) => {
    // Prepare
    const body = validBody({ [key]: `sip:${'a'.repeat(240)}@example.com`.padEnd(257, 'm') });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(String(body[key])).toHaveLength(257);
    expect(issuesOf(result).map((issue) => issue.path)).toEqual([key]);
  });
});

describe('conferenceId, queueId and parentCallId', () => {
  test.each([
    ['conferenceId', 'null', validBody({ conferenceId: null })],
    ['conferenceId', 'absent', withoutKey('conferenceId')],
    ['queueId', 'null', validBody({ queueId: null })],
    ['queueId', 'absent', withoutKey('queueId')],
    ['parentCallId', 'null', validBody({ parentCallId: null })],
    ['parentCallId', 'absent', withoutKey('parentCallId')],
  ])('%s accepts %s', (_key, _name, body) => {
    // Prepare
    const input = body;

    // Act
    const result = parseCallStatusWebhook(input);

    // Assess
    expect(issuesOf(result)).toEqual([]);
  });

  test.each([
    ['conferenceId', `CF${HEX40}`],
    ['queueId', `QU${HEX40}`],
    ['parentCallId', ''],
  ])('%s refuses %p', (key, value) => {
    // Prepare
    const body = validBody({ [key]: value });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(issuesOf(result).map((issue) => issue.path)).toEqual([key]);
  });
});

describe('recording fields', () => {
  const validUrl = `https://www.freeclimb.com/apiserver/Accounts/AC${HEX40}/Recordings/RE${HEX40}/Download`;

  test.each([
    ['recordingUrl', 'absent', undefined],
    ['recordingUrl', 'null', null],
    ['recordingUrl', 'empty', ''],
    ['recordingUrl', 'valid', validUrl],
    ['recordingId', 'absent', undefined],
    ['recordingId', 'null', null],
    ['recordingId', 'empty', ''],
    ['recordingId', 'valid', `RE${HEX40}`],
    ['recordingDurationSec', 'absent', undefined],
    ['recordingDurationSec', 'null', null],
    ['recordingDurationSec', 'zero', 0],
    ['recordingDurationSec', 'empty', ''],
    ['recordingDurationSec', 'valid', 88],
  ])('%s accepts %s', (key, _name, value) => {
    // Prepare
    const body = value === undefined ? withoutKey(key) : validBody({ [key]: value });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(issuesOf(result)).toEqual([]);
  });

  test('a zero-length recording (empty strings and 0) is accepted as sent', () => {
    // Prepare
    const body = validBody({ recordingUrl: '', recordingId: '', recordingDurationSec: 0 });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(result.ok && result.payload).toMatchObject({
      recordingUrl: '',
      recordingId: '',
      recordingDurationSec: 0,
    });
  });

  test.each([
    ['recordingUrl', 'not a URL', 'not a url'],
    ['recordingUrl', 'over 2048 characters', `https://example.com/${'a'.repeat(2048)}`],
    ['recordingId', 'a call id', `CA${HEX40}`],
    ['recordingDurationSec', 'a fraction', 1.5],
    ['recordingDurationSec', 'a negative number', -1],
  ])('%s refuses %s', (key, _name, value) => {
    // Prepare
    const body = validBody({ [key]: value });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    const paths = issuesOf(result).map((issue) => issue.path);
    expect(paths.length).toBeGreaterThan(0);
    expect(new Set(paths)).toEqual(new Set([key]));
  });
});

describe('the shape of the body', () => {
  test('unknown extra keys are ignored and left out of the output', () => {
    // Prepare
    const body = validBody({ answeredBy: null, sipResponseCode: 480, somethingNew: { nested: true } });

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(result.ok).toBe(true);
    const keys = result.ok ? Object.keys(result.payload) : [];
    expect(keys).not.toContain('answeredBy');
    expect(keys).not.toContain('sipResponseCode');
    expect(keys).not.toContain('somethingNew');
  });

  test.each([
    'requestType',
    'callId',
    'accountId',
    'from',
    'to',
    'callStatus',
    'callEndedReason',
    'direction',
    'callDuration',
  ])('a missing %s gives an issue with its path and "is required"', (key) => {
    // Prepare
    const body = withoutKey(key);

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(issuesOf(result)).toEqual([{ path: key, message: 'is required' }]);
  });

  test.each([
    ['an empty array', []],
    ['an array of one valid body', [validBody()]],
    ['a string', 'callStatus'],
    ['null', null],
    ['a number', 42],
    ['a boolean', true],
  ])('%s at the top level gives one issue with path ""', (_name, input) => {
    // Prepare
    const body: unknown = input;

    // Act
    const result = parseCallStatusWebhook(body);

    // Assess
    expect(issuesOf(result)).toEqual([{ path: '', message: expect.any(String) }]);
  });
});

describe('issue messages never echo the received value', () => {
  const SENTINEL = 'SENTINEL_VALUE_123';
  const keys = Object.keys(validBody());
  const recordingKeys = ['recordingUrl', 'recordingId', 'recordingDurationSec'];

  test.each([
    [
      'every field set to the sentinel',
      Object.fromEntries([...keys, ...recordingKeys].map((k) => [k, SENTINEL])),
    ],
    [
      'ids and addresses that embed the sentinel',
      validBody({
        callId: `CA${SENTINEL}`,
        accountId: `AC${SENTINEL}`,
        parentCallId: `CA${SENTINEL}`,
        recordingId: `RE${SENTINEL}`,
        recordingUrl: `https://example.com/${SENTINEL}`.repeat(200),
        from: SENTINEL.repeat(20),
        to: `sip:${SENTINEL.repeat(20)}@example.com`,
        callDuration: `${SENTINEL}42`,
      }),
    ],
    ['a sentinel string as the whole body', SENTINEL],
    ['an array holding the sentinel', [SENTINEL]],
  ])('%s', (_name, body) => {
    // Prepare
    const input: unknown = body;

    // Act
    const result = parseCallStatusWebhook(input);

    // Assess
    expect(issuesOf(result).length).toBeGreaterThan(0);
    expect(JSON.stringify(issuesOf(result))).not.toContain(SENTINEL);
  });
});

describe('the words of each issue (returned to FreeClimb and kept with a rejected delivery)', () => {
  const SECONDS = 'must be a whole number of seconds (an integer or a string of digits)';

  test.each<[string, Record<string, unknown>, ValidationIssue]>([
    ['a call id that is no string', { callId: 7 }, { path: 'callId', message: 'a call id must be a string' }],
    [
      'a malformed call id',
      { callId: 'CA123' },
      { path: 'callId', message: 'a call id must be CA followed by 40 hex digits' },
    ],
    [
      'a malformed account id',
      { accountId: 'AC123' },
      { path: 'accountId', message: 'an account id must be AC followed by 40 hex digits' },
    ],
    [
      'a malformed recording id',
      { recordingId: 'RE123' },
      { path: 'recordingId', message: 'a recording id must be RE followed by 40 hex digits' },
    ],
    [
      'a recording id of another type',
      { recordingId: 5 },
      { path: 'recordingId', message: 'must be empty or a valid value' },
    ],
    ['a from that is no string', { from: 5 }, { path: 'from', message: 'must be a string' }],
    [
      'a to of 257 characters',
      { to: 'x'.repeat(257) },
      { path: 'to', message: 'must be at most 256 characters' },
    ],
    ['a fractional duration', { callDuration: 12.5 }, { path: 'callDuration', message: SECONDS }],
    ['a conference id', { conferenceId: 'CF1' }, { path: 'conferenceId', message: 'must be null' }],
    ['a missing field', { requestType: undefined }, { path: 'requestType', message: 'is required' }],
  ])('%s', (_name, overrides, issue) => {
    // Prepare
    const body = validBody(overrides);
    for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete body[key];

    // Act
    const issues = issuesOf(parseCallStatusWebhook(body));

    // Assess
    expect(issues).toContainEqual(issue);
  });

  test('a recording URL that is not one names its own rule', () => {
    // Act
    const issues = issuesOf(parseCallStatusWebhook(validBody({ recordingUrl: 'not a url' })));

    // Assess
    expect(issues).toEqual([{ path: 'recordingUrl', message: 'must be a URL of at most 2048 characters' }]);
  });

  test.each([
    ['an array', []],
    ['a string', 'callStatus'],
    ['null', null],
  ])('%s at the top level is one issue: the body must be a JSON object', (_name, value) => {
    // Act
    const issues = issuesOf(parseCallStatusWebhook(value));

    // Assess
    expect(issues).toEqual([{ path: '', message: 'body must be a JSON object' }]);
  });
});
