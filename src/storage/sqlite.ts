// SQLite adapter (better-sqlite3, WAL): the embedded default, one file under a data directory.
// Commits are synchronous IMMEDIATE transactions, so they are atomic and ordered. The GUN lock is
// the in-process mutex plus a lease row in `gun_locks`, which other store instances and other
// processes on the same file respect. A lease names its holding process (lease-holder.ts), so a
// lease whose holder has died (kill -9, a crash) is broken by the next writer at once; one that
// cannot be checked (another machine's namespace) expires after LEASE_MS. Commits check that the
// lease is still ours, so an expired lease can never let two writers interleave, and drop it in the
// same transaction. Why a lease and not SQLite's own write lock: docs/decisions/sqlite-write-lease.md.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { VouchError } from '../core/index.js';
import { conflict, normaliseSha256, pageSpec, sleep, storageError, validName, validVersion } from './common.js';
import { EncryptedKeyStore, type KeyRow, type KeyRows } from './keys.js';
import { leaseHolderGone, leaseOwnerPid, newLeaseOwner } from './lease-holder.js';
import { LocalStore, type SharedLock } from './local.js';
import type { StagedOp } from './staged.js';
import type { ChangeRecord, ChangesQuery, OpenStoreOptions, ServerKeyAlgorithm, ServerKeyRole, StoredFile } from './types.js';

const LEASE_MS = 30_000;
const SCHEMA_VERSION = 1;

// Table and column names follow notary-server's (notary server/storage/sql_models.go); times are epoch milliseconds.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tuf_files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at INTEGER NOT NULL,
  gun TEXT NOT NULL,
  role TEXT NOT NULL,
  version INTEGER NOT NULL,
  data BLOB NOT NULL,
  sha256 TEXT NOT NULL,
  UNIQUE (gun, role, version)
);
CREATE INDEX IF NOT EXISTS tuf_files_sha256 ON tuf_files (sha256);
CREATE TABLE IF NOT EXISTS changefeed (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at INTEGER NOT NULL,
  gun TEXT NOT NULL,
  version INTEGER NOT NULL,
  sha256 TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT 'update' CHECK (category IN ('update', 'deletion'))
);
CREATE INDEX IF NOT EXISTS changefeed_gun ON changefeed (gun, id);
CREATE TABLE IF NOT EXISTS server_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key_id TEXT NOT NULL UNIQUE,
  gun TEXT NOT NULL,
  role TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  public BLOB NOT NULL,
  private BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS server_keys_gun_role ON server_keys (gun, role, id);
CREATE TABLE IF NOT EXISTS gun_locks (
  gun TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

interface FileRow { gun: string; role: string; version: number; sha256: string; data: Buffer; created_at: number }
interface ChangeRow { id: number; created_at: number; gun: string; version: number; sha256: string; category: string }
interface KeyDbRow { key_id: string; gun: string; role: string; algorithm: string; public: Buffer; private: Buffer; created_at: number }

const FILE_COLS = 'gun, role, version, sha256, data, created_at';

function toFile(r: FileRow): StoredFile {
  return { gun: r.gun, role: r.role, version: r.version, sha256: r.sha256, data: Buffer.from(r.data), createdAt: new Date(r.created_at) };
}

function toChange(r: ChangeRow): ChangeRecord {
  return {
    id: r.id, createdAt: new Date(r.created_at), gun: r.gun, version: r.version, sha256: r.sha256,
    category: r.category === 'deletion' ? 'deletion' : 'update',
  };
}

function toKeyRow(r: KeyDbRow): KeyRow {
  return {
    keyId: r.key_id, gun: r.gun, role: r.role as ServerKeyRole, algorithm: r.algorithm as ServerKeyAlgorithm,
    publicKey: Buffer.from(r.public), sealed: Buffer.from(r.private), createdAt: new Date(r.created_at),
  };
}

class SqliteKeyRows implements KeyRows {
  constructor(private readonly store: SqliteStore) {}

  async insert(row: KeyRow): Promise<void> {
    this.store.run('storing a server key', (db) => {
      db.prepare('INSERT INTO server_keys (key_id, gun, role, algorithm, public, private, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(row.keyId, row.gun, row.role, row.algorithm, row.publicKey, row.sealed, row.createdAt.getTime());
    });
  }

  async list(gun: string, role: ServerKeyRole): Promise<KeyRow[]> {
    return this.store.run('listing server keys', (db) =>
      (db.prepare('SELECT * FROM server_keys WHERE gun = ? AND role = ? ORDER BY id').all(gun, role) as KeyDbRow[]).map(toKeyRow));
  }

  async get(keyId: string): Promise<KeyRow | undefined> {
    return this.store.run('reading a server key', (db) => {
      const r = db.prepare('SELECT * FROM server_keys WHERE key_id = ?').get(keyId) as KeyDbRow | undefined;
      return r && toKeyRow(r);
    });
  }

  async newest(): Promise<KeyRow | undefined> {
    return this.store.run('reading a server key', (db) => {
      const r = db.prepare('SELECT * FROM server_keys ORDER BY id DESC LIMIT 1').get() as KeyDbRow | undefined;
      return r && toKeyRow(r);
    });
  }
}

export class SqliteStore extends LocalStore {
  readonly kind = 'sqlite' as const;
  readonly keys: EncryptedKeyStore;
  private readonly db: Database.Database;
  // leases this instance holds, dropped on close so other processes need not wait for expiry
  private readonly leases = new Map<string, string>();

  constructor(readonly path: string, opts: OpenStoreOptions = {}) {
    super(opts.now ?? (() => new Date()), opts.lockWaitMs);
    // First, so bad key options fail before the file is opened.
    this.keys = new EncryptedKeyStore(new SqliteKeyRows(this), { secret: opts.keySecret, defaultAlgorithm: opts.keyAlgorithm, now: this.now });
    const file = resolve(path);
    const fresh = !existsSync(file);
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // The busy timeout only matters across processes: within one, commits never overlap.
      this.db = db = new Database(file, { timeout: 10_000 });
      // The file holds (encrypted) server keys: keep it private to the server's user.
      if (fresh) chmodSync(file, 0o600);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.migrate();
    } catch (err) {
      db?.close();
      throw storageError(`cannot open SQLite database ${file}`, err);
    }
  }

  private migrate(): void {
    // IMMEDIATE takes the write lock first, so two processes opening a new file do not race.
    this.db.transaction(() => {
      const v = this.db.pragma('user_version', { simple: true }) as number;
      if (v > SCHEMA_VERSION) {
        throw new VouchError('STORAGE', `database schema version ${v} is newer than this vouch understands (${SCHEMA_VERSION})`);
      }
      this.db.exec(SCHEMA);
      if (v < SCHEMA_VERSION) this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  /** Runs a synchronous database step, turning driver errors into 'STORAGE'. */
  run<T>(what: string, fn: (db: Database.Database) => T): T {
    this.checkOpen();
    try {
      return fn(this.db);
    } catch (err) {
      // SQLITE_BUSY: another process kept the file locked past the busy timeout; a retry may pass.
      const code = (err as { code?: unknown }).code;
      throw storageError(`${what} failed`, err, code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED');
    }
  }

  async getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    return this.run('reading metadata', (db) => {
      const r = db.prepare(`SELECT ${FILE_COLS} FROM tuf_files WHERE gun = ? AND role = ? ORDER BY version DESC LIMIT 1`).get(gun, role) as FileRow | undefined;
      return r && toFile(r);
    });
  }

  async getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    if (!validName(gun) || !validName(role) || !validVersion(version)) return undefined;
    return this.run('reading metadata', (db) => {
      const r = db.prepare(`SELECT ${FILE_COLS} FROM tuf_files WHERE gun = ? AND role = ? AND version = ?`).get(gun, role, version) as FileRow | undefined;
      return r && toFile(r);
    });
  }

  async getChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined> {
    const hex = normaliseSha256(sha256);
    if (hex === undefined) return undefined;
    return this.run('reading metadata', (db) => {
      const r = db.prepare(`SELECT ${FILE_COLS} FROM tuf_files WHERE gun = ? AND role = ? AND sha256 = ? ORDER BY version DESC LIMIT 1`)
        .get(gun, role, hex) as FileRow | undefined;
      return r && toFile(r);
    });
  }

  async listCurrent(gun: string): Promise<StoredFile[]> {
    return this.run('reading metadata', (db) => {
      const rows = db.prepare(`SELECT ${FILE_COLS} FROM tuf_files f WHERE gun = ? AND version = (SELECT MAX(version) FROM tuf_files g WHERE g.gun = f.gun AND g.role = f.role)`)
        .all(gun) as FileRow[];
      return rows.map(toFile).sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
    });
  }

  protected override async acquireShared(gun: string): Promise<SharedLock> {
    const owner = newLeaseOwner();
    let holder: string | undefined;
    const tryTake = this.db.transaction(() => {
      const now = Date.now(); // real time: leases are shared with other processes
      const held = this.db.prepare('SELECT owner, expires_at FROM gun_locks WHERE gun = ?').get(gun) as { owner: string; expires_at: number } | undefined;
      if (held !== undefined && (held.expires_at < now || leaseHolderGone(held.owner))) {
        this.db.prepare('DELETE FROM gun_locks WHERE gun = ? AND owner = ?').run(gun, held.owner);
      }
      holder = held?.owner;
      return this.db.prepare('INSERT OR IGNORE INTO gun_locks (gun, owner, expires_at) VALUES (?, ?, ?)').run(gun, owner, now + LEASE_MS).changes === 1;
    });
    // Another live instance holds it: poll with capped, jittered backoff (its commit is usually quick).
    const deadline = Date.now() + this.lockWaitMs;
    for (let wait = 1; !this.run('taking the GUN lock', () => tryTake.immediate()); wait = Math.min(wait * 2, 50)) {
      if (Date.now() >= deadline) {
        const pid = holder === undefined ? undefined : leaseOwnerPid(holder);
        throw storageError(`waiting for the write lock of ${gun}`, new Error(
          `timed out after ${this.lockWaitMs / 1000} s: another ${pid === undefined ? 'server process' : `server process (pid ${pid})`} is updating it`), true);
      }
      await sleep(wait / 2 + Math.random() * wait);
    }
    const renew = setInterval(() => {
      try {
        if (!this.closed) this.db.prepare('UPDATE gun_locks SET expires_at = ? WHERE gun = ? AND owner = ?').run(Date.now() + LEASE_MS, gun, owner);
      } catch {
        // a failed renewal shows up at commit, which checks ownership
      }
    }, LEASE_MS / 3);
    renew.unref();
    this.leases.set(owner, gun);
    return {
      token: owner,
      release: () => {
        clearInterval(renew);
        this.leases.delete(owner);
        if (this.closed) return;
        try {
          this.db.prepare('DELETE FROM gun_locks WHERE gun = ? AND owner = ?').run(gun, owner);
        } catch {
          // the lease then simply expires
        }
      },
    };
  }

  protected commit(gun: string, ops: StagedOp[], lock: SharedLock): void {
    const apply = this.db.transaction(() => {
      const held = this.db.prepare('SELECT owner FROM gun_locks WHERE gun = ?').get(gun) as { owner: string } | undefined;
      if (held?.owner !== lock.token) throw new VouchError('STORAGE', `lost the write lock for ${gun} (lease expired); nothing was written`);
      // Released with the commit: once the update is stored, the lock is free (no window in
      // which a crash leaves a stored update behind a held lock).
      this.db.prepare('DELETE FROM gun_locks WHERE gun = ? AND owner = ?').run(gun, lock.token);
      const top = this.db.prepare('SELECT MAX(version) AS v FROM tuf_files WHERE gun = ? AND role = ?');
      const insert = this.db.prepare(`INSERT INTO tuf_files (${FILE_COLS}) VALUES (?, ?, ?, ?, ?, ?)`);
      const change = this.db.prepare('INSERT INTO changefeed (created_at, gun, version, sha256, category) VALUES (?, ?, ?, ?, ?)');
      for (const op of ops) {
        if (op.kind === 'delete') {
          if (this.db.prepare('DELETE FROM tuf_files WHERE gun = ?').run(gun).changes > 0) {
            change.run(this.now().getTime(), gun, 0, '', 'deletion');
          }
          continue;
        }
        for (const f of op.files) {
          const existing = (top.get(gun, f.role) as { v: number | null }).v ?? 0;
          if (f.version <= existing) throw conflict(gun, f.role, f.version, existing);
          insert.run(gun, f.role, f.version, f.sha256, f.data, f.createdAt.getTime());
          if (f.role === 'timestamp') change.run(f.createdAt.getTime(), gun, f.version, f.sha256, 'update');
        }
      }
    });
    try {
      this.run('writing metadata', () => apply.immediate());
    } catch (err) {
      // UNIQUE (gun, role, version) is the last line of defence; report it as the conflict it is.
      if ((err as { cause?: { code?: string } }).cause?.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new VouchError('CONFLICT', `${gun}: a version being written already exists`, { cause: err, details: { gun } });
      }
      throw err;
    }
  }

  async changes(query: ChangesQuery): Promise<ChangeRecord[]> {
    const page = pageSpec(query);
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.gun !== undefined) { where.push('gun = ?'); args.push(query.gun); }
    if (!page.backward) { where.push('id > ?'); args.push(page.after); }
    else if (page.before !== undefined) { where.push('id < ?'); args.push(page.before); }
    const sql = `SELECT * FROM changefeed ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${page.backward ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = this.run('reading the changefeed', (db) => db.prepare(sql).all(...args, page.limit) as ChangeRow[]);
    if (page.backward) rows.reverse();
    return rows.map(toChange);
  }

  async check(): Promise<void> {
    this.run('database check', (db) => db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const drop = this.db.prepare('DELETE FROM gun_locks WHERE gun = ? AND owner = ?');
      for (const [owner, gun] of this.leases) drop.run(gun, owner);
    } catch {
      // they expire anyway
    }
    this.leases.clear();
    this.db.close();
  }
}

export async function openSqliteStore(path: string, opts: OpenStoreOptions = {}): Promise<SqliteStore> {
  return new SqliteStore(path, opts);
}
