// vouch push / vouch pull: content trust as docker ≤ v28 applied it, against any OCI registry.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { contentTrustEnabled } from '../../client/dockerenv.js';
import { pull, push } from '../../client/image.js';
import { gunOf, parseReference } from '../../oci/reference.js';
import type { Context } from '../context.js';
import { createProgress } from '../progress.js';
import { openSession, type CommonTrustOptions } from './trust-common.js';

export interface PushCommandOptions extends CommonTrustOptions {
  from: string;
  sign?: boolean;
  disableContentTrust?: boolean;
  json?: boolean;
}

export async function pushCommand(ctx: Context, image: string, opts: PushCommandOptions): Promise<void> {
  const sign = !opts.disableContentTrust && (Boolean(opts.sign) || contentTrustEnabled(ctx.env));
  const s = openSession(ctx, opts);
  const progress = createProgress(ctx.io, { json: Boolean(opts.json), verb: 'push' });
  try {
    // Paths in --from are relative to the working directory.
    const source = opts.from.replace(/^(oci|docker-archive):(.*)$/, (_m, kind: string, path: string) => `${kind}:${resolve(ctx.cwd, path)}`);
    await push(s, image, { from: source, sign, out: opts.json ? () => {} : (t) => ctx.io.out(t), onEvent: (e) => progress.onEvent(e) });
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
}

export async function pullCommand(ctx: Context, image: string, opts: PullCommandOptions): Promise<void> {
  const trust = !opts.disableContentTrust && (Boolean(opts.verify) || contentTrustEnabled(ctx.env));
  const ref = parseReference(image);
  const s = openSession(ctx, opts);
  try {
    if (opts.docker) {
      if (opts.to) throw new VouchError('INVALID_ARGUMENT', '--docker and --to exclude each other');
      await handToDocker(ctx, s, image, trust);
      return;
    }
    if (!opts.to) throw new VouchError('INVALID_ARGUMENT', 'pull needs a destination: --to oci:DIR (or --docker to hand the verified digest to docker)');
    const m = /^oci:(.+)$/.exec(opts.to);
    if (!m) throw new VouchError('INVALID_ARGUMENT', `--to '${opts.to}' must be oci:DIR`);
    const to = resolve(ctx.cwd, m[1] as string);
    const progress = createProgress(ctx.io, { json: Boolean(opts.json), verb: 'pull' });
    try {
      const r = await pull(s, image, { trust, to, onEvent: (e) => progress.onEvent(e) });
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
  }
}

/** docker ≤ v28's trusted pull: `docker pull IMAGE@digest`, then tag it. Needs a docker daemon. */
async function handToDocker(ctx: Context, s: ReturnType<typeof openSession>, image: string, trust: boolean): Promise<void> {
  const ref = parseReference(image);
  let pullRef = image;
  let tagAs: string | undefined;
  if (trust && ref.digest === undefined) {
    const { resolveTrusted } = await import('../../client/image.js');
    const r = await resolveTrusted(s, ref);
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
