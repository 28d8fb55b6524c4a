// vouch trust archive REPO --to LOCATION: the repository's verified trust data as one OCI artifact.
import { collectArchive, parseArchiveLocation, storeArchive } from '../../client/dctarchive.js';
import { parseTrustReference } from '../../client/session.js';
import type { Context } from '../context.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export async function trustArchive(ctx: Context, repo: string, opts: CommonTrustOptions & { to: string; json?: boolean }): Promise<void> {
  const ref = parseTrustReference(repo, { tag: 'optional' });
  const to = parseArchiveLocation(opts.to);
  await withSession(ctx, opts, async (s) => {
    const archive = await collectArchive(s, ref);
    const stored = await storeArchive(s, archive, to);
    const roots = [...archive.files.keys()].filter((n) => n.startsWith('root.')).length;
    const roles = [...archive.files.keys()].filter((n) => !n.startsWith('root.')).map((n) => n.slice(0, -'.json'.length));
    if (opts.json) {
      ctx.io.out(JSON.stringify({ repository: archive.gun, server: archive.server, archivedAt: archive.created.toISOString(), location: stored.location, digest: stored.digest, rootVersions: roots, roles }, null, 2) + '\n');
      return;
    }
    ctx.io.out(`Archived the trust data of ${archive.gun} from ${archive.server}: ${roots} root version${roots === 1 ? '' : 's'}, ${roles.join(', ')}\n`);
    ctx.io.out(`Stored at ${stored.location} (${stored.digest})\n`);
    ctx.io.out(`Verify offline later with: vouch verify --dct-archive ${opts.to} ${archive.gun}:TAG\n`);
  });
}
