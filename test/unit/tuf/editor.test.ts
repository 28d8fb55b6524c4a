import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash, toBase64 } from '../../../src/core/index.js';
import {
  addDelegation, addTargets, baseKeyRole, clearDelegationPaths, createRoot, createSnapshot, createTargets, createTimestamp, delegationKeyRole,
  dockerTarget, fileMetaOf, newVersion, parseMetadata, removeDelegation, removeDelegationKeys, removeDelegationPaths, removeTargets, setExpires,
  setRootRoleKeys, signMetadata, validateRoot, verifySignatures, canonicalKeyId,
  type FileMeta, type Metadata, type Targets,
} from '../../../src/tuf/index.js';
import { TestKey, targetFor } from '../../support/simulator.js';

const GUN = 'example.com/org/app';
const NOW = new Date('2026-11-25T13:14:28.175Z');

async function rootKeys(): Promise<{ root: TestKey[]; targets: TestKey[]; snapshot: TestKey[]; timestamp: TestKey[] }> {
  return { root: [await TestKey.root(GUN, NOW)], targets: [TestKey.generate()], snapshot: [TestKey.generate()], timestamp: [TestKey.generate('ed25519')] };
}
const pub = (ks: TestKey[]) => ks.map((k) => k.publicKey);

test('createRoot: version 1, four roles, thresholds, expiry now + 10 years, signed bytes verify', async () => {
  const keys = await rootKeys();
  const root = createRoot({ keys: { root: pub(keys.root), targets: pub(keys.targets), snapshot: pub(keys.snapshot), timestamp: pub(keys.timestamp) }, now: NOW });
  assert.equal(root.signed.version, 1);
  assert.equal(root.signed.expires.toISOString(), '2036-11-22T13:14:28.175Z');
  assert.equal(root.signedJson.expires, '2036-11-22T13:14:28.175Z');
  assert.equal(root.signed.consistentSnapshot, false);
  assert.equal(root.signed.keys.size, 4);
  for (const r of ['root', 'targets', 'snapshot', 'timestamp'] as const) assert.deepEqual(root.signed.roles[r], { keyids: [keys[r][0]!.keyId], threshold: 1 });
  const signed = await signMetadata(root, keys.root);
  const bytes = signed.toBytes();
  const parsed = parseMetadata(bytes, 'root');
  validateRoot(parsed, { gun: GUN, now: NOW });
  assert.deepEqual(parsed.toBytes(), bytes);
  assert.match(bytes.toString(), /^\{"signed":\{"_type":"Root","consistent_snapshot":false,"expires":"2036-11-22T13:14:28.175Z","keys":\{/);
});

test('root rotation keeps the old certificate in keys and is signed by the old and new root keys', async () => {
  const keys = await rootKeys();
  const v1 = await signMetadata(createRoot({ keys: { root: pub(keys.root), targets: pub(keys.targets), snapshot: pub(keys.snapshot), timestamp: pub(keys.timestamp) }, now: NOW }), keys.root);
  const fresh = await TestKey.root(GUN, NOW);
  const v2 = await signMetadata(newVersion(setRootRoleKeys(v1, 'root', [fresh.publicKey]), NOW), [keys.root[0]!, fresh]);
  assert.equal(v2.signed.version, 2);
  assert.ok(v2.signed.keys.has(keys.root[0]!.keyId), 'old root cert kept');
  assert.deepEqual(v2.signed.roles.root.keyids, [fresh.keyId]);
  assert.deepEqual(v2.signatures.map((s) => s.keyid), [keys.root[0]!.keyId, fresh.keyId]);
  validateRoot(v2, { gun: GUN, now: NOW, previous: v1 });
  // Other roles' replaced keys are dropped.
  const snap = TestKey.generate();
  const v3 = setRootRoleKeys(v2, 'snapshot', [snap.publicKey], 1);
  assert.ok(!v3.signed.keys.has(keys.snapshot[0]!.keyId));
  assert.ok(v3.signed.keys.has(snap.keyId));
  assert.equal(v3.signed.keys.size, 5);
});

test('newVersion: version + 1, expiry reset to the role default, signatures dropped, unknown fields kept', async () => {
  const k = TestKey.generate();
  const t = await signMetadata(createTargets('targets/releases', NOW), [k]);
  const later = new Date('2027-01-01T00:00:00Z');
  const next = newVersion(t, later);
  assert.equal(next.signed.version, 2);
  assert.equal(next.signedJson.expires, '2029-12-31T00:00:00Z');
  assert.deepEqual(next.signatures, []);
  const ts = createTimestamp(Buffer.from('x'), { now: NOW });
  assert.equal(newVersion(ts, NOW).signedJson.expires, '2026-12-09T13:14:28.175Z');
  const custom = parseMetadata(Buffer.from(JSON.stringify({ signed: { ...t.signedJson, x_extra: [1] }, signatures: [] })), 'targets/releases');
  assert.deepEqual(newVersion(custom, NOW).signedJson.x_extra, [1]);
  assert.equal(setExpires(t, later).signedJson.expires, '2027-01-01T00:00:00Z');
});

test('targets: add, replace and remove; docker targets carry only sha256', () => {
  let t = createTargets('targets', NOW);
  const digest = hash('sha256', Buffer.from('manifest'));
  t = addTargets(t, { '1.0': dockerTarget(digest, 401), '1.1': targetFor('m2') });
  t = addTargets(t, new Map([['1.1', dockerTarget(digest, 402, { note: 'x', n: 1 })]]));
  assert.deepEqual([...t.signed.targets.keys()], ['1.0', '1.1']);
  assert.deepEqual(t.signedJson.targets, {
    '1.0': { hashes: { sha256: toBase64(digest) }, length: 401 },
    '1.1': { custom: { n: 1, note: 'x' }, hashes: { sha256: toBase64(digest) }, length: 402 },
  });
  t = removeTargets(t, ['1.0', 'absent']);
  assert.deepEqual([...t.signed.targets.keys()], ['1.1']);
  assert.throws(() => dockerTarget(Buffer.alloc(31), 1), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => createTargets('snapshot', NOW), { code: 'INVALID_ROLE' });
});

test('delegations: add, merge keys and paths, remove keys by TUF or canonical ID, paths, roles; unused keys dropped', async () => {
  const [alice, bob] = [TestKey.generate(), TestKey.generate()];
  const bobCert = await bob.withNewCertificate('bob', NOW);
  let t: Metadata<Targets> = createTargets('targets', NOW);
  t = addDelegation(t, 'targets/releases', { keys: [alice.publicKey], paths: [''] });
  t = addDelegation(t, 'targets/alice', { keys: [alice.publicKey], paths: [''] });
  t = addDelegation(t, 'targets/releases', { keys: [bobCert.publicKey], paths: ['', 'x/'], threshold: 2 });
  const rel = t.signed.delegations.roles[0]!;
  assert.deepEqual([rel.name, rel.keyids, rel.paths, rel.threshold], ['targets/releases', [alice.keyId, bobCert.keyId], ['', 'x/'], 2]);
  assert.equal(t.signed.delegations.keys.size, 2);
  // docker lists canonical IDs: removing by bob's canonical ID removes his certificate key.
  t = removeDelegationKeys(t, 'targets/releases', [canonicalKeyId(bobCert.publicKey)]);
  assert.deepEqual(t.signed.delegations.roles[0]!.keyids, [alice.keyId]);
  assert.equal(t.signed.delegations.keys.size, 1, 'bob\'s key is no longer used');
  t = removeDelegationPaths(t, 'targets/releases', ['x/']);
  assert.deepEqual(t.signed.delegations.roles[0]!.paths, ['']);
  t = clearDelegationPaths(t, 'targets/releases');
  assert.deepEqual(t.signed.delegations.roles[0]!.paths, []);
  assert.ok(!('paths' in (t.signedJson.delegations as { roles: object[] }).roles[0]!), 'empty paths are omitted');
  t = removeDelegation(t, 'targets/alice');
  t = removeDelegation(t, 'targets/releases');
  assert.deepEqual(t.signedJson.delegations, { keys: {}, roles: [] });
  assert.throws(() => removeDelegation(t, 'targets/releases'), { code: 'DELEGATION_NOT_FOUND' });
  assert.throws(() => addDelegation(t, 'targets/a/b'), { code: 'INVALID_ROLE' });
  assert.throws(() => addDelegation(t, 'targets/Bad'), { code: 'INVALID_ROLE' });
  assert.throws(() => addDelegation(t, 'targets/a', { threshold: 0 }), { code: 'INVALID_THRESHOLD' });
  const nested = addDelegation(createTargets('targets/a', NOW), 'targets/a/b', { keys: [alice.publicKey] });
  assert.deepEqual(nested.signed.delegations.roles.map((r) => r.name), ['targets/a/b']);
});

/** A FileMeta as a plain object (parsed ones decode their hashes on first use). */
const plainMeta = (m: FileMeta): object => ({ length: m.length, hashes: new Map(m.hashes), ...(m.custom !== undefined ? { custom: m.custom } : {}) });

test('snapshot and timestamp: sha256 + sha512 + length of the exact bytes; versions follow the previous', async () => {
  const files = new Map([['root', Buffer.from('root bytes')], ['targets', Buffer.from('targets')], ['targets/releases', Buffer.from('rel')]]);
  const s1 = createSnapshot(files, { now: NOW });
  assert.equal(s1.signed.version, 1);
  assert.equal(s1.signedJson.expires, '2029-11-24T13:14:28.175Z');
  for (const [role, bytes] of files) {
    const m = s1.signed.meta.get(role)!;
    assert.equal(m.length, bytes.length);
    assert.deepEqual(Buffer.from(m.hashes.get('sha256')!), hash('sha256', bytes));
    assert.deepEqual(Buffer.from(m.hashes.get('sha512')!), hash('sha512', bytes));
  }
  const s2 = createSnapshot(new Map([['targets', Buffer.from('targets v2')]]), { now: NOW, previous: s1, remove: ['targets/releases'] });
  assert.equal(s2.signed.version, 2);
  assert.deepEqual([...s2.signed.meta.keys()].sort(), ['root', 'targets']);
  assert.equal(s2.signed.meta.get('targets')!.length, 10);
  assert.deepEqual(plainMeta(s2.signed.meta.get('root')!), plainMeta(s1.signed.meta.get('root')!));
  assert.throws(() => createSnapshot(new Map([['timestamp', Buffer.from('x')]]), { now: NOW }), { code: 'INVALID_ROLE' });

  const k = TestKey.generate('ed25519');
  const snapBytes = (await signMetadata(s2, [k])).toBytes();
  const t1 = createTimestamp(snapBytes, { now: NOW });
  const t2 = createTimestamp(snapBytes, { now: NOW, previous: t1 });
  assert.deepEqual([t1.signed.version, t2.signed.version], [1, 2]);
  assert.equal(t1.signedJson.expires, '2026-12-09T13:14:28.175Z');
  assert.deepEqual([...t1.signed.meta.keys()], ['snapshot']);
  assert.deepEqual(plainMeta(t1.signed.snapshot), plainMeta(fileMetaOf(snapBytes)));
});

test('signMetadata: one signature per signer over canonical bytes; keepExisting collects a threshold', async () => {
  const [a, b] = [TestKey.generate(), TestKey.generate('ed25519')];
  const parent = addDelegation(createTargets('targets', NOW), 'targets/releases', { keys: [a.publicKey, b.publicKey], threshold: 2 });
  const role = delegationKeyRole(parent.signed, parent.signed.delegations.roles[0]!);
  const t = createTargets('targets/releases', NOW);
  const byA = await signMetadata(t, [a]);
  assert.throws(() => verifySignatures(byA, role), { code: 'THRESHOLD_NOT_MET' });
  const byBoth = await signMetadata(byA, [b], { keepExisting: true });
  assert.deepEqual(byBoth.signatures.map((s) => s.keyid), [a.keyId, b.keyId]);
  assert.deepEqual(byBoth.signatures.map((s) => s.method), ['ecdsa', 'eddsa']);
  verifySignatures(parseMetadata(byBoth.toBytes(), 'targets/releases'), role);
  assert.deepEqual((await signMetadata(byBoth, [b])).signatures.map((s) => s.keyid), [b.keyId], 'without keepExisting only the new signatures');
  await assert.rejects(signMetadata(t, []), { code: 'KEY_NOT_FOUND' });
  // A root signed with targets keys does not verify as root.
  const keys = await rootKeys();
  const root = await signMetadata(createRoot({ keys: { root: pub(keys.root), targets: pub(keys.targets), snapshot: pub(keys.snapshot), timestamp: pub(keys.timestamp) }, now: NOW }), keys.targets);
  assert.throws(() => verifySignatures(root, baseKeyRole(root.signed, 'root')), { code: 'THRESHOLD_NOT_MET' });
});

test('target names are data: `__proto__` and other odd names are stored and signed like any other', () => {
  const names = ['__proto__', 'constructor', 'a"b\\c', 'é/日本'];
  const t = addTargets(createTargets('targets', NOW), new Map(names.map((n) => [n, targetFor(n)])));
  const parsed = parseMetadata(t.toBytes(), 'targets');
  assert.deepEqual([...parsed.signed.targets.keys()].sort(), [...names].sort());
  assert.deepEqual(removeTargets(parsed, ['__proto__']).signed.targets.has('__proto__'), false);
});
