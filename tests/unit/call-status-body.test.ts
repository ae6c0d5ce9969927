import { callIdIn, checkCallStatusBody } from '../../lib/call-status-body';
import { InvalidPayloadError, MalformedBodyError } from '../../lib/errors';
import { readBody } from '../support/fixture-bodies';

describe('checkCallStatusBody', () => {
  test('a malformed body is one issue at the top level, saying why', () => {
    // Act
    const checked = checkCallStatusBody(Buffer.alloc(0));

    // Assess
    expect(checked).toEqual({
      ok: false,
      error: expect.any(MalformedBodyError),
      reason: 'malformed',
      issues: [{ path: '', message: 'The body is empty' }],
    });
  });

  test.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"CA0000000000000000000000000000000000000000"'],
  ])('JSON %s is invalid, with no call id', (_name, json) => {
    // Act
    const checked = checkCallStatusBody(Buffer.from(json));

    // Assess
    expect(checked).toMatchObject({ ok: false, reason: 'invalid', error: expect.any(InvalidPayloadError) });
    expect(checked.ok === false && checked.callId).toBeUndefined();
  });

  test('an invalid object keeps its well-formed call id', () => {
    // Prepare
    const body = readBody('completed-inbound.json').toString('utf8').replace('"inbound"', '"x"');

    // Act
    const checked = checkCallStatusBody(Buffer.from(body));

    // Assess
    expect(checked).toMatchObject({ ok: false, callId: JSON.parse(body).callId });
  });
});

describe('callIdIn', () => {
  test.each([
    ['text that is not JSON', 'callId=CA0000000000000000000000000000000000000000'],
    ['JSON null', 'null'],
    ['a malformed call id', '{"callId":"CA123"}'],
  ])('finds none in %s', (_name, text) => {
    // Act
    const callId = callIdIn(Buffer.from(text));

    // Assess
    expect(callId).toBeUndefined();
  });

  test('finds a well-formed one in a JSON object', () => {
    // Act
    const callId = callIdIn(Buffer.from('{"callId":"CA0000000000000000000000000000000000000000"}'));

    // Assess
    expect(callId).toBe('CA0000000000000000000000000000000000000000');
  });
});

describe('a bug is never passed off as a malformed body', () => {
  // Only MalformedBodyError means "not JSON"; anything else thrown while reading is a programming error
  // and must surface as one (a 500 and an ERROR line), not as a 400 that hides it.
  const notABuffer = undefined as unknown as Buffer;

  test('checkCallStatusBody throws it on', () => {
    // Act
    const check = () => checkCallStatusBody(notABuffer);

    // Assess
    expect(check).toThrow(TypeError);
  });

  test('callIdIn throws it on', () => {
    // Act
    const find = () => callIdIn(notABuffer);

    // Assess
    expect(find).toThrow(TypeError);
  });
});
