// vouch status REPO… — what will stop verifying within the horizon (--warn), and what already has.
// Exit status for CI jobs and cron: 0 all fine, 1 something expires within the horizon, 2 something
// has expired or cannot be verified (or a usage error).
import { VouchError } from '../../core/index.js';
import { parseTrustReference } from '../../client/session.js';
import { parseReference } from '../../oci/reference.js';
import { repositoryStatus, type RepoStatus } from '../../client/status.js';
import { notationConfigDir, readTsaTrustRoots } from '../../keys/notation.js';
import type { Context } from '../context.js';
import { ExitStatus } from '../output.js';
import { renderStatus } from '../render/status.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export interface StatusCommandOptions extends CommonTrustOptions {
  warn?: string;
  json?: boolean;
  /** every repository of the trust server (DOCKER_CONTENT_TRUST_SERVER), from its changefeed */
  all?: boolean;
  /** false with --no-signatures: DCT only, no registry reads */
  signatures?: boolean;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d`, `12h`, `2w`, `90m`, `45s`: a horizon in milliseconds. */
export function parseHorizon(text: string): number {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (m === null) {
    throw new VouchError('INVALID_ARGUMENT', `--warn ${text} is not a duration`, { hint: 'a number and a unit: s, m, h, d or w, e.g. --warn 30d' });
  }
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

export const exitCodeFor = (statuses: readonly RepoStatus[]): number =>
  statuses.some((s) => s.state === 'expired' || s.state === 'unverified') ? 2 : statuses.some((s) => s.state === 'expiring') ? 1 : 0;

export async function statusCommand(ctx: Context, repos: string[], opts: StatusCommandOptions): Promise<void> {
  const horizonMs = parseHorizon(opts.warn ?? '30d');
  if (opts.all === true && repos.length > 0) throw new VouchError('INVALID_ARGUMENT', '--all checks every repository of the trust server; name repositories or give --all, not both');
  if (opts.all !== true && repos.length === 0) throw new VouchError('INVALID_ARGUMENT', 'name at least one repository, or give --all');
  // REPO: its DCT trust data and the signatures of its signed images; REPO:TAG or REPO@DIGEST: that image's signatures.
  const refs = repos.map((r) => {
    const ref = parseReference(r);
    if (opts.signatures === false && (ref.tag !== undefined || ref.digest !== undefined)) {
      throw new VouchError('INVALID_ARGUMENT', `${r}: an image's status is its signatures in the registry, which --no-signatures turns off`, { hint: 'drop the :TAG (or @DIGEST) to check the repository\'s DCT trust data' });
    }
    return ref;
  });
  const statuses: RepoStatus[] = [];
  // A timestamp extends a Notation signature only for a TSA this user's notation trusts (its tsa trust stores).
  const tsaRoots = opts.signatures === false ? [] : await readTsaTrustRoots(notationConfigDir(ctx.env));
  await withSession(ctx, opts, async (s) => {
    if (opts.all === true) for (const gun of await s.listServerRepositories()) refs.push(parseTrustReference(gun, { tag: 'optional' }));
    for (const ref of refs) statuses.push(await repositoryStatus(s, ref, horizonMs, { signatures: opts.signatures !== false, tsaRoots }));
  });
  ctx.io.out(opts.json ? `${JSON.stringify(statuses, null, 2)}\n` : renderStatus(statuses, ctx.now(), horizonMs));
  const code = exitCodeFor(statuses);
  if (code !== 0) throw new ExitStatus(code);
}
