// Real notary/docker metadata (test/fixtures/shared-examples, see NOTES.md there): every file
// parses, verifies against its parent, and re-serialises to the bytes notary served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../../support/paths.js';
import { fromBase64, hash, parseJson, isJsonObject } from '../../../src/core/index.js';
import {
  TrustedMetadata, listTargets, loadTargetsTree, resolveDockerTag, baseKeyRole, delegationKeyRole, keyId, parseMetadata, parseRoot, parseSnapshot, parseTimestamp, validateRoot, verifySignatures,
  type FileMeta, type Metadata, type Targets,
} from '../../../src/tuf/index.js';

const GUN = '127.0.0.1:5000/demo/app';
// The lab ran on 2026-11-25; certificates and metadata are valid then.
const NOW = new Date('2026-11-25T14:00:00Z');
const read = (name: string): Buffer => readFileSync(fixture('shared-examples', name));

const FILES: [string, string][] = [
  ['1.root.json', 'root'], ['2.root.json', 'root'], ['root.json', 'root'], ['targets.json', 'targets'],
  ['targets_releases.json', 'targets/releases'], ['snapshot.json', 'snapshot'], ['timestamp.json', 'timestamp'],
  ...['20.10.24', '28.2.2'].flatMap((v): [string, string][] => [
    [`docker-${v}-targets.json`, 'targets'], [`docker-${v}-targets_alice.json`, 'targets/alice'], [`docker-${v}-targets_releases.json`, 'targets/releases'],
  ]),
];

function assertMatches(meta: FileMeta | undefined, bytes: Uint8Array, what: string): void {
  assert.ok(meta, `${what} listed`);
  assert.equal(meta.length, bytes.byteLength, `${what}: length`);
  assert.ok(meta.hashes.has('sha256'), `${what}: sha256`);
  for (const [alg, h] of meta.hashes) {
    assert.ok(alg === 'sha256' || alg === 'sha512');
    assert.deepEqual(hash(alg, bytes), Buffer.from(h), `${what}: ${alg}`);
  }
}

for (const [file, role] of FILES) {
  test(`${file} parses as ${role}, re-serialises idempotently and keeps every field`, () => {
    const md = parseMetadata(read(file), role);
    const compact = md.toBytes();
    assert.deepEqual(parseMetadata(compact, role).toBytes(), compact);
    // Same JSON content as the file: nothing dropped, nothing added.
    assert.deepEqual(JSON.parse(compact.toString('utf8')), JSON.parse(read(file).toString('utf8')));
    const text = compact.toString('utf8');
    assert.ok(text.startsWith('{"signed":{"_type":'), 'signed first');
    assert.match(text, /"signatures":\[\{"keyid":"[0-9a-f]{64}","method":"[a-z]+","sig":"[A-Za-z0-9+/=]+"\}/);
  });
}

test('the serialisation is the bytes notary served: hashes in timestamp and snapshot match (spec §2.1)', () => {
  const ts = parseTimestamp(read('timestamp.json'));
  const snap = parseSnapshot(read('snapshot.json'));
  assertMatches(ts.signed.snapshot, snap.toBytes(), 'timestamp → snapshot');
  assertMatches(snap.signed.meta.get('root'), parseRoot(read('root.json')).toBytes(), 'snapshot → root');
  assertMatches(snap.signed.meta.get('targets'), parseMetadata(read('targets.json'), 'targets').toBytes(), 'snapshot → targets');
  assertMatches(snap.signed.meta.get('targets/releases'), parseMetadata(read('targets_releases.json'), 'targets/releases').toBytes(), 'snapshot → targets/releases');
  assert.deepEqual([...snap.signed.meta.keys()].sort(), ['root', 'targets', 'targets/releases']);
});

test('root chain 1.root → 2.root validates with certificates, and 2.root signs everything below it', () => {
  const v1 = parseRoot(read('1.root.json'));
  const v2 = parseRoot(read('2.root.json'));
  assert.equal(v1.signed.version, 1);
  assert.equal(v2.signed.version, 2);
  validateRoot(v1, { gun: GUN, now: NOW });
  validateRoot(v2, { gun: GUN, now: NOW, previous: v1 });
  // The snapshot key changed in v2 (rotated to the server): 2.root lists a new one.
  assert.notDeepEqual(v1.signed.roles.snapshot.keyids, v2.signed.roles.snapshot.keyids);
  for (const md of [v1, v2]) for (const [id, k] of md.signed.keys) assert.equal(keyId(k), id, 'every key ID recomputes');

  const root = v2.signed;
  verifySignatures(parseTimestamp(read('timestamp.json')), baseKeyRole(root, 'timestamp'));
  verifySignatures(parseSnapshot(read('snapshot.json')), baseKeyRole(root, 'snapshot'));
  const targets = parseMetadata(read('targets.json'), 'targets');
  verifySignatures(targets, baseKeyRole(root, 'targets'));
  const releases = parseMetadata(read('targets_releases.json'), 'targets/releases');
  verifySignatures(releases, delegationKeyRole(targets.signed, targets.signed.delegations.roles[0]!));
  // The old snapshot key no longer signs for v2.
  assert.throws(() => verifySignatures(parseSnapshot(read('snapshot.json')), baseKeyRole(v1.signed, 'snapshot')), { code: 'THRESHOLD_NOT_MET' });
});

test('the root certificate is for the GUN: another GUN is refused', () => {
  const v1 = parseRoot(read('1.root.json'));
  assert.throws(() => validateRoot(v1, { gun: '127.0.0.1:5000/demo/other', now: NOW }), { code: 'INVALID_CERTIFICATE' });
  validateRoot(v1, { gun: GUN, now: NOW });
});

for (const v of ['20.10.24', '28.2.2']) {
  test(`docker ${v}: targets/alice and targets/releases verify with the keys docker delegated`, () => {
    const targets = parseMetadata(read(`docker-${v}-targets.json`), 'targets') as Metadata<Targets>;
    const names = targets.signed.delegations.roles.map((r) => r.name);
    assert.deepEqual(names, ['targets/alice', 'targets/releases']);
    for (const d of targets.signed.delegations.roles) {
      assert.deepEqual(d.paths, ['']);
      const file = `docker-${v}-${d.name.replace('/', '_')}.json`;
      const md = parseMetadata(read(file), d.name);
      verifySignatures(md, delegationKeyRole(targets.signed, d));
      const t = md.signed.targets.get('1.0');
      assert.ok(t);
      assert.deepEqual([...t.hashes.keys()], ['sha256'], 'docker writes only sha256');
    }
  });
}

test('keys served by GET …/timestamp.key carry the ID the root lists (public before private on the wire)', () => {
  const root = parseRoot(read('root.json')).signed;
  const doc = parseJson(read('timestamp.key.json'));
  assert.ok(isJsonObject(doc) && isJsonObject(doc.keyval) && typeof doc.keyval.public === 'string');
  const id = keyId({ keytype: 'ecdsa', public: fromBase64(doc.keyval.public) });
  assert.deepEqual(root.roles.timestamp.keyids, [id]);
});

test('the state machine loads the real repository: root chain, timestamp → snapshot → targets → targets/releases', async () => {
  // As served: the compact serialisation (the files here were pretty-printed by jq).
  const served = new Map(FILES.slice(0, 7).map(([f, role]) => [f, parseMetadata(read(f), role).toBytes()]));
  const tm = TrustedMetadata.fromRoot(served.get('1.root.json')!, { gun: GUN, now: NOW });
  tm.updateRoot(served.get('2.root.json')!);
  tm.updateTimestamp(served.get('timestamp.json')!);
  tm.updateSnapshot(served.get('snapshot.json')!);
  const fetched: string[] = [];
  const { warnings } = await loadTargetsTree(tm, (role) => {
    fetched.push(role);
    return served.get(`${role.replace('/', '_')}.json`)!;
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(fetched, ['targets', 'targets/releases']);
  const manifest = (v: string): string => hash('sha256', readFileSync(fixture('shared-examples', `manifest-${v}.json`))).toString('hex');
  assert.deepEqual(resolveDockerTag(tm, '1.1'), { tag: '1.1', digest: `sha256:${manifest('1.1')}`, length: 401, role: 'targets/releases' });
  assert.equal(resolveDockerTag(tm, '1.0').role, 'targets');
  assert.equal(resolveDockerTag(tm, '1.0').digest, `sha256:${manifest('1.0')}`);
  assert.deepEqual(listTargets(tm).map((t) => `${t.role}:${t.name}`), ['targets:1.0', 'targets:1.0-add', 'targets/releases:1.1']);
  assert.throws(() => resolveDockerTag(tm, 'nope'), { code: 'NOT_FOUND' });
});
