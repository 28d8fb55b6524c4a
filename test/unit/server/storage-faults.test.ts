// The server when its storage fails: an unreachable database answers 503 with Retry-After and
// notary's error body (reads and writes), and a publish opens its server keys (scrypt) before it
// takes the repository lock, so the lock is held only for validation and writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RETRY_AFTER_SECONDS } from '../../../src/server/app.js';
import { openStore, type GunTransaction, type ServerKeyStore } from '../../../src/storage/index.js';
import { PostgresStore } from '../../../src/storage/postgres.js';
import { Clock, TestRepo, errorOf, newServer, post } from './helpers.js';
import { inject } from '../../support/inject.js';

const GUN = 'example.com/org/app';
const META = JSON.stringify({ signed: { _type: 'Root', expires: '2030-01-01T00:00:00Z', version: 1 }, signatures: [] });

test('database unreachable: reads and publishes answer 503, Retry-After and an UNAVAILABLE error in notary\'s format', async () => {
  const store = new PostgresStore('postgres://vouch:s3cret-pw@127.0.0.1:1/vouch');
  try {
    const t = newServer({ store, keyStore: store.keys });
    const answers = [
      await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` }),
      await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` }),
      await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/changefeed?records=10&change_id=0` }),
      await post(t.app, GUN, [{ filename: 'root', data: META }]),
    ];
    for (const r of answers) {
      assert.equal(r.statusCode, 503, r.body);
      assert.equal(r.headers['retry-after'], String(RETRY_AFTER_SECONDS));
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const e = errorOf(r);
      assert.equal(e.code, 'UNAVAILABLE');
      assert.equal(e.message, 'service unavailable');
      assert.match(String(e.detail), /trust database is unreachable/);
      assert.doesNotMatch(r.body, /s3cret-pw|127\.0\.0\.1/, 'no connection details in the answer');
    }
  } finally {
    await store.close();
  }
});

test('publish: every server key is first opened before the repository lock is taken', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-keys-ahead-'));
  const url = `sqlite:${join(dir, 'trust.db')}`;
  const clock = new Clock();
  try {
    // One server makes the keys (and has them open); a second one, as after a restart, publishes.
    const first = await openStore(url, { keySecret: 'test-secret', now: clock.now });
    const repo = await TestRepo.create(newServer({ store: first, keyStore: first.keys }, clock), GUN, { serverSnapshot: true });
    await first.close();

    const fresh = await openStore(url, { keySecret: 'test-secret', now: clock.now });
    let locked = false;
    const firstUse = new Map<string, boolean>(); // key ID → was the lock held at its first use
    const store = new Proxy(fresh, {
      get(target, prop, receiver) {
        if (prop === 'withGunLock') {
          return (gun: string, fn: (tx: GunTransaction) => Promise<unknown>) => target.withGunLock(gun, async (tx) => {
            locked = true;
            try { return await fn(tx); } finally { locked = false; }
          });
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const keyStore: ServerKeyStore = {
      createKey: (...a) => fresh.keys.createKey(...a),
      listKeys: (...a) => fresh.keys.listKeys(...a),
      getKey: (...a) => fresh.keys.getKey(...a),
      privateKey: (...a) => fresh.keys.privateKey(...a),
      checkSecret: () => fresh.keys.checkSecret(),
      signer: (keyId) => {
        if (!firstUse.has(keyId)) firstUse.set(keyId, locked);
        return fresh.keys.signer(keyId);
      },
    };
    try {
      const t = newServer({ store, keyStore }, clock);
      const r = await post(t.app, GUN, await repo.initParts(clock.now()));
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(firstUse.size, 2, 'the snapshot and the timestamp key were used');
      assert.deepEqual([...firstUse.values()], [false, false], 'neither was first opened under the lock');
    } finally {
      await fresh.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
