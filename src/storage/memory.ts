// In-memory adapter, for tests and `storage: memory`. Same rules as the database adapters; the state
// lives in this object only, so two instances never share anything.
import { VouchError } from '../core/index.js';
import { conflict, copyFile, normaliseSha256, pageSpec, validName, validVersion } from './common.js';
import { EncryptedKeyStore, type KeyRow, type KeyRows } from './keys.js';
import { LocalStore } from './local.js';
import type { StagedOp } from './staged.js';
import type { ChangeRecord, ChangesQuery, OpenStoreOptions, ServerKeyRole, StoredFile } from './types.js';

class MemoryKeyRows implements KeyRows {
  private readonly rows: KeyRow[] = [];

  async insert(row: KeyRow): Promise<void> {
    if (this.rows.some((r) => r.keyId === row.keyId)) throw new VouchError('CONFLICT', `server key ${row.keyId} already exists`);
    this.rows.push({ ...row, publicKey: Buffer.from(row.publicKey), sealed: Buffer.from(row.sealed) });
  }

  async list(gun: string, role: ServerKeyRole): Promise<KeyRow[]> {
    return this.rows.filter((r) => r.gun === gun && r.role === role).map((r) => ({ ...r }));
  }

  async get(keyId: string): Promise<KeyRow | undefined> {
    const r = this.rows.find((x) => x.keyId === keyId);
    return r && { ...r };
  }

  async newest(): Promise<KeyRow | undefined> {
    const r = this.rows.at(-1);
    return r && { ...r };
  }

  /** Test hook: the raw rows, as a database would hold them. */
  raw(): KeyRow[] {
    return this.rows;
  }
}

export class MemoryStore extends LocalStore {
  readonly kind = 'memory' as const;
  readonly keys: EncryptedKeyStore;
  readonly keyRows = new MemoryKeyRows();
  // gun → role → files in ascending version order
  private files = new Map<string, Map<string, StoredFile[]>>();
  private readonly log: ChangeRecord[] = [];
  private nextId = 1;

  constructor(opts: OpenStoreOptions = {}) {
    super(opts.now ?? (() => new Date()), opts.lockWaitMs);
    this.keys = new EncryptedKeyStore(this.keyRows, { secret: opts.keySecret, defaultAlgorithm: opts.keyAlgorithm, now: this.now });
  }

  private versions(gun: string, role: string): StoredFile[] {
    return this.files.get(gun)?.get(role) ?? [];
  }

  async getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    this.checkOpen();
    const all = this.versions(gun, role);
    const top = all[all.length - 1];
    return top && copyFile(top);
  }

  async getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    this.checkOpen();
    if (!validName(gun) || !validName(role) || !validVersion(version)) return undefined;
    const f = this.versions(gun, role).find((x) => x.version === version);
    return f && copyFile(f);
  }

  async getChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined> {
    this.checkOpen();
    const hex = normaliseSha256(sha256);
    // newest first, as a database index scan would usually give; any match is correct
    const f = hex === undefined ? undefined : [...this.versions(gun, role)].reverse().find((x) => x.sha256 === hex);
    return f && copyFile(f);
  }

  async listCurrent(gun: string): Promise<StoredFile[]> {
    this.checkOpen();
    const roles = this.files.get(gun);
    if (!roles) return [];
    return [...roles.keys()].sort().map((r) => copyFile(roles.get(r)!.at(-1)!));
  }

  protected commit(gun: string, ops: StagedOp[]): void {
    // Work on a copy and swap it in at the end, so a failed re-check leaves nothing behind.
    const roles = new Map<string, StoredFile[]>();
    for (const [r, list] of this.files.get(gun) ?? []) roles.set(r, [...list]);
    const changes: Omit<ChangeRecord, 'id'>[] = [];
    for (const op of ops) {
      if (op.kind === 'delete') {
        if (roles.size > 0) changes.push({ createdAt: this.now(), gun, version: 0, sha256: '', category: 'deletion' });
        roles.clear();
        continue;
      }
      for (const f of op.files) {
        const list = roles.get(f.role) ?? [];
        const top = list.at(-1)?.version ?? 0;
        if (f.version <= top) throw conflict(gun, f.role, f.version, top);
        list.push(copyFile(f));
        roles.set(f.role, list);
        if (f.role === 'timestamp') changes.push({ createdAt: f.createdAt, gun, version: f.version, sha256: f.sha256, category: 'update' });
      }
    }
    if (roles.size === 0) this.files.delete(gun);
    else this.files.set(gun, roles);
    for (const c of changes) this.log.push({ ...c, id: this.nextId++ });
  }

  async changes(query: ChangesQuery): Promise<ChangeRecord[]> {
    this.checkOpen();
    const page = pageSpec(query);
    const mine = this.log.filter((c) => query.gun === undefined || c.gun === query.gun);
    const picked = page.backward
      ? mine.filter((c) => page.before === undefined || c.id < page.before).slice(-page.limit)
      : mine.filter((c) => c.id > page.after).slice(0, page.limit);
    return picked.map((c) => ({ ...c, createdAt: new Date(c.createdAt.getTime()) }));
  }

  async check(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export function openMemoryStore(opts: OpenStoreOptions = {}): MemoryStore {
  return new MemoryStore(opts);
}
