import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalString, fromBase64, type JsonObject } from '../../../src/core/index.js';
import {
  Metadata, baseKeyRole, hashBase64, hashHex, keyId, parseMetadata, parseTimestamp, typeOfRole, verifySignatures, MAX_TIMESTAMP_BYTES,
  type Targets,
} from '../../../src/tuf/index.js';
import { TestKey, signRaw } from '../../support/simulator.js';

// notary tuf/data/timestamp.go: the exact 495-byte timestamp served by notary-server, signed by its ed25519 key.
const TIMESTAMP = '{"signed":{"_type":"Timestamp","expires":"2026-12-09T13:14:28.202677652Z","meta":{"snapshot":{"hashes":{"sha256":"wAlhDl2iXFBMW8lbZOtjRRsLMGgH5cOsXYB517ysOEU=","sha512":"O54WeTB64Gs3S+b8POIilH1THE04fa3CZKdTjH5qtBccmcIAnQQxsEtFAWLz0HcFdCNG7QqzIyEf1Jm1XHLuiQ=="},"length":682}},"version":1},"signatures":[{"keyid":"c1e562b7f240b7dcaabe69e778df9000211cbc5bb40d1acf353d444df5c8a558","method":"eddsa","sig":"ebxRilm+N0eQ9BxFTRJdWlH54k0iBT744naEwTqF9JIMV6Vv0QOOsFCHpe+E4E5m82j0L93nxUOH2ZDtjyifBA=="}]}';
const TS_KEY = { keytype: 'ed25519' as const, public: fromBase64('nZ7BipqFr3YcRjc/RNcGHzt6WdZKYju/8Nob756V6JE=') };

test('notary tuf/data/timestamp.go: the real timestamp parses, verifies with the ed25519 key, and re-serialises to the same 495 bytes', () => {
  const bytes = Buffer.from(TIMESTAMP);
  assert.equal(bytes.length, 495);
  const md = parseTimestamp(bytes);
  assert.equal(md.signed.version, 1);
  assert.equal(md.signed.expires.toISOString(), '2026-12-09T13:14:28.202Z');
  assert.equal(md.signed.snapshot.length, 682);
  assert.equal(Buffer.from(md.signed.snapshot.hashes.get('sha256')!).toString('hex'), 'c009610e5da25c504c5bc95b64eb63451b0b306807e5c3ac5d8079d7bcac3845');
  assert.deepEqual(md.toBytes(), bytes);
  const id = keyId(TS_KEY);
  const role = { name: 'timestamp', keyids: [id], keys: new Map([[id, TS_KEY]]), threshold: 1 };
  assert.deepEqual(verifySignatures(md, role).validKeyIds, [id]);
  // One changed byte inside `signed` breaks it.
  const tampered = parseTimestamp(Buffer.from(TIMESTAMP.replace('"length":682', '"length":683')));
  assert.throws(() => verifySignatures(tampered, role), { code: 'THRESHOLD_NOT_MET' });
});

test('notary tuf/data/keys.go key ID vectors', () => {
  assert.equal(keyId(TS_KEY), 'c1e562b7f240b7dcaabe69e778df9000211cbc5bb40d1acf353d444df5c8a558');
  assert.equal(keyId({ keytype: 'ecdsa', public: fromBase64('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7MlvkNoTmUFZFtndYG2b/dewsviVS6ostUqqtpLmWW2QlNSkm4+LtpUnIjKPRuyHjJACX/A2zBiPQcf/1yTkKg==') }),
    '52d15188b9f7fe0ad27361033cbeeb4df6f8ece0d9aa9dfd4c20f18b57bc9a0a');
});

const BASE_TARGETS = (extra: JsonObject = {}): JsonObject => ({
  _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: '2029-11-24T13:15:49.329403726Z', targets: {}, version: 1, ...extra,
});

test('canonical JSON inside signed: keys sorted by UTF-8 bytes at every level, only " and \\ escaped (github.com/docker/go canonical/json)', () => {
  const custom = { z: 1, a: { y: '<&>\u2028"\\\u0001é', b: [3, { d: null, c: true }] }, '\u{1F600}': 0, '\uFB01': 0 };
  const md = Metadata.from('targets/releases', BASE_TARGETS({ targets: { v2: { custom, hashes: { sha256: 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=' }, length: 999 } } }));
  const text = md.toBytes().toString('utf8');
  assert.ok(text.includes('"custom":{"a":{"b":[3,{"c":true,"d":null}],"y":"<&>\u2028\\"\\\\\u0001é"},"z":1,"\uFB01":0,"\u{1F600}":0}'), text);
  assert.ok(text.startsWith('{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":'));
  assert.equal(md.canonicalSigned().toString('utf8'), canonicalString(md.signedJson));
});

test('unknown fields survive parse → serialise, so signatures over them still verify', () => {
  const k = TestKey.generate();
  const signed = { ...BASE_TARGETS(), x_vendor: { note: 'kept', n: [1, 2] }, delegations: { keys: {}, roles: [], future: true } };
  const bytes = signRaw(signed, [k]);
  const md = parseMetadata(bytes, 'targets') as Metadata<Targets>;
  assert.deepEqual(md.toBytes(), Buffer.from(bytes));
  const role = { name: 'targets', keyids: [k.keyId], keys: new Map([[k.keyId, k.publicKey]]), threshold: 1 };
  verifySignatures(parseMetadata(md.toBytes(), 'targets'), role);
  // A pretty-printed copy of the same document verifies too: the verifier re-canonicalises.
  verifySignatures(parseMetadata(Buffer.from(JSON.stringify(JSON.parse(Buffer.from(bytes).toString()), null, 2)), 'targets'), role);
});

test('typed views: targets, delegations (paths omitted when empty), snapshot and timestamp meta', () => {
  const k = TestKey.generate();
  const md = Metadata.from('targets', BASE_TARGETS({
    delegations: {
      keys: { [k.keyId]: { keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(k.publicKey.public).toString('base64') } } },
      roles: [{ keyids: [k.keyId], name: 'targets/b', threshold: 1 }, { keyids: [k.keyId], name: 'targets/a', paths: ['', 'x/'], threshold: 1 }],
    },
    targets: { '1.0': { hashes: { sha256: Buffer.alloc(32, 1).toString('base64') }, length: 401 } },
  })) as Metadata<Targets>;
  const d = md.signed.delegations;
  assert.deepEqual(d.roles.map((r) => [r.name, r.paths]), [['targets/b', []], ['targets/a', ['', 'x/']]], 'file order kept');
  assert.deepEqual(d.keys.get(k.keyId), { keytype: 'ecdsa', public: Buffer.from(k.publicKey.public) });
  assert.equal(md.signed.targets.get('1.0')!.length, 401);
  assert.ok(!md.toBytes().toString().includes('"name":"targets/b","paths"'), 'no paths field written for targets/b');
  assert.ok(Object.isFrozen(md.signedJson) && Object.isFrozen(md.signed) && Object.isFrozen(md.signatures));
});

const ROOT_OK = (): JsonObject => {
  const k = (n: number): JsonObject => ({ keytype: 'ed25519', keyval: { private: null, public: Buffer.alloc(32, n).toString('base64') } });
  return {
    _type: 'Root', consistent_snapshot: false, expires: '2036-11-22T13:14:28.175276306Z',
    keys: { a: k(1), b: k(2), c: k(3), d: k(4) },
    roles: { root: { keyids: ['a'], threshold: 1 }, snapshot: { keyids: ['b'], threshold: 1 }, targets: { keyids: ['c'], threshold: 1 }, timestamp: { keyids: ['d'], threshold: 1 } },
    version: 1,
  };
};
const SHA = { sha256: Buffer.alloc(32).toString('base64') };

test('structural validation (notary tuf/data/)', () => {
  type Case = [string, string, (j: JsonObject) => JsonObject, string];
  const set = (path: string[], v: unknown) => (j: JsonObject): JsonObject => {
    let o = j as Record<string, unknown>;
    for (const p of path.slice(0, -1)) o = o[p] as Record<string, unknown>;
    if (v === undefined) delete o[path.at(-1)!];
    else o[path.at(-1)!] = v;
    return j;
  };
  const cases: Case[] = [
    ['root: wrong _type', 'root', set(['_type'], 'root'), 'WRONG_TYPE'],
    ['root: targets _type', 'root', set(['_type'], 'Targets'), 'WRONG_TYPE'],
    ['root: version 0', 'root', set(['version'], 0), 'INVALID_METADATA'],
    ['root: version 1.5', 'root', set(['version'], 1.5), 'INVALID_METADATA'],
    ['root: version as string', 'root', set(['version'], '1'), 'INVALID_METADATA'],
    ['root: bad expires', 'root', set(['expires'], '2036-11-22'), 'INVALID_METADATA'],
    ['root: missing timestamp role', 'root', set(['roles', 'timestamp'], undefined), 'INVALID_METADATA'],
    ['root: a delegation in roles', 'root', set(['roles', 'targets/x'], { keyids: ['a'], threshold: 1 }), 'INVALID_METADATA'],
    ['root: threshold 0', 'root', set(['roles', 'snapshot', 'threshold'], 0), 'INVALID_THRESHOLD'],
    ['root: keyid not in keys', 'root', set(['roles', 'targets', 'keyids'], ['zz']), 'INVALID_METADATA'],
    ['root: unsupported keytype', 'root', set(['keys', 'a', 'keytype'], 'dsa'), 'UNSUPPORTED_KEY_TYPE'],
    ['root: key public not base64', 'root', set(['keys', 'a', 'keyval', 'public'], 'not base64!'), 'INVALID_ENCODING'],
    ['root: consistent_snapshot not bool', 'root', set(['consistent_snapshot'], 'no'), 'INVALID_METADATA'],
    ['snapshot: no root', 'snapshot', () => ({ _type: 'Snapshot', expires: '2029-01-01T00:00:00Z', version: 1, meta: { targets: { hashes: SHA, length: 1 } } }), 'INVALID_METADATA'],
    ['snapshot: targets without sha256', 'snapshot', () => ({ _type: 'Snapshot', expires: '2029-01-01T00:00:00Z', version: 1, meta: { root: { hashes: SHA, length: 1 }, targets: { hashes: { sha512: SHA.sha256 }, length: 1 } } }), 'INVALID_METADATA'],
    ['snapshot: lists timestamp', 'snapshot', () => ({ _type: 'Snapshot', expires: '2029-01-01T00:00:00Z', version: 1, meta: { root: { hashes: SHA, length: 1 }, targets: { hashes: SHA, length: 1 }, timestamp: { hashes: SHA, length: 1 } } }), 'INVALID_METADATA'],
    ['snapshot: negative length', 'snapshot', () => ({ _type: 'Snapshot', expires: '2029-01-01T00:00:00Z', version: 1, meta: { root: { hashes: SHA, length: -1 }, targets: { hashes: SHA, length: 1 } } }), 'INVALID_METADATA'],
    ['timestamp: no snapshot', 'timestamp', () => ({ _type: 'Timestamp', expires: '2029-01-01T00:00:00Z', version: 1, meta: {} }), 'INVALID_METADATA'],
    ['targets: delegation that is not a direct child', 'targets', () => BASE_TARGETS({ delegations: { keys: {}, roles: [{ keyids: [], name: 'targets/a/b', threshold: 1 }] } }), 'INVALID_ROLE'],
    ['targets: delegation with an invalid name', 'targets', () => BASE_TARGETS({ delegations: { keys: {}, roles: [{ keyids: [], name: 'targets/Bad Name', threshold: 1 }] } }), 'INVALID_ROLE'],
    ['targets: delegation listed twice', 'targets', () => BASE_TARGETS({ delegations: { keys: {}, roles: [{ keyids: [], name: 'targets/a', threshold: 1 }, { keyids: [], name: 'targets/a', threshold: 1 }] } }), 'INVALID_METADATA'],
    ['targets: delegation key missing', 'targets', () => BASE_TARGETS({ delegations: { keys: {}, roles: [{ keyids: ['x'], name: 'targets/a', threshold: 1 }] } }), 'INVALID_METADATA'],
    ['targets: delegation threshold 0', 'targets', () => BASE_TARGETS({ delegations: { keys: {}, roles: [{ keyids: [], name: 'targets/a', threshold: 0 }] } }), 'INVALID_THRESHOLD'],
    ['targets: paths not strings', 'targets', () => BASE_TARGETS({ delegations: { keys: {}, roles: [{ keyids: [], name: 'targets/a', paths: [1], threshold: 1 }] } }), 'INVALID_METADATA'],
    ['targets: target without length', 'targets', () => BASE_TARGETS({ targets: { v: { hashes: SHA } } }), 'INVALID_METADATA'],
    ['targets: length above 2^53', 'targets', () => BASE_TARGETS({ targets: { v: { hashes: SHA, length: 2 ** 53 + 2 } } }), 'INVALID_METADATA'],
    ['targets: target hash not base64', 'targets', () => BASE_TARGETS({ targets: { v: { hashes: { sha256: 'not base64!' }, length: 1 } } }), 'INVALID_ENCODING'],
    ['targets: target hash unpadded', 'targets', () => BASE_TARGETS({ targets: { v: { hashes: { sha256: SHA.sha256.replace('=', '') }, length: 1 } } }), 'INVALID_ENCODING'],
    ['targets: one bad hash among good ones', 'targets', () => BASE_TARGETS({ targets: { v: { hashes: SHA, length: 1 }, w: { hashes: { ...SHA, sha512: 'A===' }, length: 1 } } }), 'INVALID_ENCODING'],
    ['targets: target hash not a string', 'targets', () => BASE_TARGETS({ targets: { v: { hashes: { sha256: 7 }, length: 1 } } }), 'INVALID_METADATA'],
    ['targets/x: delegation of a sibling', 'targets/x', () => BASE_TARGETS({ delegations: { keys: {}, roles: [{ keyids: [], name: 'targets/y', threshold: 1 }] } }), 'INVALID_ROLE'],
  ];
  for (const [what, role, make, code] of cases) {
    const signed = make(role === 'root' ? ROOT_OK() : {});
    assert.throws(() => parseMetadata(Buffer.from(JSON.stringify({ signed, signatures: [] })), role), { code }, what);
  }
  parseMetadata(Buffer.from(JSON.stringify({ signed: ROOT_OK(), signatures: [] })), 'root');
});

test('envelope validation and size limits', () => {
  const ok = { signed: ROOT_OK(), signatures: [{ keyid: 'a', method: 'eddsa', sig: 'AAAA' }] };
  const cases: [string, unknown, string][] = [
    ['not JSON', '{', 'INVALID_JSON'],
    ['an array', [], 'INVALID_METADATA'],
    ['no signed', { signatures: [] }, 'INVALID_METADATA'],
    ['signatures an object', { ...ok, signatures: {} }, 'INVALID_METADATA'],
    ['signature without keyid', { ...ok, signatures: [{ method: 'eddsa', sig: 'AAAA' }] }, 'INVALID_METADATA'],
    ['signature not base64', { ...ok, signatures: [{ keyid: 'a', method: 'eddsa', sig: 'A' }] }, 'INVALID_ENCODING'],
  ];
  for (const [what, doc, code] of cases) {
    assert.throws(() => parseMetadata(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), 'root'), { code }, what);
  }
  assert.throws(() => parseMetadata(Buffer.alloc(MAX_TIMESTAMP_BYTES + 1, ' '), 'timestamp'), { code: 'TOO_LARGE' });
  assert.throws(() => parseMetadata(Buffer.from(JSON.stringify(ok)), 'root', { maxBytes: 100 }), { code: 'TOO_LARGE' });
  assert.throws(() => parseMetadata(Buffer.from(JSON.stringify(ok)), 'targets/Bad'), { code: 'INVALID_ROLE' });
  // `signatures: null` (a Go nil slice) parses; verification then reports it.
  const md = parseMetadata(Buffer.from(JSON.stringify({ signed: ROOT_OK(), signatures: null })), 'root');
  assert.throws(() => verifySignatures(md, baseKeyRole(md.signed, 'root')), { code: 'NO_SIGNATURES' });
});

test('the _type of each role', () => {
  assert.deepEqual(['root', 'targets', 'snapshot', 'timestamp', 'targets/releases'].map(typeOfRole), ['Root', 'Targets', 'Snapshot', 'Timestamp', 'Targets']);
  assert.throws(() => typeOfRole('releases'), { code: 'INVALID_ROLE' });
});

test('parsed file meta: hashes checked at parse, decoded on first use; hashHex/hashBase64 read them as written', () => {
  const a = Buffer.alloc(32, 0xab);
  const b = Buffer.alloc(64, 0xcd);
  const md = parseMetadata(Buffer.from(JSON.stringify({
    signed: BASE_TARGETS({ targets: { v: { custom: { x: 1 }, hashes: { sha256: a.toString('base64'), sha512: b.toString('base64') }, length: 3 }, w: { hashes: {}, length: 0 } } }),
    signatures: [],
  })), 'targets') as Metadata<Targets>;
  const v = md.signed.targets.get('v')!;
  assert.equal(v.length, 3);
  assert.deepEqual(v.custom, { x: 1 });
  assert.equal(hashBase64(v, 'sha256'), a.toString('base64'));
  assert.equal(hashHex(v, 'sha256'), a.toString('hex'));
  assert.equal(hashHex(v, 'sha512'), b.toString('hex'));
  assert.equal(hashHex(v, 'md5'), undefined);
  assert.deepEqual([...v.hashes].map(([alg, h]) => [alg, Buffer.from(h)]), [['sha256', a], ['sha512', b]]);
  assert.equal(v.hashes, v.hashes, 'decoded once');
  assert.ok(Object.isFrozen(v));
  const w = md.signed.targets.get('w')!;
  assert.equal(w.hashes.size, 0);
  assert.equal(hashHex(w, 'sha256'), undefined);
  assert.ok(!('custom' in w));
  // a FileMeta built by hand
  const plain = { length: 1, hashes: new Map([['sha256', new Uint8Array(a)]]) };
  assert.equal(hashBase64(plain, 'sha256'), a.toString('base64'));
  assert.equal(hashHex(plain, 'sha256'), a.toString('hex'));
});
