// What the gate asks the policy, and what it keeps of the answers. Every decision comes from
// checkPolicy (src/client/policy.ts), the one entry point every consumer calls; this file only
// gathers what to ask (which tags of the trust data bind a digest) and caches the answers:
// the verified trust data per repository and the verdict per (repository, tag or digest, policy),
// each for no longer than the configured TTL nor past the earliest expiry of the trust material
// it rests on; concurrent identical checks share one verification (cache.ts).
import { sha256 } from '../core/index.js';
import { checkPolicy, resolveAllowed, type PolicyCheckOptions } from '../client/policy.js';
import { RepoHandle } from '../client/repo.js';
import type { Session } from '../client/session.js';
import type { VerifiedRepo } from '../client/updater.js';
import type { ImageReference } from '../oci/reference.js';
import type { CheckResult, Decision, Policy } from '../policy/index.js';
import { roleTargets } from '../tuf/index.js';
import { VerdictCache, type Expiring } from './cache.js';

export interface Verdict {
  allowed: boolean;
  /** the digest the signers signed (and docker resolves the tag to); undefined when the policy allows an unsigned tag */
  digest?: string;
  decision: Decision;
  /** why it is refused, naming the rule and what is missing; undefined when allowed */
  refusal?: string;
  /** notes that do not change the verdict (audit mode) */
  warnings: string[];
}

export interface VerdictCacheStats {
  hits: number;
  shared: number;
  misses: number;
  entries: number;
  running: number;
}

export interface VerdictOptions {
  policy: Policy;
  /** what the policy's Notation signers need (revocation sources, plugins, notation's config directory) */
  policyOptions?: PolicyCheckOptions;
  /** how long a verdict or verified trust data is kept at most (ms); 0 keeps nothing */
  ttlMs: number;
  maxEntries: number;
  now: () => number;
}

/** The most tags of one repository's trust data tried for a pull by digest. */
export const MAX_TAGS_PER_DIGEST = 64;

/** Where the trust data for a GUN comes from: a session per upstream (its trust server, TLS, credentials). */
export type SessionFor = (ref: ImageReference) => Session;

export class Verdicts {
  private readonly repos: VerdictCache<VerifiedRepo | undefined>;
  private readonly verdicts: VerdictCache<Verdict>;
  /** the policy's identity in cache keys: a gate that loads another policy never reuses a verdict */
  readonly policyId: string;

  constructor(private readonly sessionFor: SessionFor, private readonly o: VerdictOptions) {
    this.repos = new VerdictCache(o.maxEntries, o.now);
    this.verdicts = new VerdictCache(o.maxEntries, o.now);
    this.policyId = sha256(Buffer.from(JSON.stringify(o.policy))).toString('hex').slice(0, 16);
  }

  /** computations in flight, for tests and metrics */
  get inFlight(): number { return this.repos.inFlight + this.verdicts.inFlight; }

  /** The verdict cache's counts and size (for /metrics). */
  get stats(): VerdictCacheStats {
    return { ...this.verdicts.counts, entries: this.verdicts.size, running: this.inFlight };
  }

  /** The verified trust data of a repository (undefined: it has none), shared and kept as verdicts are. */
  private trustData(ref: ImageReference): Promise<Expiring<VerifiedRepo | undefined>> {
    const gun = `${ref.registry}/${ref.repository}`;
    return this.repos.get(gun, async () => {
      const repo = await new RepoHandle(this.sessionFor(ref), { registry: ref.registry, repository: ref.repository }).load();
      // Trust data read from the cache because the server could not be reached is used once, never kept.
      return { value: repo, expiresAt: repo !== undefined && !repo.fresh ? 0 : this.expiry(repo) };
    });
  }

  /** Now + TTL, and no later than the earliest expiry of the trust data's roles. */
  private expiry(repo: VerifiedRepo | undefined): number {
    let at = this.o.now() + this.o.ttlMs;
    if (repo === undefined) return at;
    const roles = [repo.root, repo.timestamp, repo.snapshot, repo.targets];
    for (const md of roles) at = Math.min(at, md.signed.expires.getTime());
    for (const role of repo.trusted.loadedTargetsRoles) {
      const loaded = repo.trusted.targetsRole(role);
      if (loaded !== undefined) at = Math.min(at, loaded.metadata.signed.expires.getTime());
    }
    return at;
  }

  /** The verdict for a tag: the policy's decision, and the digest a trusted pull resolves the tag to. */
  forTag(ref: ImageReference & { tag: string }): Promise<Expiring<Verdict>> {
    return this.verdicts.get(`${ref.registry}/${ref.repository}:${ref.tag} ${this.policyId}`, async () => {
      const trust = await this.trustData(ref);
      const s = this.sessionFor(ref);
      const tagRef: ImageReference = { registry: ref.registry, repository: ref.repository, tag: ref.tag };
      const check = await checkPolicy(s, tagRef, this.o.policy, undefined, async () => trust.value, this.o.policyOptions);
      const warnings: string[] = [];
      const { decision } = check;
      let digest = decision.digest;
      // As a trusted pull: docker's resolution of the tag must agree with the policy's digest. A rule
      // with Notation or cosign signers decides the digest itself, across kinds, as `vouch pull` does.
      if (decision.allowed && check.repo !== undefined && check.facts.signatures.length > 0 && check.ociSigners.length === 0) {
        digest = resolveAllowed(check, (m) => warnings.push(m)).digest;
      }
      const verdict: Verdict = { allowed: decision.allowed, decision, warnings, ...(digest !== undefined ? { digest } : {}) };
      if (!decision.allowed) verdict.refusal = refusal(decision);
      return { value: verdict, expiresAt: trust.expiresAt };
    });
  }

  /**
   * The verdict for a manifest asked for by digest alone: the policy's answer for the digest
   * itself (an unsigned image where the policy allows those), else the first tag of the trust
   * data that binds this digest and that the policy allows as the signed digest.
   */
  forDigest(ref: ImageReference & { digest: string }): Promise<Expiring<Verdict>> {
    return this.verdicts.get(`${ref.registry}/${ref.repository}@${ref.digest} ${this.policyId}`, async () => {
      const trust = await this.trustData(ref);
      const s = this.sessionFor(ref);
      const bare: ImageReference = { registry: ref.registry, repository: ref.repository, digest: ref.digest };
      const own = await checkPolicy(s, bare, this.o.policy, undefined, async () => trust.value, this.o.policyOptions);
      if (own.decision.allowed) return { value: { allowed: true, digest: ref.digest, decision: own.decision, warnings: [] }, expiresAt: trust.expiresAt };
      let last: Decision | undefined;
      for (const tag of tagsBinding(trust.value, ref.digest)) {
        // The policy's view of TAG@DIGEST, as `vouch verify IMAGE:TAG@DIGEST` asks it (requirePin holds).
        const pinned: ImageReference = { registry: ref.registry, repository: ref.repository, tag, digest: ref.digest };
        const { decision } = await checkPolicy(s, pinned, this.o.policy, undefined, async () => trust.value, this.o.policyOptions);
        if (decision.allowed && decision.digest === ref.digest) return { value: { allowed: true, digest: ref.digest, decision, warnings: [] }, expiresAt: trust.expiresAt };
        last = decision;
      }
      const why = last === undefined
        ? `no tag in the trust data is signed with ${ref.digest}, and ${refusal(own.decision)}`
        : `${ref.digest} is signed for a tag, but not as the policy requires: ${refusal(last)}`;
      return { value: { allowed: false, decision: last ?? own.decision, refusal: why, warnings: [] }, expiresAt: trust.expiresAt };
    });
  }
}

/** The tags whose signed sha256 is `digest`, in any loaded role, each once, at most MAX_TAGS_PER_DIGEST. */
export function tagsBinding(repo: VerifiedRepo | undefined, digest: string): string[] {
  if (repo === undefined || !digest.startsWith('sha256:')) return [];
  const hex = digest.slice('sha256:'.length);
  const tags = new Set<string>();
  for (const t of roleTargets(repo.trusted)) {
    if (t.sha256 === hex) tags.add(t.tag);
    if (tags.size >= MAX_TAGS_PER_DIGEST) break;
  }
  return [...tags];
}

/** A refusal as the client sees it: the rule that decided and every failed check (which names the missing signer). */
export function refusal(d: Decision): string {
  const rule = d.rule.repository === undefined ? 'the policy defaults' : `rule '${d.rule.name}' (${d.rule.repository}${d.rule.tag !== undefined ? `, tags '${d.rule.tag}'` : ''})`;
  const failed = d.reasons.filter((c: CheckResult) => c.status === 'fail');
  const what = failed.length > 0 ? failed.map((c) => `${c.check}: ${c.message}`).join('; ') : d.summary;
  return `denied by ${rule}: ${what}`;
}
