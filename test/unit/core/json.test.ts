import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalString, parseJson, isVouchError, MAX_JSON_DEPTH } from '../../../src/core/index.js';

test('canonical JSON sorts keys at every level and writes no whitespace', () => {
  assert.equal(canonicalString({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
});

test('canonical JSON escapes only quote and backslash (notary dialect, spec §2.10)', () => {
  const cases: [string, string][] = [
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
    ['<&>', '"<&>"'],
    ['tab\there', '"tab\there"'],
    ['line\nbreak', '"line\nbreak"'],
    ['\u2028\u2029', '"\u2028\u2029"'],
    ['é日本', '"é日本"'],
    ['\u0001', '"\u0001"'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalString(input), want, JSON.stringify(input));
});

test('canonical JSON orders keys by UTF-8 bytes, not UTF-16 units', () => {
  // U+FB01 (UTF-8 EF AC 81) sorts before U+1F600 (F0 9F 98 80) in bytes but after it in UTF-16 units.
  const obj = { '\u{1F600}': 1, '\uFB01': 2 };
  assert.equal(canonicalString(obj), '{"\uFB01":2,"\u{1F600}":1}');
});

test('canonical JSON refuses non-integers and unsafe integers', () => {
  for (const bad of [1.5, Number.NaN, Infinity, 2 ** 53 + 2]) {
    assert.throws(() => canonicalString({ n: bad }), (e) => isVouchError(e, 'INVALID_CANONICAL_JSON'));
  }
  assert.equal(canonicalString({ n: 100000000, m: -3, z: 0 }), '{"m":-3,"n":100000000,"z":0}');
});

test('canonical JSON of a notary timestamp equals the signed bytes it came from', () => {
  const raw = '{"signed":{"_type":"Timestamp","expires":"2026-12-09T13:14:28.202677652Z","meta":{"snapshot":{"hashes":{"sha256":"wAlhDl2iXFBMW8lbZOtjRRsLMGgH5cOsXYB517ysOEU=","sha512":"O54WeTB64Gs3S+b8POIilH1THE04fa3CZKdTjH5qtBccmcIAnQQxsEtFAWLz0HcFdCNG7QqzIyEf1Jm1XHLuiQ=="},"length":682}},"version":1},"signatures":[]}';
  const doc = parseJson(raw) as { signed: unknown };
  const signedText = raw.slice('{"signed":'.length, raw.indexOf(',"signatures"'));
  assert.equal(canonicalString(doc.signed), signedText);
});

test('parseJson bounds size and depth and reports invalid JSON', () => {
  assert.throws(() => parseJson('{"a":1}', { maxBytes: 3 }), (e) => isVouchError(e, 'TOO_LARGE'));
  assert.throws(() => parseJson('{"a":'), (e) => isVouchError(e, 'INVALID_JSON'));
  const deep = '['.repeat(MAX_JSON_DEPTH + 2) + ']'.repeat(MAX_JSON_DEPTH + 2);
  assert.throws(() => parseJson(deep), (e) => isVouchError(e, 'INVALID_JSON'));
  assert.deepEqual(parseJson(Buffer.from('{"x":[1,"y"]}')), { x: [1, 'y'] });
});

test('a __proto__ key stays data and is serialised like any other key', () => {
  const v = parseJson('{"__proto__":{"polluted":1},"a":2}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(canonicalString(v), '{"__proto__":{"polluted":1},"a":2}');
});
