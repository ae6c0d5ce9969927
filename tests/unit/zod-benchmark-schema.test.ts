import { ZodCallStatusWebhook } from '../../bench/zod-call-status-webhook';
import { parseCallStatusWebhook } from '../../lib/call-status-webhook';
import { allBodyNames, readJson } from '../support/fixture-bodies';

// The benchmark compares valibot with the same contract written in zod. The comparison is only fair if both
// accept and refuse the same bodies, and produce the same payload.

const variations: Array<[string, (body: Record<string, unknown>) => Record<string, unknown>]> = [
  ['as sent', (body) => body],
  ['callDuration as a string of digits', (body) => ({ ...body, callDuration: '42' })],
  ['callDuration 12.5', (body) => ({ ...body, callDuration: 12.5 })],
  ['callDuration "1e3"', (body) => ({ ...body, callDuration: '1e3' })],
  ['callDuration -5', (body) => ({ ...body, callDuration: -5 })],
  ['a ringing call', (body) => ({ ...body, callStatus: 'ringing' })],
  ['a short callId', (body) => ({ ...body, callId: 'CA123' })],
  ['a queueId', (body) => ({ ...body, queueId: 'QU1' })],
  ['a 257-character to', (body) => ({ ...body, to: `+${'1'.repeat(256)}` })],
  ['no accountId', ({ accountId: _dropped, ...rest }) => rest],
];

describe('the zod schema of the benchmark', () => {
  const cases = allBodyNames().flatMap((name) =>
    variations.map(([variation, change]) => [name, variation, change] as const),
  );

  test.each(cases)('agrees with valibot on %s, %s', (name, _variation, change) => {
    // Prepare
    const body = change(readJson(name));

    // Act
    const valibot = parseCallStatusWebhook(body);
    const zod = ZodCallStatusWebhook.safeParse(body);

    // Assess
    expect(zod.success).toBe(valibot.ok);
    if (valibot.ok && zod.success) expect(zod.data).toEqual(valibot.payload);
  });
});
