// Changefeed parameters and response (notary server/handlers/changefeed.go). Pure.
import type { ChangeRecord } from '../storage/types.js';
import { NotaryHttpError } from './errors.js';

/** notary's DefaultPageSize (const.go), used when `records` is 0. */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * The largest page served. notary-server passes any int32 to the database
 * (server/handlers/changefeed.go, checkChangefeedInputs), so one unauthenticated-cost request can
 * ask for 2^31-1 rows; vouch serves at most this many (about 250 KiB of JSON) and the client pages
 * on with change_id, as it must anyway.
 */
export const MAX_PAGE_SIZE = 1000;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Go's strconv.ParseInt(s, 10, 32): an error message in Go's words, or the value. */
export function parseInt32(s: string): { value: number } | { error: string } {
  if (!/^[+-]?[0-9]+$/.test(s)) return { error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax` };
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < INT32_MIN || n > INT32_MAX) return { error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range` };
  return { value: n };
}

/**
 * `records` (required; 0 = default page; negative = backwards; clamped to MAX_PAGE_SIZE either way)
 * and `change_id` (exclusive, default 0).
 */
export function changefeedParams(records: string | undefined, changeId: string | undefined): { records: number; changeId: number } {
  const r = parseInt32(records ?? '');
  if ('error' in r) throw new NotaryHttpError('INVALID_PARAMETERS', `invalid records parameter: ${r.error}`);
  let id = 0;
  if (changeId !== undefined && changeId !== '') {
    const c = parseInt32(changeId);
    if ('error' in c) throw new NotaryHttpError('INVALID_PARAMETERS', {});
    id = c.value;
  }
  const page = r.value === 0 ? DEFAULT_PAGE_SIZE : Math.sign(r.value) * Math.min(Math.abs(r.value), MAX_PAGE_SIZE);
  return { records: page, changeId: id };
}

/** Go's RFC3339Nano of a UTC time (trailing zeros trimmed). */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, f: string) => (f === '' ? 'Z' : `.${f}Z`));
}

/** `{"count":N,"records":[{"ID":"7","CreatedAt":…,"GUN":…,"Version":…,"SHA256":…,"Category":…}]}` */
export function changefeedBody(records: readonly ChangeRecord[]): string {
  return JSON.stringify({
    count: records.length,
    records: records.map((r) => ({
      ID: String(r.id),
      CreatedAt: rfc3339Nano(r.createdAt),
      GUN: r.gun,
      Version: r.version,
      SHA256: r.sha256,
      Category: r.category,
    })),
  });
}
