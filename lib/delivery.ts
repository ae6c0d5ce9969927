/** What we know about one delivery besides its body: when it came, and when FreeClimb signed it. */
export interface Delivery {
  /** Our receive time, epoch milliseconds. */
  receivedAtMs: number;
  /** The signature's `t` (unix seconds); absent only when verification is switched off locally. */
  signedAt?: number;
  /** The exact bytes received. */
  rawBody: Buffer;
}

/** Epoch seconds at which DynamoDB's TTL may remove an item, or undefined to keep it forever. */
export function expiresAt(receivedAtMs: number, retentionDays: number): number | undefined {
  return retentionDays > 0 ? Math.floor(receivedAtMs / 1000) + retentionDays * 86_400 : undefined;
}

/** The signature's time as ISO-8601, for people reading the table. */
export function signedAtIso(delivery: Delivery): string | undefined {
  return delivery.signedAt === undefined ? undefined : new Date(delivery.signedAt * 1000).toISOString();
}
