// Concurrent publishers to one GUN: every accepted update is stored, versions strictly increase,
// and the server's snapshot/timestamp chain has no gaps or forks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { addTargets, dockerTarget, newVersion, parseSnapshot, parseTimestamp } from '../../../src/tuf/index.js';
import { TestRepo, bytesOf, errorOf, newServer, post } from './helpers.js';

const GUN = 'example.com/busy/app';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('100 concurrent publishes of increasing targets versions: none lost, versions strictly increasing', async () => {
  const t = newServer();
  const repo = await TestRepo.create(t, GUN, { serverSnapshot: true });
  assert.equal((await post(t.app, GUN, await repo.initParts(t.clock.now()))).statusCode, 200);
  const now = t.clock.now();
  // 100 uploads, versions 2..101, all prepared from the same starting point
  const uploads: Buffer[] = [];
  let md = repo.targets;
  for (let i = 0; i < 100; i++) {
    md = addTargets(newVersion(md, now), { [`tag${i}`]: dockerTarget(Buffer.alloc(32, i), i + 1) });
    uploads.push(await bytesOf(md, [repo.targetsKey]));
  }
  // send in a scrambled order, all at once
  const order = uploads.map((_, i) => i).sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
  const results = await Promise.all(order.map((i) => post(t.app, GUN, [{ filename: 'targets', data: uploads[i]! }]).then((r) => ({ i, r }))));
  const accepted = results.filter((x) => x.r.statusCode === 200).map((x) => x.i);
  for (const x of results) {
    if (x.r.statusCode !== 200) {
      assert.equal(x.r.statusCode, 400, x.r.body);
      assert.equal(errorOf(x.r).code, 'VERSION', x.r.body);
    }
  }
  assert.ok(accepted.length >= 1);
  // every accepted upload is stored byte for byte
  for (const i of accepted) {
    const f = await t.store.getVersion(GUN, 'targets', i + 2);
    assert.ok(f, `accepted version ${i + 2} is stored`);
    assert.deepEqual(f.data, uploads[i]);
  }
  // exactly one snapshot and one timestamp per accepted publish (plus the initial one), no gaps
  const feed = await t.store.changes({ gun: GUN, changeId: 0, records: 1000 });
  assert.deepEqual(feed.map((c) => c.version), Array.from({ length: accepted.length + 1 }, (_, k) => k + 1));
  // walking the snapshots in version order, the targets they name have strictly increasing versions
  const targetsVersions: number[] = [];
  for (let v = 2; v <= accepted.length + 1; v++) {
    const snapFile = await t.store.getVersion(GUN, 'snapshot', v);
    assert.ok(snapFile, `snapshot ${v}`);
    const h = Buffer.from(parseSnapshot(snapFile.data).signed.meta.get('targets')!.hashes.get('sha256')!).toString('hex');
    const idx = uploads.findIndex((u) => sha(u) === h);
    assert.ok(idx >= 0 && accepted.includes(idx), `snapshot ${v} names an accepted upload`);
    targetsVersions.push(idx + 2);
    const tsFile = await t.store.getVersion(GUN, 'timestamp', v);
    assert.equal(Buffer.from(parseTimestamp(tsFile!.data).signed.snapshot.hashes.get('sha256')!).toString('hex'), sha(snapFile.data));
  }
  for (let k = 1; k < targetsVersions.length; k++) assert.ok(targetsVersions[k]! > targetsVersions[k - 1]!, `targets versions increase: ${targetsVersions.join(',')}`);
  assert.deepEqual([...targetsVersions].sort((a, b) => a - b), accepted.map((i) => i + 2).sort((a, b) => a - b));
});

test('100 concurrent publishes of the same version: exactly one wins, the rest get VERSION', async () => {
  const t = newServer();
  const repo = await TestRepo.create(t, GUN, { serverSnapshot: true });
  assert.equal((await post(t.app, GUN, await repo.initParts(t.clock.now()))).statusCode, 200);
  const now = t.clock.now();
  const uploads = await Promise.all(Array.from({ length: 100 }, (_, i) => bytesOf(addTargets(newVersion(repo.targets, now), { [`only${i}`]: dockerTarget(Buffer.alloc(32, i), 1) }), [repo.targetsKey])));
  const results = await Promise.all(uploads.map((u) => post(t.app, GUN, [{ filename: 'targets', data: u }])));
  const codes = results.map((r) => (r.statusCode === 200 ? 'ok' : errorOf(r).code));
  assert.equal(codes.filter((c) => c === 'ok').length, 1, codes.join(','));
  assert.equal(codes.filter((c) => c === 'VERSION').length, 99);
  const winner = uploads[codes.indexOf('ok')]!;
  assert.deepEqual((await t.store.getCurrent(GUN, 'targets'))!.data, winner);
  assert.equal((await t.store.changes({ gun: GUN, changeId: 0, records: 1000 })).length, 2);
});

test('concurrent publishes to different GUNs do not block or disturb each other', async () => {
  const t = newServer();
  const guns = Array.from({ length: 6 }, (_, i) => `example.com/many/app${i}`);
  const repos = await Promise.all(guns.map((g) => TestRepo.create(t, g, { serverSnapshot: true })));
  const results = await Promise.all(repos.map(async (r) => post(t.app, r.gun, await r.initParts(t.clock.now()))));
  assert.ok(results.every((r) => r.statusCode === 200));
  const feed = await t.store.changes({ changeId: 0, records: 1000 });
  assert.deepEqual(new Set(feed.map((c) => c.gun)), new Set(guns));
});
