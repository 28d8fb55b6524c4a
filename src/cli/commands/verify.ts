// vouch verify IMAGE[:TAG]...: the CI gate. For each image: verify the trust data as a pull would,
// gather what it says about the tag, evaluate the trust policy, and report every check.
// Exit 0 when every image is allowed (audit-mode failures are reported, not refused), 1 otherwise.
import { VouchError, isVouchError, type ErrorCode, type ErrorOutcome } from '../../core/index.js';
import { checkPolicy, resolveAllowed } from '../../client/policy.js';
import { formatReference, parseReference, type ImageReference } from '../../oci/reference.js';
import type { Session } from '../../client/session.js';
import type { Decision, Policy } from '../../policy/index.js';
import type { Context } from '../context.js';
import { loadPolicy } from '../policyfile.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export interface VerifyCommandOptions extends CommonTrustOptions {
  policy?: string;
  json?: boolean;
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
}

async function verifyOne(s: Session, input: string, ref: ImageReference, policy: Policy): Promise<VerifyResult> {
  const withTag: ImageReference = ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
  const out: VerifyResult = { image: input, reference: formatReference(withTag), allowed: false };
  try {
    const check = await checkPolicy(s, ref, policy);
    out.decision = check.decision;
    out.allowed = check.decision.allowed;
    // What a pull would do next: docker's resolution must agree with the policy's digest.
    if (out.allowed && check.repo !== undefined && check.facts.signatures.length > 0 && ref.digest === undefined) {
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

function report(r: VerifyResult): string {
  const d = r.decision;
  const verdict = !r.allowed ? 'DENIED' : d !== undefined && !d.compliant ? 'ALLOWED (audit mode: not compliant)' : 'ALLOWED';
  let text = `${r.reference}: ${verdict}\n`;
  if (d !== undefined) {
    const rule = d.rule.repository === undefined ? 'defaults' : `rule '${d.rule.name}' (${d.rule.repository})`;
    const tags = d.rule.tag !== undefined ? `, tags '${d.rule.tag}'` : '';
    const line = d.rule.line !== undefined ? `, line ${d.rule.line}` : '';
    text += `  ${'policy'.padEnd(WIDTH)}${rule}${tags}${line}; mode ${d.mode}\n`;
    if (d.digest !== undefined) text += `  ${'digest'.padEnd(WIDTH)}${d.digest}\n`;
    for (const c of d.reasons) text += `  ${c.check.padEnd(WIDTH)}${c.status.padEnd(6)}${c.message}\n`;
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
  await withSession(ctx, opts, async (s) => {
    for (const { input, ref } of refs) {
      const r = await verifyOne(s, input, ref, policy);
      results.push(r);
      if (!opts.json) ctx.io.out((results.length > 1 ? '\n' : '') + report(r));
    }
  });
  if (opts.json) ctx.io.out(`${JSON.stringify(results, null, 2)}\n`);
  const denied = results.filter((r) => !r.allowed);
  if (denied.length > 0) {
    const what = results.length === 1 ? `${denied[0]?.reference} is` : `${denied.length} of ${results.length} images are`;
    // Not every denial is the policy's: trust data that does not verify denies the image too.
    const by = denied.every((r) => r.error === undefined) ? ' by the trust policy' : '';
    throw new VouchError('POLICY_DENIED', `${what} denied${by}${file !== undefined ? ` (${file})` : ''}`, {
      // A decision's summary already names the image; an error may not.
      hint: denied.map((r) => (r.error !== undefined ? `${r.reference}: ${r.error.message}` : r.decision?.summary ?? `${r.reference}: denied`)).join('\n  '),
      details: { denied: denied.map((r) => r.reference) },
    });
  }
}
