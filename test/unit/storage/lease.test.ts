// SQLite's cross-process write lease (gun_locks): a lease whose holder process is gone is broken at
// once; a live holder's lease is respected, and waiting for it ends after lockWaitMs with an error
// the server answers 503; a lease that cannot be checked runs out; the commit drops the lease in
// the same transaction. Holders are real processes (lock-holder-child), killed with SIGKILL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { isStorageUnavailable, openStore } from '../../../src/storage/index.js';
import { leaseHolderGone, leaseOwnerPid, newLeaseOwner } from '../../../src/storage/lease-holder.js';
import { SqliteStore } from '../../../src/storage/sqlite.js';
import type { SharedLock } from '../../../src/storage/local.js';
import type { StagedOp } from '../../../src/storage/staged.js';

const dir = mkdtempSync(join(tmpdir(), 'vouch-lease-test-'));
const file = join(dir, 'trust.db');
const url = `sqlite:${file}`;
after(() => { rmSync(dir, { recursive: true, force: true }); });

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

function leases(gun: string): { owner: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT owner FROM gun_locks WHERE gun = ?').all(gun) as { owner: string }[];
  } finally {
    db.close();
  }
}

/** lock-holder-child holding `gun`'s write lock; resolves once it says so. */
function holdLock(gun: string): Promise<ChildProcess> {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  const script = join(dirname(self), `lock-holder-child.${ts ? 'ts' : 'js'}`);
  const child = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), script, url, gun], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('locked')) resolve(child); });
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}) before locking:\n${err}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('sqlite lease: a live holder is waited for, then 503-able; once it is killed -9 the next writer gets the lock at once', async () => {
  const gun = 'example.com/lease/killed';
  const store = await openStore(url, { lockWaitMs: 500 });
  try {
    await store.update(gun, [{ role: 'root', version: 1, data: bytes('r1') }]);
    const child = await holdLock(gun);
    const held = leases(gun);
    assert.equal(held.length, 1);
    assert.equal(leaseOwnerPid(held[0]!.owner), child.pid, 'the lease names its holder');
    await assert.rejects(store.update(gun, [{ role: 'root', version: 2, data: bytes('r2') }]), (err: Error) => {
      assert.ok(isStorageUnavailable(err), `a retryable storage error: ${err.message}`);
      assert.match(err.message, new RegExp(`waiting for the write lock of ${gun}.*pid ${child.pid}`));
      return true;
    });
    await killed(child);
    assert.equal(leases(gun).length, 1, 'the dead holder left its lease behind');
    // lockWaitMs is 500 ms: this succeeds only because the dead holder's lease is broken, not outwaited
    await store.update(gun, [{ role: 'root', version: 2, data: bytes('r2') }]);
    assert.equal((await store.getCurrent(gun, 'root'))?.data.toString(), 'r2');
    assert.deepEqual(leases(gun), [], 'and no lease is left after the commit');
  } finally {
    await store.close();
  }
});

test('sqlite lease: a lease that cannot be checked (another boot or pid namespace) is respected until it expires', async () => {
  const gun = 'example.com/lease/foreign';
  const store = await openStore(url, { lockWaitMs: 300 });
  try {
    const mine = newLeaseOwner().split(' ');
    assert.equal(mine.length, 5, 'on Linux the owner names boot id, pid namespace, pid and start time');
    const db = new Database(file);
    try {
      db.prepare('INSERT INTO gun_locks (gun, owner, expires_at) VALUES (?, ?, ?)')
        .run(gun, `x 00000000-0000-0000-0000-000000000000 ${mine[2]} 999999999 1`, Date.now() + 60_000);
    } finally {
      db.close();
    }
    await assert.rejects(store.update(gun, [{ role: 'root', version: 1, data: bytes('r') }]), (err: Error) => isStorageUnavailable(err));
    const expire = new Database(file);
    try {
      expire.prepare('UPDATE gun_locks SET expires_at = 0 WHERE gun = ?').run(gun);
    } finally {
      expire.close();
    }
    await store.update(gun, [{ role: 'root', version: 1, data: bytes('r') }]);
  } finally {
    await store.close();
  }
});

test('lease holder: gone when its pid is free or names another process; alive when it is this process', () => {
  const [token, boot, ns, pid, start] = newLeaseOwner().split(' ');
  assert.equal(Number(pid), process.pid);
  assert.equal(leaseHolderGone([token, boot, ns, pid, start].join(' ')), false, 'this very process');
  assert.equal(leaseHolderGone([token, boot, ns, pid, `${start}1`].join(' ')), true, 'same pid, another start time: the pid was reused');
  assert.equal(leaseHolderGone([token, boot, ns, '999999999', start].join(' ')), true, 'no such pid');
  assert.equal(leaseHolderGone([token, 'another-boot', ns, '999999999', start].join(' ')), false, 'another boot cannot be checked');
  assert.equal(leaseHolderGone([token, boot, 'pid:[1]', '999999999', start].join(' ')), false, 'another namespace cannot be checked');
  assert.equal(leaseHolderGone(token!), false, 'an owner without identity (older vouch) cannot be checked');
});

test('sqlite lease: the commit that stores an update also drops the lease (one transaction)', async () => {
  const gun = 'example.com/lease/commit';
  let inCommit: { owner: string }[] | undefined;
  class Observed extends SqliteStore {
    protected override commit(g: string, ops: StagedOp[], lock: SharedLock): void {
      super.commit(g, ops, lock);
      inCommit = leases(g); // before release() runs
    }
  }
  const store = new Observed(file);
  try {
    await store.update(gun, [{ role: 'root', version: 1, data: bytes('r') }]);
    assert.deepEqual(inCommit, []);
  } finally {
    await store.close();
  }
});
