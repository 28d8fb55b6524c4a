// vouch verify IMAGE[:TAG]...: the CI gate. For each image: verify the trust data as a pull would,
// gather what it says about the tag, evaluate the trust policy, and report every check.
// Exit 0 when every image is allowed (audit-mode failures are reported, not refused), 1 otherwise.
import { VouchError, isVouchError, type ErrorCode, type ErrorOutcome } from '../../core/index.js';
import { checkPolicy, resolveAllowed, type PolicyCheckOptions } from '../../client/policy.js';
import { checkArchiveFor, loadArchive, parseArchiveLocation, verifyArchive, type ArchivedRepo } from '../../client/dctarchive.js';
import { formatReference, parseReference, type ImageReference } from '../../oci/reference.js';
import type { Session } from '../../client/session.js';
import type { Decision, Policy } from '../../policy/index.js';
import type { Context } from '../context.js';
import { loadPolicy, policyCheckOptions } from '../policyfile.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export interface VerifyCommandOptions extends CommonTrustOptions {
  policy?: string;
  json?: boolean;
  /** a trust-data archive (`vouch trust archive`): historical evidence instead of the trust server */
  dctArchive?: string;
}

/** One image's outcome, as --json prints it. */
export interface VerifyResult {
  /** The argument as given. */
  image: string;
  /** The normalised reference the policy was asked about. */
  reference: string;
  allowed: boolean;
  decision?: Decision;
  /** Notes that do not change the verdict (audit mode). */
  warnings?: string[];
  /** Set when no decision could be made, or when a pull would still refuse the image. */
  error?: { code: ErrorCode; outcome: ErrorOutcome; message: string; hint?: string };
  /** With --dct-archive: the decision rests on archived trust data, as of the archive's time. */
  evidence?: ArchiveEvidence;
}

/** What an archive-based verdict rests on, said plainly: it shows who had signed, not that it still holds. */
export interface ArchiveEvidence {
  kind: 'historical';
  archive: string;
  archivedAt: string;
  server: string;
  rootVersion: number;
  targetsVersion: number;
  /** how the archive's first root came to be trusted */
  anchor: ArchivedRepo['anchor'];
  /** when the archived timestamp, snapshot or targets expired (or expire): freshness is not provable after it */
  freshUntil: string;
  /** who signed the tag in the archive: role → digest */
  signers: { role: string; digest: string }[];
}

async function verifyOne(s: Session, input: string, ref: ImageReference, policy: Policy, archive: ArchiveSource | undefined, options: PolicyCheckOptions): Promise<VerifyResult> {
  const withTag: ImageReference = ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
  const out: VerifyResult = { image: input, reference: formatReference(withTag), allowed: false };
  try {
    const archived = archive === undefined ? undefined : await archive.load(ref);
    const check = await checkPolicy(s, ref, policy, undefined, archived === undefined ? undefined : async () => archived.repo, options);
    if (archived !== undefined && archive !== undefined) {
      out.evidence = {
        kind: 'historical', archive: archive.location, archivedAt: archived.archive.created.toISOString(), server: archived.archive.server,
        rootVersion: archived.repo.root.signed.version, targetsVersion: archived.repo.targets.signed.version, anchor: archived.anchor,
        freshUntil: archived.freshUntil.toISOString(), signers: check.facts.signatures.map((f) => ({ role: f.role, digest: f.digest })),
      };
    }
    out.decision = check.decision;
    out.allowed = check.decision.allowed;
    // What a pull would do next: docker's resolution must agree with the policy's digest.
    // (A rule naming Notation or cosign signers decides the digest itself: a pull fetches that one.)
    if (out.allowed && check.repo !== undefined && check.facts.signatures.length > 0 && ref.digest === undefined && check.ociSigners.length === 0) {
      const warnings: string[] = [];
      resolveAllowed(check, (m) => warnings.push(m));
      if (warnings.length > 0) out.warnings = warnings;
    }
  } catch (err) {
    if (!isVouchError(err)) throw err;
    out.allowed = false;
    out.error = { code: err.code, outcome: err.outcome, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  return out;
}

const WIDTH = 'pin-matches'.length + 2;
const ANCHORS: Record<ArchivedRepo['anchor'], string> = {
  'trust-dir': 'verified from the root this machine trusts',
  pinning: 'verified from the pinned root',
  'first-root': "verified from the archive's first root (trust on first use)",
};

/** --dct-archive: the archive is read and verified once, then speaks for every image of its repository. */
interface ArchiveSource { location: string; load(ref: ImageReference): Promise<ArchivedRepo> }

function archiveSource(s: Session, location: string, pinning: Session['opts']['pinning']): ArchiveSource {
  let loaded: Promise<ArchivedRepo> | undefined;
  return {
    location,
    async load(ref) {
      loaded ??= (async () => verifyArchive(s, await loadArchive(s, parseArchiveLocation(location)), pinning ? { pinning } : {}))();
      const archived = await loaded;
      checkArchiveFor(archived, ref);
      return archived;
    },
  };
}

function report(r: VerifyResult, now: Date): string {
  const d = r.decision;
  const verdict = !r.allowed ? 'DENIED' : d !== undefined && !d.compliant ? 'ALLOWED (audit mode: not compliant)' : 'ALLOWED';
  let text = `${r.reference}: ${verdict}${r.evidence !== undefined ? ' (historical evidence)' : ''}\n`;
  const e = r.evidence;
  if (e !== undefined) {
    text += `  ${'evidence'.padEnd(WIDTH)}trust data archived ${e.archivedAt} from ${e.server} (root v${e.rootVersion}, targets v${e.targetsVersion}), ${ANCHORS[e.anchor]}\n`;
    for (const sig of e.signers) text += `  ${'signed'.padEnd(WIDTH)}${sig.role} ${sig.digest}\n`;
    const expired = new Date(e.freshUntil).getTime() <= now.getTime();
    text += `  ${'freshness'.padEnd(WIDTH)}${expired ? `not provable: the archived trust data expired ${e.freshUntil}` : `the archived trust data expires ${e.freshUntil}; the archive cannot show whether it changed since ${e.archivedAt}`}\n`;
  }
  if (d !== undefined) {
    const rule = d.rule.repository === undefined ? 'defaults' : `rule '${d.rule.name}' (${d.rule.repository})`;
    const tags = d.rule.tag !== undefined ? `, tags '${d.rule.tag}'` : '';
    const line = d.rule.line !== undefined ? `, line ${d.rule.line}` : '';
    text += `  ${'policy'.padEnd(WIDTH)}${rule}${tags}${line}; mode ${d.mode}\n`;
    if (d.digest !== undefined) text += `  ${'digest'.padEnd(WIDTH)}${d.digest}\n`;
    for (const c of d.reasons) text += `  ${c.check.padEnd(WIDTH)}${c.status.padEnd(6)}${c.message}\n`;
    // Every signature, of every kind, once Notation or cosign signers are in play.
    if (d.signatures.some((sig) => sig.kind !== 'dct')) {
      for (const sig of d.signatures) {
        const where = sig.digest !== undefined ? ` on ${sig.digest}` : '';
        text += `  ${'signature'.padEnd(WIDTH)}${sig.status.padEnd(13)}${sig.kind} ${sig.signer}${where}${sig.counted ? ' (counted)' : ''}${sig.message !== undefined ? `: ${sig.message}` : ''}\n`;
        for (const c of sig.checks) text += `  ${''.padEnd(WIDTH)}  ${c.check}: ${c.status}${c.message !== undefined ? ` (${c.message})` : ''}\n`;
      }
    }
  }
  for (const w of r.warnings ?? []) text += `  warning: ${w}\n`;
  if (r.error !== undefined) {
    text += `  error: ${r.error.message}\n`;
    if (r.error.hint) text += `  hint: ${r.error.hint}\n`;
  } else if (d !== undefined) text += `  ${d.summary}\n`;
  return text;
}

export async function verifyCommand(ctx: Context, images: string[], opts: VerifyCommandOptions): Promise<void> {
  // Every argument must be a reference before anything is fetched (a typo is a usage error).
  const refs = images.map((i) => ({ input: i, ref: parseReference(i) }));
  const { policy, file } = await loadPolicy(ctx, opts.policy);
  const results: VerifyResult[] = [];
  const checking = await policyCheckOptions(ctx, policy);
  try {
    await withSession(ctx, opts, async (s) => {
      const archive = opts.dctArchive === undefined ? undefined : archiveSource(s, opts.dctArchive, s.opts.pinning);
      for (const { input, ref } of refs) {
        const r = await verifyOne(s, input, ref, policy, archive, checking.options);
        results.push(r);
        if (!opts.json) ctx.io.out((results.length > 1 ? '\n' : '') + report(r, ctx.now()));
      }
    });
  } finally {
    await checking.close();
  }
  if (opts.json) ctx.io.out(`${JSON.stringify(results, null, 2)}\n`);
  const denied = results.filter((r) => !r.allowed);
  if (denied.length > 0) {
    const what = results.length === 1 ? `${denied[0]?.reference} is` : `${denied.length} of ${results.length} images are`;
    // Not every denial is the policy's: trust data that does not verify denies the image too.
    const by = denied.every((r) => r.error === undefined) ? ' by the trust policy' : '';
    // Undecided, not refused: every denial rests on a signature that could not be verified.
    const undecided = denied.every((r) => r.error === undefined && r.decision?.outcome === 'inconclusive');
    throw new VouchError(undecided ? 'POLICY_INCONCLUSIVE' : 'POLICY_DENIED', `${what} denied${by}${undecided ? ' (inconclusive: a signature it needs could not be verified)' : ''}${file !== undefined ? ` (${file})` : ''}`, {
      // A decision's summary already names the image; an error may not.
      hint: denied.map((r) => (r.error !== undefined ? `${r.reference}: ${r.error.message}` : r.decision?.summary ?? `${r.reference}: denied`)).join('\n  '),
      details: { denied: denied.map((r) => r.reference) },
    });
  }
}
