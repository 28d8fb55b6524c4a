// vouch trust inspect [--pretty] IMAGE[:TAG]... — docker trust inspect, byte for byte.

import { parseTrustReference } from '../../client/session.js';
import type { Context } from '../context.js';
import { writeInspect } from '../render/inspect.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export async function trustInspect(ctx: Context, images: string[], opts: CommonTrustOptions & { pretty?: boolean; json?: boolean }): Promise<void> {
  const refs = images.map((input) => ({ input, ref: parseTrustReference(input, { tag: 'optional' }) }));
  await withSession(ctx, opts, (s) => writeInspect(s, refs, Boolean(opts.pretty) && !opts.json, (t) => ctx.io.out(t)));
}
