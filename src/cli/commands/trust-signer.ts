// vouch trust signer add --key FILE... NAME REPO... / signer remove [--force] NAME REPO...
import { resolve } from 'node:path';
import { VouchError, type PublicKeyData } from '../../core/index.js';
import { readPublicKeyFile } from '../../keys/index.js';
import { checkSignerName, signerAdd, signerRemove } from '../../client/signers.js';
import { parseTrustReference } from '../../client/session.js';
import type { Context } from '../context.js';
import { printTrustEvents } from '../render/trust.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

function repos(list: string[]) {
  return list.map((r) => {
    const ref = parseTrustReference(r, { tag: 'optional' });
    if (ref.tag !== undefined) throw new VouchError('INVALID_ARGUMENT', `${r}: a signer is added to a repository, not to a tag`, { hint: 'drop the :TAG' });
    return ref;
  });
}

export async function trustSignerAdd(ctx: Context, name: string, repoArgs: string[], opts: CommonTrustOptions & { key?: string[]; paths?: string[] }): Promise<void> {
  checkSignerName(name);
  const files = opts.key ?? [];
  if (files.length === 0) throw new VouchError('INVALID_ARGUMENT', 'path to a public key must be provided using the `--key` flag', { hint: 'vouch trust key generate NAME writes NAME.pub' });
  const keys: PublicKeyData[] = [];
  for (const f of files) keys.push(await readPublicKeyFile(resolve(ctx.cwd, f), { now: ctx.now() }));
  const refs = repos(repoArgs);
  await withSession(ctx, opts, (s) => signerAdd(s, printTrustEvents((t) => ctx.io.out(t)), name, keys, refs, ...(opts.paths !== undefined ? [opts.paths] : [])));
}

export async function trustSignerRemove(ctx: Context, name: string, repoArgs: string[], opts: CommonTrustOptions & { force?: boolean }): Promise<void> {
  const refs = repos(repoArgs);
  await withSession(ctx, opts, (s) => signerRemove(s, printTrustEvents((t) => ctx.io.out(t)), name, refs, Boolean(opts.force)));
}
