// Cache-Control for metadata GETs (notary utils/http.go): "current" (by role name) and "consistent" (by
// checksum or version) responses, with the no-cache form when a max age is configured as 0.

export const DEFAULT_CURRENT_MAX_AGE = 300;
export const DEFAULT_CONSISTENT_MAX_AGE = 30 * 24 * 60 * 60;
export const MAX_CACHE_AGE = 365 * 24 * 60 * 60;

export interface CachingOptions {
  currentMaxAge: number;
  consistentMaxAge: number;
}

/** Validates a configured max age: an integer from 0 to one year (notary refuses to start otherwise). */
export function checkMaxAge(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_CACHE_AGE) {
    throw new Error(`caching.max_age.${name} must be an integer between 0 and ${MAX_CACHE_AGE}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Headers for a 200 metadata response. `mustRevalidate` marks "current" metadata. */
export function cacheHeaders(maxAge: number, mustRevalidate: boolean): Record<string, string> {
  if (maxAge <= 0) return { 'cache-control': 'max-age=0, no-cache, no-store', pragma: 'no-cache' };
  const cc = `public, max-age=${maxAge}, s-maxage=${maxAge}` + (mustRevalidate ? ', must-revalidate' : '');
  return { 'cache-control': cc };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123 of a UTC time, as notary writes Last-Modified: `Wed, 25 Nov 2026 13:16:05 UTC`. */
export function rfc1123(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}
