// The trust server's persistence contract. Adapters: memory (tests), SQLite (embedded default),
// PostgreSQL (several server instances on one database). Every method is safe under concurrency:
// a write either lands whole or not at all.
import type { PublicKeyData } from '../core/index.js';

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

export interface MetadataStore {
  /** Highest stored version of a role, or undefined. */
  getCurrent(gun: string, role: string): Promise<StoredFile | undefined>;
  getVersion(gun: string, role: string, version: number): Promise<StoredFile | undefined>;
  /** Any version of the role whose sha256 (hex) matches. */
  getChecksum(gun: string, role: string, sha256: string): Promise<StoredFile | undefined>;
  /**
   * Writes all updates atomically. Fails with a VouchError code 'CONFLICT' (and stores nothing) when
   * any (gun, role) already has a version >= the one given, or the batch repeats a (role, version).
   * Each update to role 'timestamp' adds an 'update' changefeed record.
   */
  update(gun: string, updates: FileUpdate[]): Promise<void>;
  /** Hard delete of every file of the GUN; adds a 'deletion' record only if something was deleted. */
  deleteGun(gun: string): Promise<boolean>;
  /**
   * Changefeed page. gun undefined = all GUNs. `changeId` is exclusive; `records` > 0 reads forward
   * (ascending ids after changeId), < 0 reads backward (the |records| newest before changeId, or the
   * newest overall when changeId is -1), returned oldest first.
   */
  changes(opts: { gun?: string; changeId: number; records: number }): Promise<ChangeRecord[]>;
  /** Liveness of the backing store, for /_notary_server/health. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export type ServerKeyAlgorithm = 'ecdsa' | 'ed25519';

/** A server-held key (timestamp, snapshot). The private half is encrypted at rest. */
export interface ServerKeyRecord {
  keyId: string;
  gun: string;
  role: 'timestamp' | 'snapshot';
  algorithm: ServerKeyAlgorithm;
  publicKey: PublicKeyData;
  createdAt: Date;
}

export interface ServerKeyStore {
  /** Generates and stores a new key for (gun, role); returns its public record. */
  createKey(gun: string, role: 'timestamp' | 'snapshot', algorithm: ServerKeyAlgorithm): Promise<ServerKeyRecord>;
  /** All keys for (gun, role), oldest first. */
  listKeys(gun: string, role: 'timestamp' | 'snapshot'): Promise<ServerKeyRecord[]>;
  /** Decrypted private key (PKCS#8 DER) for signing, or undefined if this server does not hold it. */
  privateKey(keyId: string): Promise<Buffer | undefined>;
}
