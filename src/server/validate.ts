// Update validation exactly in notary-server's order (notary server/handlers/validation.go; server/handlers/validation.go and
// tuf/builder.go). Pure: the stored state and the time are inputs; failures are NotaryHttpErrors
// carrying the INVALID_UPDATE detail shapes the real client decodes.
import { VouchError, bytesEqual, hash, isVouchError } from '../core/index.js';
import {
  baseKeyRole, createSnapshot, createTimestamp, delegationKeyRole, isExpired, isTargetsRole, parentRole, parseRoot, parseSnapshot,
  parseTargets, parseTimestamp, validateRoot, verifySignatures, type Metadata, type Root, type Snapshot, type Targets, type Timestamp,
} from '../tuf/index.js';
import { NotaryHttpError, invalidUpdate } from './errors.js';
import type { RoleUpload } from './upload.js';

export interface ValidationInput {
  gun: string;
  /** The upload by role (a `timestamp` part is ignored: the server always makes its own). */
  updates: ReadonlyMap<string, RoleUpload>;
  /** The GUN's current stored bytes by role. */
  stored: ReadonlyMap<string, Uint8Array>;
  now: Date;
}

export interface ValidatedUpdate {
  /** The root in effect after this update (uploaded or stored). */
  root: Metadata<Root>;
  /** Validated uploads to store (root, targets and delegations shallowest first, then an uploaded snapshot). */
  files: RoleUpload[];
  /** The uploaded snapshot, when there is one; otherwise the server must generate it. */
  snapshot: RoleUpload | undefined;
  /** Roles loaded during validation (uploaded or read from the store) → bytes: what a generated snapshot lists anew. */
  loaded: Map<string, Uint8Array>;
}

/** The error text notary would put in the detail (tuf messages carry extra counts notary does not write). */
function msg(err: unknown): string {
  if (isVouchError(err, 'THRESHOLD_NOT_MET')) {
    return `valid signatures did not meet threshold for ${err.details.role}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Go's RoleList order: fewer path segments first, then by name. */
export function sortTargetsRoles(roles: string[]): string[] {
  return roles.sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
}

function expiredMsg(role: string, expires: Date): string {
  return `${role} expired at ${expires.toISOString()}`;
}

/** The checks of notary server/handlers/validation.go after the root's (snapshot generation and timestamp are separate: they need keys). */
export function validateUpdate(input: ValidationInput): ValidatedUpdate {
  const { gun, updates, stored, now } = input;
  const files: RoleUpload[] = [];
  const loaded = new Map<string, Uint8Array>();

  // 2. the current root
  let storedRoot: Metadata<Root> | undefined;
  const storedRootBytes = stored.get('root');
  if (storedRootBytes !== undefined) {
    try {
      storedRoot = parseRoot(storedRootBytes, { maxBytes: Number.MAX_SAFE_INTEGER });
    } catch (err) {
      throw invalidUpdate('ErrValidation', `stored root does not load: ${msg(err)}`);
    }
  }
  const currentRootVersion = storedRoot?.signed.version ?? 1;

  // 3. root
  let root: Metadata<Root>;
  const rootUpdate = updates.get('root');
  if (rootUpdate !== undefined) {
    if (rootUpdate.version !== currentRootVersion && rootUpdate.version !== currentRootVersion + 1) {
      throw invalidUpdate('ErrBadRoot', `Root modifications must increment the version. Current ${currentRootVersion}, new ${rootUpdate.version}`);
    }
    try {
      root = parseRoot(rootUpdate.data, { maxBytes: Number.MAX_SAFE_INTEGER });
      validateRoot(root, { gun, now, previous: storedRoot });
    } catch (err) {
      throw invalidUpdate('ErrBadRoot', msg(err));
    }
    if (isExpired(root.signed.expires, now)) throw invalidUpdate('ErrBadRoot', expiredMsg('root', root.signed.expires));
    files.push(rootUpdate);
    loaded.set('root', rootUpdate.data);
  } else if (storedRoot === undefined) {
    throw invalidUpdate('ErrValidation', 'no pre-existing root and no root provided in update.');
  } else {
    root = storedRoot;
    loaded.set('root', storedRootBytes!);
  }

  // 4. targets and delegations, shallowest first; missing ancestors come from the store
  const targetsByRole = new Map<string, Metadata<Targets>>();
  const loadTargets = (role: string, bytes: Uint8Array, allowExpired: boolean): Metadata<Targets> => {
    let key;
    if (role === 'targets') {
      key = baseKeyRole(root.signed, 'targets');
    } else {
      const parentName = parentRole(role)!;
      const parent = targetsByRole.get(parentName);
      if (parent === undefined) throw new VouchError('DELEGATION_NOT_FOUND', `tuf: invalid role ${role}. ${parentName} must be loaded first`);
      const entry = parent.signed.delegations.roles.find((d) => d.name === role);
      if (entry === undefined) throw new VouchError('DELEGATION_NOT_FOUND', `tuf: invalid role ${role}. delegation does not exist`);
      key = delegationKeyRole(parent.signed, entry);
    }
    const md = parseTargets(bytes, role, { maxBytes: Number.MAX_SAFE_INTEGER });
    verifySignatures(md, key);
    if (!allowExpired && isExpired(md.signed.expires, now)) throw new VouchError('EXPIRED', expiredMsg(role, md.signed.expires));
    targetsByRole.set(role, md);
    loaded.set(role, bytes);
    return md;
  };
  const targetsRoles = sortTargetsRoles([...updates.keys()].filter(isTargetsRole));
  for (const role of targetsRoles) {
    const ancestors: string[] = [];
    for (let a = parentRole(role); a !== undefined; a = parentRole(a)) if (!targetsByRole.has(a)) ancestors.unshift(a);
    for (const a of ancestors) {
      const bytes = stored.get(a);
      if (bytes === undefined) continue; // loading the child fails below
      try {
        loadTargets(a, bytes, true);
      } catch (err) {
        // notary returns the raw builder error here, which serialises to no detail
        throw new NotaryHttpError('INVALID_UPDATE', undefined, { reason: `stored ${a} does not load: ${msg(err)}` });
      }
    }
    const upload = updates.get(role)!;
    try {
      loadTargets(role, upload.data, false);
    } catch (err) {
      throw invalidUpdate('ErrBadTargets', msg(err));
    }
    files.push(upload);
  }

  // 5. an uploaded snapshot: signatures, structure, expiry, and the hashes of everything loaded
  const snapUpdate = updates.get('snapshot');
  if (snapUpdate !== undefined) {
    let snap: Metadata<Snapshot>;
    try {
      snap = parseSnapshot(snapUpdate.data, { maxBytes: Number.MAX_SAFE_INTEGER });
      verifySignatures(snap, baseKeyRole(root.signed, 'snapshot'));
    } catch (err) {
      throw invalidUpdate('ErrBadSnapshot', msg(err));
    }
    if (isExpired(snap.signed.expires, now)) throw invalidUpdate('ErrBadSnapshot', expiredMsg('snapshot', snap.signed.expires));
    for (const [role, bytes] of loaded) {
      const m = snap.signed.meta.get(role);
      const problem = m === undefined ? `tuf: sha256 checksum required for ${role}` : checkHashes(bytes, role, m.hashes, m.length);
      if (problem !== undefined) throw invalidUpdate('ErrBadSnapshot', problem);
    }
    files.push(snapUpdate);
  }
  return { root, files, snapshot: snapUpdate, loaded };
}

/** notary CheckHashes: every known algorithm must match, and at least one must be present. */
export function checkHashes(bytes: Uint8Array, role: string, hashes: ReadonlyMap<string, Uint8Array>, _length?: number): string | undefined {
  let checked = 0;
  for (const alg of ['sha256', 'sha512'] as const) {
    const want = hashes.get(alg);
    if (want === undefined) continue;
    checked++;
    if (!bytesEqual(hash(alg, bytes), want)) return `${alg} checksum for ${role} did not match: expected ${Buffer.from(want).toString('hex')}`;
  }
  return checked === 0 ? `tuf: at least one supported checksum required for ${role}` : undefined;
}

/**
 * Step 5, not uploaded: the unsigned next snapshot, from the previous one (or fresh, which needs
 * targets) with the loaded roles' meta replaced. Signing happens in the caller.
 */
export function nextSnapshot(v: ValidatedUpdate, previousBytes: Uint8Array | undefined, now: Date): Metadata<Snapshot> {
  let previous: Metadata<Snapshot> | undefined;
  if (previousBytes !== undefined) {
    try {
      previous = parseSnapshot(previousBytes, { maxBytes: Number.MAX_SAFE_INTEGER });
    } catch (err) {
      throw invalidUpdate('ErrValidation', msg(err));
    }
  } else if (!v.loaded.has('targets')) {
    throw invalidUpdate('ErrValidation', 'tuf: targets role has not been loaded');
  }
  return createSnapshot(v.loaded, { now, previous });
}

/** Step 6: the unsigned next timestamp for the snapshot's exact bytes. */
export function nextTimestamp(snapshotBytes: Uint8Array, previousBytes: Uint8Array | undefined, now: Date): Metadata<Timestamp> {
  let previous: Metadata<Timestamp> | undefined;
  if (previousBytes !== undefined) {
    try {
      previous = parseTimestamp(previousBytes, { maxBytes: Number.MAX_SAFE_INTEGER });
    } catch {
      previous = undefined; // a broken stored timestamp only loses its version; storage still refuses a rollback
    }
  }
  return createTimestamp(snapshotBytes, { now, previous });
}

/** Whether a stored timestamp must be re-signed on read (notary server/timestamp/timestamp.go, GetOrCreateTimestamp): expired (or about to), or no longer naming `snapshotBytes`. */
export function timestampStale(ts: Metadata<Timestamp>, snapshotBytes: Uint8Array | undefined, now: Date, refreshBeforeMs: number): boolean {
  if (ts.signed.expires.getTime() - refreshBeforeMs < now.getTime()) return true;
  if (snapshotBytes === undefined) return false;
  return checkHashes(snapshotBytes, 'snapshot', ts.signed.snapshot.hashes) !== undefined;
}

export function snapshotStale(s: Metadata<Snapshot>, now: Date, refreshBeforeMs: number): boolean {
  return s.signed.expires.getTime() - refreshBeforeMs < now.getTime();
}
