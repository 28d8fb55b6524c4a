// vouch trust sign IMAGE:TAG and vouch trust revoke [--yes] IMAGE[:TAG] (docker semantics).
import { VouchError, parseDigest } from '../../core/index.js';
import { revoke, sign } from '../../client/sign.js';
import { parseTrustReference } from '../../client/session.js';
import type { Context } from '../context.js';
import { printTrustEvents } from '../render/trust.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export async function trustSign(ctx: Context, image: string, opts: CommonTrustOptions & { digest?: string; size?: string }): Promise<void> {
  const ref = parseTrustReference(image, { tag: 'required' });
  let target: { sha256Hex: string; length: number } | undefined;
  if (opts.digest !== undefined || opts.size !== undefined) {
    if (opts.digest === undefined || opts.size === undefined) throw new VouchError('INVALID_ARGUMENT', '--digest and --size go together', { hint: 'give both, or neither to read them from the registry' });
    const d = parseDigest(opts.digest);
    const length = Number(opts.size);
    if (d.algorithm !== 'sha256') throw new VouchError('INVALID_ARGUMENT', 'docker targets are signed by their sha256 digest', { hint: 'use --digest sha256:<64 hex>' });
    if (!Number.isSafeInteger(length) || length < 0) throw new VouchError('INVALID_ARGUMENT', `--size ${opts.size} is not a byte count`, { hint: 'the manifest size in bytes, as the registry reports it' });
    target = { sha256Hex: d.hex, length };
  }
  await withSession(ctx, opts, (s) => sign(s, printTrustEvents((t) => ctx.io.out(t)), image, ref, target ? { target } : {}));
}

export async function trustRevoke(ctx: Context, image: string, opts: CommonTrustOptions & { yes?: boolean }): Promise<void> {
  const ref = parseTrustReference(image, { tag: 'optional' });
  await withSession(ctx, opts, (s) => revoke(s, printTrustEvents((t) => ctx.io.out(t)), image, ref, Boolean(opts.yes)));
}
