// The trusted metadata set: a pure, byte-in / verified-object-out state machine modelled on go-tuf
// metadata/trustedmetadata, with notary's rules (notary client/tufclient.go client workflow, notary server/handlers/validation.go server checks).
//
// Order: root (bootstrap, then rotations) → timestamp → snapshot → targets → delegations.
// Each update takes untrusted bytes, checks size, hashes (from the parent), signatures, version
// (rollback) and expiry, and either stores the result or throws a VouchError and changes nothing.
// The reference time is captured once at construction. Not safe for concurrent use; it is
// synchronous and holds no I/O, so one instance serves one update run.
import { VouchError, bytesEqual, hash, isHashAlgorithm, isVouchError } from '../core/index.js';
import {
  maxBytesFor, parseMetadata,
  type DelegationRole, type FileMeta, type Metadata, type Root, type Signed, type Snapshot, type Targets, type Timestamp,
} from './metadata.js';
import { ALL_PATHS, isDelegationName, parentRole, restrictPaths } from './roles.js';
import { EXPIRY_WARNING_MS, isExpired } from './time.js';
import { baseKeyRole, delegationKeyRole, verifySignatures, type KeyRole } from './verify.js';
import { validateRoot, type TrustPinning } from './x509.js';

export interface TrustedMetadataOptions {
  gun: string;
  /** The reference time for every expiry check of this run. */
  now: Date;
  /**
   * Trust pinning (notary trustpinning/trustpin.go), applied to the root given to fromRoot and, for certs/CA pins, to
   * rotations. Default: TOFU. Notary applies the configured pins only when the root comes from the
   * network; a cached root is itself the pin, so pass none then.
   */
  pinning?: TrustPinning;
  /**
   * Previously trusted copies (role → bytes, e.g. the local cache): every role the client has
   * trusted, delegations at any depth. They only set rollback floors, and the trusted snapshot's
   * list of roles: a cached copy counts when it still verifies with the keys the current metadata
   * gives its role (expiry ignored). After a key rotation it no longer verifies, so an attacker's
   * inflated version signed with a compromised old key cannot lock the client out (fast-forward
   * recovery).
   */
  cached?: ReadonlyMap<string, Uint8Array>;
}

/** A loaded targets role with the paths it may sign for (restricted by every ancestor). */
export interface LoadedTargets {
  readonly metadata: Metadata<Targets>;
  readonly paths: readonly string[];
}

export class TrustedMetadata {
  readonly gun: string;
  readonly #now: Date;
  readonly #opts: TrustedMetadataOptions;
  #root: Metadata<Root>;
  #timestamp: Metadata<Timestamp> | undefined;
  #snapshot: Metadata<Snapshot> | undefined;
  /** Roles the previously trusted snapshot listed (empty without one). */
  #previouslyListed: ReadonlySet<string> = new Set();
  readonly #targets = new Map<string, LoadedTargets>();
  readonly #warnings: string[] = [];

  private constructor(root: Metadata<Root>, opts: TrustedMetadataOptions, now: Date) {
    this.gun = opts.gun;
    this.#now = now;
    this.#opts = opts;
    this.#root = root;
  }

  /**
   * Bootstraps from a root: the cached one (the trust anchor) or, on first use, the server's.
   * Checks structure, root certificates for the GUN, trust pinning and the root's own threshold.
   * Its expiry is checked later, once the final root is known (when the timestamp is loaded).
   */
  static fromRoot(bytes: Uint8Array, opts: TrustedMetadataOptions): TrustedMetadata {
    const now = new Date(opts.now.getTime());
    const root = parseMetadata(bytes, 'root');
    const { warnings } = validateRoot(root, { gun: opts.gun, now, pinning: opts.pinning });
    const tm = new TrustedMetadata(root, opts, now);
    tm.#warnings.push(...warnings);
    return tm;
  }

  get root(): Metadata<Root> { return this.#root; }
  get timestamp(): Metadata<Timestamp> | undefined { return this.#timestamp; }
  get snapshot(): Metadata<Snapshot> | undefined { return this.#snapshot; }
  /** The top-level targets, once loaded. */
  get targets(): Metadata<Targets> | undefined { return this.#targets.get('targets')?.metadata; }
  /** A loaded targets or delegation role, with its effective paths. */
  targetsRole(role: string): LoadedTargets | undefined { return this.#targets.get(role); }
  /** Loaded targets roles in load order. */
  get loadedTargetsRoles(): readonly string[] { return [...this.#targets.keys()]; }
  /** Non-fatal findings (certificates expiring soon, cached copies that no longer verify). */
  get warnings(): readonly string[] { return [...this.#warnings]; }
  /** The reference time of this run (a copy). */
  get referenceTime(): Date { return new Date(this.#now.getTime()); }

  /**
   * Root rotation (notary client/tufclient.go): the new root must be newer, carry a threshold of signatures
   * of the trusted root's root keys and of its own, and have valid certificates. Versions may be
   * skipped when the trusted root's keys signed the newer root (notary fetches the newest first).
   * An expired intermediate root is fine: only the final root's expiry is checked.
   */
  updateRoot(bytes: Uint8Array): Metadata<Root> {
    if (this.#timestamp !== undefined) throw order('cannot update root after timestamp');
    const root = parseMetadata(bytes, 'root');
    const trusted = this.#root.signed.version;
    if (root.signed.version <= trusted) {
      throw new VouchError('ROLLBACK', `root version ${root.signed.version} is not newer than the trusted version ${trusted}`, {
        details: { role: 'root', version: root.signed.version, trustedVersion: trusted },
      });
    }
    const { warnings } = validateRoot(root, { gun: this.gun, now: this.#now, previous: this.#root, pinning: this.#opts.pinning });
    this.#warnings.push(...warnings);
    this.#root = root;
    return root;
  }

  /**
   * Timestamp (notary client/tufclient.go): ≤ 1 MiB, root's timestamp keys, version ≥ trusted, not expired,
   * and a snapshot length within the snapshot's ceiling (nothing is downloaded on a signed promise
   * of gigabytes).
   */
  updateTimestamp(bytes: Uint8Array): Metadata<Timestamp> {
    if (this.#snapshot !== undefined) throw order('cannot update timestamp after snapshot');
    this.#checkNotExpired(this.#root);
    const md = parseMetadata(bytes, 'timestamp');
    const keys = baseKeyRole(this.#root.signed, 'timestamp');
    verifySignatures(md, keys);
    this.#checkRollback(md, keys, this.#timestamp);
    this.#checkNotExpired(md);
    checkListedLength('timestamp', 'snapshot', md.signed.snapshot);
    this.#timestamp = md;
    return md;
  }

  /**
   * Snapshot (step 3): length and hashes from the timestamp, root's snapshot keys, version ≥
   * trusted, not expired, every listed length within its role's ceiling, and the trusted root
   * must be the one the snapshot lists. The roles the previously trusted snapshot listed are
   * kept: a delegation it listed may not vanish while its parent still delegates to it (see
   * checkUnlisted).
   */
  updateSnapshot(bytes: Uint8Array): Metadata<Snapshot> {
    if (this.#timestamp === undefined) throw order('cannot update snapshot before timestamp');
    if (this.#targets.size > 0) throw order('cannot update snapshot after targets');
    const meta = this.#timestamp.signed.snapshot;
    checkFile('snapshot', bytes, meta);
    const md = parseMetadata(bytes, 'snapshot', { maxBytes: meta.length });
    const keys = baseKeyRole(this.#root.signed, 'snapshot');
    verifySignatures(md, keys);
    const previous = this.#checkRollback(md, keys, this.#snapshot);
    this.#checkNotExpired(md);
    for (const [role, listed] of md.signed.meta) checkListedLength('snapshot', role, listed);
    const rootMeta = md.signed.meta.get('root');
    if (rootMeta !== undefined && !fileMatches(this.#root.bytes(), rootMeta) && !fileMatches(this.#root.toBytes(), rootMeta)) {
      throw new VouchError('HASH_MISMATCH', 'the snapshot lists a different root than the trusted one: update the root first', {
        details: { role: 'root', listedBy: 'snapshot' },
      });
    }
    this.#snapshot = md;
    this.#previouslyListed = new Set(previous?.signed.meta.keys());
    return md;
  }

  /**
   * A delegation that its loaded parent delegates to but the trusted snapshot does not list. A
   * role never published is skipped, as notary does; a role the previously trusted snapshot
   * listed must still be listed (TUF specification 5.5.5, "Check for a rollback attack":
   * https://theupdateframework.github.io/specification/latest/#update-snapshot), or the tag
   * would resolve through an older entry elsewhere in the tree.
   */
  checkUnlisted(role: string, parent: string): void {
    if (this.#snapshot === undefined) throw order(`cannot check ${role} before snapshot`);
    if (!this.#previouslyListed.has(role) || this.#snapshot.signed.meta.has(role)) return;
    throw new VouchError('ROLLBACK', `potential malicious behavior - the snapshot no longer lists ${role}, which the trusted snapshot listed and ${parent} still delegates to`, {
      details: { role: 'snapshot', dropped: role, parent },
    });
  }

  /** Top-level targets (step 4): fatal on any failure. */
  updateTargets(bytes: Uint8Array): Metadata<Targets> {
    return this.updateDelegatedTargets(bytes, 'targets', 'root');
  }

  /**
   * A targets or delegation role (step 4): it must be listed in the snapshot (length and hashes),
   * its parent loaded and delegating to it, signed by the parent's delegation keys (root's targets
   * keys for `targets`), version ≥ trusted, not expired.
   */
  updateDelegatedTargets(bytes: Uint8Array, role: string, parent: string): Metadata<Targets> {
    if (this.#snapshot === undefined) throw order(`cannot update ${role} before snapshot`);
    let keys: KeyRole;
    let paths: readonly string[];
    if (role === 'targets') {
      if (parent !== 'root') throw new VouchError('INVALID_ROLE', `targets is delegated by root, not ${parent}`, { details: { role } });
      keys = baseKeyRole(this.#root.signed, 'targets');
      paths = ALL_PATHS;
    } else {
      if (!isDelegationName(role) || parentRole(role) !== parent) {
        throw new VouchError('INVALID_ROLE', `${role} is not a direct child of ${parent}`, { details: { role, parent } });
      }
      const p = this.#targets.get(parent);
      if (p === undefined) throw order(`cannot update ${role} before its parent ${parent}`);
      const d = p.metadata.signed.delegations.roles.find((r) => r.name === role);
      if (d === undefined) throw new VouchError('DELEGATION_NOT_FOUND', `${parent} does not delegate to ${role}`, { details: { role, parent } });
      keys = delegationKeyRole(p.metadata.signed, d);
      paths = restrictPaths(p.paths, d.paths);
    }
    if (this.#targets.has(role)) throw order(`${role} is already loaded`);
    const meta = this.#snapshot.signed.meta.get(role);
    if (meta === undefined) throw new VouchError('METADATA_NOT_FOUND', `${role} is not listed in the snapshot`, { details: { role } });
    checkFile(role, bytes, meta);
    const md = parseMetadata(bytes, role, { maxBytes: meta.length }) as Metadata<Targets>;
    verifySignatures(md, keys);
    this.#checkRollback(md, keys, undefined);
    this.#checkNotExpired(md);
    this.#targets.set(role, Object.freeze({ metadata: md, paths: Object.freeze([...paths]) }));
    return md;
  }

  /** The delegation entry for `role` in its loaded parent. */
  delegation(role: string): DelegationRole | undefined {
    const parent = parentRole(role);
    return parent === undefined ? undefined : this.#targets.get(parent)?.metadata.signed.delegations.roles.find((r) => r.name === role);
  }

  #checkNotExpired(md: Metadata<Signed>): void {
    const expires = md.signed.expires;
    if (isExpired(expires, this.#now)) {
      throw new VouchError('EXPIRED', `${md.role} metadata expired at ${expires.toISOString()}`, {
        details: { role: md.role, expires: expires.toISOString(), version: md.signed.version },
      });
    }
    // Notary warns about roles that expire within six months; not the timestamp, which the server re-signs.
    if (md.role !== 'timestamp' && expires.getTime() - this.#now.getTime() < EXPIRY_WARNING_MS) this.#warnings.push(`${md.role} metadata expires soon, at ${expires.toISOString()}`);
  }

  /**
   * Rollback: version never below the trusted one (this run) or a cached copy that still
   * verifies. Returns that cached copy.
   */
  #checkRollback<T extends Signed>(md: Metadata<T>, keys: KeyRole, current: Metadata<T> | undefined): Metadata<T> | undefined {
    let floor = current?.signed.version ?? 0;
    const cached = this.#opts.cached?.get(md.role);
    let old: Metadata<T> | undefined;
    if (cached !== undefined && md.raw !== undefined && bytesEqual(cached, md.raw)) {
      // The cached copy is this very document (the role did not change): it verified just now,
      // so it is not parsed and verified a second time.
      old = md;
      floor = Math.max(floor, md.signed.version);
    } else if (cached !== undefined) {
      try {
        old = parseMetadata(cached, md.role) as Metadata<T>;
        verifySignatures(old, keys);
        floor = Math.max(floor, old.signed.version);
      } catch (err) {
        if (!isVouchError(err)) throw err;
        old = undefined;
        this.#warnings.push(`cached ${md.role} no longer verifies (${err.code}); its version is not used as a rollback floor`);
      }
    }
    if (md.signed.version < floor) throw rollback(md.role, md.signed.version, floor);
    return old;
  }
}

function order(msg: string): VouchError {
  return new VouchError('ORDER', msg);
}

function rollback(role: string, version: number, trusted: number): VouchError {
  return new VouchError('ROLLBACK', `potential malicious behavior - trust data version is lower than expected: ${role} version ${version} < trusted ${trusted}`, {
    details: { role, version, trustedVersion: trusted },
  });
}

/** A signed length is a download limit: it may not exceed the role's ceiling (maxBytesFor). */
function checkListedLength(parent: string, role: string, meta: FileMeta): void {
  const ceiling = maxBytesFor(role);
  if (meta.length > ceiling) {
    throw new VouchError('TOO_LARGE', `${parent} lists ${role} at ${meta.length} bytes, over the ceiling of ${ceiling} bytes for ${role} metadata`, {
      details: { role, listedBy: parent, length: meta.length, limit: ceiling },
    });
  }
}

function fileMatches(bytes: Uint8Array, meta: FileMeta): boolean {
  try {
    checkFile('file', bytes, meta);
    return true;
  } catch {
    return false;
  }
}

/** Length must match; every known hash must match and at least one is required (unknown algorithms are ignored). */
export function checkFile(role: string, bytes: Uint8Array, meta: FileMeta): void {
  if (bytes.byteLength !== meta.length) {
    throw new VouchError('LENGTH_MISMATCH', `${role} is ${bytes.byteLength} bytes; ${meta.length} expected`, { details: { role, length: bytes.byteLength, expected: meta.length } });
  }
  let known = 0;
  for (const [alg, want] of meta.hashes) {
    if (!isHashAlgorithm(alg)) continue;
    known++;
    if (!bytesEqual(hash(alg, bytes), want)) throw new VouchError('HASH_MISMATCH', `${role} does not match its ${alg} hash`, { details: { role, algorithm: alg } });
  }
  if (known === 0) throw new VouchError('HASH_MISMATCH', `no known hash algorithm is listed for ${role}`, { details: { role } });
}
