// Checksum-addressed GETs are served from memory: their bytes never change, so only a deletion can
// make an entry stale. A deletion through this instance clears it at once; one through another
// instance on the same database is seen within the cache's time-to-live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from '../../../src/server/index.js';
import { openMemoryStore } from '../../../src/storage/index.js';
import { Clock, TestRepo, post, type TestServer } from './helpers.js';
import { inject } from '../../support/inject.js';

const GUN = 'registry.example.com/cache/app';

async function twoInstances(cache: { bytes?: number; ttlMs?: number } = {}) {
  const clock = new Clock();
  const store = openMemoryStore({ keySecret: 'test-secret', now: clock.now });
  const a: TestServer = { app: createServer({ store, keyStore: store.keys, now: clock.now, checksumCache: cache }), store, clock };
  const b: TestServer = { app: createServer({ store, keyStore: store.keys, now: clock.now, checksumCache: cache }), store, clock };
  const repo = await TestRepo.create(a, GUN);
  assert.equal((await post(a.app, GUN, await repo.initParts(clock.now()))).statusCode, 200);
  const sha = createHash('sha256').update(repo.files.get('targets')!).digest('hex');
  const url = `/v2/${GUN}/_trust/tuf/targets.${sha}.json`;
  return { a, b, clock, store, repo, url };
}

test('a deletion through this instance is seen at once; through another, within the time-to-live', async () => {
  const { a, b, clock, repo, url } = await twoInstances({ ttlMs: 10_000 });
  for (const t of [a, b]) {
    const r = await inject(t.app, { method: 'GET', url });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.rawPayload, repo.files.get('targets'));
  }
  assert.equal((await inject(a.app, { method: 'DELETE', url: `/v2/${GUN}/_trust/tuf/` })).statusCode, 200);
  assert.equal((await inject(a.app, { method: 'GET', url })).statusCode, 404, 'the deleting instance forgets at once');
  assert.equal((await inject(b.app, { method: 'GET', url })).statusCode, 200, 'another instance may serve it until the TTL');
  clock.t += 10_001;
  assert.equal((await inject(b.app, { method: 'GET', url })).statusCode, 404, 'and not after it');
});

test('the cache is bounded in bytes, and can be turned off', async () => {
  // Deleting behind the servers' backs (in the store) shows whether a GET was answered from memory.
  const off = await twoInstances({ bytes: 0 });
  assert.equal((await inject(off.a.app, { method: 'GET', url: off.url })).statusCode, 200);
  await off.store.deleteGun(GUN); // behind the server's back: nothing cached, so 404 at once
  assert.equal((await inject(off.a.app, { method: 'GET', url: off.url })).statusCode, 404);

  const tiny = await twoInstances({ bytes: 8 });
  assert.equal((await inject(tiny.a.app, { method: 'GET', url: tiny.url })).statusCode, 200);
  await tiny.store.deleteGun(GUN);
  assert.equal((await inject(tiny.a.app, { method: 'GET', url: tiny.url })).statusCode, 404, 'too large for the bound: not cached');

  const on = await twoInstances({});
  assert.equal((await inject(on.a.app, { method: 'GET', url: on.url })).statusCode, 200);
  await on.store.deleteGun(GUN);
  assert.equal((await inject(on.a.app, { method: 'GET', url: on.url })).statusCode, 200, 'cached by default');
});
