// openStore: which URL opens which adapter, and the errors for everything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVouchError, type ErrorCode } from '../../../src/core/index.js';
import { openStore, redact } from '../../../src/storage/index.js';

async function fails(p: Promise<unknown>, code: ErrorCode, msg: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVouchError(err, code), String(err));
    assert.match(err.message, msg);
    return true;
  });
}

test('memory, sqlite:PATH, sqlite://PATH and bare paths open the right adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-open-'));
  try {
    const m = await openStore('memory');
    assert.equal(m.kind, 'memory');
    await m.close();
    for (const url of [`sqlite:${join(dir, 'a.db')}`, `sqlite://${join(dir, 'b.db')}`, `sqlite3:${join(dir, 'c.db')}`, join(dir, 'd', 'e.db')]) {
      const s = await openStore(url);
      assert.equal(s.kind, 'sqlite', url);
      await s.check();
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown schemes, empty URLs and bad options are CONFIG errors that name the choices', async () => {
  await fails(openStore(''), 'CONFIG', /memory, sqlite:PATH/);
  await fails(openStore('   '), 'CONFIG', /no storage URL/);
  await fails(openStore('sqlite:'), 'CONFIG', /names no file/);
  await fails(openStore('mysql://root:pw@db/notary'), 'CONFIG', /unsupported storage "mysql"/);
  await fails(openStore('rethinkdb://db:28015'), 'CONFIG', /postgres:\/\//);
  await fails(openStore('http://example.com/db'), 'CONFIG', /unsupported storage "http"/);
  await fails(openStore('mysql://root:pw@db/notary'), 'CONFIG', /root:\*\*\*@/);
  await fails(openStore('memory', { keySecret: '' }), 'CONFIG', /secret is empty/);
  await fails(openStore('memory', { keyAlgorithm: 'rsa' as 'ecdsa' }), 'UNSUPPORTED_KEY_TYPE', /ecdsa or ed25519/);
});

test('postgres:// and postgresql:// are PostgreSQL: an unreachable server is STORAGE_UNAVAILABLE, not CONFIG', async () => {
  for (const scheme of ['postgres', 'postgresql', 'POSTGRES']) {
    await fails(openStore(`${scheme}://vouch:pw@127.0.0.1:1/vouch`), 'STORAGE_UNAVAILABLE', /127\.0\.0\.1:1/);
  }
});

test('a file that is not a database is a STORAGE error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-open-'));
  try {
    const path = join(dir, 'junk.db');
    writeFileSync(path, 'this is not a sqlite database, just text that is long enough to have a header'.repeat(20));
    await fails(openStore(path), 'STORAGE', /cannot open SQLite database/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redact hides passwords in URLs', () => {
  assert.equal(redact('postgres://u:secret@h:5432/db'), 'postgres://u:***@h:5432/db');
  assert.equal(redact('postgres://u@h/db'), 'postgres://u@h/db');
  assert.equal(redact('memory'), 'memory');
});
