// Small, deterministic container images for the interop suites: an OCI image layout with one gzip
// layer holding /hello.txt (the same bytes on every run for the same repository, tag and content),
// pushed to a registry by the real skopeo, whose answer is checked against the registry's.
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export interface ImageLayout {
  /** The OCI image layout directory. */
  layout: string;
  digest: string;
  sha256: string;
  size: number;
  mediaType: string;
  /** Path of the manifest's exact bytes. */
  manifestPath: string;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function tarOf(name: string, content: Buffer): Promise<Buffer> {
  const p = pack();
  p.entry({ name, size: content.length, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(0), type: 'file' }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Writes the layout to `root/images/<repo with / as _>-<tag>` (replacing an older one) and returns
 * its manifest. `content` is the text of /hello.txt (default `hello from REPO:TAG`).
 */
export async function buildImageLayout(root: string, repo: string, tag: string, content = `hello from ${repo}:${tag}`): Promise<ImageLayout> {
  const layout = join(root, 'images', `${repo.replaceAll('/', '_')}-${tag}`);
  await rm(layout, { recursive: true, force: true });
  const blobs = join(layout, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const putBlob = async (bytes: Buffer, mediaType: string): Promise<{ mediaType: string; digest: string; size: number }> => {
    const hex = sha256(bytes);
    await writeFile(join(blobs, hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  };
  const tar = await tarOf('hello.txt', Buffer.from(`${content}\n`));
  const layer = await putBlob(gzipSync(tar, { level: 9 }), OCI_LAYER_GZIP);
  const epoch = '1970-01-01T00:00:00Z';
  const config = await putBlob(Buffer.from(JSON.stringify({
    created: epoch,
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/hello.txt'], Env: ['PATH=/'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
    history: [{ created: epoch, created_by: 'vouch test image' }],
  })), OCI_CONFIG);
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }));
  const manifest = await putBlob(manifestBytes, OCI_MANIFEST);
  await writeFile(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const hex = manifest.digest.slice('sha256:'.length);
  return { layout, digest: manifest.digest, sha256: hex, size: manifest.size, mediaType: OCI_MANIFEST, manifestPath: join(blobs, hex) };
}

/** The manifest media type a registry answers with for an image pushed in `format`. */
export const pushedMediaType = (format: 'oci' | 'v2s2'): string => (format === 'v2s2' ? DOCKER_MANIFEST : OCI_MANIFEST);
