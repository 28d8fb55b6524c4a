// vouch push / vouch pull: content trust as docker ≤ v28 applied it, against any OCI registry.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { contentTrustEnabled } from '../../client/dockerenv.js';
import type { TrustEvent } from '../../client/events.js';
import { pull, push } from '../../client/image.js';
import { gunOf, parseReference, type ImageReference } from '../../oci/reference.js';
import type { Decision, Policy } from '../../policy/index.js';
import type { PolicyCheckOptions } from '../../client/policy.js';
import type { Context } from '../context.js';
import { loadPolicy, policyCheckOptions } from '../policyfile.js';
import { createProgress } from '../progress.js';
import { renderTrustEvent } from '../render/trust.js';
import { openSession, type CommonTrustOptions } from './trust-common.js';

export interface PushCommandOptions extends CommonTrustOptions {
  from: string;
  sign?: boolean;
  disableContentTrust?: boolean;
  json?: boolean;
}

export async function pushCommand(ctx: Context, image: string, opts: PushCommandOptions): Promise<void> {
  const sign = !opts.disableContentTrust && (Boolean(opts.sign) || contentTrustEnabled(ctx.env));
  const progress = await createProgress(ctx.io, { json: Boolean(opts.json), verb: 'push' });
  const s = openSession(ctx, opts);
  try {
    // Paths in --from are relative to the working directory.
    const source = opts.from.replace(/^(oci|docker-archive):(.*)$/, (_m, kind: string, path: string) => `${kind}:${resolve(ctx.cwd, path)}`);
    const tag = parseReference(image).tag ?? 'latest';
    await push(s, image, {
      from: source,
      sign,
      onEvent: (e) => {
        progress.onEvent(e);
        // docker push's last line
        if (e.event === 'pushed' && !opts.json) ctx.io.out(`${tag}: digest: ${e.digest} size: ${e.size}\n`);
      },
      ...(opts.json ? {} : { onTrustEvent: (e: TrustEvent) => ctx.io.out(renderTrustEvent(e)) }),
    });
  } finally {
    progress.stop();
    await s.close();
  }
}

export interface PullCommandOptions extends CommonTrustOptions {
  to?: string;
  verify?: boolean;
  disableContentTrust?: boolean;
  docker?: boolean;
  json?: boolean;
  policy?: string;
}

/**
 * The policy a trusted pull applies. Without a policy file a pull by digest stays docker's (the
 * digest names the content, no trust data is consulted); with one, the policy decides.
 */
async function pullPolicy(ctx: Context, ref: ImageReference, opts: PullCommandOptions, trust: boolean): Promise<Policy | undefined> {
  if (!trust) {
    if (opts.policy !== undefined) throw new VouchError('INVALID_ARGUMENT', '--policy applies only with content trust on; drop --disable-content-trust, or --policy');
    return undefined;
  }
  const loaded = await loadPolicy(ctx, opts.policy);
  if (loaded.file === undefined && ref.digest !== undefined) return undefined;
  return loaded.policy;
}

/** Audit-mode findings go to stderr: the pull goes ahead, but what enforce would refuse is said. */
function reportDecision(ctx: Context, d: Decision): void {
  // A denial is the error itself; only what audit mode lets through is reported here.
  if (d.compliant || !d.allowed) return;
  ctx.io.err(`WARN: ${d.summary}\n`);
  for (const r of d.reasons.filter((x) => x.status === 'fail')) ctx.io.err(`WARN:   ${r.check}: ${r.message}\n`);
}

export async function pullCommand(ctx: Context, image: string, opts: PullCommandOptions): Promise<void> {
  const trust = !opts.disableContentTrust && (Boolean(opts.verify) || contentTrustEnabled(ctx.env));
  const ref = parseReference(image);
  const policy = await pullPolicy(ctx, ref, opts, trust);
  const checking = policy !== undefined ? await policyCheckOptions(ctx, policy) : undefined;
  const s = openSession(ctx, opts);
  try {
    if (opts.docker) {
      if (opts.to) throw new VouchError('INVALID_ARGUMENT', '--docker and --to exclude each other');
      await handToDocker(ctx, s, image, trust, policy, checking?.options);
      return;
    }
    if (!opts.to) throw new VouchError('INVALID_ARGUMENT', 'pull needs a destination: --to oci:DIR (or --docker to hand the verified digest to docker)');
    const m = /^oci:(.+)$/.exec(opts.to);
    if (!m) throw new VouchError('INVALID_ARGUMENT', `--to '${opts.to}' must be oci:DIR`);
    const to = resolve(ctx.cwd, m[1] as string);
    const progress = await createProgress(ctx.io, { json: Boolean(opts.json), verb: 'pull' });
    try {
      const r = await pull(s, image, {
        trust, to, ...(policy ? { policy } : {}), ...(checking ? { policyOptions: checking.options } : {}),
        onEvent: (e) => {
          if (e.event === 'policy' && !opts.json) reportDecision(ctx, e.decision);
          else progress.onEvent(e);
        },
      });
      progress.stop();
      if (!opts.json) {
        if (r.resolved) ctx.io.out(`Pull (1 of 1): ${gunOf(ref)}:${r.resolved.tag}@${r.resolved.digest}\n`);
        ctx.io.out(`Digest: ${r.digest}\nWritten to ${to}\n`);
      }
    } finally {
      progress.stop();
    }
  } finally {
    await s.close();
    await checking?.close();
  }
}

/** docker ≤ v28's trusted pull: `docker pull IMAGE@digest`, then tag it. Needs a docker daemon. */
async function handToDocker(ctx: Context, s: ReturnType<typeof openSession>, image: string, trust: boolean, policy: Policy | undefined, policyOptions: PolicyCheckOptions = {}): Promise<void> {
  const ref = parseReference(image);
  let pullRef = image;
  let tagAs: string | undefined;
  let resolved;
  if (trust && policy !== undefined) {
    const { checkPolicy, resolveAllowed } = await import('../../client/policy.js');
    const { decisionError } = await import('../../policy/evaluate.js');
    const check = await checkPolicy(s, ref, policy, undefined, undefined, policyOptions);
    reportDecision(ctx, check.decision);
    const denied = decisionError(check.decision);
    if (denied !== undefined) throw denied;
    if (check.ociSigners.length > 0 && check.decision.digest !== undefined && ref.digest === undefined) {
      // Signers of several kinds agreed on this digest: pull exactly it.
      pullRef = `${gunOf(ref)}@${check.decision.digest}`;
      tagAs = `${gunOf(ref)}:${ref.tag ?? 'latest'}`;
    } else if (check.facts.signatures.length === 0 && ref.digest === undefined) {
      ctx.io.err(`WARN: ${image} is not signed; pulled without verification because the policy allows unsigned tags here\n`);
    } else if (ref.digest === undefined) resolved = resolveAllowed(check, (m) => ctx.io.err(`WARN: ${m}\n`));
  } else if (trust && ref.digest === undefined) {
    const { resolveTrusted } = await import('../../client/image.js');
    resolved = await resolveTrusted(s, ref);
  }
  if (resolved !== undefined) {
    const r = resolved;
    ctx.io.out(`Pull (1 of 1): ${gunOf(ref)}:${r.tag}@${r.digest}\n`);
    pullRef = `${gunOf(ref)}@${r.digest}`;
    tagAs = `${gunOf(ref)}:${r.tag}`;
  }
  const docker = ctx.env.DOCKER_BIN || 'docker';
  const env = { ...ctx.env, DOCKER_CONTENT_TRUST: '' };
  for (const args of tagAs ? [['pull', pullRef], ['tag', pullRef, tagAs]] : [['pull', pullRef]]) {
    const r = spawnSync(docker, args, { env, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
    if (r.error) throw new VouchError('CONFIG', `cannot run ${docker}: ${r.error.message}`, { hint: 'install the docker CLI or pull with --to oci:DIR' });
    if (r.status !== 0) throw new VouchError('REMOTE_ERROR', `docker ${args.join(' ')} failed: ${(r.stderr || '').trim()}`, { hint: 'is the docker daemon running? Without one, pull with --to oci:DIR' });
  }
}
