// vouch migrate: carry DCT-signed tags over to OCI signatures. The repository's trust data is
// verified as a pull verifies it; every (tag, signer role) it holds becomes one OCI signature of
// the same digest, made with the key the user maps to that role, carrying where it came from
// (the GUN, the role, its key IDs, the role's metadata version). A signature already there (made
// by the mapped key, for the same role) is not made again, so a second run changes nothing.
import type { KeyObject } from 'node:crypto';
import { VouchError, isVouchError } from '../core/index.js';
import { gunOf, type ImageReference } from '../oci/reference.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import { trustFacts } from './policy.js';
import { signCosign, verifyCosign } from './cosign.js';

/** Annotations every migrated signature carries (signed: in the payload, not beside it). */
export const PROVENANCE = {
  from: 'dev.vouch.migrated-from',
  gun: 'dev.vouch.dct.gun',
  role: 'dev.vouch.dct.role',
  keyIds: 'dev.vouch.dct.keyids',
  version: 'dev.vouch.dct.version',
} as const;

export type MigrationKind = 'cosign';

/** The new key of one DCT signer role. */
export interface RoleMapping { cosign?: { key: KeyObject; publicKey: KeyObject; file: string } }

export interface MigrationItem {
  tag: string;
  digest: string;
  /** the DCT role that signed the tag (targets, targets/releases, targets/<signer>) */
  role: string;
  to: MigrationKind;
  /** sign: to be made (or made); present: already there; unmapped: no key for the role; refused: see reason */
  action: 'sign' | 'present' | 'unmapped' | 'refused';
  reason?: string;
  annotations?: Record<string, string>;
}

export interface MigrationPlan {
  repository: string;
  /** the trust data's targets version when planned */
  targetsVersion: number;
  items: MigrationItem[];
  /** tags asked for that no DCT role signs */
  unsigned: string[];
  /** delegation roles whose metadata did not verify: nothing they sign is migrated */
  refusedRoles: { role: string; reason: string }[];
}

/**
 * What a migration would do for `ref` (all signed tags, or `tags`): verifies the trust data (a
 * failure is thrown: nothing is migrated from data that does not verify), then checks, per tag and
 * role, whether the mapped key's signature is already in the registry.
 */
export async function planMigration(s: Session, ref: Pick<ImageReference, 'registry' | 'repository'>, mapping: ReadonlyMap<string, RoleMapping>, opts: { tags?: readonly string[]; to: readonly MigrationKind[] }): Promise<MigrationPlan> {
  const handle = new RepoHandle(s, { ...ref });
  const repo = await handle.loadExisting();
  const gun = gunOf(ref);
  const signed = new Set<string>();
  for (const role of repo.trusted.loadedTargetsRoles) for (const tag of repo.trusted.targetsRole(role)?.metadata.signed.targets.keys() ?? []) signed.add(tag);
  const wanted = opts.tags ?? [...signed].sort();
  const plan: MigrationPlan = {
    repository: gun, targetsVersion: repo.targets.signed.version, items: [], unsigned: [],
    refusedRoles: repo.skipped.map((w) => ({ role: w.role, reason: w.error.message })),
  };
  for (const tag of wanted) {
    const facts = trustFacts(repo, tag).signatures;
    if (facts.length === 0) { plan.unsigned.push(tag); continue; }
    for (const f of facts) {
      const loaded = repo.trusted.targetsRole(f.role);
      const annotations: Record<string, string> = {
        [PROVENANCE.from]: 'dct', [PROVENANCE.gun]: gun, [PROVENANCE.role]: f.role,
        [PROVENANCE.keyIds]: (f.keyIds ?? repo.root.signed.roles.targets.keyids).join(','),
        [PROVENANCE.version]: String(loaded?.metadata.signed.version ?? 0),
      };
      for (const to of opts.to) {
        const item: MigrationItem = { tag, digest: f.digest, role: f.role, to, action: 'sign', annotations };
        const key = mapping.get(f.role)?.[to];
        if (key === undefined) {
          plan.items.push({ ...item, action: 'unmapped', reason: `no ${to} key is mapped to ${f.role}` });
          continue;
        }
        try {
          const image = { registry: ref.registry, repository: ref.repository, digest: f.digest };
          const existing = await verifyCosign(s, image, key.publicKey, { annotations: { [PROVENANCE.role]: f.role, [PROVENANCE.gun]: gun } });
          plan.items.push(existing.verified.length > 0 ? { ...item, action: 'present' } : item);
        } catch (err) {
          if (!isVouchError(err)) throw err;
          plan.items.push({ ...item, action: 'refused', reason: err.message });
        }
      }
    }
  }
  return plan;
}

/** Makes the signatures a plan calls for; returns the plan with each made item's outcome. */
export async function runMigration(s: Session, ref: Pick<ImageReference, 'registry' | 'repository'>, plan: MigrationPlan, mapping: ReadonlyMap<string, RoleMapping>): Promise<MigrationPlan> {
  const items: MigrationItem[] = [];
  for (const item of plan.items) {
    if (item.action !== 'sign') { items.push(item); continue; }
    const key = mapping.get(item.role)?.[item.to];
    if (key === undefined) throw new VouchError('INTERNAL', `no ${item.to} key for ${item.role}`);
    try {
      await signCosign(s, { registry: ref.registry, repository: ref.repository, digest: item.digest }, key.key, item.annotations ? { annotations: item.annotations } : {});
      items.push(item);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      items.push({ ...item, action: 'refused', reason: err.message });
    }
  }
  return { ...plan, items };
}
