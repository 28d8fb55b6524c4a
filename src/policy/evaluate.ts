// Policy evaluation: policy + image reference + verified trust facts -> a decision with one
// result per check (notation-go's "one ValidationResult per check" model, so audit mode is only
// a different verdict over the same results). Pure and synchronous.
import { VouchError } from '../core/errors.js';
import { compareSpecificity, matchRepository, matchTag, specificity } from './pattern.js';
import type { Specificity } from './pattern.js';
import { RELEASES_ROLE, TARGETS_ROLE } from '../core/index.js';
import { displaySigner, pathsAllow } from './signer.js';
import type {
  AppliedRule, CheckName, CheckResult, CheckStatus, Decision, EffectiveSettings, ImageRef, OciSignatureFact, Policy, Rule, RuleSettings, SignatureReport, TagRule, TagSignature, TrustFacts,
} from './types.js';

/** Built-in settings: what applies when neither `defaults` nor a rule says otherwise. */
export const BUILTIN_SETTINGS = {
  mode: 'enforce',
  rejectUnsigned: true,
  requirePin: false,
  requireAgreement: false,
  signers: 'any',
  threshold: 1,
} as const;

/** The policy used when the user has none: reject unsigned tags, any signer, enforce. */
export const DEFAULT_POLICY: Policy = { version: 1, defaults: { tags: [] }, rules: [] };

export interface Resolution {
  settings: EffectiveSettings;
  rule: AppliedRule;
}

function pick<T>(candidates: readonly T[], patternOf: (c: T) => string, orderOf: (c: T) => number): T | undefined {
  let best: { c: T; s: Specificity } | undefined;
  for (const c of candidates) {
    const s = specificity(patternOf(c));
    // Equal specificity: the earlier entry in the file wins (candidates arrive in file order).
    if (best === undefined || compareSpecificity(s, best.s) < 0 || (compareSpecificity(s, best.s) === 0 && orderOf(c) < orderOf(best.c))) best = { c, s };
  }
  return best?.c;
}

/** The rule whose best-matching repository pattern is most specific, and that pattern. */
export function selectRule(policy: Policy, gun: string): { rule: Rule; pattern: string } | undefined {
  const matches: { rule: Rule; pattern: string }[] = [];
  for (const rule of policy.rules) {
    const hit = pick(rule.repositories.filter((p) => matchRepository(p, gun)), (p) => p, () => 0);
    if (hit !== undefined) matches.push({ rule, pattern: hit });
  }
  return pick(matches, (m) => m.pattern, (m) => m.rule.index);
}

/** The most specific tag entry matching `tag`. */
export function selectTagRule(tags: readonly TagRule[], tag: string): TagRule | undefined {
  return pick(tags.filter((t) => matchTag(t.pattern, tag)), (t) => t.pattern, (t) => tags.indexOf(t));
}

function settingsOf(level: RuleSettings): RuleSettings {
  const out: RuleSettings = {};
  if (level.mode !== undefined) out.mode = level.mode;
  if (level.rejectUnsigned !== undefined) out.rejectUnsigned = level.rejectUnsigned;
  if (level.requirePin !== undefined) out.requirePin = level.requirePin;
  if (level.requireAgreement !== undefined) out.requireAgreement = level.requireAgreement;
  if (level.signers !== undefined) out.signers = level.signers;
  if (level.threshold !== undefined) out.threshold = level.threshold;
  if (level.require !== undefined) out.require = level.require;
  return out;
}

/** The settings that apply to `gun:tag`: built-in < defaults < rule < tag entry. */
export function resolveSettings(policy: Policy, gun: string, tag?: string): Resolution {
  const hit = selectRule(policy, gun);
  const tags = hit ? hit.rule.tags : policy.defaults.tags;
  const tagRule = tag === undefined ? undefined : selectTagRule(tags, tag);
  const cascade = {
    ...BUILTIN_SETTINGS,
    ...settingsOf(policy.defaults),
    ...(hit ? settingsOf(hit.rule) : {}),
    ...(tagRule ? settingsOf(tagRule) : {}),
  };
  const rule: AppliedRule = hit ? { name: hit.rule.name, repository: hit.pattern } : { name: 'defaults' };
  let threshold: number;
  if (cascade.threshold === 'all') {
    // Validation refuses `threshold: all` with `signers: any`; a policy built by hand is refused here.
    if (cascade.signers === 'any') throw new VouchError('INVALID_POLICY', `threshold 'all' needs a list of signers, not \`any\` (${rule.name})`);
    threshold = cascade.signers.length;
  } else threshold = cascade.threshold;
  const settings: EffectiveSettings = { ...cascade, threshold };
  if (tagRule) rule.tag = tagRule.pattern;
  const line = tagRule?.line ?? hit?.rule.line;
  if (line !== undefined) rule.line = line;
  return { settings, rule };
}

function short(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 && digest.length > i + 13 ? `${digest.slice(0, i + 13)}…` : digest;
}

/** Display names, sorted; targets/releases is left out next to real signers, as docker trust inspect does. */
function names(roles: readonly string[], label: (role: string) => string = displaySigner): string {
  const named = roles.filter((r) => r !== RELEASES_ROLE);
  return [...new Set((named.length > 0 ? named : roles).map(label))].sort().join(', ');
}

/** The Notation and cosign signers a policy defines, by name. */
function ociKinds(policy: Policy): Map<string, 'notation' | 'cosign'> {
  const out = new Map<string, 'notation' | 'cosign'>();
  for (const [name, def] of Object.entries(policy.signers ?? {})) if (def.kind !== 'dct') out.set(name, def.kind);
  return out;
}

/** The named Notation and cosign signers the settings list (the ones a client verifies for this image). */
export function ociSignersOf(policy: Policy, settings: EffectiveSettings): string[] {
  const kinds = ociKinds(policy);
  // `require` groups name a subset of `signers` (validation says so).
  return settings.signers === 'any' ? [] : settings.signers.filter((s) => kinds.has(s));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Distinct signers among the signatures on one digest. Roles that share a key are one signer;
 * targets/releases holds every signer's key, so it only counts when no named role signed.
 */
function countSigners(sigs: readonly TagSignature[]): number {
  const named = [...new Map(sigs.filter((s) => s.role !== RELEASES_ROLE).map((s) => [s.role, s])).values()];
  if (named.length === 0) return sigs.length > 0 ? 1 : 0;
  const parent = named.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i] as number)));
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const a = named[i]?.keyIds ?? [];
      const b = new Set(named[j]?.keyIds ?? []);
      if (a.some((k) => b.has(k))) parent[find(i)] = find(j);
    }
  }
  return new Set(named.map((_, i) => find(i))).size;
}

function verdict(ref: ImageRef): string {
  return `${ref.gun}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/**
 * Evaluates the policy for one image. `facts` must come from verified trust data; the
 * decision says whether to allow it, which digest to use, and why, check by check.
 */
export function evaluatePolicy(policy: Policy, ref: ImageRef, facts: TrustFacts): Decision {
  if (typeof ref.gun !== 'string' || ref.gun === '') throw new VouchError('INVALID_ARGUMENT', 'policy evaluation needs the repository name (GUN)');
  const { settings, rule } = resolveSettings(policy, ref.gun, ref.tag);
  const decision = evaluateOnce(policy, ref, facts, settings, rule);
  if (decision.compliant) return decision;
  // Failed, or undecided? Undecided when the signatures that could not be verified would have
  // made it compliant: the same evaluation with them counted as passed says so.
  const named = ociSignersOf(policy, settings);
  const pending = (facts.oci ?? []).filter((f) => f.status === 'inconclusive' && named.includes(f.signer));
  if (pending.length === 0) return decision;
  // A fact without a digest (the registry could not resolve the tag) stands for the digest nobody could read.
  const hopeful = (facts.oci ?? []).map((f) => (pending.includes(f) ? { ...f, status: 'passed' as const, digest: f.digest ?? ref.digest ?? candidateDigest(facts) ?? UNREAD_DIGEST } : f));
  const promoted = evaluateOnce(policy, ref, { ...facts, oci: hopeful }, settings, rule);
  if (!promoted.compliant) return decision;
  const label = ociKinds(policy);
  const why = [...new Set(pending.map((f) => `${f.signer} (${label.get(f.signer) ?? f.kind})${f.message !== undefined ? `: ${f.message}` : ''}`))].join('; ');
  const summary = decision.allowed ? `${decision.summary}; undecided: ${why}` : `denied (inconclusive): ${verdict(ref)}: could not verify ${why}`;
  return { ...decision, outcome: 'inconclusive', summary };
}

/** Only ever counted in the hypothetical evaluation above, never reported. */
const UNREAD_DIGEST = 'sha256:unread';

/** Some digest a signer vouched for (for an undecided fact that names none, when testing whether it could matter). */
function candidateDigest(facts: TrustFacts): string | undefined {
  return facts.signatures[0]?.digest ?? facts.oci?.find((f) => f.digest !== undefined)?.digest;
}

function evaluateOnce(policy: Policy, ref: ImageRef, facts: TrustFacts, settings: EffectiveSettings, rule: AppliedRule): Decision {
  const results = new Map<CheckName, CheckResult>();
  const put = (check: CheckName, status: CheckStatus, message: string): void => void results.set(check, { check, status, message });
  const where = `${rule.repository === undefined ? 'defaults' : `rule '${rule.name}'`}${rule.tag !== undefined ? `, tags '${rule.tag}'` : ''}`;
  const tag = ref.tag;
  const pin = ref.digest?.toLowerCase();
  const sigs = facts.signatures.map((s) => ({ ...s, digest: s.digest.toLowerCase() }));
  let digest: string | undefined = pin;
  // Notation and cosign signatures count as signatures by their signer's name on their digest, when
  // the applying settings name that signer (never under `signers: any`).
  const kinds = ociKinds(policy);
  const named = ociSignersOf(policy, settings);
  const label = (role: string): string => (kinds.has(role) ? `${role} (${kinds.get(role) as string})` : displaySigner(role));
  const nm = (roles: readonly string[]): string => names(roles, label);
  const ociFacts = facts.oci ?? [];
  const ociAccepted = ociFacts.filter((f) => named.includes(f.signer));
  const ociPassed: TagSignature[] = ociAccepted.filter((f) => f.status === 'passed' && f.digest !== undefined).map((f) => ({ role: f.signer, digest: (f.digest as string).toLowerCase() }));
  const all = [...sigs, ...ociPassed];
  // What the named Notation and cosign signers did not manage, for the messages.
  const ociMissing = (): string => {
    const passedBy = new Set(ociPassed.map((s) => s.role));
    const notes = named.filter((n) => !passedBy.has(n)).map((n) => {
      const fs = ociAccepted.filter((f) => f.signer === n);
      const undecided = fs.find((f) => f.status === 'inconclusive');
      if (undecided !== undefined) return `${label(n)} could not be verified${undecided.message !== undefined ? ` (${undecided.message})` : ''}`;
      const failed = fs.find((f) => f.message !== undefined);
      return fs.length === 0 ? `${label(n)} was not checked` : `${label(n)} did not verify${failed ? ` (${failed.message as string})` : ''}`;
    });
    return notes.length > 0 ? `; ${notes.join('; ')}` : '';
  };
  const what = tag !== undefined ? `'${tag}'` : `'${verdict(ref)}'`;

  const skipSignatureChecks = (why: string): void => {
    for (const c of ['signer', 'paths', 'threshold', 'agreement'] as const) put(c, 'skip', why);
    if (settings.require !== undefined) put('require', 'skip', why);
  };

  // signed: is there any trust data for the tag at all?
  let signed = false;
  if (tag === undefined && ociPassed.length === 0) {
    const msg = `'${verdict(ref)}' has no tag; Notary v1 signs tags, so a reference by digest alone has no trust data (use TAG@DIGEST)${ociMissing()}`;
    put('signed', settings.rejectUnsigned ? 'fail' : 'warn', settings.rejectUnsigned ? `${msg}; unsigned images are rejected here (${where})` : `${msg}; allowed because rejectUnsigned is false here (${where})`);
    skipSignatureChecks('no tag to check');
  } else if (all.length === 0) {
    const msg = `no trust data for tag '${tag as string}' in ${ref.gun}: it is not signed${ociMissing()}`;
    put('signed', settings.rejectUnsigned ? 'fail' : 'warn', settings.rejectUnsigned ? `${msg}, and unsigned tags are rejected here (${where})` : `${msg}; allowed because rejectUnsigned is false here (${where})`);
    skipSignatureChecks('the tag is not signed');
  } else {
    signed = true;
    put('signed', 'pass', `${tag !== undefined ? `tag '${tag}'` : what} is signed by ${nm(all.map((s) => s.role))}`);
  }

  if (signed) {
    const within = tag ?? '';
    // signer: only signatures by signers the policy names for this tag count (like TUF, others are ignored).
    const allowedRoles = settings.signers;
    const isAllowed = (role: string): boolean => (allowedRoles === 'any' ? true : allowedRoles.includes(role));
    const allowed = all.filter((s) => isAllowed(s.role));
    const ignored = sigs.filter((s) => !isAllowed(s.role) && s.role !== RELEASES_ROLE);
    const accepted = allowedRoles === 'any' ? 'any signer' : nm(allowedRoles);
    if (allowed.length === 0) {
      put('signer', 'fail', `${tag !== undefined ? `tag '${tag}'` : what} is signed only by ${nm(all.map((s) => s.role))}, but only ${accepted} may sign it (${where})${ociMissing()}`);
    } else {
      const note = ignored.length > 0 ? `; not counted: ${nm(ignored.map((s) => s.role))} (not accepted here)` : '';
      put('signer', 'pass', `signed by ${nm(allowed.map((s) => s.role))}; may sign: ${accepted} (${where})${note}`);
    }

    // paths: Notary clients ignore a target outside its role's delegated paths; a named signer
    // signing outside them is refused rather than silently dropped.
    const outside = allowed.filter((s) => !pathsAllow(s.paths, within));
    if (allowed.length === 0) put('paths', 'skip', 'no accepted signer signed the tag');
    else if (outside.length > 0) {
      const detail = outside.map((s) => `${displaySigner(s.role)} (paths: ${(s.paths ?? []).map((p) => JSON.stringify(p)).join(', ') || 'none'})`).join('; ');
      put('paths', 'fail', `tag '${within}' is signed outside the signer's delegated paths by ${detail}; Notary clients ignore such signatures`);
    } else put('paths', 'pass', `every accepted signature lies within its delegation's paths`);

    // threshold and agreement, over the signatures that count.
    const counted = allowed.filter((s) => pathsAllow(s.paths, within));
    const byDigest = new Map<string, TagSignature[]>();
    for (const s of counted) byDigest.set(s.digest, [...(byDigest.get(s.digest) ?? []), s]);
    const counts = [...byDigest].map(([d, ss]) => ({ digest: d, n: countSigners(ss), roles: ss.map((s) => s.role) }));
    counts.sort((a, b) => b.n - a.n);
    const describeDigests = (list: typeof counts): string => list.map((c) => `${short(c.digest)} (${nm(c.roles)})`).join(', ');
    const k = settings.threshold;
    const need = `needs ${plural(k, 'distinct signer')} on one digest${allowedRoles === 'any' ? '' : ` out of ${nm(allowedRoles)}`}`;

    // In a policy of mixed kinds, the DCT signers that did not sign the chosen digest are named too,
    // as ociMissing names the Notation and cosign ones, so a denial says every signer it lacks.
    const dctMissing = (on: (typeof counts)[number]): string => {
      if (named.length === 0 || allowedRoles === 'any') return '';
      const lacking = allowedRoles.filter((r) => !kinds.has(r) && !on.roles.includes(r));
      return lacking.map((r) => `; ${displaySigner(r)} (dct) did not sign ${short(on.digest)}`).join('');
    };
    let chosen: (typeof counts)[number] | undefined;
    let ambiguous = false;
    if (pin !== undefined) chosen = counts.find((c) => c.digest === pin) ?? { digest: pin, n: 0, roles: [] };
    else if (counts.length > 0) {
      const top = counts.filter((c) => c.n === (counts[0] as (typeof counts)[number]).n);
      // Tie: prefer the digest docker would resolve (targets/releases, then targets; docker/cli cli/command/image/trust.go).
      const resolved = (sigs.find((s) => s.role === RELEASES_ROLE && pathsAllow(s.paths, within)) ?? sigs.find((s) => s.role === TARGETS_ROLE))?.digest;
      chosen = top.length === 1 ? top[0] : top.find((c) => c.digest === resolved);
      ambiguous = chosen === undefined;
    }

    if (counted.length === 0) put('threshold', 'fail', `${need}, but no accepted signer signed ${what} within its paths${ociMissing()}`);
    else if (ambiguous) {
      const n = (counts[0] as (typeof counts)[number]).n;
      put('threshold', n >= k ? 'pass' : 'fail', n >= k ? `${plural(k, 'distinct signer')} reached, on more than one digest: ${describeDigests(counts)}` : `${need}, but the signers are split: ${describeDigests(counts)}${ociMissing()}`);
    } else if (chosen !== undefined) {
      const others = counts.filter((c) => c.digest !== chosen.digest);
      const rest = others.length > 0 ? `; other digests: ${describeDigests(others)}` : '';
      const subject = pin !== undefined ? `the pinned digest ${short(chosen.digest)}` : short(chosen.digest);
      if (chosen.n >= k) put('threshold', 'pass', `${plural(chosen.n, 'distinct signer')} (${k} required) signed ${subject}: ${nm(chosen.roles)}`);
      else put('threshold', 'fail', `${need}, but ${subject} has ${chosen.n}${chosen.roles.length > 0 ? ` (${nm(chosen.roles)})` : ''}${rest}${dctMissing(chosen)}${ociMissing()}`);
    }

    if (counts.length <= 1) {
      put('agreement', counts.length === 1 ? 'pass' : 'skip', counts.length === 1 ? `every accepted signer signed ${short((counts[0] as (typeof counts)[number]).digest)}` : 'no accepted signatures to compare');
    } else {
      const split = `signers disagree on ${what}: ${describeDigests(counts)}`;
      if (ambiguous) put('agreement', 'fail', `${split}; no digest has more signers than the others, so none can be chosen (pin one with TAG@DIGEST)`);
      else if (settings.requireAgreement) put('agreement', 'fail', `${split}; requireAgreement is true here (${where})`);
      else put('agreement', 'warn', `${split}; using ${short((chosen as (typeof counts)[number]).digest)}, the others are not counted`);
    }
    if (!ambiguous && chosen !== undefined) digest = chosen.digest;

    // require: every "all of" group met on the chosen digest, by distinct signers of its list.
    if (settings.require !== undefined) {
      if (chosen === undefined || ambiguous) put('require', 'fail', 'no digest was chosen, so no group can be met');
      else {
        const on = counted.filter((s) => s.digest === chosen.digest);
        const groups = settings.require.map((g, i) => {
          const k = g.threshold === 'all' ? g.signers.length : g.threshold;
          const by = on.filter((s) => g.signers.includes(s.role));
          const n = countSigners(by);
          return { ok: n >= k, text: `group ${i + 1} (${k} of ${nm(g.signers)}): ${n}${by.length > 0 ? ` (${nm(by.map((s) => s.role))})` : ''}` };
        });
        const failed = groups.filter((g) => !g.ok);
        put('require', failed.length === 0 ? 'pass' : 'fail', failed.length === 0
          ? `every group is met on ${short(chosen.digest)}: ${groups.map((g) => g.text).join('; ')}`
          : `${failed.map((g) => g.text).join('; ')} on ${short(chosen.digest)}${ociMissing()}`);
      }
    }
  }

  // pinned / pin-matches
  // Suggest a pin only for a digest the policy would accept.
  const trusted = results.get('threshold')?.status === 'pass' && results.get('agreement')?.status !== 'fail';
  const suggestion = trusted && digest !== undefined && tag !== undefined ? `; use ${ref.gun}:${tag}@${digest}` : '';
  if (pin !== undefined) put('pinned', 'pass', `the reference is pinned to ${pin}`);
  else if (settings.requirePin) put('pinned', 'fail', `'${verdict(ref)}' is not pinned to a digest, which is required here (${where})${suggestion}`);
  else put('pinned', 'skip', 'pinning is not required');

  if (pin === undefined) put('pin-matches', 'skip', 'the reference has no digest');
  else if (!signed) put('pin-matches', 'skip', 'no signed digest to compare the pin with');
  else {
    const signedHere = all.filter((s) => s.digest === pin && (settings.signers === 'any' || settings.signers.includes(s.role)) && pathsAllow(s.paths, tag ?? ''));
    const forTag = tag !== undefined ? ` for '${tag}'` : '';
    if (signedHere.length > 0) put('pin-matches', 'pass', `the pinned digest ${short(pin)} is signed${forTag} by ${nm(signedHere.map((s) => s.role))}`);
    else {
      const others = [...new Set(all.map((s) => s.digest))].map((d) => `${short(d)} (${nm(all.filter((s) => s.digest === d).map((s) => s.role))})`).join(', ');
      put('pin-matches', 'fail', `the pinned digest ${short(pin)} is not signed${forTag} by an accepted signer (signed: ${others}): the tag has moved or the pin is wrong`);
    }
  }

  // `require` is reported only where a level sets it: the seven checks stay what they were.
  const order: CheckName[] = ['signed', 'signer', 'paths', 'threshold', ...(settings.require !== undefined ? ['require' as const] : []), 'agreement', 'pinned', 'pin-matches'];
  const reasons = order.map((c) => results.get(c) as CheckResult);
  const failed = reasons.filter((r) => r.status === 'fail');
  const compliant = failed.length === 0;
  const allowed = compliant || settings.mode === 'audit';
  const first = failed[0]?.message ?? '';
  const summary = compliant
    ? `allowed: ${verdict(ref)}${digest !== undefined && pin === undefined ? ` -> ${digest}` : ''} (${where})`
    : allowed
      ? `allowed (audit): ${verdict(ref)} would be denied: ${first}`
      : `denied: ${verdict(ref)}: ${first}`;
  const isAccepted = (role: string): boolean => settings.signers === 'any' ? true : settings.signers.includes(role);
  const signatures: SignatureReport[] = [
    ...sigs.map((s): SignatureReport => {
      const inPaths = pathsAllow(s.paths, tag ?? '');
      const counts = isAccepted(s.role) && inPaths && s.digest === digest && (s.role !== RELEASES_ROLE || settings.signers === 'any');
      return {
        kind: 'dct', signer: displaySigner(s.role), role: s.role, digest: s.digest, status: 'passed',
        checks: [
          { check: 'trust-data', status: 'passed', message: `listed in the verified metadata of ${s.role}` },
          { check: 'paths', status: inPaths ? 'passed' : 'failed', message: inPaths ? 'within the delegation\'s paths' : `outside the delegation's paths (${(s.paths ?? []).map((p) => JSON.stringify(p)).join(', ') || 'none'})` },
        ],
        counted: counts,
      };
    }),
    ...ociFacts.map((f: OciSignatureFact): SignatureReport => ({
      kind: f.kind, signer: f.signer, ...(f.digest !== undefined ? { digest: f.digest.toLowerCase() } : {}), ...(f.signature !== undefined ? { signature: f.signature } : {}),
      status: f.status, checks: f.checks, ...(f.message !== undefined ? { message: f.message } : {}),
      counted: f.status === 'passed' && named.includes(f.signer) && f.digest?.toLowerCase() === digest,
    })),
  ];
  const decision: Decision = { allowed, compliant, mode: settings.mode, rule, settings, reasons, summary, outcome: compliant ? 'passed' : 'failed', signatures };
  if (digest !== undefined) decision.digest = digest;
  return decision;
}

/** A `POLICY_DENIED` error for a denying decision, or undefined when it allows the image. */
export function decisionError(decision: Decision): VouchError | undefined {
  if (decision.allowed) return undefined;
  const failed = decision.reasons.filter((r) => r.status === 'fail').map((r) => `${r.check}: ${r.message}`);
  return new VouchError(decision.outcome === 'inconclusive' ? 'POLICY_INCONCLUSIVE' : 'POLICY_DENIED', decision.summary, {
    hint: failed.length > 1 ? `failed checks:\n  ${failed.join('\n  ')}` : undefined,
    details: { decision },
  });
}
