// Expiry times (notary tuf/data/types.go; notary tuf/data/types.go, DefaultExpires). Notary writes RFC 3339 with nanoseconds (trailing zeros trimmed)
// and the signer's local offset, so any RFC 3339 form must parse. We write UTC with `Z`, like Go's
// RFC3339Nano for a UTC time.
import { VouchError } from '../core/index.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Parses an RFC 3339 time. Sub-millisecond digits are truncated: with whole-millisecond clocks,
 * `expires < now` gives the same answer for the truncated and the exact value.
 */
export function parseTime(text: string, what = 'time'): Date {
  const m = typeof text === 'string' ? RFC3339.exec(text) : null;
  if (!m) throw new VouchError('INVALID_METADATA', `${what} '${String(text)}' is not an RFC 3339 time`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetMin = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || Math.abs(offsetMin) >= 24 * 60) {
    throw new VouchError('INVALID_METADATA', `${what} '${text}' is out of range`);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // Date.UTC maps years 0-99 to 1900-1999
  utc.setUTCHours(hour, minute, second, ms);
  return new Date(utc.getTime() - offsetMin * 60_000);
}

/** `2029-11-24T13:25:57.57253Z` style: UTC, fraction with trailing zeros trimmed, none when whole. */
export function formatTime(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new VouchError('INVALID_ARGUMENT', 'invalid date');
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac === '' ? 'Z' : `.${frac}Z`));
}

/** Default validity per role when a version is (re)signed (notary tuf/data/types.go, DefaultExpires: notary client and server). */
export const DEFAULT_EXPIRY_DAYS = {
  root: 3650,
  targets: 1095,
  snapshot: 1095,
  timestamp: 14,
} as const;

/** The default validity of a role in days (delegations use the targets default). */
export function defaultExpiryDays(role: string): number {
  if (role === 'root' || role === 'snapshot' || role === 'timestamp') return DEFAULT_EXPIRY_DAYS[role];
  return DEFAULT_EXPIRY_DAYS.targets;
}

/** now + the role's default validity. */
export function defaultExpiry(role: string, now: Date): Date {
  return new Date(now.getTime() + defaultExpiryDays(role) * DAY_MS);
}

/** Notary warns when a role expires within six months. */
export const EXPIRY_WARNING_MS = 182 * DAY_MS;

export function isExpired(expires: Date, now: Date): boolean {
  return expires.getTime() < now.getTime();
}
