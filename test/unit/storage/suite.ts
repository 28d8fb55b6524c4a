// One behaviour suite for every MetadataStore / ServerKeyStore adapter: each adapter's test file
// supplies a Harness and calls storageSuite. Adapters must pass it unchanged.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isVouchError, verifySignature, type ErrorCode } from '../../../src/core/index.js';
import { keyId } from '../../../src/tuf/keyid.js';
import { getCurrentChained, type OpenStoreOptions, type ServerKeyStore, type Store } from '../../../src/storage/index.js';

export interface Harness {
  name: string;
  /** The URL `openStore` takes for this backend (shared backends only), for child processes. */
  url?: string;
  /** Opens a store instance; for shared backends every instance sees the same database. */
  open(opts?: OpenStoreOptions): Promise<Store>;
  /** Whether instances from `open` share their data (SQLite file, PostgreSQL database). */
  shared: boolean;
  /** The key rows as the backend stores them: key ID and the encrypted private blob. */
  rawKeys(store: Store): Promise<{ keyId: string; sealed: Buffer }[]>;
  /** Overwrites the encrypted blob of one key row (to simulate swapped or edited rows). */
  setSealed(store: Store, keyId: string, sealed: Buffer): Promise<void>;
  /** A key store over the same rows using another secret. */
  withSecret(store: Store, secret: string | undefined): Promise<ServerKeyStore>;
  cleanup?(): Promise<void>;
}

const SECRET = 'correct horse battery staple';
let counter = 0;
const gunName = (what: string) => `example.com/${what}/${process.pid}-${Date.now().toString(36)}-${counter++}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytes = (s: string) => Buffer.from(s, 'utf8');

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, msg?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVouchError(err), `expected a VouchError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (msg) assert.match(err.message, msg);
    return true;
  });
}

/** Minimal Notary-shaped documents whose hashes chain timestamp → snapshot → role. */
function chain(version: number, roles: Record<string, Buffer>): { snapshot: Buffer; timestamp: Buffer } {
  const meta: Record<string, unknown> = {};
  for (const [role, data] of Object.entries(roles)) {
    meta[role] = { hashes: { sha256: createHash('sha256').update(data).digest('base64') }, length: data.length };
  }
  const snapshot = bytes(JSON.stringify({ signed: { _type: 'Snapshot', version, meta }, signatures: [] }));
  const timestamp = bytes(JSON.stringify({
    signed: { _type: 'Timestamp', version, meta: { snapshot: { hashes: { sha256: createHash('sha256').update(snapshot).digest('base64') } } } },
    signatures: [],
  }));
  return { snapshot, timestamp };
}

export function storageSuite(h: Harness): void {
  const opened: Store[] = [];
  const open = async (opts: OpenStoreOptions = {}) => {
    const s = await h.open({ keySecret: SECRET, ...opts });
    opened.push(s);
    return s;
  };
  after(async () => {
    for (const s of opened) await s.close();
    await h.cleanup?.();
  });

  const T = (name: string, fn: () => Promise<void>) => test(`${h.name}: ${name}`, { timeout: 120_000 }, fn);

  // ---- round trips and lookups -------------------------------------------------------------

  T('stores and returns the exact bytes, by current, version and checksum', async () => {
    const s = await open();
    const g = gunName('roundtrip');
    const raw = Buffer.concat([bytes('{"signed": {}, "x": "é"}\n  '), Buffer.from([0, 255, 128, 10])]);
    await s.update(g, [{ role: 'root', version: 1, data: raw }]);
    const cur = await s.getCurrent(g, 'root');
    assert.ok(cur);
    assert.deepEqual(cur.data, raw);
    assert.equal(cur.sha256, sha(raw));
    assert.equal(cur.gun, g);
    assert.equal(cur.role, 'root');
    assert.equal(cur.version, 1);
    assert.ok(cur.createdAt instanceof Date && !Number.isNaN(cur.createdAt.getTime()));
    assert.deepEqual((await s.getVersion(g, 'root', 1))?.data, raw);
    assert.deepEqual((await s.getChecksum(g, 'root', sha(raw)))?.data, raw);
    assert.deepEqual((await s.getChecksum(g, 'root', sha(raw).toUpperCase()))?.data, raw, 'checksum lookup ignores hex case');
    // returned buffers are copies
    cur.data.fill(0);
    assert.deepEqual((await s.getCurrent(g, 'root'))?.data, raw);
  });

  T('current is the highest version; old versions stay readable by version and checksum', async () => {
    const s = await open();
    const g = gunName('versions');
    const v = [bytes('t1'), bytes('t2'), bytes('t3')];
    await s.update(g, [{ role: 'targets', version: 1, data: v[0]! }]);
    await s.update(g, [{ role: 'targets', version: 2, data: v[1]! }]);
    await s.update(g, [{ role: 'targets', version: 5, data: v[2]! }]);
    assert.equal((await s.getCurrent(g, 'targets'))?.version, 5);
    assert.deepEqual((await s.getVersion(g, 'targets', 2))?.data, v[1]);
    assert.equal(await s.getVersion(g, 'targets', 3), undefined);
    assert.equal((await s.getChecksum(g, 'targets', sha(v[0]!)))?.version, 1);
    assert.equal(await s.getChecksum(g, 'targets', sha(bytes('nope'))), undefined);
    assert.equal(await s.getChecksum(g, 'targets', 'not-hex'), undefined);
    assert.equal(await s.getVersion(g, 'targets', 0), undefined);
    assert.equal(await s.getVersion(g, 'targets', 2 ** 40), undefined);
    assert.equal(await s.getCurrent(g, 'root'), undefined);
    assert.equal(await s.getCurrent(gunName('unknown'), 'targets'), undefined);
  });

  T('GUNs and roles are isolated; delegation roles with slashes work', async () => {
    const s = await open();
    const a = gunName('iso-a');
    const b = gunName('iso-b');
    await s.update(a, [{ role: 'targets/releases', version: 1, data: bytes('a-rel') }, { role: 'targets', version: 3, data: bytes('a-t') }]);
    await s.update(b, [{ role: 'targets', version: 1, data: bytes('b-t') }]);
    assert.equal((await s.getCurrent(a, 'targets/releases'))?.data.toString(), 'a-rel');
    assert.equal((await s.getCurrent(b, 'targets'))?.data.toString(), 'b-t');
    assert.equal(await s.getCurrent(b, 'targets/releases'), undefined);
    assert.equal(await s.getChecksum(b, 'targets', sha(bytes('a-t'))), undefined, 'checksum lookups are per GUN');
    assert.equal(await s.getChecksum(a, 'targets/releases', sha(bytes('a-t'))), undefined, 'and per role');
    const list = await s.listCurrent(a);
    assert.deepEqual(list.map((f) => [f.role, f.version]), [['targets', 3], ['targets/releases', 1]]);
    assert.deepEqual(await s.listCurrent(gunName('none')), []);
  });

  T('getCurrentChained follows timestamp → snapshot → role (notary SQL semantics)', async () => {
    const s = await open();
    const g = gunName('chain');
    const root = bytes('root-1');
    const t1 = bytes('targets-1');
    const c1 = chain(1, { root, targets: t1 });
    await s.update(g, [
      { role: 'root', version: 1, data: root }, { role: 'targets', version: 1, data: t1 },
      { role: 'snapshot', version: 1, data: c1.snapshot }, { role: 'timestamp', version: 1, data: c1.timestamp },
    ]);
    assert.deepEqual((await getCurrentChained(s, g, 'targets'))?.data, t1);
    assert.deepEqual((await getCurrentChained(s, g, 'snapshot'))?.data, c1.snapshot);
    assert.deepEqual((await getCurrentChained(s, g, 'timestamp'))?.data, c1.timestamp);
    // a newer targets not yet in any snapshot is stored but not current
    await s.update(g, [{ role: 'targets', version: 2, data: bytes('targets-2') }]);
    assert.deepEqual((await getCurrentChained(s, g, 'targets'))?.data, t1);
    assert.equal(await getCurrentChained(s, g, 'targets/releases'), undefined);
    assert.equal(await getCurrentChained(s, gunName('empty'), 'root'), undefined);
  });

  // ---- conflicts ---------------------------------------------------------------------------

  T('a version not above the stored one is a CONFLICT and writes nothing', async () => {
    const s = await open();
    const g = gunName('conflict');
    await s.update(g, [{ role: 'root', version: 2, data: bytes('r2') }, { role: 'timestamp', version: 1, data: bytes('ts1') }]);
    const before = await s.changes({ gun: g, changeId: 0, records: 100 });
    await rejectsWith(s.update(g, [{ role: 'root', version: 2, data: bytes('r2 again') }]), 'CONFLICT');
    await rejectsWith(s.update(g, [{ role: 'root', version: 1, data: bytes('r1') }]), 'CONFLICT');
    // a batch where only one file conflicts stores none of them and adds no changefeed record
    await rejectsWith(s.update(g, [
      { role: 'targets', version: 1, data: bytes('t1') },
      { role: 'timestamp', version: 2, data: bytes('ts2') },
      { role: 'root', version: 2, data: bytes('r2 bis') },
    ]), 'CONFLICT');
    assert.equal(await s.getCurrent(g, 'targets'), undefined);
    assert.equal((await s.getCurrent(g, 'timestamp'))?.version, 1);
    assert.deepEqual((await s.getCurrent(g, 'root'))?.data, bytes('r2'));
    assert.deepEqual(await s.changes({ gun: g, changeId: 0, records: 100 }), before);
    // the same (role, version) twice in one batch
    await rejectsWith(s.update(g, [{ role: 'targets', version: 1, data: bytes('a') }, { role: 'targets', version: 1, data: bytes('b') }]), 'CONFLICT');
    assert.equal(await s.getCurrent(g, 'targets'), undefined);
    // increasing versions of one role in one batch are fine
    await s.update(g, [{ role: 'targets', version: 1, data: bytes('a') }, { role: 'targets', version: 2, data: bytes('b') }]);
    assert.equal((await s.getCurrent(g, 'targets'))?.version, 2);
  });

  T('invalid arguments are refused before anything is written', async () => {
    const s = await open();
    const g = gunName('args');
    await rejectsWith(s.update(g, [{ role: 'root', version: 0, data: bytes('x') }]), 'INVALID_ARGUMENT');
    await rejectsWith(s.update(g, [{ role: 'root', version: 1.5, data: bytes('x') }]), 'INVALID_ARGUMENT');
    await rejectsWith(s.update(g, [{ role: 'root', version: 2 ** 31, data: bytes('x') }]), 'INVALID_ARGUMENT');
    await rejectsWith(s.update(g, [{ role: '', version: 1, data: bytes('x') }]), 'INVALID_ARGUMENT');
    await rejectsWith(s.update('', [{ role: 'root', version: 1, data: bytes('x') }]), 'INVALID_ARGUMENT');
    await rejectsWith(s.update('x'.repeat(256), [{ role: 'root', version: 1, data: bytes('x') }]), 'INVALID_ARGUMENT');
    await rejectsWith(s.changes({ changeId: 1.5, records: 1 }), 'INVALID_ARGUMENT');
    assert.deepEqual(await s.listCurrent(g), []);
    // an empty batch is a no-op
    await s.update(g, []);
    assert.deepEqual(await s.listCurrent(g), []);
  });

  // ---- deletion ----------------------------------------------------------------------------

  T('deleteGun removes every file, records one deletion, and allows starting over', async () => {
    const s = await open();
    const g = gunName('delete');
    const other = gunName('delete-other');
    await s.update(g, [{ role: 'root', version: 1, data: bytes('r') }, { role: 'timestamp', version: 1, data: bytes('ts') }]);
    await s.update(g, [{ role: 'timestamp', version: 2, data: bytes('ts2') }]);
    await s.update(other, [{ role: 'root', version: 1, data: bytes('o') }]);
    assert.equal(await s.deleteGun(g), true);
    assert.equal(await s.getCurrent(g, 'root'), undefined);
    assert.equal(await s.getVersion(g, 'timestamp', 1), undefined);
    assert.equal(await s.getChecksum(g, 'root', sha(bytes('r'))), undefined);
    assert.deepEqual(await s.listCurrent(g), []);
    assert.ok(await s.getCurrent(other, 'root'), 'other GUNs are untouched');
    const feed = await s.changes({ gun: g, changeId: 0, records: 100 });
    assert.deepEqual(feed.map((c) => [c.category, c.version, c.sha256]), [
      ['update', 1, sha(bytes('ts'))], ['update', 2, sha(bytes('ts2'))], ['deletion', 0, ''],
    ]);
    // nothing left: no second deletion record
    assert.equal(await s.deleteGun(g), false);
    assert.equal(await s.deleteGun(gunName('never')), false);
    assert.equal((await s.changes({ gun: g, changeId: 0, records: 100 })).length, 3);
    // rollback protection is reset: version 1 can be uploaded again
    await s.update(g, [{ role: 'root', version: 1, data: bytes('r') }]);
    assert.equal((await s.getCurrent(g, 'root'))?.version, 1);
  });

  // ---- changefeed --------------------------------------------------------------------------

  T('changefeed: one record per timestamp, paging forward with an exclusive change_id', async () => {
    const s = await open();
    const g = gunName('feed');
    const other = gunName('feed-other');
    const start = (await s.changes({ changeId: -1, records: -1 }))[0]?.id ?? 0;
    for (let v = 1; v <= 5; v++) {
      await s.update(g, [{ role: 'targets', version: v, data: bytes(`t${v}`) }, { role: 'timestamp', version: v, data: bytes(`ts${v}`) }]);
      await s.update(other, [{ role: 'timestamp', version: v, data: bytes(`o${v}`) }]);
    }
    await s.update(g, [{ role: 'targets', version: 6, data: bytes('t6') }]); // no timestamp: no record
    const mine = await s.changes({ gun: g, changeId: 0, records: 100 });
    assert.equal(mine.length, 5);
    assert.deepEqual(mine.map((c) => c.version), [1, 2, 3, 4, 5]);
    for (const c of mine) {
      assert.equal(c.gun, g);
      assert.equal(c.category, 'update');
      assert.equal(c.sha256, sha(bytes(`ts${c.version}`)));
      assert.ok(c.createdAt instanceof Date && !Number.isNaN(c.createdAt.getTime()));
    }
    const ids = mine.map((c) => c.id);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ascending ids');
    // exclusive change_id, page size
    assert.deepEqual((await s.changes({ gun: g, changeId: ids[1]!, records: 2 })).map((c) => c.id), [ids[2], ids[3]]);
    assert.deepEqual((await s.changes({ gun: g, changeId: ids[4]!, records: 2 })), []);
    // all GUNs, interleaved, from a known point
    const all = await s.changes({ changeId: start, records: 100 });
    assert.equal(all.length, 10);
    assert.deepEqual(all.map((c) => c.gun), [g, other, g, other, g, other, g, other, g, other]);
  });

  T('changefeed: reading backwards (negative records, change_id -1) returns oldest first', async () => {
    const s = await open();
    const g = gunName('feed-back');
    for (let v = 1; v <= 6; v++) await s.update(g, [{ role: 'timestamp', version: v, data: bytes(`ts${v}`) }]);
    const ids = (await s.changes({ gun: g, changeId: 0, records: 100 })).map((c) => c.id);
    assert.equal(ids.length, 6);
    // the newest two
    assert.deepEqual((await s.changes({ gun: g, changeId: -1, records: -2 })).map((c) => c.version), [5, 6]);
    // change_id -1 reads backwards whatever the sign of records
    assert.deepEqual((await s.changes({ gun: g, changeId: -1, records: 3 })).map((c) => c.version), [4, 5, 6]);
    // backwards from an id, exclusive
    assert.deepEqual((await s.changes({ gun: g, changeId: ids[4]!, records: -3 })).map((c) => c.id), [ids[1], ids[2], ids[3]]);
    assert.deepEqual((await s.changes({ gun: g, changeId: ids[1]!, records: -5 })).map((c) => c.id), [ids[0]]);
    assert.deepEqual(await s.changes({ gun: g, changeId: ids[0]!, records: -5 }), []);
    // all of it backwards
    assert.deepEqual((await s.changes({ gun: g, changeId: -1, records: -100 })).map((c) => c.id), ids);
    // the newest overall (all GUNs) ends with this GUN's newest
    const newest = await s.changes({ changeId: -1, records: -1 });
    assert.equal(newest.length, 1);
    assert.equal(newest[0]!.id, ids[5]);
  });

  T('changefeed: records 0 means a page of 100', async () => {
    const s = await open();
    const g = gunName('feed-default');
    await s.withGunLock(g, async (tx) => {
      for (let v = 1; v <= 105; v++) await tx.update(g, [{ role: 'timestamp', version: v, data: bytes(`ts${v}`) }]);
    });
    const page = await s.changes({ gun: g, changeId: 0, records: 0 });
    assert.equal(page.length, 100);
    assert.deepEqual(page.map((c) => c.version), Array.from({ length: 100 }, (_, i) => i + 1));
    const rest = await s.changes({ gun: g, changeId: page[99]!.id, records: 0 });
    assert.deepEqual(rest.map((c) => c.version), [101, 102, 103, 104, 105]);
  });

  // ---- the GUN lock and its transaction view -----------------------------------------------

  T('withGunLock: reads see the transaction\'s own writes; the result is returned', async () => {
    const s = await open();
    const g = gunName('tx');
    await s.update(g, [{ role: 'root', version: 1, data: bytes('r1') }]);
    const result = await s.withGunLock(g, async (tx) => {
      await tx.update(g, [{ role: 'targets', version: 1, data: bytes('t1') }, { role: 'timestamp', version: 1, data: bytes('ts1') }]);
      assert.deepEqual((await tx.getCurrent(g, 'targets'))?.data, bytes('t1'));
      assert.equal((await tx.getChecksum(g, 'timestamp', sha(bytes('ts1'))))?.version, 1);
      assert.equal((await tx.getVersion(g, 'root', 1))?.data.toString(), 'r1');
      assert.deepEqual((await tx.listCurrent(g)).map((f) => f.role), ['root', 'targets', 'timestamp']);
      await rejectsWith(tx.update(g, [{ role: 'targets', version: 1, data: bytes('again') }]), 'CONFLICT');
      // a refused call inside the transaction does not undo earlier writes of the same transaction
      await tx.update(g, [{ role: 'targets', version: 2, data: bytes('t2') }]);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal((await s.getCurrent(g, 'targets'))?.version, 2);
    assert.equal((await s.changes({ gun: g, changeId: 0, records: 10 })).length, 1);
  });

  T('withGunLock: when the callback throws, nothing it wrote is stored', async () => {
    const s = await open();
    const g = gunName('tx-abort');
    await s.update(g, [{ role: 'root', version: 1, data: bytes('r1') }]);
    const boom = new Error('validation failed');
    await assert.rejects(s.withGunLock(g, async (tx) => {
      await tx.update(g, [{ role: 'root', version: 2, data: bytes('r2') }, { role: 'timestamp', version: 1, data: bytes('ts1') }]);
      await tx.deleteGun(g);
      throw boom;
    }), (err) => err === boom);
    assert.equal((await s.getCurrent(g, 'root'))?.version, 1);
    assert.equal(await s.getCurrent(g, 'timestamp'), undefined);
    assert.deepEqual(await s.changes({ gun: g, changeId: 0, records: 10 }), []);
    // and the GUN is not left locked
    await s.update(g, [{ role: 'root', version: 2, data: bytes('r2') }]);
  });

  T('withGunLock: delete inside a transaction, then write again', async () => {
    const s = await open();
    const g = gunName('tx-delete');
    await s.update(g, [{ role: 'root', version: 3, data: bytes('r3') }]);
    await s.withGunLock(g, async (tx) => {
      assert.equal(await tx.deleteGun(g), true);
      assert.equal(await tx.getCurrent(g, 'root'), undefined);
      await tx.update(g, [{ role: 'root', version: 1, data: bytes('r1') }]);
      assert.equal((await tx.getCurrent(g, 'root'))?.version, 1);
    });
    assert.equal((await s.getCurrent(g, 'root'))?.version, 1);
    assert.equal(await s.getVersion(g, 'root', 3), undefined);
    assert.deepEqual((await s.changes({ gun: g, changeId: 0, records: 10 })).map((c) => c.category), ['deletion']);
  });

  T('withGunLock: re-entering the store for the same GUN fails (once the lock wait is over) instead of deadlocking; the view is bound to its GUN and call', async () => {
    const s = await open({ lockWaitMs: 200 });
    const g = gunName('reentry');
    const other = gunName('reentry-other');
    let saved: Parameters<Parameters<Store['withGunLock']>[1]>[0] | undefined;
    await s.withGunLock(g, async (tx) => {
      saved = tx;
      await rejectsWith(s.update(g, [{ role: 'root', version: 1, data: bytes('r') }]), 'STORAGE_UNAVAILABLE');
      await rejectsWith(s.withGunLock(g, async () => undefined), 'STORAGE_UNAVAILABLE');
      await rejectsWith(tx.update(other, [{ role: 'root', version: 1, data: bytes('r') }]), 'INVALID_ARGUMENT');
      // another GUN's lock can be taken meanwhile
      await s.update(other, [{ role: 'root', version: 1, data: bytes('o') }]);
      // plain reads are fine
      assert.equal(await s.getCurrent(g, 'root'), undefined);
    });
    assert.ok(saved);
    await rejectsWith(saved.getCurrent(g, 'root'), 'INTERNAL');
    assert.ok(await s.getCurrent(other, 'root'));
  });

  T('100 concurrent publishers to one GUN: strictly increasing versions, nothing lost', async () => {
    const s = await open();
    const g = gunName('publishers');
    await s.update(g, [{ role: 'root', version: 1, data: bytes('root') }]);
    const accepted = await Promise.all(Array.from({ length: 100 }, (_, i) => s.withGunLock(g, async (tx) => {
      // read-validate-write: the next version is derived from what is current
      const cur = await tx.getCurrent(g, 'targets');
      const ts = await tx.getCurrent(g, 'timestamp');
      const v = (cur?.version ?? 0) + 1;
      await tx.update(g, [
        { role: 'targets', version: v, data: bytes(`publisher ${i} targets ${v}`) },
        { role: 'timestamp', version: (ts?.version ?? 0) + 1, data: bytes(`publisher ${i} ts ${v}`) },
      ]);
      return v;
    })));
    assert.deepEqual([...accepted].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1), 'each publisher got its own version');
    for (let v = 1; v <= 100; v++) assert.ok(await s.getVersion(g, 'targets', v), `targets ${v} stored`);
    const feed = await s.changes({ gun: g, changeId: 0, records: 200 });
    assert.deepEqual(feed.map((c) => c.version), Array.from({ length: 100 }, (_, i) => i + 1), 'changefeed in version order');
  });

  T('100 concurrent blind writers: accepted versions are strictly increasing and all visible', async () => {
    const s = await open();
    const g = gunName('blind');
    const order = Array.from({ length: 100 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const results = await Promise.allSettled(order.map((v) => s.update(g, [{ role: 'timestamp', version: v, data: bytes(`ts${v}`) }])));
    const won: number[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') won.push(order[i]!);
      else assert.ok(isVouchError(r.reason, 'CONFLICT'), String(r.reason));
    });
    assert.ok(won.length >= 1);
    const feed = (await s.changes({ gun: g, changeId: 0, records: 200 })).map((c) => c.version);
    assert.deepEqual([...feed].sort((a, b) => a - b), feed, 'strictly increasing in commit order');
    assert.deepEqual([...won].sort((a, b) => a - b), feed, 'every accepted write is in the feed');
    for (const v of won) assert.ok(await s.getVersion(g, 'timestamp', v));
    assert.equal((await s.getCurrent(g, 'timestamp'))?.version, Math.max(...won));
  });

  T('check() passes on an open store; a closed store refuses work', async () => {
    const s = await h.open({ keySecret: SECRET });
    await s.check();
    await s.close();
    await s.close(); // idempotent
    await rejectsWith(s.check(), 'STORAGE');
    await rejectsWith(s.getCurrent('g', 'root'), 'STORAGE');
  });

  // ---- server keys -------------------------------------------------------------------------

  T('keys: ECDSA P-256 (default) and Ed25519 in TUF form, listed oldest first, usable for signing', async () => {
    const s = await open();
    const g = gunName('keys');
    const k1 = await s.keys.createKey(g, 'timestamp');
    const k2 = await s.keys.createKey(g, 'timestamp', 'ed25519');
    const k3 = await s.keys.createKey(g, 'snapshot', 'ecdsa');
    assert.equal(k1.algorithm, 'ecdsa');
    assert.equal(k1.publicKey.keytype, 'ecdsa');
    const spki = createPublicKey({ key: Buffer.from(k1.publicKey.public), format: 'der', type: 'spki' });
    assert.equal(spki.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(k2.publicKey.keytype, 'ed25519');
    assert.equal(k2.publicKey.public.length, 32);
    for (const k of [k1, k2, k3]) assert.equal(k.keyId, keyId(k.publicKey));
    assert.deepEqual((await s.keys.listKeys(g, 'timestamp')).map((k) => k.keyId), [k1.keyId, k2.keyId]);
    assert.deepEqual((await s.keys.listKeys(g, 'snapshot')).map((k) => k.keyId), [k3.keyId]);
    assert.deepEqual(await s.keys.listKeys(gunName('nokeys'), 'timestamp'), []);
    const got = await s.keys.getKey(k2.keyId);
    assert.equal(got?.gun, g);
    assert.equal(got?.role, 'timestamp');
    assert.deepEqual(Buffer.from(got!.publicKey.public), Buffer.from(k2.publicKey.public));
    assert.equal(await s.keys.getKey('0'.repeat(64)), undefined);
    assert.equal(await s.keys.privateKey('0'.repeat(64)), undefined);
    assert.equal(await s.keys.signer('0'.repeat(64)), undefined);
    for (const k of [k1, k2]) {
      const signer = await s.keys.signer(k.keyId);
      assert.ok(signer);
      assert.equal(signer.keyId, k.keyId);
      const msg = bytes('{"signed":"bytes"}');
      const { method, sig } = await signer.sign(msg);
      assert.equal(method, k.algorithm === 'ed25519' ? 'eddsa' : 'ecdsa');
      assert.equal(verifySignature(k.publicKey, method, sig, msg), true);
      const der = await s.keys.privateKey(k.keyId);
      assert.ok(der);
      const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      assert.equal(priv.asymmetricKeyType, k.algorithm === 'ed25519' ? 'ed25519' : 'ec');
    }
    await rejectsWith(s.keys.createKey(g, 'targets' as 'timestamp'), 'INVALID_ARGUMENT');
    await rejectsWith(s.keys.createKey(g, 'timestamp', 'rsa' as 'ecdsa'), 'UNSUPPORTED_KEY_TYPE');
  });

  // (only where a store starts empty: a shared database already holds other tests' keys)
  if (!h.shared) {
    T('keys: a store without keys passes the secret check, even without a secret', async () => {
      const s = await h.open({});
      opened.push(s);
      await s.keys.checkSecret();
    });
  }

  T('keys: the stored ciphertext holds no private key bytes', async () => {
    const s = await open();
    const g = gunName('keys-raw');
    for (const alg of ['ecdsa', 'ed25519'] as const) {
      const k = await s.keys.createKey(g, 'snapshot', alg);
      const der = (await s.keys.privateKey(k.keyId))!;
      const jwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
      const scalar = Buffer.from(String(jwk.d), 'base64url');
      const row = (await h.rawKeys(s)).find((r) => r.keyId === k.keyId);
      assert.ok(row, 'row is stored');
      assert.equal(row.sealed.includes(scalar), false, `${alg} private scalar appears in the stored row`);
      assert.equal(row.sealed.includes(der), false, 'PKCS#8 appears in the stored row');
      assert.equal(row.sealed.includes(scalar.subarray(0, 16)), false);
      assert.ok(row.sealed.length >= der.length + 16, 'ciphertext, tag and salt are stored');
    }
  });

  T('keys: a wrong secret, no secret, a swapped row or an edited row fail clearly', async () => {
    const s = await open();
    const g = gunName('keys-bad');
    const a = await s.keys.createKey(g, 'timestamp');
    const b = await s.keys.createKey(g, 'snapshot');
    const wrong = await h.withSecret(s, 'not the secret');
    await rejectsWith(wrong.privateKey(a.keyId), 'BAD_PASSPHRASE', /wrong key secret/);
    await rejectsWith(wrong.signer(a.keyId), 'BAD_PASSPHRASE');
    assert.equal((await wrong.listKeys(g, 'timestamp')).length, 1, 'listing needs no secret');
    const none = await h.withSecret(s, undefined);
    await rejectsWith(none.privateKey(a.keyId), 'CONFIG');
    await rejectsWith(none.createKey(g, 'timestamp'), 'CONFIG');
    // start-up check: the newest key must open
    await rejectsWith(wrong.checkSecret(), 'BAD_PASSPHRASE', /wrong key secret/);
    await rejectsWith(none.checkSecret(), 'CONFIG');
    await (await h.withSecret(s, SECRET)).checkSecret();
    // swap the encrypted blobs of two rows: the additional data binds each blob to its key ID
    const rows = await h.rawKeys(s);
    const ra = rows.find((r) => r.keyId === a.keyId)!;
    const rb = rows.find((r) => r.keyId === b.keyId)!;
    await h.setSealed(s, a.keyId, rb.sealed);
    await h.setSealed(s, b.keyId, ra.sealed);
    const fresh = await h.withSecret(s, SECRET); // no cache of opened keys
    await rejectsWith(fresh.privateKey(a.keyId), 'BAD_PASSPHRASE');
    await rejectsWith(fresh.privateKey(b.keyId), 'BAD_PASSPHRASE');
    // one flipped bit of ciphertext
    const edited = Buffer.from(ra.sealed);
    edited[edited.length - 1]! ^= 1;
    await h.setSealed(s, a.keyId, edited);
    await rejectsWith((await h.withSecret(s, SECRET)).privateKey(a.keyId), 'BAD_PASSPHRASE');
    // restored rows open again with the right secret
    await h.setSealed(s, a.keyId, ra.sealed);
    await h.setSealed(s, b.keyId, rb.sealed);
    assert.ok(await (await h.withSecret(s, SECRET)).privateKey(b.keyId));
    // error messages never carry key material
    const der = (await s.keys.privateKey(b.keyId))!;
    const err = await wrong.privateKey(b.keyId).catch((e: unknown) => e as Error);
    assert.ok(err instanceof Error);
    const shown = JSON.stringify({ message: err.message, details: (err as { details?: unknown }).details, cause: String(err.cause) });
    for (const enc of ['hex', 'base64', 'base64url'] as const) {
      for (let i = 0; i + 16 <= der.length; i += 16) assert.ok(!shown.includes(der.subarray(i, i + 16).toString(enc)), 'no key material in errors');
    }
  });

  // ---- several instances on one database ---------------------------------------------------

  if (!h.shared) return;

  T('two instances on one database see each other\'s writes, changefeed and keys', async () => {
    const s1 = await open();
    const s2 = await open();
    const g = gunName('shared');
    await s1.update(g, [{ role: 'root', version: 1, data: bytes('r1') }, { role: 'timestamp', version: 1, data: bytes('ts1') }]);
    assert.deepEqual((await s2.getCurrent(g, 'root'))?.data, bytes('r1'));
    await rejectsWith(s2.update(g, [{ role: 'root', version: 1, data: bytes('other') }]), 'CONFLICT');
    await s2.update(g, [{ role: 'timestamp', version: 2, data: bytes('ts2') }]);
    assert.deepEqual((await s1.changes({ gun: g, changeId: 0, records: 10 })).map((c) => c.version), [1, 2]);
    const k = await s1.keys.createKey(g, 'timestamp');
    assert.deepEqual((await s2.keys.listKeys(g, 'timestamp')).map((x) => x.keyId), [k.keyId]);
    assert.ok(await s2.keys.signer(k.keyId));
    assert.equal(await s2.deleteGun(g), true);
    assert.equal(await s1.getCurrent(g, 'root'), undefined);
  });

  T('two instances serialise on the GUN lock; other GUNs are not blocked', async () => {
    const s1 = await open();
    const s2 = await open();
    const g = gunName('serialise');
    const free = gunName('serialise-free');
    const log: string[] = [];
    let firstIn!: () => void;
    const firstInside = new Promise<void>((r) => { firstIn = r; });
    const first = s1.withGunLock(g, async (tx) => {
      log.push('first in');
      firstIn();
      // While we hold the lock, the other instance must not get in, even after many round trips…
      for (let i = 0; i < 20; i++) await tx.getCurrent(g, 'targets');
      // …but it can still take another GUN's lock.
      await s2.update(free, [{ role: 'root', version: 1, data: bytes('free') }]);
      await tx.update(g, [{ role: 'targets', version: 1, data: bytes('first') }]);
      log.push('first out');
    });
    await firstInside;
    const second = s2.withGunLock(g, async (tx) => {
      log.push('second in');
      const cur = await tx.getCurrent(g, 'targets');
      await tx.update(g, [{ role: 'targets', version: (cur?.version ?? 0) + 1, data: bytes('second') }]);
    });
    await Promise.all([first, second]);
    assert.deepEqual(log, ['first in', 'first out', 'second in']);
    assert.equal((await s1.getCurrent(g, 'targets'))?.data.toString(), 'second');
    assert.equal((await s1.getCurrent(g, 'targets'))?.version, 2);
  });

  T('100 concurrent publishers split over two instances: strictly increasing versions, nothing lost', async () => {
    const stores = [await open(), await open()];
    const g = gunName('shared-publishers');
    const accepted = await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % 2]!.withGunLock(g, async (tx) => {
      const ts = await tx.getCurrent(g, 'timestamp');
      const v = (ts?.version ?? 0) + 1;
      await tx.update(g, [{ role: 'targets', version: v, data: bytes(`p${i}`) }, { role: 'timestamp', version: v, data: bytes(`ts${v} by ${i}`) }]);
      return v;
    })));
    assert.deepEqual([...accepted].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
    const feed = await stores[1]!.changes({ gun: g, changeId: 0, records: 200 });
    assert.deepEqual(feed.map((c) => c.version), Array.from({ length: 100 }, (_, i) => i + 1));
    for (let v = 1; v <= 100; v++) assert.ok(await stores[0]!.getVersion(g, 'targets', v));
  });

  T('publishers in three processes on one database: strictly increasing versions, nothing lost', async () => {
    assert.ok(h.url, 'shared harnesses give their URL');
    const s = await open();
    const g = gunName('processes');
    const children = [runChild(h.url, g, 40), runChild(h.url, g, 40)];
    const mine = Array.from({ length: 20 }, () => s.withGunLock(g, async (tx) => {
      const v = ((await tx.getCurrent(g, 'timestamp'))?.version ?? 0) + 1;
      await tx.update(g, [{ role: 'targets', version: v, data: bytes('parent') }, { role: 'timestamp', version: v, data: bytes(`ts ${v} parent`) }]);
      return v;
    }));
    const all = [...(await Promise.all(children)).flat(), ...(await Promise.all(mine))];
    assert.deepEqual(all.sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
    const feed = await s.changes({ gun: g, changeId: 0, records: 200 });
    assert.deepEqual(feed.map((c) => c.version), Array.from({ length: 100 }, (_, i) => i + 1));
  });

  T('opening the same database concurrently creates the schema once', async () => {
    const many = await Promise.all([open(), open(), open()]);
    const g = gunName('reopen');
    await many[0]!.update(g, [{ role: 'root', version: 1, data: bytes('r') }]);
    for (const s of many) assert.ok(await s.getCurrent(g, 'root'));
  });
}

/** Runs publisher-child in another Node process (TypeScript through tsx, or the compiled file). */
function runChild(url: string, gun: string, count: number): Promise<number[]> {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  const child = join(dirname(self), `publisher-child.${ts ? 'ts' : 'js'}`);
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [...(ts ? ['--import', 'tsx'] : []), child, url, gun, String(count)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`publisher child failed: ${err.message}\n${stderr}`));
      else resolvePromise(JSON.parse(stdout) as number[]);
    });
  });
}

/** A random suffix for per-run database objects. */
export function runId(): string {
  return randomBytes(6).toString('hex');
}
