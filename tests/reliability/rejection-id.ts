import { toRejectedDelivery } from '../../lib/rejected-delivery';

/** The rejected-table id a delivery of `body` received at `receivedAtMs` gets, computed by lib itself. */
export function rejectionIdAt(receivedAtMs: number, body: Buffer): string {
  return toRejectedDelivery({ receivedAtMs, rawBody: body }, { reason: 'invalid', issues: [] }, 0)
    .rejectionId;
}
