// The repository editor shared by client and server: new versions of any role, targets and
// delegation edits, snapshot and timestamp generation, and signing with Signers. Every function
// returns a new Metadata (unsigned after an edit) and keeps fields it does not know about.
import { VouchError, hash, toBase64, type JsonObject, type JsonValue, type PublicKeyData } from '../core/index.js';
import { canonicalKeyId, keyId } from './keyid.js';
import { Metadata, cloneJson, fileMetaToJson, keyToJson, type FileMeta, type Root, type Signature, type Signed, type Snapshot, type Targets, type Timestamp } from './metadata.js';
import { BASE_ROLES, assertRoleName, isDirectChild, isTargetsRole, type BaseRole } from './roles.js';
import type { Signer } from './signer.js';
import { defaultExpiry, formatTime } from './time.js';

/** Hash algorithms notary writes for metadata files in snapshot and timestamp. */
const META_HASHES = ['sha256', 'sha512'] as const;

/** {sha256, sha512, length} of a file's exact bytes. */
export function fileMetaOf(bytes: Uint8Array, algorithms: readonly ('sha256' | 'sha512')[] = META_HASHES): FileMeta {
  return { length: bytes.byteLength, hashes: new Map(algorithms.map((a) => [a, hash(a, bytes)])) };
}

/** A docker target: only sha256 (the manifest digest) and the manifest length (notary tuf/data/targets.go). */
export function dockerTarget(sha256: Uint8Array, length: number, custom?: JsonValue): FileMeta {
  if (sha256.byteLength !== 32) throw new VouchError('INVALID_ARGUMENT', 'a sha256 digest is 32 bytes');
  return custom === undefined ? { length, hashes: new Map([['sha256', sha256]]) } : { length, hashes: new Map([['sha256', sha256]]), custom };
}

function edit<T extends Signed>(md: Metadata<T>, change: (j: JsonObject) => void): Metadata<T> {
  const j = cloneJson(md.signedJson as JsonObject);
  change(j);
  return Metadata.from(md.role, j) as unknown as Metadata<T>;
}

function common(type: string, version: number, expires: Date): JsonObject {
  return { _type: type, expires: formatTime(expires), version };
}

/** The next version of a document: version + 1, expiry reset to now + the role default (or `expires`), no signatures. */
export function newVersion<T extends Signed>(md: Metadata<T>, now: Date, expires?: Date): Metadata<T> {
  return edit(md, (j) => {
    j.version = md.signed.version + 1;
    j.expires = formatTime(expires ?? defaultExpiry(md.role, now));
  });
}

/** Sets the expiry without changing the version. */
export function setExpires<T extends Signed>(md: Metadata<T>, expires: Date): Metadata<T> {
  return edit(md, (j) => { j.expires = formatTime(expires); });
}

// ---- root ----

export interface CreateRootOptions {
  keys: Readonly<Record<BaseRole, readonly PublicKeyData[]>>;
  thresholds?: Partial<Record<BaseRole, number>>;
  now: Date;
  expires?: Date;
  version?: number;
}

/** Root version 1 from the keys of the four base roles (root keys must be x509 certificates). */
export function createRoot(opts: CreateRootOptions): Metadata<Root> {
  const keys: JsonObject = {};
  const roles: JsonObject = {};
  for (const role of BASE_ROLES) {
    const list = opts.keys[role];
    for (const k of list) keys[keyId(k)] = keyToJson(k);
    roles[role] = { keyids: uniq(list.map(keyId)), threshold: opts.thresholds?.[role] ?? 1 };
  }
  const j = { ...common('Root', opts.version ?? 1, opts.expires ?? defaultExpiry('root', opts.now)), consistent_snapshot: false, keys, roles };
  return Metadata.from('root', j);
}

/**
 * Replaces the keys (and optionally the threshold) of a base role. Keys no longer used by any role
 * are dropped from `keys`, except root certificates: after a rotation the old root cert stays
 * listed (notary RemoveBaseKeys), and the new root must be signed by the old and the new root keys.
 */
export function setRootRoleKeys(root: Metadata<Root>, role: BaseRole, keys: readonly PublicKeyData[], threshold?: number): Metadata<Root> {
  return edit(root, (j) => {
    const keysJson = j.keys as JsonObject;
    const rolesJson = j.roles as JsonObject;
    const entry = rolesJson[role] as JsonObject;
    const oldIds = entry.keyids as string[];
    for (const k of keys) keysJson[keyId(k)] = keyToJson(k);
    entry.keyids = uniq(keys.map(keyId));
    if (threshold !== undefined) entry.threshold = threshold;
    if (role === 'root') return;
    const used = new Set(BASE_ROLES.flatMap((r) => (rolesJson[r] as JsonObject).keyids as string[]));
    for (const id of oldIds) if (!used.has(id)) delete keysJson[id];
  });
}

// ---- targets and delegations ----

/** An empty Targets document (version 1) for `targets` or a delegation. */
export function createTargets(role: string, now: Date, expires?: Date): Metadata<Targets> {
  if (!isTargetsRole(role)) throw new VouchError('INVALID_ROLE', `${role} is not a targets role`, { details: { role } });
  return Metadata.from(role, { ...common('Targets', 1, expires ?? defaultExpiry(role, now)), delegations: { keys: {}, roles: [] }, targets: {} }) as Metadata<Targets>;
}

/** Adds or replaces targets. */
export function addTargets(md: Metadata<Targets>, targets: ReadonlyMap<string, FileMeta> | Readonly<Record<string, FileMeta>>): Metadata<Targets> {
  const entries = targets instanceof Map ? [...targets] : Object.entries(targets);
  return edit(md, (j) => {
    const t = (j.targets ??= {}) as JsonObject;
    // defineProperty: a target may be named `__proto__`, which plain assignment would not store.
    for (const [name, meta] of entries) Object.defineProperty(t, name, { value: fileMetaToJson(meta), enumerable: true, writable: true, configurable: true });
  });
}

/** Removes targets by name (absent names are ignored). */
export function removeTargets(md: Metadata<Targets>, names: readonly string[]): Metadata<Targets> {
  return edit(md, (j) => {
    const t = (j.targets ?? {}) as JsonObject;
    for (const n of names) delete t[n];
  });
}

interface DelegationJson { keyids: string[]; name: string; threshold: number; paths?: string[] }

function withDelegations(md: Metadata<Targets>, change: (roles: DelegationJson[], keys: JsonObject) => void): Metadata<Targets> {
  return edit(md, (j) => {
    const d = (j.delegations ??= { keys: {}, roles: [] }) as JsonObject;
    const keys = (d.keys ??= {}) as JsonObject;
    const roles = (d.roles ??= []) as unknown as DelegationJson[];
    change(roles, keys);
    for (const r of roles) if (r.paths !== undefined && r.paths.length === 0) delete r.paths; // notary omits empty paths
    // Keys no role uses any more are dropped, as notary does.
    const used = new Set(roles.flatMap((r) => r.keyids));
    for (const id of Object.keys(keys)) if (!used.has(id)) delete keys[id];
  });
}

function findDelegation(md: Metadata<Targets>, roles: DelegationJson[], name: string): DelegationJson {
  const r = roles.find((x) => x.name === name);
  if (r === undefined) throw new VouchError('DELEGATION_NOT_FOUND', `${md.role} has no delegation ${name}`, { details: { role: name } });
  return r;
}

export interface DelegationChange {
  keys?: readonly PublicKeyData[];
  threshold?: number;
  paths?: readonly string[];
}

/**
 * Adds a delegation, or merges into an existing one (notary `delegation add`): keys and paths are
 * added, the threshold replaced when given. New delegations default to threshold 1, no paths.
 */
export function addDelegation(md: Metadata<Targets>, name: string, change: DelegationChange = {}): Metadata<Targets> {
  assertRoleName(name);
  if (!isDirectChild(md.role, name)) throw new VouchError('INVALID_ROLE', `${name} is not a direct child of ${md.role}`, { details: { role: name } });
  return withDelegations(md, (roles, keys) => {
    let r = roles.find((x) => x.name === name);
    if (r === undefined) {
      r = { keyids: [], name, paths: [], threshold: 1 };
      roles.push(r);
    }
    for (const k of change.keys ?? []) {
      const id = keyId(k);
      keys[id] = keyToJson(k);
      if (!r.keyids.includes(id)) r.keyids.push(id);
    }
    if (change.threshold !== undefined) r.threshold = change.threshold;
    const paths = (r.paths ??= []);
    for (const p of change.paths ?? []) if (!paths.includes(p)) paths.push(p);
  });
}

export function removeDelegation(md: Metadata<Targets>, name: string): Metadata<Targets> {
  return withDelegations(md, (roles) => {
    findDelegation(md, roles, name);
    roles.splice(roles.findIndex((x) => x.name === name), 1);
  });
}

/** Removes keys from a delegation, by TUF or canonical key ID (docker lists canonical IDs). */
export function removeDelegationKeys(md: Metadata<Targets>, name: string, ids: readonly string[]): Metadata<Targets> {
  const drop = new Set(ids);
  const keyMap = md.signed.delegations.keys;
  const matches = (id: string): boolean => {
    if (drop.has(id)) return true;
    const k = keyMap.get(id);
    try {
      return k !== undefined && drop.has(canonicalKeyId(k));
    } catch {
      return false;
    }
  };
  return withDelegations(md, (roles) => {
    const r = findDelegation(md, roles, name);
    r.keyids = r.keyids.filter((id) => !matches(id));
  });
}

export function removeDelegationPaths(md: Metadata<Targets>, name: string, paths: readonly string[]): Metadata<Targets> {
  return withDelegations(md, (roles) => {
    const r = findDelegation(md, roles, name);
    r.paths = (r.paths ?? []).filter((p) => !paths.includes(p));
  });
}

export function clearDelegationPaths(md: Metadata<Targets>, name: string): Metadata<Targets> {
  return withDelegations(md, (roles) => { findDelegation(md, roles, name).paths = []; });
}

// ---- snapshot and timestamp ----

/**
 * A snapshot over the current files (role → exact bytes): sha256 + sha512 + length for root,
 * targets and every delegation. With `previous`, starts from its meta (roles not given keep their
 * entries, `remove` drops some) and takes version previous + 1.
 */
export function createSnapshot(files: ReadonlyMap<string, Uint8Array>, opts: { now: Date; expires?: Date; previous?: Metadata<Snapshot>; remove?: readonly string[] }): Metadata<Snapshot> {
  const meta: JsonObject = opts.previous === undefined ? {} : cloneJson(opts.previous.signedJson.meta as JsonObject);
  for (const [role, bytes] of files) {
    if (role !== 'root' && !isTargetsRole(role)) throw new VouchError('INVALID_ROLE', `a snapshot cannot list ${role}`, { details: { role } });
    meta[role] = fileMetaToJson(fileMetaOf(bytes));
  }
  for (const role of opts.remove ?? []) delete meta[role];
  const base = opts.previous === undefined ? {} : cloneJson(opts.previous.signedJson as JsonObject);
  const version = (opts.previous?.signed.version ?? 0) + 1;
  return Metadata.from('snapshot', { ...base, ...common('Snapshot', version, opts.expires ?? defaultExpiry('snapshot', opts.now)), meta });
}

/** A timestamp for the snapshot's exact bytes; version previous + 1 (1 for the first). */
export function createTimestamp(snapshotBytes: Uint8Array, opts: { now: Date; expires?: Date; previous?: Metadata<Timestamp> }): Metadata<Timestamp> {
  const base = opts.previous === undefined ? {} : cloneJson(opts.previous.signedJson as JsonObject);
  const version = (opts.previous?.signed.version ?? 0) + 1;
  return Metadata.from('timestamp', {
    ...base,
    ...common('Timestamp', version, opts.expires ?? defaultExpiry('timestamp', opts.now)),
    meta: { snapshot: fileMetaToJson(fileMetaOf(snapshotBytes)) },
  });
}

// ---- signing ----

export interface SignOptions {
  /** Keep existing signatures by other keys (collecting a threshold from several parties). */
  keepExisting?: boolean;
}

/** Signs the canonical bytes of `signed` with every signer; the result's toBytes() is what gets uploaded. */
export async function signMetadata<T extends Signed>(md: Metadata<T>, signers: readonly Signer[], opts: SignOptions = {}): Promise<Metadata<T>> {
  if (signers.length === 0) throw new VouchError('KEY_NOT_FOUND', `no signing keys for ${md.role}`, { details: { role: md.role } });
  const data = md.canonicalSigned();
  const fresh: Signature[] = [];
  for (const s of signers) {
    const { method, sig } = await s.sign(data);
    fresh.push({ keyid: s.keyId, method, sig: toBase64(sig) });
  }
  const signedBy = new Set(fresh.map((s) => s.keyid));
  const kept = opts.keepExisting ? md.signatures.filter((s) => !signedBy.has(s.keyid)) : [];
  return md.withSignatures([...kept, ...fresh]);
}

function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}

