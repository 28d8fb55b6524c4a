// One image under the policy, through the client's one entry point (checkPolicy in
// src/client/policy.ts), reduced to what admission needs: the verdict, the digest to pin, which
// rule decided and which checks failed, and how long the trust material behind it holds.
import { isVouchError } from '../core/index.js';
import { checkPolicy, resolveAllowed, type PolicyCheck, type PolicyCheckOptions } from '../client/policy.js';
import { RepoHandle } from '../client/repo.js';
import type { Session } from '../client/session.js';
import type { VerifiedRepo } from '../client/updater.js';
import { formatReference, gunOf, type ImageReference } from '../oci/reference.js';
import type { Decision, Policy } from '../policy/index.js';
import type { ImageVerdict } from './verdicts.js';

/** `rule 'payments' (tags 'prod-*')`, or the defaults when no rule matched. */
export function describeRule(d: Decision): string {
  if (d.rule.repository === undefined) return "the policy's defaults";
  return `rule '${d.rule.name}'${d.rule.tag !== undefined ? ` (tags '${d.rule.tag}')` : ''}`;
}

/**
 * The moment the trust material behind a check stops holding: the earliest expiry of the verified
 * roles (root, timestamp, snapshot, targets and every loaded delegation). Undefined without trust data.
 */
export function trustValidUntil(check: PolicyCheck): number | undefined {
  const repo = check.repo;
  if (repo === undefined) return undefined;
  let until = Math.min(repo.root.signed.expires.getTime(), repo.timestamp.signed.expires.getTime(), repo.snapshot.signed.expires.getTime(), repo.targets.signed.expires.getTime());
  for (const role of repo.trusted.loadedTargetsRoles) {
    const loaded = repo.trusted.targetsRole(role);
    if (loaded !== undefined) until = Math.min(until, loaded.metadata.signed.expires.getTime());
  }
  return until;
}

/** The normalised reference as the policy sees it (docker's `latest` when there is neither tag nor digest). */
export function normalisedReference(ref: ImageReference): string {
  return formatReference(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref);
}

/**
 * Concurrent loads of one repository's trust data share one update: the files are the same for
 * every tag, so a pod of eight tags of one repository asks the trust server once, not eight times.
 * Nothing is kept once a load settles (the verdict cache keeps what is decided).
 */
export class SharedRepoLoads {
  private readonly loading = new Map<string, Promise<VerifiedRepo | undefined>>();

  constructor(private readonly s: Session) {}

  get inFlight(): number { return this.loading.size; }

  async load(ref: ImageReference): Promise<VerifiedRepo | undefined> {
    const gun = gunOf(ref);
    let p = this.loading.get(gun);
    if (p === undefined) {
      // Trust-cache writes are handed over: the verdict does not wait for the disk.
      const loading = new RepoHandle(this.s, ref).load((done) => { done.catch(() => undefined); });
      p = loading;
      this.loading.set(gun, loading);
      const forget = (): void => { if (this.loading.get(gun) === loading) this.loading.delete(gun); };
      loading.then(forget, forget);
    }
    return p;
  }
}

/** Checks one image; never throws for what the image or its trust data is (that is the verdict). */
export async function checkImage(s: Session, ref: ImageReference, policy: Policy, loads: SharedRepoLoads = new SharedRepoLoads(s), options: PolicyCheckOptions = {}): Promise<ImageVerdict> {
  const reference = normalisedReference(ref);
  try {
    const check = await checkPolicy(s, ref, policy, undefined, () => loads.load(ref), options);
    const d = check.decision;
    const verdict: ImageVerdict = {
      reference, allowed: d.allowed, compliant: d.compliant, rule: describeRule(d), summary: d.summary,
      failed: d.reasons.filter((r) => r.status === 'fail').map(({ check: c, message }) => ({ check: c, message })),
    };
    const until = trustValidUntil(check);
    if (until !== undefined) verdict.validUntil = until;
    // What a pull would do next (as `vouch verify`): docker's resolution of the tag must agree with
    // the policy's digest, else the image is denied (POLICY_DENIED, caught below). A rule with
    // Notation or cosign signers decides the digest itself, across kinds, as `vouch pull` does.
    if (d.allowed && check.repo !== undefined && check.facts.signatures.length > 0 && ref.digest === undefined && check.ociSigners.length === 0) {
      resolveAllowed(check, () => undefined);
    }
    if (d.allowed && d.compliant && d.digest !== undefined && ref.digest === undefined) verdict.digest = d.digest;
    return verdict;
  } catch (err) {
    if (!isVouchError(err)) throw err;
    return {
      reference, allowed: false, compliant: false, failed: [],
      error: { code: err.code, outcome: err.outcome, message: err.message, ...(err.hint !== undefined ? { hint: err.hint } : {}) },
    };
  }
}
