// The transaction view for adapters whose commits are synchronous (memory, SQLite). Writes are
// checked against the committed state plus earlier staged writes, kept in memory, and handed to the
// adapter as one list of operations when the callback resolves; the adapter applies them in one
// atomic step. Because the GUN lock is held throughout, the committed state cannot change under us.
import { VouchError } from '../core/index.js';
import { checkUpdates, conflict, copyFile, normaliseSha256, sha256Hex } from './common.js';
import type { FileUpdate, GunTransaction, MetadataReader, StoredFile } from './types.js';

export type StagedOp = { kind: 'update'; files: StoredFile[] } | { kind: 'delete' };

export class StagedTransaction implements GunTransaction {
  readonly ops: StagedOp[] = [];
  private deleted = false;
  private staged: StoredFile[] = [];
  private finished = false;

  constructor(
    private readonly gun: string,
    private readonly base: MetadataReader,
    private readonly now: () => Date,
  ) {}

  private readonly inFlight = new Set<Promise<unknown>>();

  finish(): void {
    this.finished = true;
  }

  /** Waits for calls still running on the view (a callback that did not await every call). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => { this.inFlight.delete(p); };
    p.then(done, done);
    return p;
  }

  private check(gun: string): void {
    if (this.finished) throw new VouchError('INTERNAL', 'this transaction view is finished: it is only valid inside its withGunLock callback');
    if (gun !== this.gun) throw new VouchError('INVALID_ARGUMENT', `this transaction holds the lock for ${this.gun}, not ${gun}`);
  }

  async getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    this.check(gun);
    const mine = this.staged.filter((f) => f.role === role).sort((a, b) => b.version - a.version)[0];
    if (mine) return copyFile(mine);
    return this.deleted ? undefined : this.base.getCurrent(gun, role);
  }

  async getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined> {
    this.check(gun);
    const mine = this.staged.find((f) => f.role === role && f.version === version);
    if (mine) return copyFile(mine);
    return this.deleted ? undefined : this.base.getVersion(gun, role, version);
  }

  async getChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined> {
    this.check(gun);
    const hex = normaliseSha256(sha256);
    const mine = this.staged.find((f) => f.role === role && f.sha256 === hex);
    if (mine) return copyFile(mine);
    return this.deleted ? undefined : this.base.getChecksum(gun, role, sha256);
  }

  async listCurrent(gun: string): Promise<StoredFile[]> {
    this.check(gun);
    const byRole = new Map<string, StoredFile>();
    if (!this.deleted) for (const f of await this.base.listCurrent(gun)) byRole.set(f.role, f);
    for (const f of this.staged) {
      const prev = byRole.get(f.role);
      if (!prev || prev.version < f.version) byRole.set(f.role, copyFile(f));
    }
    return [...byRole.values()].sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
  }

  update(gun: string, updates: FileUpdate[]): Promise<void> {
    return this.track(this.doUpdate(gun, updates));
  }

  private async doUpdate(gun: string, updates: FileUpdate[]): Promise<void> {
    this.check(gun);
    checkUpdates(gun, updates);
    const createdAt = this.now();
    const batch: StoredFile[] = [];
    // Sequential semantics: each file must be newer than what is stored and what came before it.
    const highest = new Map<string, number>();
    for (const u of updates) {
      let top = highest.get(u.role);
      if (top === undefined) top = (await this.getCurrent(gun, u.role))?.version ?? 0;
      if (u.version <= top) throw conflict(gun, u.role, u.version, top);
      highest.set(u.role, u.version);
      const data = Buffer.from(u.data);
      batch.push({ gun, role: u.role, version: u.version, sha256: sha256Hex(data), data, createdAt });
    }
    // The view may have ended while we awaited a read (a call left running after the callback returned).
    this.check(gun);
    this.staged.push(...batch);
    this.ops.push({ kind: 'update', files: batch });
  }

  deleteGun(gun: string): Promise<boolean> {
    return this.track(this.doDelete(gun));
  }

  private async doDelete(gun: string): Promise<boolean> {
    this.check(gun);
    const existed = this.staged.length > 0 || (!this.deleted && (await this.base.listCurrent(gun)).length > 0);
    this.check(gun);
    this.deleted = true;
    this.staged = [];
    this.ops.push({ kind: 'delete' });
    return existed;
  }
}
