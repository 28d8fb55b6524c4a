// vouch migrate: carry DCT-signed tags over to OCI signatures. The repository's trust data is
// verified as a pull verifies it; every (tag, signer role) it holds becomes one OCI signature of
// the same digest, made with the key the user maps to that role, carrying where it came from
// (the GUN, the role, its key IDs, the role's metadata version). A signature already there (made
// by the mapped key, for the same role) is not made again, so a second run changes nothing.
// Kinds: cosign (the legacy `.sig` format, provenance in the simple-signing payload's `optional`)
// and Notation (provenance as the signature's user metadata: annotations of the signed target
// descriptor, which `notation verify -m KEY=VALUE` checks).
import type { KeyObject } from 'node:crypto';
import { RELEASES_ROLE, VouchError, isVouchError, sha256, type ErrorCode } from '../core/index.js';
import { displaySigner, parseSigner, type EffectiveSettings } from '../policy/index.js';
import { gunOf, type ImageReference } from '../oci/reference.js';
import type { SignatureFormat } from '../sig/index.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import { trustFacts } from './policy.js';
import { signCosign, verifyCosign } from './cosign.js';
import { RegistrySignatureStore, signNotation } from './notation.js';
import { readImageSignatures } from './signatures.js';

/** Annotations every migrated signature carries (signed: in the payload, not beside it). */
export const PROVENANCE = {
  from: 'dev.vouch.migrated-from',
  gun: 'dev.vouch.dct.gun',
  role: 'dev.vouch.dct.role',
  keyIds: 'dev.vouch.dct.keyids',
  version: 'dev.vouch.dct.version',
} as const;

export type MigrationKind = 'cosign' | 'notation';
export const MIGRATION_KINDS: readonly MigrationKind[] = ['cosign', 'notation'];

/** A Notation signing key: the private key and its certificate chain (DER, leaf first). */
export interface NotationMappedKey { privateKey: KeyObject; chain: readonly Uint8Array[]; /** the key's name or files, for messages */ name: string }

/** The new key of one DCT signer role. */
export interface RoleMapping { cosign?: { key: KeyObject; publicKey: KeyObject; file: string }; notation?: NotationMappedKey }

export interface MigrationOptions {
  /** the envelope of new Notation signatures (default jws, as notation) */
  notationFormat?: SignatureFormat;
}

/**
 * How many Notation signatures of an image are read when looking for one already made: a second
 * run must find its own signature among others, not read an unbounded list.
 */
const MAX_NOTATION_SIGNATURES_READ = 50;

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
  /**
   * the signature made or found: Notation, the signature manifest's digest; cosign, the `.sig`
   * tag's repository and the payload layer's digest
   */
  signature?: string;
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
          const existing = await existingSignature(s, image, mapping.get(f.role) as RoleMapping, to, { [PROVENANCE.role]: f.role, [PROVENANCE.gun]: gun });
          plan.items.push(existing !== undefined ? { ...item, action: 'present', signature: existing } : item);
        } catch (err) {
          if (!isVouchError(err)) throw err;
          plan.items.push({ ...item, action: 'refused', reason: err.message });
        }
      }
    }
  }
  return plan;
}

/**
 * The signature of `kind` the role's mapped key already made on `image` with this provenance
 * (`wanted`: role and GUN), or undefined. cosign: a `.sig` layer that verifies with the key and
 * carries the provenance. Notation: a signature that verifies structurally, signs this image, was
 * made with the mapped leaf certificate, carries the provenance as user metadata, and has not
 * expired (neither it nor a certificate of its chain): an expired one is made again.
 */
async function existingSignature(s: Session, image: ImageReference & { digest: string }, key: RoleMapping, kind: MigrationKind, wanted: Record<string, string>): Promise<string | undefined> {
  if (kind === 'cosign') {
    const found = await verifyCosign(s, image, (key.cosign as NonNullable<RoleMapping['cosign']>).publicKey, { annotations: wanted });
    return found.verified.length > 0 ? `${found.reference}:${found.signatureTag}` : undefined;
  }
  const leaf = sha256((key.notation as NotationMappedKey).chain[0] as Uint8Array).toString('hex'); // a certificate's thumbprint, as sig names them
  const read = await readImageSignatures(notationStore(s, image), image.digest, [], MAX_NOTATION_SIGNATURES_READ);
  if (read.error !== undefined) throw new VouchError(read.error.code as ErrorCode, read.error.message); // a VouchError's code, kept
  const now = s.now().getTime();
  const match = read.signatures.find(({ facts }) => facts.problem === undefined
    && facts.chain[0]?.thumbprint === leaf
    && Object.entries(wanted).every(([k, v]) => facts.userMetadata?.[k] === v)
    && (facts.expiry === undefined || facts.expiry.getTime() > now)
    && facts.chain.every((c) => c.notAfter.getTime() > now));
  return match?.digest;
}

const notationStore = (s: Session, image: Pick<ImageReference, 'registry' | 'repository'>): RegistrySignatureStore =>
  new RegistrySignatureStore(s.registryFor(image.registry), image.repository);

/** Makes one signature of `item`; returns what names it. */
async function makeSignature(s: Session, ref: Pick<ImageReference, 'registry' | 'repository'>, item: MigrationItem, key: RoleMapping, opts: MigrationOptions): Promise<string> {
  const image = { registry: ref.registry, repository: ref.repository, digest: item.digest };
  const annotations = item.annotations ?? {};
  if (item.to === 'cosign') {
    const made = await signCosign(s, image, (key.cosign as NonNullable<RoleMapping['cosign']>).key, { annotations });
    return `${made.repository}:${made.signatureTag}`;
  }
  const k = key.notation as NotationMappedKey;
  const made = await signNotation({
    store: notationStore(s, ref), reference: item.digest, key: { privateKey: k.privateKey, chain: k.chain }, now: s.now(), userMetadata: annotations,
    format: opts.notationFormat ?? 'jws',
  });
  return made.signature.digest;
}

/**
 * Makes the signatures a plan calls for; returns the plan with each made item's outcome. Tags
 * that share a digest share its signature: one is made per (digest, role, kind).
 */
export async function runMigration(s: Session, ref: Pick<ImageReference, 'registry' | 'repository'>, plan: MigrationPlan, mapping: ReadonlyMap<string, RoleMapping>, opts: MigrationOptions = {}): Promise<MigrationPlan> {
  const items: MigrationItem[] = [];
  const made = new Map<string, MigrationItem>();
  for (const item of plan.items) {
    if (item.action !== 'sign') { items.push(item); continue; }
    const key = mapping.get(item.role);
    if (key?.[item.to] === undefined) throw new VouchError('INTERNAL', `no ${item.to} key for ${item.role}`);
    const once = `${item.digest}\n${item.role}\n${item.to}`;
    const before = made.get(once);
    if (before !== undefined) { items.push({ ...item, action: before.action, ...(before.signature ? { signature: before.signature } : {}), ...(before.reason ? { reason: before.reason } : {}) }); continue; }
    let outcome: MigrationItem;
    try {
      outcome = { ...item, signature: await makeSignature(s, ref, item, key, opts) };
    } catch (err) {
      if (!isVouchError(err)) throw err;
      outcome = { ...item, action: 'refused', reason: err.message };
    }
    made.set(once, outcome);
    items.push(outcome);
  }
  return { ...plan, items };
}

/** One migrated identity as the one policy names it (/work shape: `signers: { NAME: { KIND: {...} } }`). */
export interface PolicySigner {
  /** the DCT role it carries over */
  role: string;
  kind: MigrationKind;
  /** the kind's settings: notation `{ trustStore, identities, level }`, cosign `{ key }` */
  settings: Record<string, unknown>;
}

/** The policy in force for one migrated repository (resolveSettings of the policy before the move). */
export interface RepositoryTrust {
  gun: string;
  /** the DCT roles that signed its migrated tags */
  roles: readonly string[];
  settings: EffectiveSettings;
}

/** `alice-notation`, `repo-admin-cosign`: a policy name for a role's new identity. */
export const policySignerName = (role: string, kind: MigrationKind): string =>
  `${displaySigner(role).toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}-${kind}`;

/**
 * The policy that expresses, in the new signature kinds, the trust the DCT policy gave each
 * repository: a rule per repository whose signers are the new identities of the DCT signers it
 * allowed (`any`: every role that signed, targets/releases only when no named role did — it holds
 * every signer's key, so it counted only then), with the threshold and the other settings kept.
 * A role is one signer, of the first kind in `kinds` it has an identity of: one signer with two
 * kinds would count twice towards k of n. Pure; throws INVALID_POLICY when the trust cannot be
 * kept (a threshold above the identities there are, an allowed signer without one).
 */
export function migrationPolicy(repos: readonly RepositoryTrust[], identities: readonly PolicySigner[], kinds: readonly MigrationKind[]): Record<string, unknown> {
  const chosen = new Map<string, PolicySigner>();
  for (const kind of kinds) for (const id of identities) if (id.kind === kind && !chosen.has(id.role)) chosen.set(id.role, id);
  const signers: Record<string, unknown> = {};
  const rules: Record<string, unknown>[] = [];
  for (const repo of repos) {
    const s = repo.settings;
    let roles: string[];
    if (s.signers === 'any') {
      const named = repo.roles.filter((r) => r !== RELEASES_ROLE);
      roles = [...new Set(named.length > 0 ? named : repo.roles)];
    } else {
      roles = s.signers.map((name) => { const p = parseSigner(name); return 'role' in p ? p.role : name; });
    }
    const missing = roles.filter((r) => !chosen.has(r));
    if (missing.length > 0) {
      throw new VouchError('INVALID_POLICY', `${repo.gun}: the policy allows ${missing.map(displaySigner).join(', ')}, who ${missing.length === 1 ? 'has' : 'have'} no ${kinds.join(' or ')} key in the mapping: the same trust cannot be written`, { hint: 'map every allowed signer, or write the policy by hand' });
    }
    const names = roles.map((r) => { const id = chosen.get(r) as PolicySigner; const name = policySignerName(r, id.kind); signers[name] = { [id.kind]: id.settings }; return name; }).sort();
    if (s.threshold > names.length) {
      throw new VouchError('INVALID_POLICY', `${repo.gun}: the policy asks for ${s.threshold} signers and ${names.length} have new identities (${names.join(', ')}): the same trust cannot be written`, { hint: 'map more signers, or lower the threshold first' });
    }
    rules.push({
      name: `migrated from DCT: ${repo.gun}`, repositories: [repo.gun], signers: names, threshold: s.threshold,
      mode: s.mode, rejectUnsigned: s.rejectUnsigned, requirePin: s.requirePin, requireAgreement: s.requireAgreement,
    });
  }
  return { version: 1, signers, rules };
}
