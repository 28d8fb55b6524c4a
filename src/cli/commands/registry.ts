// vouch registry: the embedded OCI registry (filesystem storage) for local use and tests. Its
// bounds (disk budget, upload sessions) default to DEFAULT_REGISTRY_LIMITS (src/registry/limits.ts).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { runRegistry, type RegistryLimits } from '../../registry/index.js';
import type { Context } from '../context.js';
import { dataDir, untilSignal } from '../daemon.js';

export interface RegistryCommandOptions {
  addr: string;
  root?: string;
  tlsCert?: string;
  tlsKey?: string;
  user?: string;
  log?: boolean;
  diskBudget?: string;
  maxUploads?: string;
  maxUploadsPerRepo?: string;
  maxUploadBytes?: string;
  maxUploadBytesPerRepo?: string;
  uploadIdle?: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** A positive whole number, with a binary unit for sizes (`512MiB`, `100GiB`). */
function positive(flag: string, text: string | undefined, sizes: boolean): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = sizes ? UNITS[(m?.[2] ?? '').toLowerCase()] : m?.[2] === '' ? 1 : undefined;
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new VouchError('INVALID_ARGUMENT', `${flag} must be a positive whole number${sizes ? ' of bytes, optionally with KiB, MiB, GiB or TiB' : ''}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** The registry bounds given on the command line (the rest keep their defaults). */
export function registryLimitFlags(opts: RegistryCommandOptions): Partial<RegistryLimits> {
  const idle = positive('--upload-idle', opts.uploadIdle, false);
  const limits: Partial<RegistryLimits> = {
    diskBudgetBytes: positive('--disk-budget', opts.diskBudget, true),
    maxUploads: positive('--max-uploads', opts.maxUploads, false),
    maxUploadsPerRepository: positive('--max-uploads-per-repo', opts.maxUploadsPerRepo, false),
    maxUploadBytes: positive('--max-upload-bytes', opts.maxUploadBytes, true),
    maxUploadBytesPerRepository: positive('--max-upload-bytes-per-repo', opts.maxUploadBytesPerRepo, true),
    uploadIdleMs: idle === undefined ? undefined : idle * 1000,
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}

export async function registryCommand(ctx: Context, opts: RegistryCommandOptions): Promise<void> {
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
    throw new VouchError('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
  }
  let auth: { username: string; password: string } | undefined;
  if (opts.user) {
    const password = ctx.env.VOUCH_REGISTRY_PASSWORD;
    if (!password) throw new VouchError('CONFIG', '--user needs the password in VOUCH_REGISTRY_PASSWORD', { hint: 'export VOUCH_REGISTRY_PASSWORD=…' });
    auth = { username: opts.user, password };
  }
  const limits = registryLimitFlags(opts);
  const root = resolve(ctx.cwd, opts.root ?? join(dataDir(ctx.env), 'registry'));
  const running = await runRegistry({
    addr: opts.addr,
    root,
    logger: Boolean(opts.log),
    limits,
    ...(auth ? { auth } : {}),
    ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: readFileSync(resolve(ctx.cwd, opts.tlsCert)), key: readFileSync(resolve(ctx.cwd, opts.tlsKey)) } } : {}),
  });
  ctx.io.err(`vouch registry listening on ${running.url} (storage ${root})\n`);
  const sig = await untilSignal();
  ctx.io.err(`vouch registry: ${sig}, shutting down\n`);
  await running.close();
}
