// The shared storage behaviour suite on a REAL PostgreSQL server (VOUCH_TEST_POSTGRES_URL). Each run
// works in its own schema, dropped at the end, so runs neither see nor disturb each other.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { isStorageUnavailable, openStore, type ServerKeyStore, type Store } from '../../../src/storage/index.js';
import { PostgresStore } from '../../../src/storage/postgres.js';
import { projectRoot } from '../../support/paths.js';
import { POSTGRES_URL_MISSING, withSearchPath } from '../../support/postgres.js';
import { runId, storageSuite } from './suite.js';

const BASE = process.env.VOUCH_TEST_POSTGRES_URL;

if (!BASE) {
  test('postgres: VOUCH_TEST_POSTGRES_URL is set', () => {
    assert.fail(POSTGRES_URL_MISSING);
  });
} else {
  const schema = `vouch_test_${runId()}`;
  const url = withSearchPath(BASE, schema);
  const admin = new pg.Pool({ connectionString: BASE, max: 2 });
  const extra: Store[] = [];
  let created = false;
  const ensureSchema = async () => {
    if (!created) await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    created = true;
  };
  after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  storageSuite({
    name: 'postgres',
    shared: true,
    url,
    open: async (opts) => {
      await ensureSchema();
      return openStore(url, opts);
    },
    rawKeys: async () => (await admin.query<{ key_id: string; private: Buffer }>(`SELECT key_id, private FROM ${schema}.vouch_server_keys`)).rows
      .map((r) => ({ keyId: r.key_id, sealed: r.private })),
    setSealed: async (_s, keyId, sealed) => {
      await admin.query(`UPDATE ${schema}.vouch_server_keys SET private = $1 WHERE key_id = $2`, [sealed, keyId]);
    },
    withSecret: async (_s, secret): Promise<ServerKeyStore> => {
      const s = await openStore(url, secret === undefined ? {} : { keySecret: secret });
      extra.push(s);
      return s.keys;
    },
    cleanup: async () => {
      for (const s of extra) await s.close();
    },
  });

  test('postgres: the tables are notary-server\'s (notary server/storage/sql_models.go) and UNIQUE (gun, role, version) holds in the database', async () => {
    await ensureSchema();
    const s = await openStore(url);
    try {
      const cols = await admin.query<{ table_name: string; column_name: string }>(
        'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position', [schema]);
      const by = (t: string) => cols.rows.filter((r) => r.table_name === t).map((r) => r.column_name);
      assert.deepEqual(by('tuf_files'), ['id', 'created_at', 'updated_at', 'deleted_at', 'gun', 'role', 'version', 'data', 'sha256']);
      assert.deepEqual(by('changefeed'), ['id', 'created_at', 'gun', 'version', 'sha256', 'category']);
      await s.update('example.com/uniq', [{ role: 'root', version: 1, data: Buffer.from('r') }]);
      await assert.rejects(admin.query(`INSERT INTO ${schema}.tuf_files (gun, role, version, data, sha256) VALUES ('example.com/uniq', 'root', 1, '\\x00', '')`),
        /duplicate key/);
    } finally {
      await s.close();
    }
  });

  test('postgres: a session ended while an update holds it fails that update (retryable), not the process; the next update works', async () => {
    await ensureSchema();
    const s = await openStore(url);
    const gun = `example.com/terminated/${runId()}`;
    try {
      await s.update(gun, [{ role: 'root', version: 1, data: Buffer.from('r1') }]);
      let resume!: () => void;
      const paused = new Promise<void>((r) => { resume = r; });
      let held!: () => void;
      const holding = new Promise<void>((r) => { held = r; });
      const update = s.withGunLock(gun, async (tx) => {
        await tx.update(gun, [{ role: 'root', version: 2, data: Buffer.from('r2') }]);
        held();
        await paused; // the client sits idle in its transaction, as during a publish's signing
        await tx.update(gun, [{ role: 'targets', version: 1, data: Buffer.from('t1') }]);
      });
      await holding;
      // The backend holding the GUN's advisory lock (two-int form: classid, objid) is ended, as a restart or failover would.
      const [ns, key] = [0x766f7501, createHash('sha256').update(gun).digest().readUInt32BE(0)];
      const ended = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted`, [ns, key]);
      assert.equal(ended.rows.length, 1, 'one backend holds the lock');
      await admin.query('SELECT pg_terminate_backend($1, 5000)', [ended.rows[0]!.pid]);
      // let the 'error' event reach the idle held client before the callback goes on
      await new Promise((r) => setTimeout(r, 200));
      resume();
      await assert.rejects(update, (err: Error) => {
        assert.ok(isStorageUnavailable(err), `retryable: ${err.message}`);
        assert.match(err.message, /PostgreSQL ended the session during the update of/);
        return true;
      });
      assert.equal((await s.getCurrent(gun, 'root'))?.data.toString(), 'r1', 'nothing of the failed update is stored');
      await s.update(gun, [{ role: 'root', version: 2, data: Buffer.from('r2') }]);
      assert.equal((await s.getCurrent(gun, 'root'))?.version, 2);
    } finally {
      await s.close();
    }
  });

  test('postgres: waiting for another instance\'s repository lock ends after lockWaitMs with a retryable error', async () => {
    await ensureSchema();
    const holder = await openStore(url);
    const waiter = await openStore(url, { lockWaitMs: 300 });
    const gun = `example.com/lock-wait/${runId()}`;
    try {
      let release!: () => void;
      let held!: () => void;
      const holding = new Promise<void>((r) => { held = r; });
      const holderDone = holder.withGunLock(gun, async () => {
        held();
        await new Promise<void>((r) => { release = r; });
      });
      await holding;
      await assert.rejects(waiter.update(gun, [{ role: 'root', version: 1, data: Buffer.from('r') }]), (err: Error) => {
        assert.ok(isStorageUnavailable(err), `retryable: ${err.message}`);
        assert.match(err.message, /lock timeout/);
        return true;
      });
      release();
      await holderDone;
      await waiter.update(gun, [{ role: 'root', version: 1, data: Buffer.from('r') }]);
    } finally {
      await holder.close();
      await waiter.close();
    }
  });

  test('postgres: sessions are UTC from their first statement, set while connecting (no query queued behind it)', async () => {
    await ensureSchema();
    // A fresh process, so pg's once-per-process deprecation (a query sent while another runs) can show.
    const store = join(projectRoot, 'dist', 'src', 'storage', 'postgres.js');
    const code = `import(${JSON.stringify(store)}).then(async ({ PostgresStore }) => {
      const s = new PostgresStore(${JSON.stringify(url)});
      const r = await s.query('time zone', 'SHOW TimeZone');
      process.stdout.write(r.rows[0].TimeZone);
      await s.close();
    })`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--throw-deprecation', '-e', code], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    assert.equal(out, 'UTC');
  });

  test('postgres: while the server is unreachable, reads and writes fail with retryable STORAGE errors', async () => {
    const s = new PostgresStore('postgres://vouch:s3cret-pw@127.0.0.1:1/vouch');
    try {
      const calls = [
        () => s.getCurrent('example.com/x', 'root'),
        () => s.update('example.com/x', [{ role: 'root', version: 1, data: Buffer.from('r') }]),
        () => s.changes({ changeId: 0, records: 1 }),
      ];
      for (const call of calls) {
        await assert.rejects(call(), (err: Error) => {
          assert.ok(isStorageUnavailable(err), err.message);
          assert.doesNotMatch(err.message, /s3cret-pw/);
          return true;
        });
      }
    } finally {
      await s.close();
    }
  });

  test('postgres: an unreachable server is a STORAGE_UNAVAILABLE error that does not show the password', async () => {
    await assert.rejects(openStore('postgres://vouch:s3cret-pw@127.0.0.1:1/vouch'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'STORAGE_UNAVAILABLE');
      assert.doesNotMatch(err.message, /s3cret-pw/);
      return true;
    });
  });
}
