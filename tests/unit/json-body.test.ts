import { MalformedBodyError } from '../../lib/errors';
import { findHostileStructure, parseJsonBody } from '../../lib/json-body';
import { readBody, readJson } from '../support/fixture-bodies';

/** `levels` arrays nested inside each other around one number: `[[1]]` has 2 levels. */
function nestedArrays(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) {
    value = [value];
  }
  return value;
}

describe('parseJsonBody', () => {
  test('parses a fixture body from its exact bytes', () => {
    // Prepare
    const rawBody = readBody('completed-inbound.json');

    // Act
    const parsed = parseJsonBody(rawBody);

    // Assess
    expect(parsed).toEqual(readJson('completed-inbound.json'));
  });

  test.each([
    ['an empty body', Buffer.alloc(0), 'The body is empty'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'The body is not valid UTF-8'],
    ['text that is not JSON', Buffer.from('callStatus=completed', 'utf8'), 'The body is not valid JSON'],
  ])('says why it refuses %s', (_name, rawBody, message) => {
    // Act
    const thrown = (() => {
      try {
        return parseJsonBody(rawBody);
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(thrown).toBeInstanceOf(MalformedBodyError);
    expect((thrown as MalformedBodyError).message).toBe(message);
  });

  test("keeps JSON.parse's error as the cause of a body that is not JSON", () => {
    // Act
    const thrown = (() => {
      try {
        return parseJsonBody(Buffer.from('{"callId":', 'utf8'));
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect((thrown as MalformedBodyError).cause).toBeInstanceOf(SyntaxError);
  });

  test.each([
    ['an empty body', Buffer.alloc(0)],
    ['invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['an overlong UTF-8 encoding', Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])],
    [
      'a UTF-8 BOM prefix',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readBody('completed-inbound.json')]),
    ],
    ['text that is not JSON', Buffer.from('callStatus=completed&callId=CA1', 'utf8')],
    ['truncated JSON', readBody('completed-inbound.json').subarray(0, 40)],
  ])('refuses %s with MalformedBodyError', (_name, rawBody) => {
    // Prepare
    const parse = () => parseJsonBody(rawBody);

    // Act
    const thrown = (() => {
      try {
        parse();
        return undefined;
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(thrown).toBeInstanceOf(MalformedBodyError);
    expect((thrown as MalformedBodyError).statusCode).toBe(400);
  });
});

describe('findHostileStructure', () => {
  test('finds nothing in the fixture bodies', () => {
    // Prepare
    const bodies = ['completed-inbound.json', 'with-recording.json', 'no-answer-with-unknown-field.json'].map(
      readJson,
    );

    // Act
    const found = bodies.map(findHostileStructure);

    // Assess
    expect(found).toEqual([undefined, undefined, undefined]);
  });

  test('finds __proto__ as an own key made by JSON.parse', () => {
    // Prepare
    const value: unknown = JSON.parse('{"callId":"CA1","__proto__":{"polluted":true}}');

    // Act
    const found = findHostileStructure(value);

    // Assess
    expect(Object.hasOwn(value as object, '__proto__')).toBe(true);
    expect(found?.path).toBe('__proto__');
  });

  test.each([
    ['__proto__ at the top level', '{"a":1,"__proto__":{"x":1}}', '__proto__'],
    ['constructor at the top level', '{"constructor":{"prototype":{"x":1}}}', 'constructor'],
    ['prototype at the top level', '{"prototype":1}', 'prototype'],
    ['__proto__ nested in an object', '{"a":{"b":{"__proto__":{"x":1}}}}', 'a.b.__proto__'],
    ['constructor nested in an object', '{"a":{"constructor":1}}', 'a.constructor'],
    ['prototype nested in an array', '{"a":[0,{"prototype":1}]}', 'a.1.prototype'],
  ])('finds %s', (_name, json, path) => {
    // Prepare
    const value: unknown = JSON.parse(json);

    // Act
    const found = findHostileStructure(value);

    // Assess
    expect(found).toEqual({ path, message: 'is a forbidden key' });
  });

  test.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"__proto__"'],
  ])('finds nothing in %s at the top level', (_name, json) => {
    // Act
    const found = findHostileStructure(JSON.parse(json));

    // Assess
    expect(found).toBeUndefined();
  });

  test("accepts nesting exactly 8 levels deep (the README's limit)", () => {
    // Prepare
    const value = nestedArrays(8);

    // Act
    const found = findHostileStructure(value);

    // Assess
    expect(JSON.stringify(value)).toBe('[[[[[[[[1]]]]]]]]');
    expect(found).toBeUndefined();
  });

  test("finds nesting 9 levels deep, one deeper than the README's 8", () => {
    // Prepare
    const value = { a: nestedArrays(8) };

    // Act
    const found = findHostileStructure(value);

    // Assess
    expect(found).toEqual({ path: 'a.0.0.0.0.0.0.0', message: 'is nested deeper than 8 levels' });
  });

  test('handles a 100,000-deep nested array without throwing', () => {
    // Prepare
    const value = nestedArrays(100_000);

    // Act
    const find = () => findHostileStructure(value);

    // Assess
    expect(find).not.toThrow();
    expect(find()).toBeDefined();
  });

  test('caps a long key in the returned path', () => {
    // Prepare
    const longKey = 'k'.repeat(10_000);
    const value: unknown = JSON.parse(`{"${longKey}":{"__proto__":1}}`);

    // Act
    const found = findHostileStructure(value);

    // Assess
    expect(found).toBeDefined();
    // Short enough to log and return, however long the sender's key.
    expect(found?.path.length).toBeLessThanOrEqual(256);
    expect(found?.path.startsWith('kkkk')).toBe(true);
  });
});
