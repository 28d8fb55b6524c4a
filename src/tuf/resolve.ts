// Walking the targets tree: loading delegations breadth-first (notary client/tufclient.go), resolving a
// docker tag to a digest (docker/cli cli/command/image/trust.go, docker ≤ v28) and listing every signed target with the
// role that signed it (for `trust inspect`, docker/cli cli/command/trust/inspect.go). Pure: fetching is a callback.
import { VouchError, isVouchError, toHex, type ErrorCode, type PublicKeyData } from '../core/index.js';
import type { DelegationRole, FileMeta, Metadata, Targets } from './metadata.js';
import { RELEASES_ROLE, isPathAllowed } from './roles.js';
import type { TrustedMetadata } from './trusted.js';

/** Gets the bytes of a role listed in the snapshot (cache or remote, by checksum); limit = meta.length. */
export type FetchRole = (role: string, meta: FileMeta) => Uint8Array | Promise<Uint8Array>;

export interface TreeWarning {
  readonly role: string;
  readonly error: VouchError;
}

// For delegations these only skip the subtree, with a warning (notary tufclient downloadTargets).
const SKIPPABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['EXPIRED', 'THRESHOLD_NOT_MET', 'NO_SIGNATURES']);

/**
 * Loads `targets`, then every delegation listed in the snapshot, breadth-first in file order.
 * A delegated role the snapshot does not list is skipped unless the trusted snapshot listed it
 * (TrustedMetadata.checkUnlisted). A failure of `targets` is fatal; a delegation that is expired or below its threshold is
 * skipped with its subtree and reported in `warnings`; any other failure is fatal.
 */
export async function loadTargetsTree(tm: TrustedMetadata, fetch: FetchRole): Promise<{ warnings: TreeWarning[] }> {
  const snapshot = tm.snapshot;
  if (snapshot === undefined) throw new VouchError('ORDER', 'load the snapshot before the targets tree');
  const warnings: TreeWarning[] = [];
  if (tm.targets === undefined) {
    const meta = snapshot.signed.meta.get('targets');
    if (meta === undefined) throw new VouchError('METADATA_NOT_FOUND', 'targets is not listed in the snapshot', { details: { role: 'targets' } });
    tm.updateTargets(await fetch('targets', meta));
  }
  const queue: [string, string][] = (tm.targets?.signed.delegations.roles ?? []).map((d) => [d.name, 'targets']);
  while (queue.length > 0) {
    const [role, parent] = queue.shift()!;
    if (tm.targetsRole(role) !== undefined) continue;
    const meta = snapshot.signed.meta.get(role);
    if (meta === undefined) {
      tm.checkUnlisted(role, parent); // a role never published is skipped; one the trusted snapshot listed is not
      continue;
    }
    let md: Metadata<Targets>;
    try {
      md = tm.updateDelegatedTargets(await fetch(role, meta), role, parent);
    } catch (err) {
      if (isVouchError(err) && SKIPPABLE.has(err.code)) {
        warnings.push({ role, error: err });
        continue;
      }
      throw err;
    }
    for (const d of md.signed.delegations.roles) queue.push([d.name, role]);
  }
  return { warnings };
}

export interface FoundTarget {
  readonly name: string;
  /** The role whose file holds the target. */
  readonly role: string;
  readonly meta: FileMeta;
}

/**
 * notary GetTargetByName: for each start role in turn, walks its loaded subtree breadth-first
 * (skipping the other start roles' subtrees), visiting only roles whose paths allow `name`,
 * and returns the first match.
 */
export function findTarget(tm: TrustedMetadata, name: string, roles: readonly string[] = ['targets']): FoundTarget | undefined {
  for (const start of roles) {
    const skip = new Set(roles.filter((r) => r !== start));
    const queue = [start];
    while (queue.length > 0) {
      const role = queue.shift()!;
      if (skip.has(role)) continue;
      const loaded = tm.targetsRole(role);
      if (loaded === undefined || !isPathAllowed(name, loaded.paths)) continue;
      const meta = loaded.metadata.signed.targets.get(name);
      if (meta !== undefined) return { name, role, meta };
      for (const d of loaded.metadata.signed.delegations.roles) queue.push(d.name);
    }
  }
  return undefined;
}

export interface ResolvedTag {
  readonly tag: string;
  /** `sha256:<hex>` of the manifest. */
  readonly digest: string;
  readonly length: number;
  readonly role: string;
}

/**
 * docker's tag resolution (docker/cli cli/command/image/trust.go): search the targets/releases subtree, then targets and its
 * other delegations; accept the first match only if it is in targets/releases or targets; the
 * digest is hashes.sha256.
 */
export function resolveDockerTag(tm: TrustedMetadata, tag: string): ResolvedTag {
  const found = findTarget(tm, tag, [RELEASES_ROLE, 'targets']);
  if (found === undefined || (found.role !== RELEASES_ROLE && found.role !== 'targets')) {
    throw new VouchError('TAG_NOT_FOUND', `No trust data for ${tag}`, { details: { tag, role: found?.role ?? null } });
  }
  const sha = found.meta.hashes.get('sha256');
  if (sha === undefined || sha.byteLength !== 32) {
    throw new VouchError('INVALID_METADATA', `no valid hash for ${tag}, expecting sha256`, { details: { tag, role: found.role } });
  }
  return { tag, digest: `sha256:${toHex(sha)}`, length: found.meta.length, role: found.role };
}

/**
 * Every target of every loaded role, breadth-first from `targets`, that the role's paths allow,
 * with the role that signed it (one row per role and name).
 */
export function listTargets(tm: TrustedMetadata): FoundTarget[] {
  const out: FoundTarget[] = [];
  forEachTarget(tm, (name, role, meta) => { out.push({ name, role, meta }); });
  return out;
}

/** listTargets without the list: `fn` sees each target in the same order. */
export function forEachTarget(tm: TrustedMetadata, fn: (name: string, role: string, meta: FileMeta) => void): void {
  for (const role of walkLoaded(tm)) {
    const loaded = tm.targetsRole(role)!;
    const everything = loaded.paths.includes('');
    for (const [name, meta] of loaded.metadata.signed.targets) {
      if (everything || isPathAllowed(name, loaded.paths)) fn(name, role, meta);
    }
  }
}

export interface ListedDelegation extends DelegationRole {
  /** The delegating role. */
  readonly parent: string;
  /** The delegation's keys (from the parent's `delegations.keys`), by listed key ID. */
  readonly keys: ReadonlyMap<string, PublicKeyData>;
}

/** Every delegation declared in a loaded targets file, breadth-first (docker's signers). */
export function listDelegations(tm: TrustedMetadata): ListedDelegation[] {
  const out: ListedDelegation[] = [];
  for (const role of walkLoaded(tm)) {
    const md = tm.targetsRole(role)!.metadata.signed;
    for (const d of md.delegations.roles) {
      const keys = new Map(d.keyids.flatMap((id) => {
        const k = md.delegations.keys.get(id);
        return k === undefined ? [] : [[id, k] as const];
      }));
      out.push({ ...d, parent: role, keys });
    }
  }
  return out;
}

function* walkLoaded(tm: TrustedMetadata): Generator<string> {
  const queue = ['targets'];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const role = queue.shift()!;
    if (seen.has(role)) continue;
    seen.add(role);
    const loaded = tm.targetsRole(role);
    if (loaded === undefined) continue;
    yield role;
    for (const d of loaded.metadata.signed.delegations.roles) queue.push(d.name);
  }
}
