// The client side of trust policies: turn a verified repository into the facts the pure policy
// module evaluates (docs/policy.md, "For integrators"), verify the Notation and cosign signatures
// of the named signers the applying rule lists (policy-oci.ts), and check one image reference
// against a policy. Reading and validating the policy file is the CLI's job.
import { VouchError, isVouchError, toHex } from '../core/index.js';
import {
  evaluatePolicy, ociSignersOf, resolveSettings,
  type Decision, type ImageRef, type Policy, type TagSignature, type TrustFacts,
} from '../policy/index.js';
import { formatReference, gunOf, type ImageReference } from '../oci/reference.js';
import { listDelegations, resolveDockerTag, type ResolvedTag } from '../tuf/index.js';
import type { RevocationSources, VerificationPluginHost } from '../sig/index.js';
import { RepoHandle } from './repo.js';
import { safeCanonicalId } from './keyring.js';
import type { Session } from './session.js';
import type { VerifiedRepo } from './updater.js';

export { MAX_CANDIDATE_DIGESTS, MAX_POLICY_READS } from './limits.js';

/**
 * Every loaded role whose verified metadata lists `tag`, with the digest it binds, its effective
 * paths (restricted by every ancestor) and its key IDs. Roles whose paths do not cover the tag
 * are reported too: the policy refuses them instead of silently ignoring them as docker does.
 */
export function trustFacts(repo: VerifiedRepo, tag: string): TrustFacts {
  const tm = repo.trusted;
  // Canonical IDs, so that one key listed as a certificate in one delegation and as a bare key in
  // another is still one signer.
  const keyIds = new Map<string, string[]>();
  for (const d of listDelegations(tm)) {
    keyIds.set(d.name, d.keyids.map((id) => {
      const k = d.keys.get(id);
      return safeCanonicalId(k) ?? id;
    }));
  }
  const signatures: TagSignature[] = [];
  for (const role of tm.loadedTargetsRoles) {
    const loaded = tm.targetsRole(role);
    const meta = loaded?.metadata.signed.targets.get(tag);
    if (loaded === undefined || meta === undefined) continue;
    const sha = meta.hashes.get('sha256');
    // Without a sha256 there is no digest to bind; docker cannot pull such a target either.
    if (sha === undefined || sha.byteLength !== 32) continue;
    const digest = `sha256:${toHex(sha)}`;
    const ids = keyIds.get(role);
    // `targets` may sign every tag and has no delegation entry: no paths, no key IDs.
    signatures.push(role === 'targets' ? { role, digest } : { role, digest, paths: [...loaded.paths], ...(ids !== undefined ? { keyIds: ids } : {}) });
  }
  return { signatures };
}

/** The result of checking one image reference against a policy. */
export interface PolicyCheck {
  reference: ImageReference;
  /** What the policy was asked about: gun, tag (`latest` when none and no digest), digest. */
  image: ImageRef;
  decision: Decision;
  facts: TrustFacts;
  /** The verified repository; undefined when the trust server has no trust data for it (or no tag was given). */
  repo?: VerifiedRepo;
  /** The named Notation and cosign signers the applying rule lists (their signatures are in `facts.oci`). */
  ociSigners: string[];
}

/** What the Notation and cosign verification of a policy check may use besides the session. */
export interface PolicyCheckOptions {
  /** notation's configuration directory, for signers without `trustStoreDir` (default: from the session's environment) */
  notationConfigDir?: string;
  /** CRLs and OCSP for Notation's revocation check (without them, certificates that name revocation endpoints are inconclusive at level strict) */
  revocation?: RevocationSources;
  /** runs the Notation verification plugins signatures name */
  plugins?: VerificationPluginHost;
}

/** The policy's view of a reference: docker's `latest` when there is neither tag nor digest. */
export function policyImage(ref: ImageReference): ImageRef {
  const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  return { gun: gunOf(ref), ...(tag !== undefined ? { tag } : {}), ...(ref.digest !== undefined ? { digest: ref.digest } : {}) };
}

/**
 * Updates the repository's trust data, gathers the facts for the tag and evaluates the policy.
 * A repository without trust data yields no facts (the policy decides about unsigned tags);
 * trust data that does not verify throws, as a pull would. With `cacheWrites`, the trust cache
 * writes are handed over instead of awaited (see UpdaterOptions).
 */
export async function checkPolicy(
  s: Session, ref: ImageReference, policy: Policy, cacheWrites?: (done: Promise<void>) => void,
  /** where the verified trust data comes from instead of the trust server (a trust-data archive) */
  source?: () => Promise<VerifiedRepo | undefined>,
  options: PolicyCheckOptions = {},
): Promise<PolicyCheck> {
  const image = policyImage(ref);
  let repo: VerifiedRepo | undefined;
  let facts: TrustFacts = { signatures: [] };
  // A reference by digest alone has no tag, so no trust data can speak for it.
  if (image.tag !== undefined) {
    repo = source !== undefined ? await source() : await new RepoHandle(s, ref).load(cacheWrites);
    if (repo !== undefined) facts = trustFacts(repo, image.tag);
  }
  // Only the signers of the rule that applies are verified; a policy without them reads nothing more.
  const ociSigners = ociSignersOf(policy, resolveSettings(policy, image.gun, image.tag).settings);
  if (ociSigners.length > 0) {
    // The signature formats load only here: a rule of DCT signers alone (docker's) never needs them.
    const { ociFacts } = await import('./policy-oci.js');
    facts = { ...facts, oci: await ociFacts(s, ref, policy, ociSigners, facts, options) };
  }
  const decision = evaluatePolicy(policy, image, facts);
  return { reference: ref, image, decision, facts, ociSigners, ...(repo !== undefined ? { repo } : {}) };
}

/**
 * docker's resolution of the tag in a repository the policy has allowed, which must agree with the
 * policy's digest (docs/policy.md: the policy does not re-apply docker's targets/releases rule).
 * Throws POLICY_DENIED when a compliant decision names another digest than docker resolves.
 */
export function resolveAllowed(check: PolicyCheck, warn: (message: string) => void): ResolvedTag {
  const { repo, decision, reference } = check;
  const tag = check.image.tag as string;
  if (repo === undefined) throw new VouchError('INTERNAL', 'resolveAllowed needs trust data');
  let resolved: ResolvedTag;
  try {
    resolved = resolveDockerTag(repo.trusted, tag);
  } catch (err) {
    if (isVouchError(err, 'TAG_NOT_FOUND')) {
      throw new VouchError('TAG_NOT_FOUND', `No trust data for ${tag}: ${gunOf(reference)}:${tag} is not signed in targets or targets/releases`, {
        hint: `the policy accepts it, but docker resolves tags only through targets/releases and targets; list what is signed with: vouch trust inspect --pretty ${gunOf(reference)}`,
        cause: err,
        details: { decision },
      });
    }
    throw err;
  }
  if (decision.digest !== resolved.digest) {
    const msg = `${formatReference({ ...reference, tag })}: the policy accepts ${decision.digest ?? 'no digest'}, but the trust data resolves the tag to ${resolved.digest} (signed in ${resolved.role})`;
    // In audit mode a non-compliant decision is a report, not a verdict: docker's digest is pulled.
    if (!decision.compliant && decision.mode === 'audit') warn(`${msg}; allowed in audit mode`);
    else {
      throw new VouchError('POLICY_DENIED', msg, {
        hint: 'the signers disagree on this tag; have them re-sign one digest, or pin it with TAG@DIGEST',
        details: { decision, resolved: resolved.digest },
      });
    }
  }
  return resolved;
}
