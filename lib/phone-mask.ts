/**
 * Masks a phone number or SIP address for routine logs: enough to tell calls apart, not enough to identify
 * the caller. `+13125550142` → `+*******0142`, `sip:agent@pbx.example.com` → `sip:a****@pbx.example.com`.
 */
export function maskAddress(value: string | undefined): string | undefined {
  if (value === undefined || value === '') {
    return value;
  }
  const sip = /^(sips?:)([^@]*)(@.*)?$/i.exec(value);
  if (sip !== null) {
    // Stryker disable next-line StringLiteral: the user group always takes part in a match (it may be empty), so the fallback is never used
    const user = sip[2] ?? '';
    return `${sip[1]}${user.slice(0, 1)}****${sip[3] ?? ''}`;
  }
  const plus = value.startsWith('+') ? '+' : '';
  const digits = value.slice(plus.length);
  if (digits.length <= 4) {
    return `${plus}****`;
  }
  return `${plus}${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}
