// The shared storage behaviour suite on a REAL PostgreSQL server (VOUCH_TEST_POSTGRES_URL). Each run
// works in its own schema, dropped at the end, so runs neither see nor disturb each other.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openStore, type ServerKeyStore, type Store } from '../../../src/storage/index.js';
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

  test('postgres: the tables are notary-server\'s (spec §8.1) and UNIQUE (gun, role, version) holds in the database', async () => {
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

  test('postgres: an unreachable server is a STORAGE error that does not show the password', async () => {
    await assert.rejects(openStore('postgres://vouch:s3cret-pw@127.0.0.1:1/vouch'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'STORAGE');
      assert.doesNotMatch(err.message, /s3cret-pw/);
      return true;
    });
  });
}
