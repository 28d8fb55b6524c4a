import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_EXPIRY_DAYS, defaultExpiry, formatTime, isExpired, parseTime } from '../../../src/tuf/index.js';

test('RFC 3339 expiries as notary writes them: nanoseconds and local offsets (notary tuf/data/types.go)', () => {
  const cases: [string, string][] = [
    ['2036-11-22T13:14:28.175276306Z', '2036-11-22T13:14:28.175Z'],
    ['2029-11-24T08:19:02.250071757-05:00', '2029-11-24T13:19:02.250Z'],
    ['2029-11-24T18:49:02.278151893+05:30', '2029-11-24T13:19:02.278Z'],
    ['2026-12-09T13:14:28Z', '2026-12-09T13:14:28.000Z'],
    ['2026-12-09t13:14:28.5z', '2026-12-09T13:14:28.500Z'],
    ['2024-02-29T23:59:59.999999999+00:00', '2024-02-29T23:59:59.999Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
  ];
  for (const [text, iso] of cases) assert.equal(parseTime(text).toISOString(), iso, text);
});

test('non-RFC 3339 times are refused', () => {
  for (const bad of ['', '2026-12-09', '2026-12-09 13:14:28Z', '2026-12-09T13:14:28', '2026-13-01T00:00:00Z', '2025-02-29T00:00:00Z',
    '2026-12-09T24:00:00Z', '2026-12-09T13:14:28.1234567890Z', '2026-12-09T13:14:28+0500', 'Wed, 09 Dec 2026 13:14:28 GMT']) {
    assert.throws(() => parseTime(bad), { code: 'INVALID_METADATA' }, bad);
  }
});

test('expiries are written like Go RFC3339Nano in UTC: fraction trimmed, Z', () => {
  const cases: [string, string][] = [
    ['2029-11-24T13:25:57.570Z', '2029-11-24T13:25:57.57Z'],
    ['2029-11-24T13:25:57.000Z', '2029-11-24T13:25:57Z'],
    ['2029-11-24T13:25:57.001Z', '2029-11-24T13:25:57.001Z'],
  ];
  for (const [iso, want] of cases) {
    assert.equal(formatTime(new Date(iso)), want);
    assert.equal(parseTime(want).toISOString(), iso, 'round trip');
  }
});

test('default expiries per role (notary tuf/data/types.go, DefaultExpires) and the expiry comparison', () => {
  const now = new Date('2026-11-25T13:14:28Z');
  assert.equal(defaultExpiry('root', now).toISOString(), '2036-11-22T13:14:28.000Z');
  assert.equal(defaultExpiry('targets', now).toISOString(), '2029-11-24T13:14:28.000Z');
  assert.equal(defaultExpiry('targets/releases', now).toISOString(), '2029-11-24T13:14:28.000Z');
  assert.equal(defaultExpiry('snapshot', now).toISOString(), '2029-11-24T13:14:28.000Z');
  assert.equal(defaultExpiry('timestamp', now).toISOString(), '2026-12-09T13:14:28.000Z');
  assert.deepEqual(DEFAULT_EXPIRY_DAYS, { root: 3650, targets: 1095, snapshot: 1095, timestamp: 14 });
  const t = new Date('2026-12-09T13:14:28.202Z');
  assert.equal(isExpired(t, new Date('2026-12-09T13:14:28.202Z')), false, 'valid up to and including the instant');
  assert.equal(isExpired(t, new Date('2026-12-09T13:14:28.203Z')), true);
  // Truncating nanoseconds never changes the answer for millisecond clocks.
  assert.equal(isExpired(parseTime('2026-12-09T13:14:28.202677652Z'), new Date('2026-12-09T13:14:28.202Z')), false);
  assert.equal(isExpired(parseTime('2026-12-09T13:14:28.202677652Z'), new Date('2026-12-09T13:14:28.203Z')), true);
});
