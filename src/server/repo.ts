// The trust server's repository operations: publish (validate, generate and sign snapshot and
// timestamp, one atomic write under the GUN lock), reads with GET-time re-signing (notary server/timestamp/timestamp.go, GetOrCreateTimestamp),
// and the server-held keys (notary server/timestamp/timestamp.go, server/snapshot/snapshot.go).
import { isVouchError, toBase64, type KeyType } from '../core/index.js';
import { parseRoot, parseSnapshot, parseTimestamp, signMetadata, type Metadata, type Root, type Signer, type Timestamp } from '../tuf/index.js';
import { KeyedMutex } from '../storage/common.js';
import type { FileUpdate, MetadataStore, ServerKeyAlgorithm, ServerKeyRecord, ServerKeyRole, ServerKeyStore, StoredFile } from '../storage/types.js';
import { NotaryHttpError, invalidUpdate } from './errors.js';
import type { RoleUpload } from './upload.js';
import { nextSnapshot, nextTimestamp, snapshotStale, timestampStale, validateUpdate } from './validate.js';

export interface RepoLimits {
  maxMetadataBytes: number;
}

export interface RepoOptions {
  store: MetadataStore;
  keyStore: ServerKeyStore;
  keyAlgorithm: ServerKeyAlgorithm;
  now: () => Date;
  limits: RepoLimits;
  /**
   * Re-sign a timestamp (and a server-held snapshot) on read when it expires within this many
   * milliseconds. notary waits until it has expired; the default re-signs a day early, so a
   * client never receives a timestamp that is about to expire.
   */
  refreshBeforeMs?: number;
  /** Checksum-addressed reads kept in memory, in bytes (0 turns the cache off). Default 32 MiB. */
  checksumCacheBytes?: number;
  /**
   * How long a cached checksum-addressed file may be served before storage is asked again, ms.
   * Only a deletion by another server instance can make it stale: deletions here clear it at once.
   */
  checksumCacheTtlMs?: number;
}

/** Largest version storage holds (int4, as notary's tables). */
export const MAX_VERSION = 2147483647;

export const DEFAULT_REFRESH_BEFORE_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_CHECKSUM_CACHE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_CHECKSUM_CACHE_TTL_MS = 10_000;
const MAX_FRESHNESS_ENTRIES = 10_000;

export interface PublicServerKey {
  keyId: string;
  keytype: KeyType;
  /** base64, as in keyval.public */
  public: string;
}

/**
 * Files by (GUN, role, sha256). Their bytes can never change, so the only way an entry goes stale
 * is a deletion of the repository; notary itself tells HTTP caches to keep these responses for
 * 30 days, and a short time-to-live keeps vouch far inside that. Least recently used first out.
 */
class ChecksumCache {
  private readonly entries = new Map<string, { file: StoredFile; at: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number, private readonly ttlMs: number) {}

  private static key(gun: string, role: string, sha: string): string {
    return `${gun}\u0000${role}\u0000${sha}`;
  }

  get(gun: string, role: string, sha: string, now: number): StoredFile | undefined {
    const key = ChecksumCache.key(gun, role, sha);
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    if (now - hit.at > this.ttlMs || now < hit.at) { this.bytes -= hit.file.data.byteLength; return undefined; }
    this.entries.set(key, hit);
    return hit.file;
  }

  set(file: StoredFile, sha: string, now: number): void {
    const size = file.data.byteLength;
    if (size > this.maxBytes / 8) return;
    const key = ChecksumCache.key(file.gun, file.role, sha);
    const old = this.entries.get(key);
    if (old) { this.entries.delete(key); this.bytes -= old.file.data.byteLength; }
    this.entries.set(key, { file, at: now });
    this.bytes += size;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.file.data.byteLength;
    }
  }

  deleteGun(gun: string): void {
    const prefix = `${gun}\u0000`;
    for (const [k, e] of this.entries) {
      if (k.startsWith(prefix)) { this.entries.delete(k); this.bytes -= e.file.data.byteLength; }
    }
  }
}

function toPublic(rec: ServerKeyRecord): PublicServerKey {
  return { keyId: rec.keyId, keytype: rec.publicKey.keytype, public: toBase64(rec.publicKey.public) };
}

function sha256OfMeta(hashes: ReadonlyMap<string, Uint8Array>): string | undefined {
  const h = hashes.get('sha256');
  return h === undefined ? undefined : Buffer.from(h).toString('hex');
}

export class RepoService {
  private readonly store: MetadataStore;
  private readonly keyStore: ServerKeyStore;
  private readonly keyAlgorithm: ServerKeyAlgorithm;
  private readonly now: () => Date;
  private readonly refreshBeforeMs: number;
  private readonly keyLocks = new KeyedMutex();
  private readonly checksums: ChecksumCache | undefined;
  /** Per GUN: the current timestamp's sha256, the snapshot it names, and when they become stale. */
  private readonly freshness = new Map<string, { timestampSha: string; snapshot: StoredFile | undefined; staleAt: number }>();

  constructor(opts: RepoOptions) {
    this.store = opts.store;
    this.keyStore = opts.keyStore;
    this.keyAlgorithm = opts.keyAlgorithm;
    this.now = opts.now;
    this.refreshBeforeMs = opts.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
    const cacheBytes = opts.checksumCacheBytes ?? DEFAULT_CHECKSUM_CACHE_BYTES;
    this.checksums = cacheBytes > 0 ? new ChecksumCache(cacheBytes, opts.checksumCacheTtlMs ?? DEFAULT_CHECKSUM_CACHE_TTL_MS) : undefined;
  }

  /**
   * The server's signers for a base role of this GUN that the root lists. Only keys created for
   * this very GUN and role count: a root of another repository that lists our key ID must not get
   * its metadata signed with it.
   */
  private async signersFor(gun: string, root: Root, role: ServerKeyRole): Promise<Signer[]> {
    const out: Signer[] = [];
    for (const id of [...new Set(root.roles[role].keyids)].sort()) {
      const rec = await this.keyStore.getKey(id);
      if (!rec || rec.gun !== gun || rec.role !== role) continue;
      const signer = await this.keyStore.signer(id);
      if (signer) out.push(signer);
    }
    return out;
  }

  /** POST update: validation, snapshot (if needed) and timestamp, then one atomic write. */
  async publish(gun: string, uploads: ReadonlyMap<string, RoleUpload>): Promise<void> {
    const updates = new Map(uploads);
    updates.delete('timestamp');
    for (const u of updates.values()) {
      // notary's columns are int4; a larger version could never be stored
      if (u.version > MAX_VERSION) throw invalidUpdate('ErrValidation', `${u.role} version ${u.version} is out of range`);
    }
    await this.openKeysAhead(gun, uploads.get('root')?.data);
    await this.store.withGunLock(gun, async (tx) => {
      const now = this.now();
      const current = await tx.listCurrent(gun);
      const stored = new Map(current.map((f) => [f.role, f.data as Uint8Array]));
      const v = validateUpdate({ gun, updates, stored, now });
      const writes: FileUpdate[] = v.files.map((f) => ({ role: f.role, version: f.version, data: f.data }));

      let snapshotBytes: Uint8Array;
      if (v.snapshot !== undefined) {
        snapshotBytes = v.snapshot.data;
      } else {
        const unsigned = nextSnapshot(v, stored.get('snapshot'), now);
        const signers = await this.signersFor(gun, v.root.signed, 'snapshot');
        if (signers.length === 0 || signers.length < v.root.signed.roles.snapshot.threshold) {
          throw invalidUpdate('ErrBadHierarchy', 'no snapshot was included in update and server does not hold current snapshot key for repository', 'snapshot');
        }
        const snap = await signMetadata(unsigned, signers);
        snapshotBytes = snap.toBytes();
        writes.push({ role: 'snapshot', version: snap.signed.version, data: Buffer.from(snapshotBytes) });
      }

      const tsSigners = await this.signersFor(gun, v.root.signed, 'timestamp');
      if (tsSigners.length === 0 || tsSigners.length < v.root.signed.roles.timestamp.threshold) {
        throw invalidUpdate('ErrBadRoot', 'no  timestamp keys exist on the server');
      }
      const ts = await signMetadata(nextTimestamp(snapshotBytes, stored.get('timestamp'), now), tsSigners);
      writes.push({ role: 'timestamp', version: ts.signed.version, data: ts.toBytes() });
      await this.write(tx, gun, writes);
    }).catch((err: unknown) => {
      if (isVouchError(err, 'CONFLICT')) throw new NotaryHttpError('VERSION', {}, { reason: err.message });
      throw err;
    });
  }

  /**
   * Opens the server keys a publish will sign with before the repository lock is taken: the first
   * use of a key after a start derives its key-encryption key (scrypt, tens to hundreds of ms), and
   * under the lock that time would block every writer of the repository. Best effort: the root is
   * the uploaded one or the stored one, and whatever fails here is met again, and reported, under
   * the lock.
   */
  private async openKeysAhead(gun: string, uploadedRoot: Buffer | undefined): Promise<void> {
    try {
      const bytes = uploadedRoot ?? (await this.store.getCurrent(gun, 'root'))?.data;
      if (bytes === undefined) return;
      const root = parseRoot(bytes, { maxBytes: Number.MAX_SAFE_INTEGER }).signed;
      await Promise.all([this.signersFor(gun, root, 'snapshot'), this.signersFor(gun, root, 'timestamp')]);
    } catch {
      // reported by the locked path, which does the same work
    }
  }

  private async write(tx: { update(gun: string, u: FileUpdate[]): Promise<void> }, gun: string, writes: FileUpdate[]): Promise<void> {
    try {
      await tx.update(gun, writes);
    } catch (err) {
      if (isVouchError(err, 'CONFLICT')) throw new NotaryHttpError('VERSION', {}, { reason: err.message });
      throw err;
    }
  }

  /** GET {role}.json: current metadata; timestamp and snapshot go through get-or-create. */
  async getCurrent(gun: string, role: string): Promise<StoredFile | undefined> {
    if (role === 'timestamp' || role === 'snapshot') {
      const fresh = await this.freshTimestamp(gun);
      if (fresh === undefined) return role === 'timestamp' ? undefined : this.store.getCurrent(gun, 'snapshot');
      return role === 'timestamp' ? fresh.timestamp : fresh.snapshot;
    }
    return this.store.getCurrent(gun, role);
  }

  async getChecksum(gun: string, role: string, checksum: string): Promise<StoredFile | undefined> {
    // Only sha256 is indexed (notary server/server.go, RootHandler route 3): 96/128-hex checksums never match.
    if (checksum.length !== 64) return undefined;
    const sha = checksum.toLowerCase();
    const at = this.now().getTime();
    const cached = this.checksums?.get(gun, role, sha, at);
    if (cached) return cached;
    const file = await this.store.getChecksum(gun, role, sha);
    if (file) this.checksums?.set(file, sha, at);
    return file;
  }

  async getVersion(gun: string, role: string, version: string): Promise<StoredFile | undefined> {
    const n = Number(version);
    if (!Number.isSafeInteger(n) || n < 1 || n > 2147483647) return undefined;
    return this.store.getVersion(gun, role, n);
  }

  /**
   * The current timestamp and the snapshot it names, re-signing them first when the timestamp is
   * (about to be) expired or the snapshot is (about to be) expired and held by the server.
   */
  private async freshTimestamp(gun: string): Promise<{ timestamp: StoredFile; snapshot: StoredFile | undefined } | undefined> {
    // `known`: the timestamp already read from r, so it is not read twice.
    const read = async (r: Pick<MetadataStore, 'getCurrent' | 'getChecksum'>, known?: StoredFile) => {
      const timestamp = known ?? (await r.getCurrent(gun, 'timestamp'));
      if (!timestamp) return undefined;
      const ts = parseTimestamp(timestamp.data, { maxBytes: Number.MAX_SAFE_INTEGER });
      const sha = sha256OfMeta(ts.signed.snapshot.hashes);
      const snapshot = sha === undefined ? undefined : await r.getChecksum(gun, 'snapshot', sha);
      return { timestamp, ts, snapshot };
    };
    const now = this.now();
    // Fast path: the same timestamp as last time, still fresh; no parsing, no snapshot lookup.
    const timestamp = await this.store.getCurrent(gun, 'timestamp');
    if (!timestamp) return undefined;
    const known = this.freshness.get(gun);
    if (known && known.timestampSha === timestamp.sha256 && now.getTime() < known.staleAt) return { timestamp, snapshot: known.snapshot };
    const first = await read(this.store, timestamp);
    if (!first) return undefined;
    if (!this.stale(first.ts, first.snapshot, now)) {
      this.remember(gun, first.timestamp, first.ts, first.snapshot);
      return { timestamp: first.timestamp, snapshot: first.snapshot };
    }

    return this.store.withGunLock(gun, async (tx) => {
      const now2 = this.now();
      const cur = await read(tx);
      if (!cur) return undefined;
      if (!this.stale(cur.ts, cur.snapshot, now2)) return { timestamp: cur.timestamp, snapshot: cur.snapshot };
      const rootFile = await tx.getCurrent(gun, 'root');
      if (!rootFile) throw new NotaryHttpError('UNKNOWN', undefined, { reason: 'timestamp without a root' });
      const root: Metadata<Root> = parseRoot(rootFile.data, { maxBytes: Number.MAX_SAFE_INTEGER });
      const writes: FileUpdate[] = [];
      let snapshotFile = cur.snapshot ?? (await tx.getCurrent(gun, 'snapshot'));
      if (!snapshotFile) throw new NotaryHttpError('UNKNOWN', undefined, { reason: 'timestamp without a snapshot' });
      const prevSnap = parseSnapshot(snapshotFile.data, { maxBytes: Number.MAX_SAFE_INTEGER });
      if (snapshotStale(prevSnap, now2, this.refreshBeforeMs)) {
        const signers = await this.signersFor(gun, root.signed, 'snapshot');
        const expired = prevSnap.signed.expires.getTime() < now2.getTime();
        if (signers.length === 0 || signers.length < root.signed.roles.snapshot.threshold) {
          // A client-held snapshot cannot be renewed here. Serve it while it is still valid;
          // once expired, fail rather than serve stale data (notary answers 500).
          if (expired) throw new NotaryHttpError('UNKNOWN', undefined, { reason: 'snapshot expired and its key is not held by the server' });
        } else {
          const unsigned = nextSnapshot({ root, files: [], snapshot: undefined, loaded: new Map([['root', rootFile.data]]) }, snapshotFile.data, now2);
          const snap = await signMetadata(unsigned, signers);
          const bytes = snap.toBytes();
          writes.push({ role: 'snapshot', version: snap.signed.version, data: bytes });
          snapshotFile = { gun, role: 'snapshot', version: snap.signed.version, sha256: '', data: bytes, createdAt: now2 };
        }
      }
      if (writes.length === 0 && !timestampStale(cur.ts, snapshotFile.data, now2, this.refreshBeforeMs)) {
        return { timestamp: cur.timestamp, snapshot: cur.snapshot };
      }
      const tsSigners = await this.signersFor(gun, root.signed, 'timestamp');
      if (tsSigners.length === 0 || tsSigners.length < root.signed.roles.timestamp.threshold) {
        if (cur.ts.signed.expires.getTime() >= now2.getTime() && writes.length === 0) return { timestamp: cur.timestamp, snapshot: cur.snapshot };
        throw new NotaryHttpError('UNKNOWN', undefined, { reason: 'timestamp needs re-signing and the server holds no timestamp key' });
      }
      const ts = await signMetadata(nextTimestamp(snapshotFile.data, cur.timestamp.data, now2), tsSigners);
      writes.push({ role: 'timestamp', version: ts.signed.version, data: ts.toBytes() });
      await this.write(tx, gun, writes);
      const written = await tx.getCurrent(gun, 'timestamp');
      const snapWritten = writes.length === 2 ? await tx.getCurrent(gun, 'snapshot') : snapshotFile;
      return { timestamp: written!, snapshot: snapWritten };
    });
  }

  /** Notes until when this timestamp and its snapshot need no re-signing (the fast path above). */
  private remember(gun: string, timestamp: StoredFile, ts: Metadata<Timestamp>, snapshot: StoredFile | undefined): void {
    let staleAt = ts.signed.expires.getTime() - this.refreshBeforeMs;
    if (snapshot !== undefined) {
      try {
        staleAt = Math.min(staleAt, parseSnapshot(snapshot.data, { maxBytes: Number.MAX_SAFE_INTEGER }).signed.expires.getTime() - this.refreshBeforeMs);
      } catch {
        return;
      }
    }
    this.freshness.delete(gun);
    this.freshness.set(gun, { timestampSha: timestamp.sha256, snapshot, staleAt });
    for (const oldest of this.freshness.keys()) {
      if (this.freshness.size <= MAX_FRESHNESS_ENTRIES) break;
      this.freshness.delete(oldest);
    }
  }

  private stale(ts: Metadata<Timestamp>, snapshot: StoredFile | undefined, now: Date): boolean {
    if (timestampStale(ts, snapshot?.data, now, this.refreshBeforeMs)) return true;
    if (snapshot === undefined) return false;
    try {
      return snapshotStale(parseSnapshot(snapshot.data, { maxBytes: Number.MAX_SAFE_INTEGER }), now, this.refreshBeforeMs);
    } catch {
      return false;
    }
  }

  /**
   * GET {role}.key: the first key (by ID) the current root lists for the role that this server holds
   * for this GUN; else the newest key already made for (GUN, role); else a new one.
   * notary creates a new key whenever the root lists none of its keys; reusing the newest pending
   * key instead keeps repeated GETs (scanners, retries) from piling up keys.
   */
  async getKey(gun: string, role: ServerKeyRole): Promise<PublicServerKey> {
    return this.keyLocks.run(`${gun}\u0000${role}`, async () => {
      const keys = await this.keyStore.listKeys(gun, role);
      const rootFile = await this.store.getCurrent(gun, 'root');
      if (rootFile) {
        let listed: string[] = [];
        try {
          listed = [...parseRoot(rootFile.data, { maxBytes: Number.MAX_SAFE_INTEGER }).signed.roles[role].keyids].sort();
        } catch {
          listed = [];
        }
        for (const id of listed) {
          const rec = keys.find((k) => k.keyId === id);
          if (rec) return toPublic(rec);
        }
      }
      const newest = keys[keys.length - 1];
      if (newest) return toPublic(newest);
      // The first key for (GUN, role) is made under the repository lock, so that server processes
      // sharing the database hand out one key rather than one each.
      return this.store.withGunLock(gun, async () => {
        const made = (await this.keyStore.listKeys(gun, role)).at(-1);
        return toPublic(made ?? (await this.keyStore.createKey(gun, role, this.keyAlgorithm)));
      });
    });
  }

  /** POST {role}.key: always a new key; it takes effect once a root listing it is published. */
  async rotateKey(gun: string, role: ServerKeyRole): Promise<PublicServerKey> {
    return this.keyLocks.run(`${gun}\u0000${role}`, async () => toPublic(await this.keyStore.createKey(gun, role, this.keyAlgorithm)));
  }

  async deleteGun(gun: string): Promise<void> {
    this.checksums?.deleteGun(gun);
    try {
      await this.store.deleteGun(gun);
    } finally {
      // again: a read that was in flight during the deletion may have cached a file
      this.checksums?.deleteGun(gun);
    }
  }
}
