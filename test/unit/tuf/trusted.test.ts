// The trusted-metadata state machine and the pure walks over it, beyond the attacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { hash } from '../../../src/core/index.js';
import {
  TrustedMetadata, addTargets, checkFile, findTarget, listDelegations, listTargets, loadTargetsTree, newVersion, parseMetadata,
  resolveDockerTag, type FileMeta,
} from '../../../src/tuf/index.js';
import { DAY_MS, RepositorySimulator, TestClient, TestKey } from '../../support/simulator.js';

function throwsCode(run: () => unknown, code: string, details: Record<string, unknown> = {}): void {
  assert.throws(run, (err: { code?: string; details?: Record<string, unknown>; message: string }) => {
    assert.equal(err.code, code, err.message);
    for (const [k, v] of Object.entries(details)) assert.deepEqual(err.details?.[k], v, `details.${k}`);
    return true;
  });
}

const load = async (sim: RepositorySimulator, rootBytes = sim.fetch('root'), now = sim.now): Promise<TrustedMetadata> => {
  const tm = TrustedMetadata.fromRoot(rootBytes, { gun: sim.gun, now });
  tm.updateTimestamp(sim.fetch('timestamp'));
  tm.updateSnapshot(sim.fetch('snapshot'));
  await loadTargetsTree(tm, (role) => sim.fetch(role));
  return tm;
};

test('root chain: versions may be skipped when the trusted root signed the newer one; an expired intermediate root is fine', async () => {
  const sim = await RepositorySimulator.create();
  const v1 = sim.fetch('root');
  // v2 expires quickly; v3 (same root key) does not.
  sim.editRoot((md) => newVersion(md, sim.now, new Date(sim.now.getTime() + DAY_MS)));
  await sim.publish();
  sim.setRoleKeys('snapshot', [TestKey.generate()]);
  await sim.publish();
  const later = new Date(sim.now.getTime() + 2 * DAY_MS);
  sim.now = later;
  await sim.publishSnapshotAndTimestamp();
  const skip = TrustedMetadata.fromRoot(v1, { gun: sim.gun, now: later });
  skip.updateRoot(sim.roots.get(3)!);
  assert.equal(skip.root.signed.version, 3);
  const chain = TrustedMetadata.fromRoot(v1, { gun: sim.gun, now: later });
  chain.updateRoot(sim.roots.get(2)!);
  chain.updateRoot(sim.roots.get(3)!);
  chain.updateTimestamp(sim.fetch('timestamp'));
  // Stopping at the expired v2 fails at the timestamp: only the final root's expiry matters.
  const stuck = TrustedMetadata.fromRoot(v1, { gun: sim.gun, now: later });
  stuck.updateRoot(sim.roots.get(2)!);
  throwsCode(() => stuck.updateTimestamp(sim.fetch('timestamp')), 'EXPIRED', { role: 'root', version: 2 });
  assert.throws(() => chain.updateRoot(sim.roots.get(3)!), { code: 'ORDER' });
  const same = TrustedMetadata.fromRoot(v1, { gun: sim.gun, now: later });
  assert.throws(() => same.updateRoot(v1), { code: 'ROLLBACK' });
});

test('rollback floors: equal versions pass; an expired cached copy still counts; unusable cached bytes only warn', async () => {
  const sim = await RepositorySimulator.create();
  const ts = sim.fetch('timestamp');
  const opts = (cached: Map<string, Uint8Array>, now = sim.now) => ({ gun: sim.gun, now, cached });
  TrustedMetadata.fromRoot(sim.fetch('root'), opts(new Map([['timestamp', ts]]))).updateTimestamp(ts);
  await sim.publishTimestamp();
  const newer = sim.fetch('timestamp');
  // The cached v2 expired long ago; it still forbids v1.
  const farLater = new Date(sim.now.getTime() + 13 * DAY_MS);
  sim.now = farLater;
  await sim.publishTimestamp();
  const tm = TrustedMetadata.fromRoot(sim.fetch('root'), opts(new Map([['timestamp', newer]]), new Date(farLater.getTime() + 2 * DAY_MS)));
  throwsCode(() => tm.updateTimestamp(ts), 'ROLLBACK', { role: 'timestamp', version: 1, trustedVersion: 2 });
  const junk = TrustedMetadata.fromRoot(sim.fetch('root'), opts(new Map([['timestamp', Buffer.from('not json')]]), farLater));
  junk.updateTimestamp(sim.fetch('timestamp'));
  assert.ok(junk.warnings.some((w) => w.includes('cached timestamp no longer verifies (INVALID_JSON)')));
  // Within one run, a second timestamp may not go back either.
  const run = TrustedMetadata.fromRoot(sim.fetch('root'), opts(new Map(), farLater));
  run.updateTimestamp(sim.fetch('timestamp'));
  assert.throws(() => run.updateTimestamp(newer), { code: 'ROLLBACK' });
});

/** How many signatures `run` checks (node:crypto's verify, which core/crypto.ts calls for every one). */
function signatureChecks(run: () => void): number {
  const original = crypto.verify;
  let n = 0;
  crypto.verify = ((...args: Parameters<typeof original>) => { n++; return original(...args); }) as typeof original;
  syncBuiltinESMExports();
  try { run(); } finally {
    crypto.verify = original;
    syncBuiltinESMExports();
  }
  return n;
}

test('each role is verified once: a cached copy with the same bytes is not checked again', async () => {
  const sim = await RepositorySimulator.create();
  const walk = (cached: Map<string, Uint8Array>): void => {
    const tm = TrustedMetadata.fromRoot(sim.fetch('root'), { gun: sim.gun, now: sim.now, cached });
    tm.updateTimestamp(sim.fetch('timestamp'));
    tm.updateSnapshot(sim.fetch('snapshot'));
    tm.updateTargets(sim.fetch('targets'));
  };
  const cold = signatureChecks(() => walk(new Map()));
  const all = new Map(['timestamp', 'snapshot', 'targets'].map((r) => [r, sim.fetch(r)] as [string, Uint8Array]));
  assert.ok(cold >= 4);
  assert.equal(signatureChecks(() => walk(all)), cold);
  // a cached copy that differs is still parsed and verified as a rollback floor
  await sim.publishTimestamp();
  const older = new Map([['timestamp', all.get('timestamp') as Uint8Array]]);
  assert.equal(signatureChecks(() => walk(older)), cold + 1);
});

test('the reference time is captured once', async () => {
  const sim = await RepositorySimulator.create();
  const now = new Date(sim.now.getTime());
  const tm = TrustedMetadata.fromRoot(sim.fetch('root'), { gun: sim.gun, now });
  now.setTime(now.getTime() + 30 * DAY_MS);
  tm.updateTimestamp(sim.fetch('timestamp'));
  assert.equal(tm.referenceTime.getTime(), sim.now.getTime());
});

test('the root the snapshot lists may be held in any serialisation of the same document', async () => {
  const sim = await RepositorySimulator.create();
  const pretty = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(sim.fetch('root')).toString()), null, 2));
  const tm = await load(sim, pretty);
  assert.equal(tm.root.raw?.byteLength, pretty.byteLength);
});

test('delegations: roles absent from the snapshot are skipped; unknown ones are refused', async () => {
  const sim = await RepositorySimulator.create();
  sim.delegate('targets', 'targets/releases');
  sim.delegate('targets', 'targets/ghost');
  sim.addTarget('targets/releases', 'v1');
  await sim.publish();
  sim.served.delete('targets/ghost');
  await sim.publishSnapshotAndTimestamp();
  const fetched: string[] = [];
  const tm = TrustedMetadata.fromRoot(sim.fetch('root'), { gun: sim.gun, now: sim.now });
  tm.updateTimestamp(sim.fetch('timestamp'));
  tm.updateSnapshot(sim.fetch('snapshot'));
  const { warnings } = await loadTargetsTree(tm, (role) => { fetched.push(role); return sim.fetch(role); });
  assert.deepEqual(warnings, []);
  assert.deepEqual(fetched, ['targets', 'targets/releases']);
  assert.deepEqual(tm.loadedTargetsRoles, ['targets', 'targets/releases']);
  assert.throws(() => tm.updateDelegatedTargets(sim.history.get('targets/ghost')![0]!, 'targets/ghost', 'targets'), { code: 'METADATA_NOT_FOUND' });
  assert.throws(() => tm.updateDelegatedTargets(sim.fetch('targets/releases'), 'targets/a/b', 'targets'), { code: 'INVALID_ROLE' });
  assert.throws(() => tm.updateDelegatedTargets(sim.fetch('targets'), 'targets', 'targets/releases'), { code: 'INVALID_ROLE' });
});

test('checkFile: length first, every known hash must match, at least one known hash', () => {
  const bytes = Buffer.from('content');
  const meta = (hashes: [string, Uint8Array][], length = bytes.length): FileMeta => ({ length, hashes: new Map(hashes) });
  const s256 = hash('sha256', bytes);
  const s512 = hash('sha512', bytes);
  const cases: [string, FileMeta, string | undefined][] = [
    ['sha256 only', meta([['sha256', s256]]), undefined],
    ['sha256 + sha512', meta([['sha256', s256], ['sha512', s512]]), undefined],
    ['unknown algorithm ignored', meta([['sha256', s256], ['md5', Buffer.alloc(16)]]), undefined],
    ['only unknown algorithms', meta([['md5', Buffer.alloc(16)]]), 'HASH_MISMATCH'],
    ['no hashes', meta([]), 'HASH_MISMATCH'],
    ['bad sha512', meta([['sha256', s256], ['sha512', Buffer.alloc(64)]]), 'HASH_MISMATCH'],
    ['wrong length', meta([['sha256', s256]], 8), 'LENGTH_MISMATCH'],
  ];
  for (const [what, m, code] of cases) {
    if (code === undefined) checkFile('x', bytes, m);
    else assert.throws(() => checkFile('x', bytes, m), { code }, what);
  }
});

test('docker resolution: targets/releases first, then targets; other delegations never count; nested matches in releases stop the search', async () => {
  const sim = await RepositorySimulator.create();
  sim.delegate('targets', 'targets/alice');
  sim.delegate('targets', 'targets/releases');
  sim.delegate('targets/releases', 'targets/releases/sub');
  sim.addTarget('targets', 'both', 'from targets');
  sim.addTarget('targets/releases', 'both', 'from releases');
  sim.addTarget('targets/alice', 'alice-only');
  sim.addTarget('targets', 'top-only');
  sim.addTarget('targets/releases/sub', 'shadowed');
  sim.addTarget('targets', 'shadowed');
  sim.editTargets('targets', (md) => addTargets(md, { nosha: { length: 1, hashes: new Map([['sha512', hash('sha512', Buffer.from('x'))]]) } }));
  await sim.publish();
  const tm = await load(sim);
  const both = resolveDockerTag(tm, 'both');
  assert.deepEqual([both.role, both.digest], ['targets/releases', `sha256:${hash('sha256', Buffer.from('from releases')).toString('hex')}`]);
  assert.equal(resolveDockerTag(tm, 'top-only').role, 'targets');
  throwsCode(() => resolveDockerTag(tm, 'alice-only'), 'TAG_NOT_FOUND', { tag: 'alice-only', role: 'targets/alice' });
  throwsCode(() => resolveDockerTag(tm, 'shadowed'), 'TAG_NOT_FOUND', { tag: 'shadowed', role: 'targets/releases/sub' });
  assert.throws(() => resolveDockerTag(tm, 'nosha'), { code: 'INVALID_METADATA' });
  assert.equal(findTarget(tm, 'alice-only')?.role, 'targets/alice', 'plain notary lookup from targets finds it');
  assert.equal(findTarget(tm, 'missing'), undefined);

  assert.deepEqual(listTargets(tm).map((t) => `${t.role}:${t.name}`), [
    'targets:both', 'targets:nosha', 'targets:shadowed', 'targets:top-only', // canonical (sorted) order within a file
    'targets/alice:alice-only', 'targets/releases:both', 'targets/releases/sub:shadowed',
  ]);
  const delegations = listDelegations(tm);
  assert.deepEqual(delegations.map((d) => [d.parent, d.name]), [['targets', 'targets/alice'], ['targets', 'targets/releases'], ['targets/releases', 'targets/releases/sub']]);
  assert.deepEqual([...delegations[0]!.keys.keys()], [sim.delegationKeys.get('targets/alice')![0]!.keyId]);
});

test('the updater caches only verified bytes and reads from the cache as trust anchor', async () => {
  const sim = await RepositorySimulator.create();
  const client = new TestClient(sim);
  await client.refresh();
  const cachedRoot = client.cache.get('root')!;
  sim.editTargets('targets', (md) => addTargets(md, { v: { length: 1, hashes: new Map([['sha256', hash('sha256', Buffer.from('v'))]]) } }));
  await sim.publish();
  sim.serve('root', Buffer.from('garbage'));
  await client.refresh();
  assert.deepEqual(client.cache.get('root'), cachedRoot);
  assert.equal(parseMetadata(client.cache.get('targets')!, 'targets').signed.version, 2);
});

test('warnings: roles within six months of expiry, but not the timestamp', async () => {
  const sim = await RepositorySimulator.create();
  const tm = await load(sim);
  assert.deepEqual(tm.warnings, []);
  const later = new Date(sim.now.getTime() + 1000 * DAY_MS);
  sim.now = later;
  await sim.publishSnapshotAndTimestamp();
  const old = await load(sim, sim.fetch('root'), later);
  assert.deepEqual(old.warnings.map((w) => w.split(' ')[0]), ['targets']);
});
