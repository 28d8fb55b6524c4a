// Shared skeleton of the adapters that commit synchronously (memory, SQLite): the per-GUN lock is an
// in-process FIFO mutex, optionally backed by a cross-instance lock (SQLite's lease table); the
// callback works on a StagedTransaction whose operations are committed in one atomic step.
import { VouchError } from '../core/index.js';
import { KeyedMutex, LOCK_WAIT_MS, checkGun, checkUpdates } from './common.js';
import { StagedTransaction, type StagedOp } from './staged.js';
import type {
  ChangeRecord, ChangesQuery, FileUpdate, GunTransaction, ServerKeyStore, Store, StoreKind, StoredFile,
} from './types.js';

/** A lock held across store instances; `token` identifies the holder at commit time. */
export interface SharedLock {
  token: string | undefined;
  release(): void;
}

export abstract class LocalStore implements Store {
  abstract readonly kind: StoreKind;
  abstract readonly keys: ServerKeyStore;
  private readonly mutex: KeyedMutex;
  protected closed = false;
  /** How long a writer waits for a GUN's lock, in this process and (SQLite) across processes. */
  protected readonly lockWaitMs: number;

  constructor(protected readonly now: () => Date, lockWaitMs?: number) {
    this.lockWaitMs = lockWaitMs ?? LOCK_WAIT_MS;
    this.mutex = new KeyedMutex(this.lockWaitMs);
  }

  abstract getCurrent(gun: string, role: string): Promise<StoredFile | undefined>;
  abstract getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined>;
  abstract getChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined>;
  abstract listCurrent(gun: string): Promise<StoredFile[]>;
  abstract changes(query: ChangesQuery): Promise<ChangeRecord[]>;
  abstract check(): Promise<void>;
  abstract close(): Promise<void>;

  /**
   * Applies the operations atomically (all or nothing), re-checking versions; the shared lock is
   * given up in the same atomic step, so a stored update and a free lock are one event.
   */
  protected abstract commit(gun: string, ops: StagedOp[], lock: SharedLock): void;

  /** Cross-instance part of the GUN lock; none for memory. */
  protected async acquireShared(_gun: string): Promise<SharedLock> {
    return { token: undefined, release: () => undefined };
  }

  protected checkOpen(): void {
    if (this.closed) throw new VouchError('STORAGE', `the ${this.kind} store is closed`);
  }

  async withGunLock<T>(gun: string, fn: (tx: GunTransaction) => Promise<T>): Promise<T> {
    checkGun(gun);
    this.checkOpen();
    return this.mutex.run(gun, async () => {
      this.checkOpen();
      const lock = await this.acquireShared(gun);
      const tx = new StagedTransaction(gun, this, this.now);
      try {
        const result = await fn(tx);
        await tx.settle();
        tx.finish();
        if (tx.ops.length > 0) {
          this.checkOpen();
          this.commit(gun, tx.ops, lock);
        }
        return result;
      } finally {
        tx.finish();
        lock.release();
      }
    });
  }

  async update(gun: string, updates: FileUpdate[]): Promise<void> {
    checkUpdates(gun, updates);
    await this.withGunLock(gun, (tx) => tx.update(gun, updates));
  }

  deleteGun(gun: string): Promise<boolean> {
    return this.withGunLock(gun, (tx) => tx.deleteGun(gun));
  }
}
