import { z } from 'zod';
import { CALL_ENDED_REASONS, CALL_STATUSES, DIRECTIONS } from '../lib/call-status-webhook';

/**
 * The callStatus contract of lib/call-status-webhook.ts written in zod, the common alternative to valibot,
 * only so the benchmark can compare the two on the same bodies. The product does not use it.
 */

const hexId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{40}$`));
const CallId = hexId('CA');
const Seconds = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^[0-9]{1,15}$/)
    .transform(Number),
]);
const emptyOr = <T extends z.ZodType>(schema: T) => z.union([z.literal(''), schema]).nullish();

export const ZodCallStatusWebhook = z.object({
  requestType: z.literal('callStatus'),
  callId: CallId,
  accountId: hexId('AC'),
  from: z.string().max(256),
  to: z.string().max(256),
  callStatus: z.enum(CALL_STATUSES),
  callEndedReason: z.enum(CALL_ENDED_REASONS),
  direction: z.enum(DIRECTIONS),
  conferenceId: z.null().nullish(),
  queueId: z.null().nullish(),
  callDuration: Seconds,
  recordingUrl: emptyOr(z.string().max(2048).pipe(z.url())),
  recordingId: emptyOr(hexId('RE')),
  recordingDurationSec: emptyOr(Seconds),
  parentCallId: CallId.nullish(),
});
