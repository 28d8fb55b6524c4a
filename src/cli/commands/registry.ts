// vouch registry: the embedded OCI registry (filesystem storage) for local use and tests.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { runRegistry } from '../../registry/index.js';
import type { Context } from '../context.js';
import { dataDir, untilSignal } from '../daemon.js';

export interface RegistryCommandOptions {
  addr: string;
  root?: string;
  tlsCert?: string;
  tlsKey?: string;
  user?: string;
  log?: boolean;
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
  const root = resolve(ctx.cwd, opts.root ?? join(dataDir(ctx.env), 'registry'));
  const running = await runRegistry({
    addr: opts.addr,
    root,
    logger: Boolean(opts.log),
    ...(auth ? { auth } : {}),
    ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: readFileSync(resolve(ctx.cwd, opts.tlsCert)), key: readFileSync(resolve(ctx.cwd, opts.tlsKey)) } } : {}),
  });
  ctx.io.err(`vouch registry listening on ${running.url} (storage ${root})\n`);
  const sig = await untilSignal();
  ctx.io.err(`vouch registry: ${sig}, shutting down\n`);
  await running.close();
}
