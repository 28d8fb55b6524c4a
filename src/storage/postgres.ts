// PostgreSQL adapter (pg, connection pool): several `vouch server` processes share one database.
// A GUN's writers are serialised by pg_advisory_xact_lock on a hash of the GUN, taken first thing in
// the transaction that carries the whole read-validate-write sequence; the lock is released by
// COMMIT/ROLLBACK, so the next holder's reads see everything the previous one wrote. Changefeed rows
// are inserted last, under one more advisory lock held until COMMIT, so ids become visible in order
// and a reader paging by change_id never skips a row that commits late.
import pg from 'pg';
import { Semaphore, VouchError, isVouchError, redactUrl, sha256 } from '../core/index.js';
import { KeyedMutex, LOCK_WAIT_MS, checkGun, checkUpdates, conflict, normaliseSha256, pageSpec, storageError, validName, validVersion } from './common.js';
import { EncryptedKeyStore, type KeyRow, type KeyRows } from './keys.js';
import type {
  ChangeRecord, ChangesQuery, FileUpdate, GunTransaction, OpenStoreOptions, ServerKeyAlgorithm, ServerKeyRole, Store, StoredFile,
} from './types.js';

// Advisory lock namespaces (first key of the two-int form), so we never meet other applications' locks.
const NS_GUN = 0x766f7501;
const NS_FEED = 0x766f7502;
const NS_MIGRATE = 0x766f7503;
const SCHEMA_VERSION = 1;
const CONNECT_TIMEOUT_MS = 10_000;

// notary-server's tables (notary server/storage/sql_models.go), so a notary database can be opened as it is, plus our key table.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tuf_files (
  id serial PRIMARY KEY,
  created_at timestamptz NULL,
  updated_at timestamptz NULL,
  deleted_at timestamptz NULL,
  gun varchar(255) NOT NULL,
  role varchar(255) NOT NULL,
  version integer NOT NULL,
  data bytea NOT NULL,
  sha256 char(64) NULL,
  UNIQUE (gun, role, version)
);
CREATE INDEX IF NOT EXISTS tuf_files_sha256_idx ON tuf_files (sha256);
CREATE TABLE IF NOT EXISTS change_category (category varchar(20) PRIMARY KEY);
INSERT INTO change_category (category) VALUES ('update'), ('deletion') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS changefeed (
  id serial PRIMARY KEY,
  created_at timestamptz DEFAULT CURRENT_TIMESTAMP,
  gun varchar(255) NOT NULL,
  version integer NOT NULL,
  sha256 char(64) NULL,
  category varchar(20) NOT NULL DEFAULT 'update' REFERENCES change_category
);
CREATE INDEX IF NOT EXISTS changefeed_gun_id_idx ON changefeed (gun, id);
CREATE TABLE IF NOT EXISTS vouch_server_keys (
  id bigserial PRIMARY KEY,
  key_id varchar(255) NOT NULL UNIQUE,
  gun varchar(255) NOT NULL,
  role varchar(255) NOT NULL,
  algorithm varchar(50) NOT NULL,
  public bytea NOT NULL,
  private bytea NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS vouch_server_keys_gun_role_idx ON vouch_server_keys (gun, role, id);
CREATE TABLE IF NOT EXISTS vouch_schema (version integer NOT NULL);
`;

// Times as epoch ms: right for timestamptz and for notary's UTC `timestamp` columns alike.
const FILE_COLS = `gun, role, version, sha256, data, COALESCE(EXTRACT(EPOCH FROM created_at) * 1000, 0)::float8 AS ms`;
const CHANGE_COLS = `id, gun, version, sha256, category, COALESCE(EXTRACT(EPOCH FROM created_at) * 1000, 0)::float8 AS ms`;

interface FileRow { gun: string; role: string; version: number; sha256: string | null; data: Buffer; ms: number }
interface ChangeRow { id: number; gun: string; version: number; sha256: string | null; category: string; ms: number }
interface KeyDbRow { key_id: string; gun: string; role: string; algorithm: string; public: Buffer; private: Buffer; ms: number }

function toFile(r: FileRow): StoredFile {
  return { gun: r.gun, role: r.role, version: r.version, sha256: (r.sha256 ?? '').trim(), data: r.data, createdAt: new Date(r.ms) };
}

function toChange(r: ChangeRow): ChangeRecord {
  return {
    id: Number(r.id), createdAt: new Date(r.ms), gun: r.gun, version: r.version,
    // char(64) pads the empty sha256 of deletions with spaces
    sha256: (r.sha256 ?? '').trim(), category: r.category === 'deletion' ? 'deletion' : 'update',
  };
}

function gunKey(gun: string): number {
  return sha256(gun).readInt32BE(0);
}

function byRole(a: StoredFile, b: StoredFile): number {
  return a.role < b.role ? -1 : a.role > b.role ? 1 : 0;
}

/** The password-free form of a connection URL, for messages. */
// Failures that mean PostgreSQL is out of reach or busy, not that the request was wrong: socket
// errors, SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown,
// cannot connect now: a restart or failover), 53300 (too many connections), 55P03 (below), and
// pg's own messages for a session that ended (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// 55P03 (lock_not_available): lock_timeout ran out while another process held the repository's lock.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '55P03']);
const SESSION_ENDED = /Connection terminated|not queryable|timeout exceeded when trying to connect/;

function unavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const { code, message, cause } = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (NET_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (typeof message === 'string' && SESSION_ENDED.test(message)) return true;
  return unavailable(cause, depth + 1);
}

/** A driver failure as 'STORAGE', marked unavailable (503, retry) when the database is out of reach or busy. */
function pgError(what: string, err: unknown): VouchError {
  return storageError(what, err, unavailable(err));
}

/**
 * A checked-out client, guarded for as long as it is held: pg emits 'error' on a client whose
 * session ends (server restart, failover, pg_terminate_backend), and the pool listens only while
 * the client is idle, so an unheard 'error' would end the process. Here it is recorded instead, the
 * holder's next statement fails, and `release` discards the client rather than pooling it.
 */
class HeldClient {
  private lostWith: Error | undefined;
  private readonly onError = (err: Error): void => { this.lostWith ??= err; };

  constructor(readonly client: pg.PoolClient) {
    client.on('error', this.onError);
  }

  /** The error that ended the session while it was held, if one did. */
  get lost(): Error | undefined {
    return this.lostWith;
  }

  release(broken: boolean): void {
    this.client.off('error', this.onError);
    // An Error (or true) makes the pool close the client instead of handing it out again.
    this.client.release(this.lostWith ?? broken);
  }
}

type Queryable = Pick<pg.PoolClient, 'query'>;

// The SQL shared by pooled reads and transactional reads.
async function qCurrent(db: Queryable, gun: string, role: string): Promise<StoredFile | undefined> {
  if (!validName(gun) || !validName(role)) return undefined;
  const r = await db.query<FileRow>(`SELECT ${FILE_COLS} FROM tuf_files WHERE gun = $1 AND role = $2 ORDER BY version DESC LIMIT 1`, [gun, role]);
  return r.rows[0] && toFile(r.rows[0]);
}

async function qVersion(db: Queryable, gun: string, role: string, version: number): Promise<StoredFile | undefined> {
  if (!validName(gun) || !validName(role) || !validVersion(version)) return undefined;
  const r = await db.query<FileRow>(`SELECT ${FILE_COLS} FROM tuf_files WHERE gun = $1 AND role = $2 AND version = $3`, [gun, role, version]);
  return r.rows[0] && toFile(r.rows[0]);
}

async function qChecksum(db: Queryable, gun: string, role: string, sha: string): Promise<StoredFile | undefined> {
  const hex = normaliseSha256(sha);
  if (hex === undefined || !validName(gun) || !validName(role)) return undefined;
  const r = await db.query<FileRow>(
    `SELECT ${FILE_COLS} FROM tuf_files WHERE gun = $1 AND role = $2 AND sha256 = $3 ORDER BY version DESC LIMIT 1`, [gun, role, hex]);
  return r.rows[0] && toFile(r.rows[0]);
}

async function qListCurrent(db: Queryable, gun: string): Promise<StoredFile[]> {
  if (!validName(gun)) return [];
  const r = await db.query<FileRow>(
    `SELECT DISTINCT ON (role) ${FILE_COLS} FROM tuf_files WHERE gun = $1 ORDER BY role, version DESC`, [gun]);
  return r.rows.map(toFile).sort(byRole);
}

interface PendingChange { gun: string; version: number; sha256: string; category: 'update' | 'deletion' }

/** The transactional view: every statement runs on the one client that holds the GUN's advisory lock. */
class PgTransaction implements GunTransaction {
  readonly pending: PendingChange[] = [];
  private finished = false;
  // One client runs one statement sequence at a time; SAVEPOINT blocks must not interleave.
  private readonly serial = new KeyedMutex();

  constructor(private readonly gun: string, private readonly client: pg.PoolClient) {}

  finish(): void {
    this.finished = true;
  }

  /** Waits until statements already queued on the client have run (or been refused). */
  async settle(): Promise<void> {
    await this.serial.run('', async () => undefined);
  }

  private async run<T>(gun: string, what: string, fn: () => Promise<T>): Promise<T> {
    if (this.finished) throw new VouchError('INTERNAL', 'this transaction view is finished: it is only valid inside its withGunLock callback');
    if (gun !== this.gun) throw new VouchError('INVALID_ARGUMENT', `this transaction holds the lock for ${this.gun}, not ${gun}`);
    return this.serial.run('', async () => {
      // A call made inside the callback but left running after it returned must not touch the
      // client once the transaction has ended (it may already serve another transaction).
      if (this.finished) throw new VouchError('INTERNAL', 'this transaction ended before the call could run: await every call on the view');
      try {
        return await fn();
      } catch (err) {
        throw pgError(what, err);
      }
    });
  }

  getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    return this.run(gun, 'reading metadata', () => qCurrent(this.client, gun, role));
  }

  getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    return this.run(gun, 'reading metadata', () => qVersion(this.client, gun, role, version));
  }

  getChecksum(gun: string, role: string, sha: string): Promise<StoredFile | undefined> {
    return this.run(gun, 'reading metadata', () => qChecksum(this.client, gun, role, sha));
  }

  listCurrent(gun: string): Promise<StoredFile[]> {
    return this.run(gun, 'reading metadata', () => qListCurrent(this.client, gun));
  }

  async update(gun: string, updates: FileUpdate[]): Promise<void> {
    checkUpdates(gun, updates);
    await this.run(gun, 'writing metadata', async () => {
      // A savepoint per call: a refused batch leaves the transaction as it was before the call.
      await this.client.query('SAVEPOINT vouch_update');
      const changes: PendingChange[] = [];
      try {
        for (const u of updates) {
          const top = await this.client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM tuf_files WHERE gun = $1 AND role = $2', [gun, u.role]);
          const existing = top.rows[0]?.v ?? 0;
          if (u.version <= existing) throw conflict(gun, u.role, u.version, existing);
          const data = Buffer.from(u.data);
          const hex = sha256(data).toString('hex');
          await this.client.query(
            'INSERT INTO tuf_files (created_at, updated_at, gun, role, version, data, sha256) VALUES (clock_timestamp(), clock_timestamp(), $1, $2, $3, $4, $5)',
            [gun, u.role, u.version, data, hex]);
          if (u.role === 'timestamp') changes.push({ gun, version: u.version, sha256: hex, category: 'update' });
        }
      } catch (err) {
        await this.client.query('ROLLBACK TO SAVEPOINT vouch_update').catch(() => undefined);
        if ((err as { code?: string }).code === '23505') {
          throw new VouchError('CONFLICT', `${gun}: a version being written already exists`, { cause: err, details: { gun } });
        }
        throw err;
      }
      await this.client.query('RELEASE SAVEPOINT vouch_update');
      this.pending.push(...changes);
    });
  }

  async deleteGun(gun: string): Promise<boolean> {
    return this.run(gun, 'deleting metadata', async () => {
      const r = await this.client.query('DELETE FROM tuf_files WHERE gun = $1', [gun]);
      const deleted = (r.rowCount ?? 0) > 0;
      if (deleted) this.pending.push({ gun, version: 0, sha256: '', category: 'deletion' });
      return deleted;
    });
  }
}

class PgKeyRows implements KeyRows {
  constructor(private readonly store: PostgresStore) {}

  async insert(row: KeyRow): Promise<void> {
    await this.store.query('storing a server key',
      'INSERT INTO vouch_server_keys (key_id, gun, role, algorithm, public, private, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [row.keyId, row.gun, row.role, row.algorithm, row.publicKey, row.sealed, row.createdAt]);
  }

  async list(gun: string, role: ServerKeyRole): Promise<KeyRow[]> {
    if (!validName(gun)) return [];
    const r = await this.store.query<KeyDbRow>('listing server keys',
      `SELECT key_id, gun, role, algorithm, public, private, (EXTRACT(EPOCH FROM created_at) * 1000)::float8 AS ms
         FROM vouch_server_keys WHERE gun = $1 AND role = $2 ORDER BY id`, [gun, role]);
    return r.rows.map(toKeyRow);
  }

  async get(keyId: string): Promise<KeyRow | undefined> {
    if (!validName(keyId)) return undefined;
    const r = await this.store.query<KeyDbRow>('reading a server key',
      `SELECT key_id, gun, role, algorithm, public, private, (EXTRACT(EPOCH FROM created_at) * 1000)::float8 AS ms
         FROM vouch_server_keys WHERE key_id = $1`, [keyId]);
    return r.rows[0] && toKeyRow(r.rows[0]);
  }

  async newest(): Promise<KeyRow | undefined> {
    const r = await this.store.query<KeyDbRow>('reading a server key',
      `SELECT key_id, gun, role, algorithm, public, private, (EXTRACT(EPOCH FROM created_at) * 1000)::float8 AS ms
         FROM vouch_server_keys ORDER BY id DESC LIMIT 1`);
    return r.rows[0] && toKeyRow(r.rows[0]);
  }
}

function toKeyRow(r: KeyDbRow): KeyRow {
  return {
    keyId: r.key_id, gun: r.gun, role: r.role as ServerKeyRole, algorithm: r.algorithm as ServerKeyAlgorithm,
    publicKey: r.public, sealed: r.private, createdAt: new Date(r.ms),
  };
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly keys: EncryptedKeyStore;
  private readonly pool: pg.Pool;
  private readonly mutex: KeyedMutex;
  // Transactions may hold at most poolSize-2 connections, so a callback that reads through the
  // store or uses the key store always finds a free connection: no pool-exhaustion deadlock.
  private readonly txSlots: Semaphore;
  private closed = false;
  private readonly where: string;

  constructor(url: string, opts: OpenStoreOptions = {}) {
    // First, so bad key options fail before a pool exists.
    this.keys = new EncryptedKeyStore(new PgKeyRows(this), { secret: opts.keySecret, defaultAlgorithm: opts.keyAlgorithm, now: opts.now });
    const size = Math.max(3, opts.poolSize ?? 10);
    const lockWaitMs = Math.max(1, Math.floor(opts.lockWaitMs ?? LOCK_WAIT_MS));
    this.where = redactUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: size,
      // A database that does not answer (a dead host, a full backlog) fails the request instead of hanging it.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // UTC sessions, so notary's `timestamp` (without time zone) columns hold UTC as notary writes
      // them; and a bounded wait for another process's repository lock (lock_timeout covers
      // pg_advisory_xact_lock). Part of connecting: a client is handed out only once the SETs
      // succeeded, and a failed SET fails the connection. (Not the `options` startup parameter:
      // pg lets the URL's own `options` replace it rather than add to it.)
      onConnect: async (c: pg.ClientBase) => { await c.query(`SET TIME ZONE UTC; SET lock_timeout = ${lockWaitMs}`); },
    });
    // An idle client's error (server restart) must not crash the process; the pool drops that
    // client and the next query reports the outage. Held clients are guarded by HeldClient.
    this.pool.on('error', () => undefined);
    this.txSlots = new Semaphore(size - 2);
    this.mutex = new KeyedMutex(lockWaitMs);
  }

  private checkOpen(): void {
    if (this.closed) throw new VouchError('STORAGE', 'the postgres store is closed');
  }

  /** A pooled query with driver errors turned into 'STORAGE'. */
  async query<R extends pg.QueryResultRow>(what: string, sql: string, args: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.checkOpen();
    try {
      return await this.pool.query<R>(sql, args);
    } catch (err) {
      throw pgError(`${what} failed (${this.where})`, err);
    }
  }

  /** A guarded client from the pool (see HeldClient). */
  private async checkout(what: string): Promise<HeldClient> {
    try {
      return new HeldClient(await this.pool.connect());
    } catch (err) {
      throw pgError(`cannot connect to PostgreSQL at ${this.where} (${what})`, err);
    }
  }

  private async withClient<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.checkOpen();
    const held = await this.checkout(what);
    let broken = false;
    try {
      return await fn(held.client);
    } catch (err) {
      broken = true; // migration failures may leave the session in any state
      throw err;
    } finally {
      held.release(broken);
    }
  }

  /** Creates or upgrades the schema; serialised across processes by a session advisory lock. */
  async migrate(): Promise<void> {
    await this.withClient('creating the schema', async (c) => {
      try {
        await c.query('SELECT pg_advisory_lock($1, 0)', [NS_MIGRATE]);
        try {
          const exists = await c.query<{ t: string | null }>(`SELECT to_regclass('vouch_schema')::text AS t`);
          let version = 0;
          if (exists.rows[0]?.t) {
            const v = await c.query<{ v: number | null }>('SELECT MAX(version) AS v FROM vouch_schema');
            version = v.rows[0]?.v ?? 0;
          }
          if (version > SCHEMA_VERSION) {
            throw new VouchError('STORAGE', `database schema version ${version} is newer than this vouch understands (${SCHEMA_VERSION})`);
          }
          if (version < SCHEMA_VERSION) {
            await c.query('BEGIN');
            try {
              await c.query(SCHEMA);
              await c.query('INSERT INTO vouch_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
              await c.query('COMMIT');
            } catch (err) {
              await c.query('ROLLBACK').catch(() => undefined);
              throw err;
            }
          }
        } finally {
          await c.query('SELECT pg_advisory_unlock($1, 0)', [NS_MIGRATE]);
        }
      } catch (err) {
        throw pgError(`cannot create the schema in ${this.where}`, err);
      }
    });
  }

  getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    return this.read(() => qCurrent(this.pool, gun, role));
  }

  getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    return this.read(() => qVersion(this.pool, gun, role, version));
  }

  getChecksum(gun: string, role: string, sha: string): Promise<StoredFile | undefined> {
    return this.read(() => qChecksum(this.pool, gun, role, sha));
  }

  listCurrent(gun: string): Promise<StoredFile[]> {
    return this.read(() => qListCurrent(this.pool, gun));
  }

  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await fn();
    } catch (err) {
      throw pgError(`reading metadata failed (${this.where})`, err);
    }
  }

  async withGunLock<T>(gun: string, fn: (tx: GunTransaction) => Promise<T>): Promise<T> {
    checkGun(gun);
    this.checkOpen();
    // In-process queue first, so one process sends at most one waiter per GUN to the database.
    return this.mutex.run(gun, async () => {
      const release = await this.txSlots.acquire();
      try {
        this.checkOpen();
        const held = await this.checkout(`updating ${gun}`);
        const state = { broken: false };
        try {
          return await this.transaction(held.client, gun, fn, state);
        } catch (err) {
          // The session ended under us: say so, whatever statement noticed it first.
          if (held.lost !== undefined && (!isVouchError(err) || err.code === 'STORAGE' || err.code === 'STORAGE_UNAVAILABLE')) {
            throw storageError(`PostgreSQL ended the session during the update of ${gun} (${this.where}): ${held.lost.message}`, held.lost, true);
          }
          throw err;
        } finally {
          held.release(state.broken);
        }
      } finally {
        release();
      }
    });
  }

  private async transaction<T>(c: pg.PoolClient, gun: string, fn: (tx: GunTransaction) => Promise<T>, state: { broken: boolean }): Promise<T> {
    const rollback = () => c.query('ROLLBACK').then(() => undefined, () => { state.broken = true; });
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [NS_GUN, gunKey(gun)]);
    } catch (err) {
      await rollback();
      throw pgError(`cannot start a transaction for ${gun} (${this.where})`, err);
    }
    const tx = new PgTransaction(gun, c);
    let result: T;
    try {
      result = await fn(tx);
      await tx.settle();
    } catch (err) {
      // The callback's own error goes back unchanged; nothing it wrote is kept.
      tx.finish();
      await tx.settle().catch(() => undefined);
      await rollback();
      throw err;
    }
    tx.finish();
    try {
      if (tx.pending.length > 0) {
        await c.query('SELECT pg_advisory_xact_lock($1, 0)', [NS_FEED]);
        for (const p of tx.pending) {
          await c.query('INSERT INTO changefeed (created_at, gun, version, sha256, category) VALUES (clock_timestamp(), $1, $2, $3, $4)',
            [p.gun, p.version, p.sha256, p.category]);
        }
      }
      await c.query('COMMIT');
    } catch (err) {
      await rollback();
      throw pgError(`committing the transaction for ${gun} failed (${this.where})`, err);
    }
    return result;
  }

  async update(gun: string, updates: FileUpdate[]): Promise<void> {
    checkUpdates(gun, updates);
    await this.withGunLock(gun, (tx) => tx.update(gun, updates));
  }

  deleteGun(gun: string): Promise<boolean> {
    return this.withGunLock(gun, (tx) => tx.deleteGun(gun));
  }

  async changes(query: ChangesQuery): Promise<ChangeRecord[]> {
    const page = pageSpec(query);
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.gun !== undefined) { args.push(query.gun); where.push(`gun = $${args.length}`); }
    if (!page.backward) { args.push(page.after); where.push(`id > $${args.length}`); }
    else if (page.before !== undefined) { args.push(page.before); where.push(`id < $${args.length}`); }
    args.push(page.limit);
    const sql = `SELECT ${CHANGE_COLS} FROM changefeed ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY id ${page.backward ? 'DESC' : 'ASC'} LIMIT $${args.length}`;
    const r = await this.query<ChangeRow>('reading the changefeed', sql, args);
    const rows = page.backward ? [...r.rows].reverse() : r.rows;
    return rows.map(toChange);
  }

  async check(): Promise<void> {
    await this.query('database check', 'SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

export async function openPostgresStore(url: string, opts: OpenStoreOptions = {}): Promise<PostgresStore> {
  const store = new PostgresStore(url, opts);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
