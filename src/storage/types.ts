// The trust server's persistence contract. Adapters: memory (tests), SQLite (embedded default),
// PostgreSQL (several server instances on one database). Every method is safe under concurrency:
// a write either lands whole or not at all, and writes to one GUN are serialised by a per-GUN lock
// that also holds across store instances sharing one database (see `withGunLock`).
import type { PublicKeyData } from '../core/index.js';
import type { Signer } from '../tuf/signer.js';

/** One stored metadata file: the exact bytes as uploaded or generated. */
export interface StoredFile {
  gun: string;
  role: string;
  version: number;
  /** lowercase hex sha256 of `data` */
  sha256: string;
  data: Buffer;
  createdAt: Date;
}

export interface FileUpdate {
  role: string;
  version: number;
  data: Buffer;
}

export interface ChangeRecord {
  id: number;
  createdAt: Date;
  gun: string;
  /** version and sha256 of the timestamp that was written; 0 and '' for deletions */
  version: number;
  sha256: string;
  category: 'update' | 'deletion';
}

export interface ChangesQuery {
  /** undefined = all GUNs */
  gun?: string;
  /** exclusive; 0 = from the start; any negative value = from the newest, reading backwards */
  changeId: number;
  /** > 0 forward, < 0 backward, 0 = the default page size (100) */
  records: number;
}

/** Default (and `records: 0`) changefeed page size, as notary-server. */
export const DEFAULT_CHANGES_PAGE = 100;

/** Reads of one GUN's metadata. */
export interface MetadataReader {
  /** Highest stored version of a role, or undefined (notary's memory-backend "current"; see `getCurrentChained`). */
  getCurrent(gun: string, role: string): Promise<StoredFile | undefined>;
  getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined>;
  /** Any version of the role whose sha256 (hex, any case) matches. */
  getChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined>;
  /** The highest version of every role the GUN has, sorted by role name. */
  listCurrent(gun: string): Promise<StoredFile[]>;
}

/** Reads plus writes of one GUN. */
export interface MetadataWriter extends MetadataReader {
  /**
   * Writes all updates atomically. Fails with a VouchError code 'CONFLICT' (and stores nothing) when
   * any (gun, role) already has a version >= the one given, or the batch repeats a (role, version).
   * Versions must be integers >= 1 ('INVALID_ARGUMENT' otherwise).
   * Each update to role 'timestamp' adds an 'update' changefeed record.
   */
  update(gun: string, updates: FileUpdate[]): Promise<void>;
  /** Hard delete of every file of the GUN; adds a 'deletion' record only if something was deleted. */
  deleteGun(gun: string): Promise<boolean>;
}

/**
 * The view `withGunLock` hands to its callback: reads and writes of that one GUN only (other GUNs are
 * refused with 'INVALID_ARGUMENT'). Reads see the transaction's own writes. Writes are checked
 * (CONFLICT) when made but only become visible to others when the callback resolves; if it throws,
 * none of them is stored.
 */
export type GunTransaction = MetadataWriter;

export interface MetadataStore extends MetadataWriter {
  /**
   * Runs `fn` holding the GUN's write lock, so a read-validate-write sequence is atomic: no other
   * writer of this GUN (in this process, another store instance or another server process on the same
   * database) runs in between. Plain `update`/`deleteGun` take the same lock. `fn` must use the view it
   * is given: calling this store's own write methods or `withGunLock` for the same GUN from inside
   * `fn` is refused ('INTERNAL') rather than deadlocking. Keep `fn` short: it blocks the GUN's writers.
   */
  withGunLock<T>(gun: string, fn: (tx: GunTransaction) => Promise<T>): Promise<T>;
  /**
   * Changefeed page: ids > changeId ascending, or (backwards) the |records| newest ids < changeId
   * (newest overall when changeId < 0). Always returned oldest first. Records become visible in id order.
   */
  changes(query: ChangesQuery): Promise<ChangeRecord[]>;
  /** Liveness of the backing store, for /_notary_server/health; throws 'STORAGE' when unreachable. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export type ServerKeyRole = 'timestamp' | 'snapshot';
export type ServerKeyAlgorithm = 'ecdsa' | 'ed25519';

/** A server-held key (timestamp, snapshot). The private half is encrypted at rest. */
export interface ServerKeyRecord {
  keyId: string;
  gun: string;
  role: ServerKeyRole;
  algorithm: ServerKeyAlgorithm;
  /** TUF form: ecdsa = DER SPKI, ed25519 = the raw 32 bytes; `keyId` = keyId(publicKey). */
  publicKey: PublicKeyData;
  createdAt: Date;
}

export interface ServerKeyStore {
  /** Generates and stores a new key for (gun, role); returns its public record. Needs the key secret ('CONFIG'). */
  createKey(gun: string, role: ServerKeyRole, algorithm?: ServerKeyAlgorithm): Promise<ServerKeyRecord>;
  /** All keys for (gun, role), oldest first. Works without the key secret. */
  listKeys(gun: string, role: ServerKeyRole): Promise<ServerKeyRecord[]>;
  /** The public record of one key, or undefined. */
  getKey(keyId: string): Promise<ServerKeyRecord | undefined>;
  /**
   * Decrypted private key (PKCS#8 DER) for signing, or undefined if this server does not hold it.
   * A wrong secret or an altered/swapped row fails with 'BAD_PASSPHRASE'.
   */
  privateKey(keyId: string): Promise<Buffer | undefined>;
  /** A tuf Signer for the key, or undefined if not held. Same errors as `privateKey`. */
  signer(keyId: string): Promise<Signer | undefined>;
  /**
   * For server start-up: opens the most recently stored key, if any, so a wrong or missing secret
   * is reported at once ('BAD_PASSPHRASE' / 'CONFIG') rather than at the first publish.
   */
  checkSecret(): Promise<void>;
}

/** What `openStore` returns: the metadata store plus the server key store on the same database. */
export interface Store extends MetadataStore {
  readonly keys: ServerKeyStore;
  /** 'memory' | 'sqlite' | 'postgres' */
  readonly kind: StoreKind;
}

export type StoreKind = 'memory' | 'sqlite' | 'postgres';

export interface OpenStoreOptions {
  /**
   * Secret protecting server-held private keys at rest (from configuration). Without it, keys can be
   * listed but not created or used ('CONFIG').
   */
  keySecret?: string | Buffer;
  /** Default algorithm for createKey (default 'ecdsa', P-256). */
  keyAlgorithm?: ServerKeyAlgorithm;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** Clock, for tests; defaults to Date.now. The PostgreSQL adapter uses the database clock. */
  now?: () => Date;
  /** How long withGunLock waits for a GUN's lock held in this process, ms (default 30 s). */
  lockWaitMs?: number;
}
