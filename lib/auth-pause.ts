/**
 * What a request to FreeClimb showed about the API key: `refused` (401 or 403), `accepted` (any answer about
 * the call: a Call resource or a 404), or `unknown` (no answer, a 429 or 5xx, or no key to send).
 */
export type KeyVerdict = 'refused' | 'accepted' | 'unknown';

/** Leave to call FreeClimb now, or how long the pause still lasts. */
export type Admission =
  | {
      go: true /** The first request after a pause: read the key afresh, it may have been rotated. */;
      probe: boolean;
    }
  | { go: false; pausedForMs: number };

/**
 * A container's pause after FreeClimb refuses the API key, so that a wrong or revoked key costs about one
 * request per container per pause instead of one per job. After a refusal, nothing is sent for `pauseMs`;
 * then one request goes as a probe (with a fresh read of the key) while the others keep waiting, and its
 * verdict ends the pause (`accepted`), starts another (`refused`), or lets the next request probe again.
 */
export interface AuthPause {
  admit(nowMs: number): Admission;
  /** What the request `admitted` for showed about the key. */
  settle(admitted: Admission & { go: true }, verdict: KeyVerdict, nowMs: number): void;
}

/** A pause of `pauseMs` after each refusal; one per container, shared by every job it runs. */
export function createAuthPause(pauseMs: number): AuthPause {
  let pausedUntil: number | undefined;
  let probing = false;
  return {
    admit(nowMs) {
      if (pausedUntil === undefined) {
        return { go: true, probe: false };
      }
      if (probing || nowMs < pausedUntil) {
        return { go: false, pausedForMs: Math.max(pausedUntil - nowMs, 0) };
      }
      probing = true;
      return { go: true, probe: true };
    },
    settle(admitted, verdict, nowMs) {
      if (admitted.probe) {
        probing = false;
      }
      if (verdict === 'refused') {
        pausedUntil = nowMs + pauseMs;
      } else if (verdict === 'accepted') {
        pausedUntil = undefined;
      }
    },
  };
}
