// Publish validation (notary server/handlers/validation.go), server signing (notary server/snapshot/snapshot.go, server/timestamp/timestamp.go) and GET-time re-signing (notary server/timestamp/timestamp.go, GetOrCreateTimestamp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { PublicKeyData } from '../../../src/core/index.js';
import {
  addDelegation, createRoot, createSnapshot, createTargets, keyId, newVersion, parseSnapshot, parseTimestamp, setExpires, setRootRoleKeys,
  type Metadata, type Snapshot,
} from '../../../src/tuf/index.js';
import { TestRepo, bytesOf, errorOf, generateKey, generateRootKey, keyFromBody, newServer, post, type TestServer } from './helpers.js';
import { inject } from '../../support/inject.js';

const GUN = 'example.com/org/app';
const DAY = 24 * 3600 * 1000;

async function snapshotOf(t: TestServer, gun = GUN) {
  return JSON.stringify({ files: await t.store.listCurrent(gun), changes: await t.store.changes({ changeId: 0, records: 1000 }) });
}

async function setup(opts: { serverSnapshot?: boolean } = {}) {
  const t = newServer();
  const repo = await TestRepo.create(t, GUN, opts);
  const r = await post(t.app, GUN, await repo.initParts(t.clock.now()));
  assert.equal(r.statusCode, 200, r.body);
  return { t, repo };
}

function detail(res: { statusCode: number; body: string }): { Name: string; Error: { Msg: string; Missing?: string } } {
  assert.equal(res.statusCode, 400, res.body);
  const e = errorOf(res);
  assert.equal(e.code, 'INVALID_UPDATE', res.body);
  return e.detail as { Name: string; Error: { Msg: string; Missing?: string } };
}

async function getJson<T>(t: TestServer, path: string): Promise<T> {
  const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/${path}` });
  assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
  return JSON.parse(r.body) as T;
}

test('no root stored and none uploaded → ErrValidation, exactly as notary words it', async () => {
  const t = newServer();
  const r = await post(t.app, GUN, [{ filename: 'targets', data: '{}' }]);
  assert.equal(r.body, '{"errors":[{"code":"INVALID_UPDATE","message":"Update sent by the client is invalid.","detail":{"Name":"ErrValidation","Error":{"Msg":"no pre-existing root and no root provided in update."}}}]}\n');
  const ts = await post(t.app, GUN, [{ filename: 'timestamp', data: '{}' }]);
  assert.equal(detail(ts).Name, 'ErrValidation');
});

test('first publish (client snapshot): stores root, targets, snapshot and a server timestamp v1', async () => {
  const { t, repo } = await setup();
  for (const role of ['root', 'targets', 'snapshot'] as const) {
    const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/${role}.json` });
    assert.deepEqual(r.rawPayload, repo.files.get(role), role);
  }
  const tsBytes = (await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })).rawPayload;
  const ts = parseTimestamp(tsBytes);
  assert.equal(ts.signed.version, 1);
  assert.equal(ts.signed.expires.toISOString(), new Date(t.clock.t + 14 * DAY).toISOString());
  assert.deepEqual(Buffer.from(ts.signed.snapshot.hashes.get('sha256')!), createHash('sha256').update(repo.files.get('snapshot')!).digest());
  assert.ok(ts.signed.snapshot.hashes.has('sha512'));
  assert.equal(ts.signed.snapshot.length, repo.files.get('snapshot')!.length);
  assert.deepEqual(ts.signatures.map((s) => s.keyid), repo.root.signed.roles.timestamp.keyids);
  assert.equal(ts.signatures[0]!.method, 'ecdsa');
  assert.match(tsBytes.toString(), /^\{"signed":\{"_type":"Timestamp","expires":"[^"]+","meta":\{"snapshot":\{"hashes":\{"sha256":"[^"]+","sha512":"[^"]+"\},"length":\d+\}\},"version":1\},"signatures":\[\{"keyid":"[0-9a-f]{64}","method":"ecdsa","sig":"[^"]+"\}\]\}$/);
});

test('root version rules: current or current+1 only (ErrBadRoot), same version again → VERSION', async () => {
  const t = newServer();
  const repo = await TestRepo.create(t, GUN);
  repo.root = newVersion(newVersion(repo.root, t.clock.now()), t.clock.now()); // version 3
  const parts = await repo.initParts(t.clock.now());
  assert.deepEqual(detail(await post(t.app, GUN, parts)), { Name: 'ErrBadRoot', Error: { Msg: 'Root modifications must increment the version. Current 1, new 3' } });

  const ok = await setup({ serverSnapshot: true });
  const before = await snapshotOf(ok.t);
  const again = await post(ok.t.app, GUN, [{ filename: 'root', data: ok.repo.files.get('root')! }]);
  assert.equal(again.statusCode, 400);
  assert.deepEqual(errorOf(again), { code: 'VERSION', message: 'A newer version of metadata is already available.', detail: {} });
  assert.equal(await snapshotOf(ok.t), before, 'nothing stored');
});

test('root certificate checks: plain key, CN mismatch, unsigned, expired → ErrBadRoot; storage untouched', async () => {
  const t = newServer();
  const now = t.clock.now();
  const ts = keyFromBody((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.key` })).body);
  const targetsKey = generateKey('ecdsa');
  const snapKey = generateKey('ecdsa');
  const keys = (root: { publicKey: PublicKeyData }) => ({ root: [root.publicKey], targets: [targetsKey.publicKey], snapshot: [snapKey.publicKey], timestamp: [ts] });
  const before = await snapshotOf(t);

  const plain = generateKey('ecdsa');
  const r1 = await post(t.app, GUN, [{ filename: 'root', data: await bytesOf(createRoot({ now, keys: keys(plain) }), [plain]) }]);
  const d1 = detail(r1);
  assert.equal(d1.Name, 'ErrBadRoot');
  assert.match(d1.Error.Msg, /^could not validate the path to a trusted root: unable to retrieve valid leaf certificates/);

  const otherCn = await generateRootKey({ gun: 'example.com/other', now });
  assert.equal(detail(await post(t.app, GUN, [{ filename: 'root', data: await bytesOf(createRoot({ now, keys: keys(otherCn) }), [otherCn]) }])).Name, 'ErrBadRoot');

  const rootKey = await generateRootKey({ gun: GUN, now });
  const wrongSigner = await generateRootKey({ gun: GUN, now });
  const d3 = detail(await post(t.app, GUN, [{ filename: 'root', data: await bytesOf(createRoot({ now, keys: keys(rootKey) }), [wrongSigner]) }]));
  assert.equal(d3.Name, 'ErrBadRoot');
  assert.match(d3.Error.Msg, /threshold/);

  const expired = setExpires(createRoot({ now, keys: keys(rootKey) }), new Date(now.getTime() - DAY));
  const d4 = detail(await post(t.app, GUN, [{ filename: 'root', data: await bytesOf(expired, [rootKey]) }]));
  assert.equal(d4.Name, 'ErrBadRoot');
  assert.match(d4.Error.Msg, /^root expired at/);

  const unsignedRoot = createRoot({ now, keys: keys(rootKey) }).toBytes();
  assert.equal(detail(await post(t.app, GUN, [{ filename: 'root', data: unsignedRoot }])).Name, 'ErrBadRoot');
  assert.equal(await snapshotOf(t), before);
});

test('root rotation must be signed by the old and the new root key', async () => {
  const { t, repo } = await setup();
  const now = t.clock.now();
  const newRootKey = await generateRootKey({ gun: GUN, now });
  repo.root = setRootRoleKeys(newVersion(repo.root, now), 'root', [newRootKey.publicKey]);
  const before = await snapshotOf(t);
  const onlyNew = await post(t.app, GUN, [{ filename: 'root', data: await bytesOf(repo.root, [newRootKey]) }]);
  const d = detail(onlyNew);
  assert.equal(d.Name, 'ErrBadRoot');
  assert.match(d.Error.Msg, /rotation/);
  const onlyOld = await post(t.app, GUN, [{ filename: 'root', data: await bytesOf(repo.root, [repo.rootKey]) }]);
  assert.equal(detail(onlyOld).Name, 'ErrBadRoot');
  assert.equal(await snapshotOf(t), before);
  // both: accepted; the client-held snapshot key means the client must send a snapshot too
  const both = await bytesOf(repo.root, [repo.rootKey, newRootKey]);
  repo.files.set('root', both);
  const withSnap = await post(t.app, GUN, [{ filename: 'root', data: both }, { filename: 'snapshot', data: await repo.snapshotBytes(now) }]);
  assert.equal(withSnap.statusCode, 200, withSnap.body);
  const stored = await getJson<{ signed: { version: number }; signatures: unknown[] }>(t, 'root.json');
  assert.equal(stored.signed.version, 2);
  assert.equal(stored.signatures.length, 2);
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/1.root.json` })).statusCode, 200, 'old versions stay fetchable');
});

test('targets: wrong key → ErrBadTargets threshold; expired → ErrBadTargets; stale version → VERSION', async () => {
  const { t, repo } = await setup();
  const now = t.clock.now();
  const before = await snapshotOf(t);
  repo.addTag('1.0', 1, now);
  const wrong = await bytesOf(repo.targets, [generateKey('ecdsa')]);
  const d = detail(await post(t.app, GUN, [{ filename: 'targets', data: wrong }]));
  assert.equal(d.Name, 'ErrBadTargets');
  assert.match(d.Error.Msg, /^valid signatures did not meet threshold for targets/);

  const expired = await bytesOf(setExpires(repo.targets, new Date(now.getTime() - 1000)), [repo.targetsKey]);
  const de = detail(await post(t.app, GUN, [{ filename: 'targets', data: expired }]));
  assert.equal(de.Name, 'ErrBadTargets');
  assert.match(de.Error.Msg, /^targets expired at/);

  const stale = await post(t.app, GUN, [{ filename: 'targets', data: repo.files.get('targets')! }, { filename: 'snapshot', data: await repo.snapshotBytes(now) }]);
  assert.equal(errorOf(stale).code, 'VERSION');
  assert.equal(await snapshotOf(t), before, 'rejected updates store nothing');
});

test('uploaded snapshot: wrong key → ErrBadSnapshot; hashes must match every loaded file', async () => {
  const { t, repo } = await setup();
  const now = t.clock.now();
  repo.addTag('1.0', 1, now);
  const targets = await repo.targetsBytes();
  const before = await snapshotOf(t);
  const good = createSnapshot(new Map([['root', repo.files.get('root')!], ['targets', targets]]), { now, previous: repo.snapshot });
  const wrongKey = detail(await post(t.app, GUN, [{ filename: 'targets', data: targets }, { filename: 'snapshot', data: await bytesOf(good, [generateKey('ecdsa')]) }]));
  assert.equal(wrongKey.Name, 'ErrBadSnapshot');
  assert.match(wrongKey.Error.Msg, /threshold for snapshot/);
  // a snapshot that still lists the previous targets
  const old = createSnapshot(new Map([['root', repo.files.get('root')!]]), { now, previous: repo.snapshot });
  const mismatch = detail(await post(t.app, GUN, [{ filename: 'targets', data: targets }, { filename: 'snapshot', data: await bytesOf(old, [repo.snapshotKey!]) }]));
  assert.equal(mismatch.Name, 'ErrBadSnapshot');
  assert.match(mismatch.Error.Msg, /checksum for targets did not match/);
  // no snapshot and the server does not hold the snapshot key
  const h = await post(t.app, GUN, [{ filename: 'targets', data: targets }]);
  assert.equal(h.body, '{"errors":[{"code":"INVALID_UPDATE","message":"Update sent by the client is invalid.","detail":{"Name":"ErrBadHierarchy","Error":{"Missing":"snapshot","Msg":"no snapshot was included in update and server does not hold current snapshot key for repository"}}}]}\n');
  assert.equal(await snapshotOf(t), before);
  const fine = await post(t.app, GUN, [{ filename: 'targets', data: targets }, { filename: 'snapshot', data: await bytesOf(good, [repo.snapshotKey!]) }]);
  assert.equal(fine.statusCode, 200, fine.body);
});

test('server-managed snapshot: generated from the previous one, listing root, targets and delegations', async () => {
  const { t, repo } = await setup({ serverSnapshot: true });
  const now = t.clock.now();
  let snap = parseSnapshot((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/snapshot.json` })).rawPayload);
  assert.equal(snap.signed.version, 1);
  assert.deepEqual([...snap.signed.meta.keys()].sort(), ['root', 'targets']);
  assert.deepEqual(snap.signatures.map((s) => s.keyid), repo.root.signed.roles.snapshot.keyids);
  assert.equal(snap.signed.expires.toISOString(), new Date(t.clock.t + 1095 * DAY).toISOString());

  // a delegation: targets (new version, delegating) and the delegation file in one upload
  const rel = generateKey('ecdsa');
  repo.addDelegation('targets/releases', rel, now);
  const dParts = [{ filename: 'targets/releases', data: await (async () => { repo.delegations.set('targets/releases', (await import('../../../src/tuf/index.js')).addTargets(repo.delegations.get('targets/releases')!, {})); return repo.delegationBytes('targets/releases', rel); })() }, { filename: 'targets', data: await repo.targetsBytes() }];
  const r = await post(t.app, GUN, dParts);
  assert.equal(r.statusCode, 200, r.body);
  snap = parseSnapshot((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/snapshot.json` })).rawPayload);
  assert.equal(snap.signed.version, 2);
  assert.deepEqual([...snap.signed.meta.keys()].sort(), ['root', 'targets', 'targets/releases']);
  for (const role of ['root', 'targets', 'targets/releases']) {
    assert.deepEqual(Buffer.from(snap.signed.meta.get(role)!.hashes.get('sha256')!), createHash('sha256').update(repo.files.get(role)!).digest(), role);
  }
  // the delegation alone, later: parent loaded from the store
  repo.delegations.set('targets/releases', (await import('../../../src/tuf/index.js')).addTargets(newVersion(repo.delegations.get('targets/releases')!, now), {}));
  const r2 = await post(t.app, GUN, [{ filename: 'targets/releases', data: await repo.delegationBytes('targets/releases', rel) }]);
  assert.equal(r2.statusCode, 200, r2.body);
  const byVersion = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/2.targets/releases.json` });
  assert.equal(byVersion.statusCode, 200);
  // an unknown delegation
  const stray = createTargets('targets/stray', now);
  const d = detail(await post(t.app, GUN, [{ filename: 'targets/stray', data: await bytesOf(stray, [rel]) }]));
  assert.equal(d.Name, 'ErrBadTargets');
  assert.equal(d.Error.Msg, 'tuf: invalid role targets/stray. delegation does not exist');
  // signed by a key the delegation does not list
  repo.delegations.set('targets/releases', newVersion(repo.delegations.get('targets/releases')!, now));
  const wrong = detail(await post(t.app, GUN, [{ filename: 'targets/releases', data: await bytesOf(repo.delegations.get('targets/releases')!, [generateKey('ecdsa')]) }]));
  assert.equal(wrong.Name, 'ErrBadTargets');
  assert.match(wrong.Error.Msg, /threshold for targets\/releases/);
});

test('an uploaded timestamp is ignored: the server always signs its own', async () => {
  const { t, repo } = await setup({ serverSnapshot: true });
  repo.addTag('t', 3, t.clock.now());
  const fakeTs = '{"signed":{"_type":"Timestamp","expires":"2099-01-01T00:00:00Z","meta":{},"version":99},"signatures":[]}';
  const r = await post(t.app, GUN, [{ filename: 'timestamp', data: fakeTs }, { filename: 'targets', data: await repo.targetsBytes() }]);
  assert.equal(r.statusCode, 200, r.body);
  const ts = parseTimestamp((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })).rawPayload);
  assert.equal(ts.signed.version, 2);
});

test('a later part for the same role replaces an earlier one', async () => {
  const { t, repo } = await setup({ serverSnapshot: true });
  const junk = await bytesOf(repo.targets, [generateKey('ecdsa')]);
  repo.addTag('dup', 4, t.clock.now());
  const good = await repo.targetsBytes();
  const r = await post(t.app, GUN, [{ filename: 'targets', data: junk }, { filename: 'targets.json', data: good }]);
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/targets.json` })).rawPayload, good);
});

test('timestamp key not held by the server → ErrBadRoot "no  timestamp keys exist on the server"', async () => {
  const t = newServer();
  const repo = await TestRepo.create(t, GUN);
  repo.root = setRootRoleKeys(repo.root, 'timestamp', [generateKey('ecdsa').publicKey]);
  const before = await snapshotOf(t);
  assert.deepEqual(detail(await post(t.app, GUN, await repo.initParts(t.clock.now()))), { Name: 'ErrBadRoot', Error: { Msg: 'no  timestamp keys exist on the server' } });
  assert.equal(await snapshotOf(t), before);
});

test('server keys of one GUN never sign another GUN\'s metadata', async () => {
  const { t, repo } = await setup({ serverSnapshot: true });
  const victimTs = repo.root.signed.roles.timestamp.keyids[0]!;
  const victimSnap = repo.root.signed.roles.snapshot.keyids[0]!;
  const evil = await TestRepo.create(t, 'example.com/evil/app', { serverSnapshot: true });
  evil.root = setRootRoleKeys(evil.root, 'timestamp', [repo.root.signed.keys.get(victimTs)!]);
  const r = await post(t.app, 'example.com/evil/app', await evil.initParts(t.clock.now()));
  assert.equal(detail(r).Error.Msg, 'no  timestamp keys exist on the server');
  const evil2 = await TestRepo.create(t, 'example.com/evil/two', { serverSnapshot: true });
  evil2.root = setRootRoleKeys(evil2.root, 'snapshot', [repo.root.signed.keys.get(victimSnap)!]);
  assert.equal(detail(await post(t.app, 'example.com/evil/two', await evil2.initParts(t.clock.now()))).Name, 'ErrBadHierarchy');
  assert.ok(keyId(repo.root.signed.keys.get(victimTs)!) === victimTs);
});

test('after DELETE the old files can be uploaded again (rollback state is reset, as in notary)', async () => {
  const { t, repo } = await setup();
  assert.equal((await inject(t.app, { method: 'DELETE', url: `/v2/${GUN}/_trust/tuf/` })).statusCode, 200);
  const r = await post(t.app, GUN, [{ filename: 'targets', data: repo.files.get('targets')! }, { filename: 'snapshot', data: repo.files.get('snapshot')! }, { filename: 'root', data: repo.files.get('root')! }]);
  assert.equal(r.statusCode, 200, r.body);
});

test('GET-time re-signing: an expiring timestamp is re-signed once, with a changefeed record', async () => {
  const { t } = await setup();
  const v1 = parseTimestamp((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })).rawPayload);
  t.clock.advanceDays(10);
  const same = parseTimestamp((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })).rawPayload);
  assert.equal(same.signed.version, 1, 'still fresh: not re-signed');
  t.clock.advanceDays(3.5); // within a day of expiry
  const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` });
  const v2 = parseTimestamp(r.rawPayload);
  assert.equal(v2.signed.version, 2);
  assert.ok(v2.signed.expires.getTime() > v1.signed.expires.getTime());
  assert.equal(r.headers['last-modified'], new Date(t.clock.t).toUTCString().replace('GMT', 'UTC'));
  const again = parseTimestamp((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })).rawPayload);
  assert.equal(again.signed.version, 2);
  const feed = JSON.parse((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/changefeed?records=10` })).body) as { records: { Version: number }[] };
  assert.deepEqual(feed.records.map((x) => x.Version), [1, 2]);
  // concurrent readers of an expired timestamp make exactly one new version
  t.clock.advanceDays(20);
  await Promise.all(Array.from({ length: 10 }, () => inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })));
  const feed2 = JSON.parse((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/changefeed?records=10` })).body) as { records: { Version: number }[] };
  assert.deepEqual(feed2.records.map((x) => x.Version), [1, 2, 3]);
});

test('GET-time re-signing of a server-held snapshot; a client-held expired snapshot is a 500, never served stale', async () => {
  const server = await setup({ serverSnapshot: true });
  server.t.clock.advanceDays(1095);
  const snapRes = await inject(server.t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/snapshot.json` });
  assert.equal(snapRes.statusCode, 200);
  const snap: Metadata<Snapshot> = parseSnapshot(snapRes.rawPayload);
  assert.equal(snap.signed.version, 2);
  assert.ok(snap.signed.expires.getTime() > server.t.clock.t);
  const ts = parseTimestamp((await inject(server.t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })).rawPayload);
  assert.deepEqual(Buffer.from(ts.signed.snapshot.hashes.get('sha256')!), createHash('sha256').update(snapRes.rawPayload).digest());

  const client = await setup();
  // within the refresh window of a client-held snapshot: served as it is, no new timestamps
  client.t.clock.advanceDays(1094.5);
  for (let i = 0; i < 3; i++) assert.equal((await inject(client.t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/snapshot.json` })).statusCode, 200);
  const tsNow = parseTimestamp((await inject(client.t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` })).rawPayload);
  assert.equal(tsNow.signed.version, 2, 'the expired timestamp was re-signed once, the snapshot was left alone');
  assert.equal((await client.t.store.changes({ gun: GUN, changeId: 0, records: 100 })).length, 2);
  client.t.clock.advanceDays(1.5);
  const r = await inject(client.t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` });
  assert.equal(r.statusCode, 500);
  assert.equal(errorOf(r).code, 'UNKNOWN');
  // other roles are still served
  assert.equal((await inject(client.t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` })).statusCode, 200);
});

test('delegation entries must be direct children (structure) and delegated roles need their parent', async () => {
  const { t, repo } = await setup({ serverSnapshot: true });
  const k = generateKey('ecdsa');
  const deep = createTargets('targets/a/b', t.clock.now());
  const d = detail(await post(t.app, GUN, [{ filename: 'targets/a/b', data: await bytesOf(deep, [k]) }]));
  assert.equal(d.Name, 'ErrBadTargets');
  assert.match(d.Error.Msg, /targets\/a/);
  assert.throws(() => addDelegation(repo.targets, 'targets/a/b', { keys: [k.publicKey] }));
});

test('a version beyond what storage holds is an INVALID_UPDATE, not a server error', async () => {
  const { t, repo } = await setup({ serverSnapshot: true });
  const md = (await import('../../../src/tuf/index.js')).Metadata.from('targets', { ...(repo.targets.signedJson as Record<string, never>), version: 2 ** 31 });
  const r = await post(t.app, GUN, [{ filename: 'targets', data: await bytesOf(md, [repo.targetsKey]) }]);
  assert.deepEqual(detail(r), { Name: 'ErrValidation', Error: { Msg: 'targets version 2147483648 is out of range' } });
});
