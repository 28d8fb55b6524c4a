import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalString, parseJson, isVouchError, MAX_JSON_DEPTH } from '../../../src/core/index.js';

test('canonical JSON sorts keys at every level and writes no whitespace', () => {
  assert.equal(canonicalString({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
});

test('canonical JSON escapes only quote and backslash (notary dialect, github.com/docker/go canonical/json)', () => {
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

// The general writer (sorting every object, escaping every string) as the reference for the
// JSON.stringify fast path.
function referenceCanonical(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return '"' + v.replace(/["\\]/g, (c) => '\\' + c) + '"';
  if (Array.isArray(v)) return '[' + v.map(referenceCanonical).join(',') + ']';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return '{' + keys.map((k) => referenceCanonical(k) + ':' + referenceCanonical(o[k])).join(',') + '}';
}

test('canonical JSON (with its JSON.stringify fast path) agrees with the general writer on random values', () => {
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const pieces = ['a', 'b', 'Z', '0', '1', '10', '2', '007', '-1', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '\uFB01', '\u{1F600}', '\ud800', '\udfff', '\uffff', '__proto__', 'toJSON', ' '];
  const str = (): string => Array.from({ length: rnd(4) }, () => pieces[rnd(pieces.length)]).join('');
  const gen = (depth: number): unknown => {
    switch (depth > 4 ? rnd(4) : rnd(7)) {
      case 0: return null;
      case 1: return rnd(2) === 0;
      case 2: return rnd(5) === 0 ? -rnd(1000) : rnd(2 ** 31);
      case 3: return str();
      case 4: return Array.from({ length: rnd(4) }, () => gen(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        // sometimes insert in sorted order, so the fast path is taken
        const keys = Array.from({ length: rnd(6) }, str);
        if (rnd(2) === 0) keys.sort();
        for (const k of keys) Object.defineProperty(o, k, { value: gen(depth + 1), enumerable: true, writable: true, configurable: true });
        return o;
      }
    }
  };
  for (let i = 0; i < 5000; i++) {
    const v = gen(0);
    assert.equal(canonicalString(v), referenceCanonical(v), JSON.stringify(v));
    const parsed = JSON.parse(JSON.stringify(v)) as unknown;
    assert.equal(canonicalString(parsed), referenceCanonical(parsed));
  }
});

test('canonical JSON leaves out undefined members and refuses what JSON.stringify would quietly drop', () => {
  assert.equal(canonicalString({ a: undefined, b: 1 }), '{"b":1}');
  for (const bad of [{ f: () => 1 }, [undefined], { s: Symbol('x') }, { n: 10n }]) {
    assert.throws(() => canonicalString(bad), (e) => isVouchError(e, 'INVALID_CANONICAL_JSON'));
  }
  assert.equal(canonicalString({ d: Object.create(null) as object }), '{"d":{}}');
});

test('parsed and frozen documents: the canonical text is the same as for an unfrozen copy', () => {
  const texts = [
    '{"signed":{"_type":"Targets","targets":{"1.0":{"hashes":{"sha256":"qg=="},"length":1}},"version":2},"signatures":[]}',
    '{"signed":{"b":1,"a":"x\\u0001y","10":[],"2":{}},"signatures":[]}',
    '{"signed":{"a":"\\ud800","z":[1,2,{"y":null,"x":true}]}}',
  ];
  for (const text of texts) {
    const frozen = parseJson(text, { freeze: true }) as { signed: unknown };
    assert.ok(Object.isFrozen(frozen) && Object.isFrozen(frozen.signed));
    const plain = JSON.parse(text) as { signed: unknown };
    assert.equal(canonicalString(frozen.signed), referenceCanonical(plain.signed));
    assert.equal(canonicalString(frozen), referenceCanonical(plain));
  }
});
