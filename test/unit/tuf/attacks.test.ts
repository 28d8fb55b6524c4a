// Attacks on the client workflow, each against a real signed repository (test/support/simulator.ts)
// and each rejected with a specific error code. The repository serves whatever a compromised
// server (holding the snapshot and timestamp keys) or a key thief could serve; the client is the
// production Updater (src/client/updater.ts), as the CLI runs it, over an in-memory cache.
// Like notary, the updater looks for a newer root only when something fails (TUF 5.3 is run on
// failure, notary client/tufclient.go): root attacks come with what makes it look.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVouchError, type ErrorCode, type JsonObject, type VouchError } from '../../../src/core/index.js';
import {
  Metadata, TrustedMetadata, addDelegation, cloneJson, createTimestamp, listTargets, newVersion, parseMetadata, removeDelegation, resolveDockerTag,
} from '../../../src/tuf/index.js';
import { DAY_MS, RepositorySimulator, TestClient, TestKey, rewrite, signRaw } from '../../support/simulator.js';

async function expectError(run: () => unknown, code: ErrorCode, details: Record<string, unknown> = {}): Promise<VouchError> {
  let caught: unknown;
  try {
    await run();
  } catch (err) {
    caught = err;
  }
  assert.ok(isVouchError(caught), `expected VouchError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const [k, v] of Object.entries(details)) assert.deepEqual(caught.details[k], v, `details.${k}`);
  return caught;
}

const rejectedReasons = (err: VouchError): string[] => (err.details.rejected as { reason: string }[]).map((r) => r.reason);
const rejectedRoots = (err: VouchError): string => (err.details.rejected as { reason: string }[]).map((r) => r.reason).join('\n');

/** A repository with targets/releases, one tag in each of targets and targets/releases, and a client that has read it once. */
async function setup(): Promise<{ sim: RepositorySimulator; client: TestClient }> {
  const sim = await RepositorySimulator.create();
  sim.delegate('targets', 'targets/releases');
  sim.addTarget('targets/releases', 'v1');
  sim.addTarget('targets', 'v0');
  await sim.publish();
  const client = new TestClient(sim);
  const { tm } = await client.refresh();
  assert.equal(resolveDockerTag(tm, 'v1').role, 'targets/releases');
  return { sim, client };
}

const later = (sim: RepositorySimulator, days: number): Date => new Date(sim.now.getTime() + days * DAY_MS);

// ---- rollback ----

test('rollback: an older timestamp than the cached one', async () => {
  const { sim, client } = await setup();
  sim.serve('timestamp', sim.history.get('timestamp')![0]!);
  await expectError(() => client.refresh(), 'ROLLBACK', { role: 'timestamp', version: 1, trustedVersion: 2 });
});

test('rollback: an older snapshot behind a fresh timestamp', async () => {
  const { sim, client } = await setup();
  sim.serve('snapshot', sim.history.get('snapshot')![0]!);
  await sim.publishTimestamp();
  await expectError(() => client.refresh(), 'ROLLBACK', { role: 'snapshot', version: 1, trustedVersion: 2 });
});

test('rollback: an older targets behind a fresh snapshot and timestamp', async () => {
  const { sim, client } = await setup();
  sim.serve('targets', sim.history.get('targets')![0]!);
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'ROLLBACK', { role: 'targets', version: 1, trustedVersion: 2 });
});

test('rollback: an older delegation behind a fresh snapshot and timestamp', async () => {
  const { sim, client } = await setup();
  sim.addTarget('targets/releases', 'v2');
  await sim.publish();
  await client.refresh();
  sim.serve('targets/releases', sim.history.get('targets/releases')![0]!);
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'ROLLBACK', { role: 'targets/releases', version: 1, trustedVersion: 2 });
});

test('rollback: an older delegation two levels down behind a fresh snapshot and timestamp', async () => {
  const { sim, client } = await setup();
  sim.delegate('targets/releases', 'targets/releases/team');
  sim.addTarget('targets/releases/team', 'team/v1');
  await sim.publish();
  sim.addTarget('targets/releases/team', 'team/v2');
  await sim.publish();
  await client.refresh();
  const history = sim.history.get('targets/releases/team')!;
  sim.serve('targets/releases/team', history[history.length - 2]!);
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'ROLLBACK', { role: 'targets/releases/team', version: 1, trustedVersion: 2 });
  // the cache still holds the newer version
  assert.equal(parseMetadata(client.cache.get('targets/releases/team')!, 'targets/releases/team').signed.version, 2);
});

test('rollback: a snapshot that drops a delegation its parent still delegates to (TUF 5.5.5)', async () => {
  const { sim, client } = await setup();
  sim.addTarget('targets', 'v1', 'older v1 in targets'); // what the tag would fall back to
  await sim.publish();
  await client.refresh();
  sim.served.delete('targets/releases');
  await sim.publishSnapshotAndTimestamp();
  assert.equal(parseMetadata(sim.fetch('snapshot'), 'snapshot').signed.meta.has('targets/releases'), false);
  const err = await expectError(() => client.refresh(), 'ROLLBACK', { role: 'snapshot', dropped: 'targets/releases', parent: 'targets' });
  assert.match(err.message, /no longer lists targets\/releases/);
});

test('delegations: a delegation removed by its parent may leave the snapshot', async () => {
  const { sim, client } = await setup();
  sim.editTargets('targets', (md) => removeDelegation(md, 'targets/releases'));
  sim.targets.delete('targets/releases');
  sim.served.delete('targets/releases');
  await sim.publish();
  const { tm } = await client.refresh();
  assert.equal(tm.targetsRole('targets/releases'), undefined);
  assert.equal(resolveDockerTag(tm, 'v0').role, 'targets');
});

test('delegations: a delegation never published (absent from every snapshot) is skipped', async () => {
  const { sim, client } = await setup();
  sim.editTargets('targets', (md) => addDelegation(md, 'targets/later', { keys: [TestKey.generate().publicKey], paths: [''], threshold: 1 }));
  await sim.publish();
  const { tm } = await client.refresh();
  assert.equal(tm.targetsRole('targets/later'), undefined);
  assert.equal(resolveDockerTag(tm, 'v1').role, 'targets/releases');
});

test('rollback: an older root offered as the current and the next root version, with the timestamp of its time', async () => {
  const { sim, client } = await setup();
  const [oldTimestamp] = sim.history.get('timestamp')!;
  sim.setRoleKeys('root', [await TestKey.root(sim.gun, sim.now)]);
  await sim.publish();
  await client.refresh();
  // the whole repository as it was: root v1 (also as 3.root.json) and the first timestamp
  sim.serve('root', sim.roots.get(1)!);
  sim.roots.set(3, sim.roots.get(1)!);
  sim.serve('timestamp', oldTimestamp!);
  await expectError(() => client.refresh(), 'ROLLBACK', { role: 'root', version: 1, trustedVersion: 2 });
});

// ---- freeze ----

test('freeze: the server stops re-signing the timestamp (14 days)', async () => {
  const { sim, client } = await setup();
  await client.refresh(later(sim, 13));
  await expectError(() => client.refresh(later(sim, 15)), 'EXPIRED', { role: 'timestamp' });
});

test('freeze: fresh timestamps over an expired snapshot', async () => {
  const { sim, client } = await setup();
  sim.now = later(sim, 1096);
  await sim.publishTimestamp();
  await expectError(() => client.refresh(), 'EXPIRED', { role: 'snapshot' });
});

test('freeze: fresh snapshot and timestamp over expired targets (fatal for targets)', async () => {
  const { sim, client } = await setup();
  sim.now = later(sim, 1096);
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'EXPIRED', { role: 'targets' });
});

test('freeze: an expired root', async () => {
  const { sim, client } = await setup();
  sim.editRoot((md) => newVersion(md, sim.now, later(sim, 1)));
  await sim.publish();
  await client.refresh();
  await expectError(() => client.refresh(later(sim, 2)), 'EXPIRED', { role: 'root' });
});

test('freeze: an expired delegation is skipped with a warning, and its tags do not resolve', async () => {
  const { sim, client } = await setup();
  sim.editTargets('targets/releases', (md) => newVersion(md, sim.now, later(sim, 1)));
  await sim.publish();
  const { tm, warnings } = await client.refresh(later(sim, 2));
  assert.deepEqual(warnings.map((w) => [w.role, w.error.code]), [['targets/releases', 'EXPIRED']]);
  await expectError(() => resolveDockerTag(tm, 'v1'), 'TAG_NOT_FOUND');
  assert.equal(resolveDockerTag(tm, 'v0').role, 'targets');
});

// ---- mix and match, fast-forward ----

test('mix-and-match: a delegation file of another version under the current snapshot', async () => {
  const { sim, client } = await setup();
  // Two versions of the same length, so only the hash can tell them apart.
  sim.addTarget('targets/releases', 'v1', 'x1');
  await sim.publish();
  const [older, current] = sim.history.get('targets/releases')!.slice(-2) as [Uint8Array, Uint8Array];
  assert.equal(older.byteLength, current.byteLength);
  sim.serve('targets/releases', older);
  await expectError(() => client.refresh(), 'HASH_MISMATCH', { role: 'targets/releases' });
});

test('mix-and-match: a snapshot that lists another root than the trusted one', async () => {
  const { sim, client } = await setup();
  const snap = parseMetadata(sim.fetch('snapshot'), 'snapshot');
  const j = cloneJson(snap.signedJson as JsonObject);
  ((j.meta as JsonObject).root as JsonObject).hashes = { sha256: Buffer.alloc(32, 7).toString('base64') };
  j.version = snap.signed.version + 1;
  sim.serve('snapshot', (await sim.sign(Metadata.from('snapshot', j))).toBytes());
  await sim.publishTimestamp();
  await expectError(() => client.refresh(), 'HASH_MISMATCH', { role: 'root' });
});

test('fast-forward: an inflated timestamp version locks the client out until the timestamp key is rotated', async () => {
  const { sim, client } = await setup();
  // The thief of the timestamp key publishes version 1000; the client trusts and caches it.
  const stolen = Metadata.from('timestamp', { ...cloneJson(createTimestamp(sim.fetch('snapshot'), { now: sim.now }).signedJson as JsonObject), version: 1000 });
  sim.serve('timestamp', (await sim.sign(stolen)).toBytes());
  await client.refresh();
  // The real server's next timestamp now looks like a rollback.
  await sim.publishTimestamp();
  await expectError(() => client.refresh(), 'ROLLBACK', { role: 'timestamp', trustedVersion: 1000 });
  // Recovery: a new root with a new timestamp key; the cached v1000 no longer verifies.
  sim.setRoleKeys('timestamp', [TestKey.generate('ed25519')]);
  await sim.publish();
  const { tm } = await client.refresh();
  assert.ok(tm.timestamp!.signed.version < 1000);
  assert.ok(tm.warnings.some((w) => w.includes('cached timestamp no longer verifies')), tm.warnings.join('\n'));
});

// ---- signatures and thresholds ----

test('signatures: a targets file with no signatures', async () => {
  const { sim, client } = await setup();
  sim.serve('targets', rewrite(sim.fetch('targets'), (d) => { d.signatures = []; }));
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'NO_SIGNATURES', { role: 'targets' });
});

test('signatures: changed content under the old signature', async () => {
  const { sim, client } = await setup();
  sim.serve('targets', rewrite(sim.fetch('targets'), (d) => { d.signed.version = (d.signed.version as number) + 1; }));
  await sim.publishSnapshotAndTimestamp();
  const err = await expectError(() => client.refresh(), 'THRESHOLD_NOT_MET', { role: 'targets', valid: 0 });
  assert.deepEqual(rejectedReasons(err), ['INVALID_SIGNATURE']);
});

test('signatures: one valid signature where the threshold is two', async () => {
  const { sim, client } = await setup();
  const [k1, k2] = [TestKey.generate(), TestKey.generate()];
  sim.setRoleKeys('targets', [k1, k2], 2);
  sim.editTargets('targets', (md) => md);
  await sim.publish();
  await client.refresh();
  const md = parseMetadata(sim.fetch('targets'), 'targets');
  sim.serve('targets', (await sim.sign(newVersion(md, sim.now), [k1])).toBytes());
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'THRESHOLD_NOT_MET', { role: 'targets', threshold: 2, valid: 1 });
});

test('signatures: one key listed under two key IDs (bare and in a certificate) counts once', async () => {
  const { sim, client } = await setup();
  const k = TestKey.generate();
  const kx = await k.withNewCertificate(sim.gun, sim.now);
  assert.notEqual(k.keyId, kx.keyId);
  sim.setRoleKeys('targets', [k, kx], 2);
  sim.editTargets('targets', (md) => md);
  await sim.publish();
  const targets = parseMetadata(sim.fetch('targets'), 'targets');
  assert.deepEqual(targets.signatures.map((s) => s.keyid), [k.keyId, kx.keyId], 'signed under both IDs');
  await expectError(() => client.refresh(), 'THRESHOLD_NOT_MET', { role: 'targets', threshold: 2, valid: 1 });
});

test('signatures: a repeated signature counts once', async () => {
  const { sim, client } = await setup();
  const [k1, k2] = [TestKey.generate(), TestKey.generate()];
  sim.setRoleKeys('targets', [k1, k2], 2);
  sim.editTargets('targets', (md) => md);
  await sim.publish();
  await client.refresh();
  const md = await sim.sign(newVersion(parseMetadata(sim.fetch('targets'), 'targets'), sim.now), [k1]);
  sim.serve('targets', md.withSignatures([md.signatures[0]!, md.signatures[0]!]).toBytes());
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'THRESHOLD_NOT_MET', { role: 'targets', threshold: 2, valid: 1 });
});

test('signatures: a delegation threshold of 0, signed by the targets key', async () => {
  const { sim, client } = await setup();
  const j = cloneJson(parseMetadata(sim.fetch('targets'), 'targets').signedJson as JsonObject);
  j.version = (j.version as number) + 1;
  (((j.delegations as JsonObject).roles as JsonObject[])[0]!).threshold = 0;
  sim.serve('targets', signRaw(j, sim.keys.targets));
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'INVALID_THRESHOLD', { role: 'targets', threshold: 0 });
});

test('signatures: a root role threshold of 0, signed by the root key', async () => {
  const { sim, client } = await setup();
  const j = cloneJson(sim.root.signedJson as JsonObject);
  j.version = (j.version as number) + 1;
  ((j.roles as JsonObject).targets as JsonObject).threshold = 0;
  sim.serve('root', signRaw(j, sim.keys.root));
  await sim.publishSnapshotAndTimestamp(); // the snapshot lists the new root: the client must read it
  await expectError(() => client.refresh(), 'INVALID_THRESHOLD', { role: 'root', threshold: 0 });
});

for (const method of ['ecdsa', 'rsapss', 'rsapkcs1v15', 'none']) {
  test(`signatures: attacker-chosen method '${method}' on an ed25519 timestamp signature does not count`, async () => {
    const { sim, client } = await setup();
    await sim.publishTimestamp();
    sim.serve('timestamp', rewrite(sim.fetch('timestamp'), (d) => { d.signatures[0]!.method = method; }));
    const err = await expectError(() => client.refresh(), 'THRESHOLD_NOT_MET', { role: 'timestamp', valid: 0 });
    assert.deepEqual(rejectedReasons(err), ['METHOD_MISMATCH']);
  });
}

test('signatures: a key listed under an ID that is not its own', async () => {
  const { sim, client } = await setup();
  const j = cloneJson(sim.root.signedJson as JsonObject);
  j.version = (j.version as number) + 1;
  const keys = j.keys as JsonObject;
  const real = sim.keys.targets[0]!.keyId;
  const fake = 'f'.repeat(64);
  keys[fake] = keys[real]!;
  delete keys[real];
  ((j.roles as JsonObject).targets as JsonObject).keyids = [fake];
  sim.serve('root', signRaw(j, sim.keys.root));
  // The thief re-signs targets with the real key, naming it by the fake ID.
  sim.serve('targets', rewrite(sim.fetch('targets'), (d) => { d.signatures[0]!.keyid = fake; }));
  await sim.publishSnapshotAndTimestamp();
  await expectError(() => client.refresh(), 'KEYID_MISMATCH', { role: 'targets', keyid: fake });
});

// ---- sizes ----

test('size: a timestamp over 1 MiB is refused before parsing', async () => {
  const { sim, client } = await setup();
  const ts = sim.fetch('timestamp');
  sim.serve('timestamp', Buffer.concat([ts, Buffer.alloc(1024 * 1024, ' ')]));
  await expectError(() => client.refresh(), 'TOO_LARGE');
});

test('size: a snapshot longer than the timestamp says is cut at the signed length', async () => {
  const { sim, client } = await setup();
  await sim.publishSnapshotAndTimestamp(); // a snapshot the client has not cached
  sim.serve('snapshot', Buffer.concat([sim.fetch('snapshot'), Buffer.from('          ')]));
  await expectError(() => client.refresh(), 'TOO_LARGE', { role: 'snapshot', limit: sim.fetch('snapshot').byteLength - 10 });
});

test('size: a snapshot shorter than the timestamp says', async () => {
  const { sim, client } = await setup();
  await sim.publishSnapshotAndTimestamp();
  sim.serve('snapshot', sim.fetch('snapshot').subarray(0, 100));
  await expectError(() => client.refresh(), 'LENGTH_MISMATCH', { role: 'snapshot' });
});

test('size: a timestamp that signs for an 8 GB snapshot is refused before the snapshot is asked for', async () => {
  const { sim, client } = await setup();
  const j = cloneJson(parseMetadata(sim.fetch('timestamp'), 'timestamp').signedJson as JsonObject);
  j.version = (j.version as number) + 1;
  ((j.meta as JsonObject).snapshot as JsonObject).length = 8 * 1024 * 1024 * 1024;
  sim.serve('timestamp', signRaw(j, sim.keys.timestamp));
  const asked: string[] = [];
  const getRoleChecksum = sim.getRoleChecksum.bind(sim);
  sim.getRoleChecksum = (role, sha, max) => { asked.push(role); return getRoleChecksum(role, sha, max); };
  await expectError(() => client.refresh(), 'TOO_LARGE', { role: 'snapshot', listedBy: 'timestamp', limit: 100 * 1024 * 1024 });
  assert.deepEqual(asked, []);
});

test('size: a snapshot that lists a delegation over the metadata ceiling is refused', async () => {
  const { sim, client } = await setup();
  const j = cloneJson(parseMetadata(sim.fetch('snapshot'), 'snapshot').signedJson as JsonObject);
  j.version = (j.version as number) + 1;
  ((j.meta as JsonObject)['targets/releases'] as JsonObject).length = 2 ** 40;
  sim.serve('snapshot', signRaw(j, sim.keys.snapshot));
  await sim.publishTimestamp();
  await expectError(() => client.refresh(), 'TOO_LARGE', { role: 'targets/releases', listedBy: 'snapshot' });
});

// ---- delegations and paths ----

test('paths: a delegation signing outside its paths, and a child escaping its parent\'s paths', async () => {
  const sim = await RepositorySimulator.create();
  sim.delegate('targets', 'targets/releases', { paths: ['app/'] });
  sim.addTarget('targets/releases', 'app/ok');
  sim.addTarget('targets/releases', 'evil');
  sim.delegate('targets', 'targets/a', { paths: ['x/'] });
  sim.delegate('targets/a', 'targets/a/b', { paths: ['', 'x/deep/'] });
  sim.addTarget('targets/a/b', 'x/deep/1');
  sim.addTarget('targets/a/b', 'y');
  await sim.publish();
  const { tm } = await new TestClient(sim).refresh();
  assert.deepEqual(tm.targetsRole('targets/a/b')!.paths, ['x/deep/'], 'only paths under the parent\'s count');
  assert.equal(resolveDockerTag(tm, 'app/ok').role, 'targets/releases');
  await expectError(() => resolveDockerTag(tm, 'evil'), 'TAG_NOT_FOUND');
  assert.deepEqual(listTargets(tm).map((t) => `${t.role}:${t.name}`).sort(), ['targets/a/b:x/deep/1', 'targets/releases:app/ok']);
});

test('delegations: a role its parent does not delegate to is refused', async () => {
  const { sim } = await setup();
  const evil = TestKey.generate();
  const bytes = (await sim.sign(parseMetadata(sim.fetch('targets/releases'), 'targets/releases'), [evil])).toBytes();
  const tm = TrustedMetadata.fromRoot(sim.fetch('root'), { gun: sim.gun, now: sim.now });
  tm.updateTimestamp(sim.fetch('timestamp'));
  tm.updateSnapshot(sim.fetch('snapshot'));
  tm.updateTargets(sim.fetch('targets'));
  await expectError(() => tm.updateDelegatedTargets(bytes, 'targets/evil', 'targets'), 'DELEGATION_NOT_FOUND', { role: 'targets/evil' });
  await expectError(() => tm.updateDelegatedTargets(bytes, 'targets/releases', 'targets'), 'HASH_MISMATCH', { role: 'targets/releases' });
});

test('delegations: a delegation signed only by a key that is not delegated is skipped with a warning', async () => {
  const { sim, client } = await setup();
  const md = newVersion(parseMetadata(sim.fetch('targets/releases'), 'targets/releases'), sim.now);
  sim.serve('targets/releases', (await sim.sign(md, [TestKey.generate()])).toBytes());
  await sim.publishSnapshotAndTimestamp();
  const { tm, warnings } = await client.refresh();
  assert.deepEqual(warnings.map((w) => [w.role, w.error.code]), [['targets/releases', 'THRESHOLD_NOT_MET']]);
  await expectError(() => resolveDockerTag(tm, 'v1'), 'TAG_NOT_FOUND');
});

// ---- root rotation and certificates ----

test('root rotation: a new root signed only by the old root key', async () => {
  const { sim, client } = await setup();
  const old = sim.keys.root;
  sim.setRoleKeys('root', [await TestKey.root(sim.gun, sim.now)]);
  await sim.publish({ rootSigners: old });
  await expectError(() => client.refresh(), 'THRESHOLD_NOT_MET', { role: 'root' });
});

test('root rotation: a new root signed only by the new root key', async () => {
  const { sim, client } = await setup();
  const fresh = await TestKey.root(sim.gun, sim.now);
  sim.setRoleKeys('root', [fresh]);
  await sim.publish({ rootSigners: [fresh] });
  await expectError(() => client.refresh(), 'ROOT_ROTATION_FAILED', { role: 'root', signedBy: 'previous' });
});

test('root rotation signed by both keys is accepted and keeps the old certificate listed', async () => {
  const { sim, client } = await setup();
  const oldId = sim.keys.root[0]!.keyId;
  sim.setRoleKeys('root', [await TestKey.root(sim.gun, sim.now)]);
  await sim.publish();
  const { tm } = await client.refresh();
  assert.equal(tm.root.signed.version, 2);
  assert.ok(tm.root.signed.keys.has(oldId));
  assert.notDeepEqual(tm.root.signed.roles.root.keyids, [oldId]);
});

test('certificates: a root whose certificate CN is another GUN', async () => {
  const sim = await RepositorySimulator.create();
  sim.setRoleKeys('root', [await TestKey.root('example.com/other/app', sim.now)]);
  await sim.publish();
  const client = new TestClient(sim);
  client.cache.set('root', sim.roots.get(1)!);
  assert.match(rejectedRoots(await expectError(() => client.refresh(), 'INVALID_CERTIFICATE')), /CN 'example.com\/other\/app' does not match the GUN 'example.com\/org\/app'/);
  // TOFU on the new root directly fails the same way; a wildcard CN covering the GUN is fine.
  await expectError(() => TrustedMetadata.fromRoot(sim.roots.get(2)!, { gun: sim.gun, now: sim.now }), 'INVALID_CERTIFICATE');
  sim.setRoleKeys('root', [await TestKey.root('example.com/org/*', sim.now)]);
  await sim.publish();
  TrustedMetadata.fromRoot(sim.roots.get(3)!, { gun: sim.gun, now: sim.now });
});

for (const [what, opts, reason] of [
  ['expired', { notBefore: new Date('2010-01-01T00:00:00Z'), notAfter: new Date('2020-01-01T00:00:00Z') }, /^EXPIRED: certificate .* expired at 2020-01-01/],
  ['not yet valid (beyond one day of leeway)', { notBefore: new Date('2026-11-27T12:00:00Z') }, /not valid before 2026-11-27/],
  ['signed with SHA-1', { hash: 'SHA-1' as const }, /is signed with SHA-1/],
  ['a CA certificate', { ca: true }, /is a CA, not a leaf/],
] as const) {
  test(`certificates: a root certificate that is ${what}`, async () => {
    const sim = await RepositorySimulator.create();
    const key = await TestKey.root(sim.gun, sim.now, opts);
    sim.setRoleKeys('root', [key]);
    await sim.publish();
    const err = await expectError(() => TrustedMetadata.fromRoot(sim.roots.get(2)!, { gun: sim.gun, now: sim.now }), 'INVALID_CERTIFICATE');
    assert.match(rejectedRoots(err), reason);
  });
}

test('trust pinning: pinned certificate IDs, wildcard pins, CA pins and disable_tofu', async () => {
  const sim = await RepositorySimulator.create({ gun: 'example.com/org/app' });
  const root = sim.fetch('root');
  const rootId = sim.keys.root[0]!.keyId;
  const at = (pinning: object): TrustedMetadata => TrustedMetadata.fromRoot(root, { gun: sim.gun, now: sim.now, pinning });
  at({ certs: { 'example.com/org/app': [rootId] } });
  at({ certs: { 'example.com/org/*': [rootId], 'example.com/*': ['0'.repeat(64)] } });
  await expectError(() => at({ certs: { 'example.com/org/app': ['0'.repeat(64)] } }), 'TRUST_PINNING');
  await expectError(() => at({ certs: { 'example.com/*': ['0'.repeat(64)] }, disableTofu: false }), 'TRUST_PINNING');
  await expectError(() => at({ disableTofu: true }), 'TRUST_PINNING');
  at({ disableTofu: false });

  // A CA-issued root certificate chains to the pinned CA; a self-signed one does not.
  const caKey = TestKey.generate();
  const ca = (await caKey.withNewCertificate('Test CA', sim.now, { cn: 'Test CA', ca: true })).certificate!;
  await expectError(() => at({ ca: { 'example.com/': ca } }), 'TRUST_PINNING');
  const leaf = await TestKey.generate().withNewCertificate(sim.gun, sim.now, { issuer: { key: caKey, cert: ca } });
  sim.setRoleKeys('root', [leaf]);
  await sim.publish();
  TrustedMetadata.fromRoot(sim.roots.get(2)!, { gun: sim.gun, now: sim.now, pinning: { ca: { 'example.com/': ca }, disableTofu: true } });
});

test('ordering: no root after the timestamp, no timestamp after the snapshot, no targets before the snapshot', async () => {
  const { sim } = await setup();
  const tm = TrustedMetadata.fromRoot(sim.fetch('root'), { gun: sim.gun, now: sim.now });
  await expectError(() => tm.updateSnapshot(sim.fetch('snapshot')), 'ORDER');
  await expectError(() => tm.updateTargets(sim.fetch('targets')), 'ORDER');
  tm.updateTimestamp(sim.fetch('timestamp'));
  await expectError(() => tm.updateRoot(sim.fetch('root')), 'ORDER');
  tm.updateSnapshot(sim.fetch('snapshot'));
  await expectError(() => tm.updateTimestamp(sim.fetch('timestamp')), 'ORDER');
  await expectError(() => tm.updateDelegatedTargets(sim.fetch('targets/releases'), 'targets/releases', 'targets'), 'ORDER');
  tm.updateTargets(sim.fetch('targets'));
  await expectError(() => tm.updateSnapshot(sim.fetch('snapshot')), 'ORDER');
  await expectError(() => tm.updateTargets(sim.fetch('targets')), 'ORDER');
});
