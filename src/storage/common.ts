// Rules every adapter shares, so memory, SQLite and PostgreSQL behave identically: argument checks,
// the conflict error, changefeed paging, the in-process per-GUN mutex and the reentrancy guard.
import { KeyedMutex as CoreKeyedMutex, VouchError, isVouchError, sha256 } from '../core/index.js';
import { DEFAULT_CHANGES_PAGE, type ChangesQuery, type FileUpdate, type StoredFile } from './types.js';

/** notary's columns are varchar(255) and int4; the same limits apply everywhere. */
export const MAX_NAME_BYTES = 255;
export const MAX_VERSION = 2147483647;

export function sha256Hex(data: Uint8Array): string {
  return sha256(data).toString('hex');
}

/** GUNs storage can hold: 1 to 255 bytes (notary's varchar(255)), no control characters. The server answers others before they reach storage. */
export function storableGun(gun: unknown): gun is string {
  return validName(gun) && !/[\u0000-\u001f\u007f]/.test(gun);
}

export function checkGun(gun: string): void {
  if (!storableGun(gun)) {
    throw new VouchError('INVALID_ARGUMENT', `invalid GUN ${JSON.stringify(gun)}: must be 1 to ${MAX_NAME_BYTES} bytes, without control characters`);
  }
}

export function checkRole(role: string): void {
  if (typeof role !== 'string' || role.length === 0 || Buffer.byteLength(role) > MAX_NAME_BYTES) {
    throw new VouchError('INVALID_ARGUMENT', `invalid role ${JSON.stringify(role)}: must be 1 to ${MAX_NAME_BYTES} bytes`);
  }
}

export function checkUpdates(gun: string, updates: FileUpdate[]): void {
  checkGun(gun);
  if (!Array.isArray(updates)) throw new VouchError('INVALID_ARGUMENT', 'updates must be an array');
  for (const u of updates) {
    checkRole(u.role);
    if (!Number.isInteger(u.version) || u.version < 1 || u.version > MAX_VERSION) {
      throw new VouchError('INVALID_ARGUMENT', `invalid version ${u.version} for ${u.role}: must be an integer from 1 to ${MAX_VERSION}`);
    }
    if (!(u.data instanceof Uint8Array)) throw new VouchError('INVALID_ARGUMENT', `data for ${u.role} must be bytes`);
  }
}

/** Lower-case hex, or undefined when it cannot be a sha256 (so the lookup finds nothing). */
export function normaliseSha256(hex: string): string | undefined {
  const h = typeof hex === 'string' ? hex.toLowerCase() : '';
  return /^[0-9a-f]{64}$/.test(h) ? h : undefined;
}

export function conflict(gun: string, role: string, version: number, existing: number): VouchError {
  return new VouchError('CONFLICT', `${gun}: ${role} version ${version} is not newer than the stored version ${existing}`, {
    details: { gun, role, version, existing },
  });
}

/** Copies a stored file so callers can never mutate what a store holds. */
export function copyFile(f: StoredFile): StoredFile {
  return { ...f, data: Buffer.from(f.data), createdAt: new Date(f.createdAt.getTime()) };
}

export interface PageSpec {
  backward: boolean;
  limit: number;
  /** forward: ids > after; backward: ids < before (undefined = from the newest) */
  after: number;
  before: number | undefined;
}

/** Changefeed paging as notary-server does it (notary server/handlers/changefeed.go): a negative change_id means "from the newest, backwards". */
export function pageSpec(q: ChangesQuery): PageSpec {
  if (!Number.isInteger(q.changeId) || !Number.isInteger(q.records)) {
    throw new VouchError('INVALID_ARGUMENT', 'changeId and records must be integers');
  }
  if (q.gun !== undefined) checkGun(q.gun);
  const limit = q.records === 0 ? DEFAULT_CHANGES_PAGE : Math.abs(q.records);
  const backward = q.records < 0 || q.changeId < 0;
  if (!backward) return { backward, limit, after: q.changeId, before: undefined };
  return { backward, limit, after: 0, before: q.changeId > 0 ? q.changeId : undefined };
}

/** How long a caller waits for a repository's write lock in this process before giving up. */
export const LOCK_WAIT_MS = 30_000;

/** The storage's per-repository write lock: a wait past LOCK_WAIT_MS is retryable (STORAGE_UNAVAILABLE, a 503). */
export class KeyedMutex extends CoreKeyedMutex {
  constructor(waitMs: number = LOCK_WAIT_MS) {
    // Usually a busy repository. (Also how a callback that re-enters the store ends.)
    super(waitMs, (key, ms) => new VouchError('STORAGE_UNAVAILABLE', `timed out after ${ms / 1000} s waiting for the write lock of ${key}`, {
      hint: 'another update of this repository holds it; a storage callback must use the transaction view it was given, not the store',
    }));
  }
}

/**
 * A driver failure as a 'STORAGE' error, or 'STORAGE_UNAVAILABLE' when `unavailable`: the database
 * cannot be reached or is busy right now (down, restarting, connection lost, locked by another
 * process), so the same request may well succeed shortly; the server answers 503 with Retry-After
 * rather than 500.
 */
export function storageError(what: string, err: unknown, unavailable = false): VouchError {
  if (err instanceof VouchError) return err;
  const message = `${what}: ${(err as Error)?.message ?? String(err)}`;
  if (unavailable) return new VouchError('STORAGE_UNAVAILABLE', message, { cause: err, hint: 'the database is unreachable or busy; retry shortly' });
  return new VouchError('STORAGE', message, { cause: err });
}

/** Whether an error is a storage failure that retrying shortly may cure (see `storageError`). */
export function isStorageUnavailable(err: unknown): boolean {
  return isVouchError(err, 'STORAGE_UNAVAILABLE');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reads never throw on odd arguments: a name or version that cannot be stored is simply not found. */
export function validName(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && Buffer.byteLength(s) <= MAX_NAME_BYTES;
}

export function validVersion(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_VERSION;
}
