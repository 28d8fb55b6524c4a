// The shared storage behaviour suite on the SQLite adapter: every instance opens the same file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type ServerKeyStore, type Store } from '../../../src/storage/index.js';
import { storageSuite } from './suite.js';

const dir = mkdtempSync(join(tmpdir(), 'vouch-sqlite-test-'));
const file = join(dir, 'data', 'vouch.db');
const extra: Store[] = [];

function raw<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

storageSuite({
  name: 'sqlite',
  shared: true,
  url: `sqlite:${file}`,
  open: (opts) => openStore(`sqlite:${file}`, opts),
  rawKeys: async () => raw((db) => (db.prepare('SELECT key_id, private FROM server_keys').all() as { key_id: string; private: Buffer }[])
    .map((r) => ({ keyId: r.key_id, sealed: r.private }))),
  setSealed: async (_s, keyId, sealed) => {
    raw((db) => db.prepare('UPDATE server_keys SET private = ? WHERE key_id = ?').run(sealed, keyId));
  },
  withSecret: async (_s, secret): Promise<ServerKeyStore> => {
    const s = await openStore(`sqlite:${file}`, secret === undefined ? {} : { keySecret: secret });
    extra.push(s);
    return s.keys;
  },
  cleanup: async () => {
    for (const s of extra) await s.close();
    rmSync(dir, { recursive: true, force: true });
  },
});

test('sqlite: WAL mode, a private file, and a bare path opens SQLite too', async () => {
  const d = mkdtempSync(join(tmpdir(), 'vouch-sqlite-path-'));
  try {
    const path = join(d, 'nested', 'trust.db');
    const s = await openStore(path);
    assert.equal(s.kind, 'sqlite');
    await s.update('example.com/a', [{ role: 'root', version: 1, data: Buffer.from('r') }]);
    const db = new Database(path);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    assert.equal(statSync(path).mode & 0o077, 0, 'no group/other access to the database file');
    await s.close();
    const again = await openStore(`sqlite:${path}`);
    assert.equal((await again.getCurrent('example.com/a', 'root'))?.data.toString(), 'r');
    await again.close();
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
