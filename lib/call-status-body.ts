import * as v from 'valibot';
import { CallId, type CallStatusWebhook, parseCallStatusWebhook } from './call-status-webhook';
import { InvalidPayloadError, MalformedBodyError, type ValidationIssue } from './errors';
import { findHostileStructure, parseJsonBody } from './json-body';

export type BodyCheck =
  | { ok: true; payload: CallStatusWebhook }
  | {
      ok: false;
      error: MalformedBodyError | InvalidPayloadError;
      reason: 'malformed' | 'invalid';
      issues: ValidationIssue[];
      callId?: string;
    };

/**
 * Everything that decides whether raw bytes are a callStatus body: strict UTF-8, JSON, no hostile
 * structure, FreeClimb's contract. The webhook and the replay of rejected deliveries both use this.
 */
export function checkCallStatusBody(rawBody: Buffer): BodyCheck {
  let json: unknown;
  try {
    json = parseJsonBody(rawBody);
  } catch (error) {
    if (error instanceof MalformedBodyError) {
      return { ok: false, error, reason: 'malformed', issues: [{ path: '', message: error.message }] };
    }
    throw error;
  }
  const hostile = findHostileStructure(json);
  const parsed =
    hostile === undefined ? parseCallStatusWebhook(json) : { ok: false as const, issues: [hostile] };
  if (parsed.ok) {
    return parsed;
  }
  return {
    ok: false,
    error: new InvalidPayloadError(parsed.issues),
    reason: 'invalid',
    issues: parsed.issues,
    callId: callIdOf(json),
  };
}

/** The body's call id when it is JSON with a well-formed one (a 415's body may still be), else undefined. */
export function callIdIn(rawBody: Buffer): string | undefined {
  try {
    return callIdOf(parseJsonBody(rawBody));
  } catch (error) {
    if (error instanceof MalformedBodyError) {
      return undefined;
    }
    throw error;
  }
}

function callIdOf(json: unknown): string | undefined {
  const callId =
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>).callId : undefined;
  return v.is(CallId, callId) ? callId : undefined;
}
