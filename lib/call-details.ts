/** The statuses a call ends in (FreeClimb's `CallStatus` less queued, ringing and inProgress). */
export type FinalStatus = 'canceled' | 'completed' | 'failed' | 'busy' | 'noAnswer';

/**
 * What a record's `details` map holds, read from FreeClimb's REST API once the call is final: FreeClimb's own
 * field names, times in ISO 8601 UTC, only the fields that have a value, and when the details were read.
 * `lib/freeclimb-call.ts` makes it from the Call resource.
 */
export interface CallDetails {
  status: FinalStatus;
  startTime?: string;
  connectTime?: string;
  endTime?: string;
  /** Seconds from start to end, ring time included. */
  duration?: number;
  /** Seconds from answer to end: the talk time. */
  connectDuration?: number;
  /** `human` or `machine`, only with answering-machine detection. */
  answeredBy?: string;
  /** CNAM, when FreeClimb has one. */
  callerName?: string;
  phoneNumberId?: string;
  applicationId?: string;
  enrichedAt: string;
}
