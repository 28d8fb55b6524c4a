// Local image locations in skopeo's notation, for `vouch push --from` and `vouch pull --to`:
//   oci:DIR[:TAG]                   an OCI image layout (TAG = ref.name in index.json, or a digest)
//   docker-archive:FILE[:REPO:TAG]  a `docker save` tar
// Paths may themselves contain ':'; the path is the longest prefix that exists (sources) or the
// part before a final `:tag` (destinations).
import { stat } from 'node:fs/promises';
import { VouchError, isTag } from '../core/index.js';
import { DockerArchive } from './archive.js';
import { OciLayout, type ImageSource } from './layout.js';
import type { Descriptor } from './manifest.js';

export interface OpenedSource {
  kind: 'oci' | 'docker-archive';
  path: string;
  source: ImageSource;
  /** the manifest or index to push */
  root: Descriptor;
  /** the tag named in the location or found in it (ref.name / RepoTags), if any */
  name?: string;
}


async function isFile(p: string): Promise<boolean> {
  try { return (await stat(p)).isFile(); } catch { return false; }
}

async function isDir(p: string): Promise<boolean> {
  try { return (await stat(p)).isDirectory(); } catch { return false; }
}

/** Splits `path[:ref]` at the first ':' whose prefix exists; else the whole string is the path. */
async function splitExisting(rest: string, exists: (p: string) => Promise<boolean>): Promise<{ path: string; ref?: string }> {
  if (await exists(rest)) return { path: rest };
  for (let i = rest.indexOf(':'); i >= 0; i = rest.indexOf(':', i + 1)) {
    const path = rest.slice(0, i);
    if (path && await exists(path)) return { path, ref: rest.slice(i + 1) };
  }
  return { path: rest };
}

export interface OpenSourceOptions {
  /** docker-archive layout variant to expect (default: either) */
  format?: 'docker' | 'oci';
  /**
   * The image being pushed, for a location that names no image but holds several: the oci entry
   * whose ref.name is `tag`, or the docker-archive image tagged `name:tag`. Nothing looser (a
   * RepoTag of another repository that merely ends in `:tag` is not it).
   */
  pushing?: { name: string; tag: string };
}

/** Opens `oci:…` or `docker-archive:…` for reading and resolves the image in it. */
export async function openImageSource(location: string, opts: OpenSourceOptions = {}): Promise<OpenedSource> {
  if (location.startsWith('oci:')) {
    const { path, ref } = await splitExisting(location.slice(4), isDir);
    const layout = await OciLayout.open(path);
    const root = layout.resolve(ref || (layout.manifests.length > 1 ? opts.pushing?.tag : undefined));
    const name = ref && !ref.includes(':') ? ref : root.annotations?.['org.opencontainers.image.ref.name'];
    return { kind: 'oci', path, source: layout, root, ...(name ? { name } : {}) };
  }
  if (location.startsWith('docker-archive:')) {
    const { path, ref } = await splitExisting(location.slice('docker-archive:'.length), isFile);
    const archive = await DockerArchive.open(path, opts.format ? { format: opts.format } : {});
    const wanted = opts.pushing ? `${opts.pushing.name}:${opts.pushing.tag}` : undefined;
    const image = archive.resolve(ref || (archive.images.length > 1 ? wanted : undefined));
    const tagged = ref || image.repoTags[0];
    const name = tagged?.includes(':') ? tagged.slice(tagged.lastIndexOf(':') + 1) : undefined;
    return { kind: 'docker-archive', path, source: archive, root: image.descriptor, ...(name ? { name } : {}) };
  }
  throw new VouchError('INVALID_ARGUMENT', `unsupported image location '${location}'`, { hint: 'use oci:DIR[:TAG] or docker-archive:FILE[:REPO:TAG]' });
}

/** Parses a destination `oci:DIR[:TAG]` (the directory need not exist yet). */
export function parseLayoutLocation(location: string): { path: string; tag?: string } {
  if (!location.startsWith('oci:')) {
    throw new VouchError('INVALID_ARGUMENT', `unsupported destination '${location}'`, { hint: 'use oci:DIR[:TAG]' });
  }
  const rest = location.slice(4);
  const i = rest.lastIndexOf(':');
  if (i > 0 && isTag(rest.slice(i + 1))) return { path: rest.slice(0, i), tag: rest.slice(i + 1) };
  if (rest === '') throw new VouchError('INVALID_ARGUMENT', 'oci: needs a directory');
  return { path: rest };
}
