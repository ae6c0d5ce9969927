import * as v from 'valibot';
import { CallId } from '../lib/call-status-webhook';
import { UsageError } from './cli-errors';

/** Checks a call id argument before any table is read, saying what the expected form is. */
export function callIdArgument(value: string | undefined, command: string): string {
  if (value === undefined) {
    throw new UsageError(`${command} needs a call id (CA followed by 40 hex digits)`);
  }
  if (!v.is(CallId, value)) {
    throw new UsageError(`"${value}" is not a call id: expected CA followed by 40 hex digits`);
  }
  return value;
}

const REJECTION_ID = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{16}$/;

/** Checks a rejection id (`<ISO receive time>#<16 hex digits>`, as `rejected list` prints them). */
export function rejectionIdArgument(value: string): string {
  if (!REJECTION_ID.test(value)) {
    throw new UsageError(
      `"${value}" is not a rejection id: expected <ISO time>#<16 hex digits>, as "rejected list" prints them`,
    );
  }
  return value;
}

/** A whole number in [min, max]. */
export function integerArgument(value: string, flag: string, min: number, max: number): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new UsageError(`${flag} ${value}: expected a whole number from ${min} to ${max}`);
  }
  return parsed;
}
