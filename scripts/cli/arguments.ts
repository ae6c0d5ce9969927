import * as v from 'valibot';
import { CallId } from '../../lib/call-status-webhook';
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

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90m`, `24h`, `7d` in milliseconds. */
export function durationArgument(value: string, flag: string): number {
  const match = DURATION.exec(value);
  const amount = Number(match?.[1]);
  if (match === null || !(amount > 0)) {
    throw new UsageError(`${flag} ${value}: expected a duration like 90m, 24h or 7d`);
  }
  return amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A whole number in [min, max]. */
export function integerArgument(value: string, flag: string, min: number, max: number): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new UsageError(`${flag} ${value}: expected a whole number from ${min} to ${max}`);
  }
  return parsed;
}
