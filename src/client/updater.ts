// The updater (notary client/tufclient.go): fetch and verify a repository's metadata through tuf's state machine.
// It works over two ports: a MetadataFetcher (the trust server, NotaryRemote; in tests an
// in-memory malicious repository) and a MetadataCache (docker's trust dir
// `tuf/<gun>/metadata/*.json`, TrustDir). Root from cache, else trust on first use (or trust
// pinning); timestamp by name; snapshot, targets and delegations by checksum, from the cache when
// the bytes match. Only verified bytes are written to the cache. On a failure after the root, the
// root is updated (by checksum, by name, then version by version) and the rest is retried once.
// A server that answers badly is an error; only a server that cannot be reached at all lets the
// cached timestamp stand in (docker's warning).
import { Semaphore, VouchError, isVouchError, toHex, type ErrorCode } from '../core/index.js';
import {
  TrustedMetadata, checkFile, loadTargetsTree, maxBytesFor, parseMetadata,
  type FileMeta, type Metadata, type Root, type Snapshot, type Targets, type Timestamp, type TreeWarning, type TrustPinning,
} from '../tuf/index.js';
import { isUnreachable } from '../http/index.js';

/**
 * Where metadata comes from (NotaryRemote implements it). Each method answers undefined when the
 * server has no such file, refuses more than `maxBytes` (TOO_LARGE), and throws NETWORK when the
 * server cannot be reached (isUnreachable), REMOTE_ERROR for any other unusable answer.
 */
export interface MetadataFetcher {
  /** the server, for messages */
  readonly server: string;
  getRole(role: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  getRoleVersion(role: string, version: number, maxBytes?: number): Promise<Uint8Array | undefined>;
  getRoleChecksum(role: string, sha256Hex: string, maxBytes?: number): Promise<Uint8Array | undefined>;
}

/** Where verified metadata is kept between runs (TrustDir implements it: docker's layout). */
export interface MetadataCache {
  /** where the GUN's metadata lives, for hints ("remove … to trust a new root") */
  metadataDir(gun: string): string;
  /** the cached bytes, or undefined; TOO_LARGE above `maxBytes` */
  readMetadata(gun: string, role: string, maxBytes?: number): Promise<Uint8Array | undefined>;
  writeMetadata(gun: string, role: string, bytes: Uint8Array): Promise<void>;
}

export interface UpdaterOptions {
  gun: string;
  cache: MetadataCache;
  /** undefined = offline: the cache only */
  remote: MetadataFetcher | undefined;
  now: Date;
  /** notary's trust_pinning; applies when there is no cached root (docker: none, i.e. TOFU) */
  pinning?: TrustPinning;
  /** warnings as docker/notary print them (stale cache, skipped delegations, expiring certs) */
  warn?: (message: string) => void;
  /**
   * Takes the cache writes of update() (all of them, as one promise) instead of update() waiting
   * for them: the caller must await it before the next update of the same GUN, and before exiting.
   */
  cacheWrites?: (done: Promise<void>) => void;
}

/** A verified view of one repository. */
export interface VerifiedRepo {
  readonly gun: string;
  readonly trusted: TrustedMetadata;
  readonly root: Metadata<Root>;
  readonly timestamp: Metadata<Timestamp>;
  readonly snapshot: Metadata<Snapshot>;
  readonly targets: Metadata<Targets>;
  /** false when the timestamp came from the cache because the server could not be reached */
  readonly fresh: boolean;
  /** delegations skipped with their subtrees (expired, below threshold), also reported as warnings */
  readonly skipped: readonly TreeWarning[];
}

/** Codes after which notary updates the root and tries once more (notary client/tufclient.go). */
const ROOT_RETRY: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['EXPIRED', 'THRESHOLD_NOT_MET', 'NO_SIGNATURES', 'HASH_MISMATCH', 'LENGTH_MISMATCH', 'KEYID_MISMATCH', 'INVALID_METADATA', 'WRONG_TYPE', 'ROLLBACK', 'METADATA_NOT_FOUND', 'REPOSITORY_NOT_FOUND']);

export class Updater {
  private readonly o: UpdaterOptions;
  private readonly warnings = new Set<string>();
  private readonly pending: Promise<void>[] = [];
  /** the snapshot of the last attempt, verified or not: it names the root to fetch on a retry */
  private lastSnapshot: Uint8Array | undefined;
  /** the cache as this run found it: rollback floors, and copies that spare a download */
  private cached: Promise<Map<string, Uint8Array>> | undefined;

  constructor(opts: UpdaterOptions) {
    this.o = opts;
  }

  private warn(msg: string): void {
    if (this.warnings.has(msg)) return;
    this.warnings.add(msg);
    this.o.warn?.(msg);
  }

  private get cacheDir(): string {
    return this.o.cache.metadataDir(this.o.gun);
  }

  /** Is there any cached trust data for the GUN? */
  async hasCache(): Promise<boolean> {
    return (await this.o.cache.readMetadata(this.o.gun, 'root')) !== undefined;
  }

  /** Runs the whole workflow; REPOSITORY_NOT_FOUND when the server has no trust data for the GUN. */
  async update(): Promise<VerifiedRepo> {
    const { gun } = this.o;
    const cachedRoot = await this.o.cache.readMetadata(gun, 'root', maxBytesFor('root'));
    let rootBytes: Uint8Array;
    let fromCache = false;
    if (cachedRoot !== undefined) {
      rootBytes = cachedRoot;
      fromCache = true;
    } else {
      const remote = this.requireRemote('root');
      const fetched = await this.guard('root', 'download', () => remote.getRole('root'));
      if (fetched === undefined) throw notFound(gun, remote.server);
      rootBytes = fetched;
    }
    const cached = await this.cachedCopies();
    let tm = this.guard('root', fromCache ? 'cached root' : 'first root', () => TrustedMetadata.fromRoot(rootBytes, {
      gun, now: this.o.now, cached,
      // The cached root is the trust anchor; pinning only decides the first download (as notary).
      ...(fromCache || this.o.pinning === undefined ? {} : { pinning: this.o.pinning }),
    }));
    if (!fromCache) await this.persist('root', rootBytes);

    try {
      try {
        return await this.refresh(tm);
      } catch (err) {
        if (!isVouchError(err) || !ROOT_RETRY.has(err.code) || this.o.remote === undefined) throw err;
        tm = await this.updateRoot(tm, err);
        return await this.refresh(tm);
      }
    } finally {
      const writes = this.flush();
      if (this.o.cacheWrites) this.o.cacheWrites(writes);
      else await writes;
    }
  }

  /** Timestamp, snapshot and the targets tree on top of a trusted root. */
  private async refresh(tm: TrustedMetadata): Promise<VerifiedRepo> {
    const { gun } = this.o;
    // 1. timestamp, by name; the cached one when the server cannot be reached
    let tsBytes: Uint8Array | undefined;
    let fresh = true;
    let downloadError: unknown;
    if (this.o.remote !== undefined) {
      try {
        tsBytes = await this.o.remote.getRole('timestamp', maxBytesFor('timestamp'));
      } catch (err) {
        // Any answer is final (oversized, endless, too slow, an error status): only a server that
        // cannot be reached at all lets the cached timestamp stand in, as docker does.
        if (!isUnreachable(err)) throw this.explain(err, 'timestamp', 'download');
        downloadError = err;
      }
    }
    if (tsBytes === undefined) {
      tsBytes = await this.o.cache.readMetadata(gun, 'timestamp', maxBytesFor('timestamp'));
      if (tsBytes === undefined) {
        if (downloadError !== undefined) throw this.explain(downloadError, 'timestamp', 'download');
        if (this.o.remote === undefined) throw new VouchError('METADATA_NOT_FOUND', `${gun}: no cached timestamp, and working offline`, { details: { role: 'timestamp' } });
        throw new VouchError('REPOSITORY_NOT_FOUND', `${gun}: the trust server has no timestamp for this repository`, {
          details: { role: 'timestamp', repository: gun },
          hint: 'the repository may be half-initialised or deleted on the server',
        });
      }
      fresh = false;
      this.warn('Error while downloading remote metadata, using cached timestamp - this might not be the latest version available remotely');
    }
    const ts = this.check('timestamp', () => tm.updateTimestamp(tsBytes));
    if (fresh) await this.persist('timestamp', tsBytes);

    // 2. snapshot, by checksum unless the cached copy matches
    const snapBytes = await this.getListed('snapshot', ts.signed.snapshot);
    this.lastSnapshot = snapBytes.bytes;
    const snapshot = this.check('snapshot', () => tm.updateSnapshot(snapBytes.bytes));
    if (snapBytes.fetched) await this.persist('snapshot', snapBytes.bytes);

    // 3. the targets tree, breadth-first. Every file the verified snapshot lists is downloaded
    // ahead, a few at a time and by checksum, while earlier ones are verified; each is checked
    // (hashes, length, signatures) only when the walk reaches it, and a file the walk never
    // reaches is neither trusted nor cached.
    const ahead = this.prefetch([...snapshot.signed.meta].filter(([role]) => role !== 'root'));
    const fetched = new Map<string, Uint8Array>();
    const fetchRole = async (role: string, meta: FileMeta): Promise<Uint8Array> => {
      const early = snapshot.signed.meta.get(role) === meta ? ahead.get(role) : undefined;
      const got = await (early ?? this.getListed(role, meta));
      if (got.fetched) fetched.set(role, got.bytes);
      return got.bytes;
    };
    let tree;
    try {
      tree = await loadTargetsTree(tm, fetchRole);
    } catch (err) {
      throw this.explain(err, roleOf(err) ?? 'targets');
    }
    for (const w of tree.warnings) {
      this.warn(`skipping delegation ${w.role}: ${w.error.message}`);
    }
    for (const role of tm.loadedTargetsRoles) {
      const bytes = fetched.get(role);
      if (bytes !== undefined) await this.persist(role, bytes);
    }
    for (const w of tm.warnings) this.warn(w);
    const targets = tm.targets;
    if (targets === undefined) throw new VouchError('INTERNAL', 'targets not loaded');
    return { gun, trusted: tm, root: tm.root, timestamp: ts, snapshot, targets, fresh, skipped: tree.warnings };
  }

  /**
   * Root update after a failure (notary client/tufclient.go): the newest root from the server, checked
   * against the trusted one; if the trusted keys did not sign it, walk N.root.json one by one.
   */
  private async updateRoot(old: TrustedMetadata, cause: VouchError): Promise<TrustedMetadata> {
    const remote = this.requireRemote('root');
    const { gun } = this.o;
    const tm = TrustedMetadata.fromRoot(old.root.bytes(), { gun, now: this.o.now, cached: await this.cachedCopies() });
    const trustedVersion = tm.root.signed.version;
    // notary fetches the root the snapshot names, by checksum, and falls back to the current one
    const listed = this.rootListedBySnapshot();
    let newest = listed === undefined ? undefined : await this.guard('root', 'download', () => remote.getRoleChecksum('root', listed.sha256, listed.length)).catch(() => undefined);
    newest ??= await this.guard('root', 'download', () => remote.getRole('root'));
    if (newest === undefined) throw notFound(gun, remote.server);
    const newestBytes = newest;
    const newestVersion = this.check('root', () => parseMetadata(newestBytes, 'root').signed.version);
    if (newestVersion === trustedVersion) throw cause; // nothing to rotate to: the first failure stands
    if (newestVersion < trustedVersion) {
      throw this.explain(new VouchError('ROLLBACK', `potential malicious behavior - trust data version is lower than expected: root version ${newestVersion} < trusted ${trustedVersion}`, {
        details: { role: 'root', version: newestVersion, trustedVersion },
      }), 'root');
    }
    try {
      tm.updateRoot(newestBytes);
    } catch (err) {
      if (!isVouchError(err, 'ROOT_ROTATION_FAILED')) throw this.explain(err, 'root');
      // the trusted root's keys did not sign the newest: every intermediate version must chain
      for (let v = trustedVersion + 1; v < newestVersion; v++) {
        const bytes = await this.guard('root', `download version ${v}`, () => remote.getRoleVersion('root', v));
        if (bytes === undefined) throw this.explain(new VouchError('ROOT_ROTATION_FAILED', `root version ${v} is missing on the server`, { details: { role: 'root', version: v } }), 'root');
        this.check('root', () => tm.updateRoot(bytes));
      }
      this.check('root', () => tm.updateRoot(newestBytes));
    }
    await this.persist('root', newest);
    return TrustedMetadata.fromRoot(newest, { gun, now: this.o.now, cached: await this.cachedCopies() });
  }

  /** sha256 and length of the root the last downloaded snapshot lists (untrusted: only a hint where to look). */
  private rootListedBySnapshot(): { sha256: string; length: number } | undefined {
    if (this.lastSnapshot === undefined) return undefined;
    try {
      const meta = parseMetadata(this.lastSnapshot, 'snapshot').signed.meta.get('root');
      const sha = meta?.hashes.get('sha256');
      return meta !== undefined && sha !== undefined && sha.byteLength === 32 ? { sha256: toHex(sha), length: meta.length } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * getListed for each entry, at most `width` at a time (each in flight holds a connection), in
   * order; a failure is reported to whoever awaits that entry.
   */
  private prefetch(entries: [string, FileMeta][], width = 3): Map<string, Promise<{ bytes: Uint8Array; fetched: boolean }>> {
    const slots = new Semaphore(width);
    const out = new Map<string, Promise<{ bytes: Uint8Array; fetched: boolean }>>();
    for (const [role, meta] of entries) {
      // Slots are handed out in order of asking: the downloads start in the snapshot's order.
      const p = slots.run(() => this.getListed(role, meta));
      p.catch(() => undefined); // not unhandled when the walk never asks for this role
      out.set(role, p);
    }
    return out;
  }

  /** A role listed by its parent: the cached copy when its bytes match, else the server's, by checksum. */
  private async getListed(role: string, meta: FileMeta): Promise<{ bytes: Uint8Array; fetched: boolean }> {
    const cached = (await this.cachedCopies()).get(role);
    if (cached !== undefined) {
      try {
        checkFile(role, cached, meta);
        return { bytes: cached, fetched: false };
      } catch { /* stale: download */ }
    }
    const remote = this.o.remote;
    if (remote === undefined) {
      throw new VouchError('METADATA_NOT_FOUND', `${this.o.gun}: ${role} is not cached, and working offline`, { details: { role } });
    }
    const sha = meta.hashes.get('sha256');
    // the signed length, never above the role's ceiling (TrustedMetadata refuses longer ones too)
    const limit = Math.min(meta.length, maxBytesFor(role));
    const bytes = await this.guard(role, 'download', () => (sha !== undefined && sha.byteLength === 32
      ? remote.getRoleChecksum(role, toHex(sha), limit)
      : remote.getRole(role, limit)));
    if (bytes === undefined) {
      throw this.explain(new VouchError('METADATA_NOT_FOUND', `${role} is listed with checksum ${sha ? toHex(sha).slice(0, 12) : '?'} but the server does not have it`, { details: { role } }), role);
    }
    return { bytes, fetched: true };
  }

  /**
   * Previously cached (trusted) copies, as the cache was when this run started: rollback floors
   * for every role the state machine checks, delegations at any depth (every role the cached
   * snapshot lists), and the trusted snapshot's list of roles. Read once per run.
   */
  private cachedCopies(): Promise<Map<string, Uint8Array>> {
    this.cached ??= this.readCache();
    return this.cached;
  }

  private async readCache(): Promise<Map<string, Uint8Array>> {
    const read = async (role: string): Promise<Uint8Array | undefined> => {
      try {
        return await this.o.cache.readMetadata(this.o.gun, role, maxBytesFor(role));
      } catch (err) {
        if (isVouchError(err, 'TOO_LARGE') || isVouchError(err, 'INVALID_ARGUMENT')) return undefined; // not a file this client wrote
        throw err;
      }
    };
    const out = new Map<string, Uint8Array>();
    const snapshot = await read('snapshot');
    const roles = new Set(['timestamp', 'targets']);
    if (snapshot !== undefined) {
      out.set('snapshot', snapshot);
      try {
        // only a list of names to read: each copy is verified before it counts (TrustedMetadata)
        for (const role of parseMetadata(snapshot, 'snapshot').signed.meta.keys()) if (role !== 'root') roles.add(role);
      } catch { /* unreadable: the base roles only */ }
    }
    const copies = await Promise.all([...roles].map(async (role) => [role, await read(role)] as const));
    for (const [role, bytes] of copies) if (bytes !== undefined) out.set(role, bytes);
    return out;
  }

  /** Writes run in the background (each is atomic and fsynced); update() waits for all of them. */
  private persist(role: string, bytes: Uint8Array): Promise<void> {
    const p = this.o.cache.writeMetadata(this.o.gun, role, bytes);
    p.catch(() => undefined);
    this.pending.push(p);
    return Promise.resolve();
  }

  private async flush(): Promise<void> {
    const all = this.pending.splice(0);
    await Promise.all(all);
  }

  private requireRemote(role: string): MetadataFetcher {
    if (this.o.remote === undefined) {
      throw new VouchError('METADATA_NOT_FOUND', `${this.o.gun}: no cached ${role}, and working offline`, { details: { role } });
    }
    return this.o.remote;
  }

  private guard<T>(role: string, step: string, fn: () => T): T {
    try {
      const r = fn();
      if (r instanceof Promise) return r.catch((err: unknown) => { throw this.explain(err, role, step); }) as T;
      return r;
    } catch (err) {
      throw this.explain(err, role, step);
    }
  }

  private check<T>(role: string, fn: () => T): T {
    return this.guard(role, 'verify', fn);
  }

  /** Wraps a failure so that it names the role, the check, and what to do. */
  explain(err: unknown, role: string, step = 'verify'): unknown {
    if (!isVouchError(err) || err.details.explained) return err;
    const { gun } = this.o;
    const r = roleOf(err) ?? role;
    const hint = err.hint ?? hintFor(err.code, r, this.cacheDir);
    const check = CHECKS[err.code] ?? err.code.toLowerCase().replace(/_/g, ' ');
    const msg = CHECKS[err.code] === undefined && (step === 'download' || err.code === 'NETWORK' || err.code === 'UNREACHABLE' || err.code === 'UNAUTHORIZED' || err.code === 'REMOTE_ERROR')
      ? `${gun}: ${r}: ${err.message}`
      : `${gun}: ${r} metadata failed the ${check} check: ${err.message}`;
    return new VouchError(err.code, msg, { cause: err, hint, details: { ...err.details, role: r, check, gun, explained: true } });
  }
}

const CHECKS: Partial<Record<ErrorCode, string>> = {
  EXPIRED: 'expiry',
  ROLLBACK: 'version (rollback)',
  HASH_MISMATCH: 'hash',
  LENGTH_MISMATCH: 'length',
  THRESHOLD_NOT_MET: 'signature threshold',
  NO_SIGNATURES: 'signature',
  KEYID_MISMATCH: 'key ID',
  ROOT_ROTATION_FAILED: 'root rotation',
  TRUST_PINNING: 'trust pinning',
  INVALID_CERTIFICATE: 'root certificate',
  INVALID_METADATA: 'format',
  WRONG_TYPE: 'type',
  TOO_LARGE: 'size',
  INVALID_JSON: 'format',
};

function roleOf(err: unknown): string | undefined {
  if (!isVouchError(err)) return undefined;
  const r = err.details.role;
  return typeof r === 'string' && !r.includes(' ') ? r : undefined;
}

function hintFor(code: ErrorCode, role: string, cacheDir: string): string | undefined {
  switch (code) {
    case 'EXPIRED':
      return role === 'timestamp' || role === 'snapshot'
        ? 'the trust server has not re-signed its metadata in time (is it running and holding its keys?); ask its operator, then retry'
        : `the holder of the ${role} key must re-sign it (for example by signing a tag again); until then the repository cannot be verified`;
    case 'ROLLBACK':
      return `the server is serving older trust data than this machine has already seen: this may be an attack. If the repository was deliberately deleted and recreated, remove ${cacheDir}`;
    case 'HASH_MISMATCH':
    case 'LENGTH_MISMATCH':
      return 'the server served metadata that does not match what its parent lists (possible mix-and-match attack, or a server in the middle of an update); retry, and report it to the server operator if it persists';
    case 'THRESHOLD_NOT_MET':
    case 'NO_SIGNATURES':
    case 'KEYID_MISMATCH':
      return `the ${role} metadata is not signed by the keys that are trusted for it; do not use this repository until its owners re-sign it`;
    case 'ROOT_ROTATION_FAILED':
    case 'TRUST_PINNING':
    case 'INVALID_CERTIFICATE':
      return `trust data mismatch: the repository's root keys are not the ones this machine trusts. If the owners really replaced them, remove ${cacheDir} to trust the new root on next use`;
    case 'REMOTE_ERROR':
      return 'the trust server failed to answer; check that it is running and healthy (and DOCKER_CONTENT_TRUST_SERVER), then retry';
    case 'METADATA_NOT_FOUND':
    case 'REPOSITORY_NOT_FOUND':
      return `the server does not have a file that the ${role === 'timestamp' ? 'repository' : 'signed metadata'} needs; it may be in the middle of an update: retry, and tell its operator if it persists`;
    case 'TOO_LARGE':
      return 'the server sent more data than the metadata allows; it may be hostile';
    default:
      return undefined;
  }
}

function notFound(gun: string, server: string): VouchError {
  return new VouchError('REPOSITORY_NOT_FOUND', `remote trust data does not exist for ${gun} on ${server}`, {
    details: { repository: gun, role: 'root' },
    hint: 'the repository has never been signed on this trust server (sign a tag or add a signer to initialise it), or DOCKER_CONTENT_TRUST_SERVER points elsewhere',
  });
}

/** Is this the "repository has no trust data" error? */
export function isRepositoryNotFound(err: unknown): boolean {
  return isVouchError(err, 'REPOSITORY_NOT_FOUND');
}
