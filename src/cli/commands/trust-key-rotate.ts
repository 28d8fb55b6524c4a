// vouch trust key rotate REPO ROLE [--server-managed] [--key FILE] (notary key rotate).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { readPrivateKeyFile, type PrivateKey } from '../../keys/index.js';
import { rotateKey, type RotatableRole } from '../../client/rotate.js';
import { parseTrustReference } from '../../client/session.js';
import type { Context } from '../context.js';
import { printTrustEvents } from '../render/trust.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

const ROLES: readonly string[] = ['root', 'targets', 'snapshot', 'timestamp'];

export async function trustKeyRotate(ctx: Context, repo: string, role: string, opts: CommonTrustOptions & { serverManaged?: boolean; key?: string }): Promise<void> {
  if (!ROLES.includes(role)) throw new VouchError('INVALID_ARGUMENT', `cannot rotate ${role}: the role must be root, targets, snapshot or timestamp`, {
    hint: 'signer keys are replaced with vouch trust signer remove/add; for example: vouch trust key rotate REPO snapshot --server-managed',
  });
  const ref = parseTrustReference(repo, { tag: 'optional' });
  if (ref.tag !== undefined) throw new VouchError('INVALID_ARGUMENT', `${repo}: keys belong to a repository, not to a tag`, { hint: 'drop the :TAG' });
  let key: PrivateKey | undefined;
  if (opts.key !== undefined) {
    const path = resolve(ctx.cwd, opts.key);
    let text: Buffer;
    try {
      text = await readFile(path);
    } catch (err) {
      throw new VouchError('FILE_NOT_FOUND', `cannot read key file ${path}: ${(err as Error).message}`, { hint: '--key takes a private key PEM file (PKCS#8, encrypted or not)' });
    }
    key = await readPrivateKeyFile(text, { passphrases: ctx.passphrases, alias: 'encrypted' });
  }
  await withSession(ctx, opts, (s) => rotateKey(s, printTrustEvents((t) => ctx.io.out(t)), ref, role as RotatableRole, { ...(opts.serverManaged ? { serverManaged: true } : {}), ...(key ? { key } : {}) }));
}
