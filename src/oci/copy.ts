// Copying whole images between a registry and local sources/sinks. Children of an index
// (multi-arch) are all copied; blobs before the manifests that reference them, so a registry
// that validates references accepts every PUT.
import { PassThrough, type Readable } from 'node:stream';
import { VouchError, digestOf, forEachLimited } from '../core/index.js';
import type { RegistryClient, PushBlobResult } from './client.js';
import type { ImageSink, ImageSource } from './layout.js';
import { parseManifest, type Descriptor, type Manifest } from './manifest.js';
import { checkBytes } from './verify.js';

/** Nested indexes deeper than this are refused (real images nest one level). */
export const MAX_INDEX_DEPTH = 4;

export interface PushImageOptions {
  /** tag for the root manifest; without one it is pushed by digest */
  tag?: string;
  /** try cross-repository mounts from this repository */
  mountFrom?: string;
  /** chunked blob uploads with this chunk size */
  chunkSize?: number;
  /** blobs transferred at once (default 3) */
  concurrency?: number;
  onBlob?: (desc: Descriptor, result: PushBlobResult) => void;
}

/** Distinct blobs of a manifest, config first (a layer may repeat; it is sent once). */
function blobsOf(m: { config: Descriptor; layers: Descriptor[] }): Descriptor[] {
  const seen = new Set<string>();
  return [m.config, ...m.layers].filter((d) => !seen.has(d.digest) && (seen.add(d.digest), true));
}

export interface PushedImage {
  digest: string;
  size: number;
  mediaType: string;
}

/** Pushes the image (or index with all its children) that `root` describes in `source`. */
export async function pushImage(client: RegistryClient, repo: string, source: ImageSource, root: Descriptor, opts: PushImageOptions = {}): Promise<PushedImage> {
  const pushed = await pushNode(client, repo, source, root, opts.tag ?? root.digest, opts, 0);
  return { digest: root.digest, size: pushed.bytes.byteLength, mediaType: pushed.mediaType };
}

async function pushNode(client: RegistryClient, repo: string, source: ImageSource, desc: Descriptor, ref: string, opts: PushImageOptions, depth: number): Promise<{ bytes: Buffer; mediaType: string }> {
  if (depth > MAX_INDEX_DEPTH) throw new VouchError('INVALID_METADATA', `indexes nest deeper than ${MAX_INDEX_DEPTH} levels`);
  const bytes = await source.readManifest(desc);
  const m = parseManifest(bytes, desc.mediaType);
  if (m.kind === 'index') {
    for (const child of m.manifests) {
      // Children by digest: a tag would be overwritten by the next one.
      await pushNode(client, repo, source, child, child.digest, opts, depth + 1);
    }
  } else {
    await forEachLimited(blobsOf(m), opts.concurrency ?? 3, async (blob) => {
      const result = await client.pushBlob(repo, blob, () => openSync(source, blob), { ...(opts.mountFrom ? { mountFrom: opts.mountFrom } : {}), ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}) });
      opts.onBlob?.(blob, result);
    });
  }
  await client.putManifest(repo, ref, bytes, m.mediaType);
  return { bytes, mediaType: m.mediaType };
}

/**
 * `ImageSource.openBlob` is async; uploads need a synchronous stream factory (so a request can be
 * re-sent after an auth challenge). This bridges the two with a pass-through.
 */
function openSync(source: ImageSource, desc: Descriptor): Readable {
  const out = new PassThrough();
  source.openBlob(desc).then((s) => {
    s.on('error', (e) => out.destroy(e));
    s.pipe(out);
  }, (e: unknown) => out.destroy(e as Error));
  return out;
}

/**
 * Blobs downloaded at once by default: skopeo's and containerd's default. A 4-layer image then
 * downloads all its layers at once instead of waiting for the config's fsync and a finished
 * layer before the last ones start (3 left the last layer alone at the end of the pull).
 */
export const PULL_CONCURRENCY = 6;

export interface PullImageOptions {
  /** blobs transferred at once (default PULL_CONCURRENCY) */
  concurrency?: number;
  onBlob?: (desc: Descriptor, skipped: boolean) => void;
}

export interface PulledImage {
  /** descriptor of the root manifest or index, for an index.json entry */
  descriptor: Descriptor;
  manifest: Manifest;
}

/**
 * Pulls an image by tag or digest into a sink (e.g. an OciLayoutWriter), checking everything:
 * the root digest when pulling by digest, every child against its descriptor, every blob while
 * it streams.
 */
export async function pullImage(client: RegistryClient, repo: string, ref: string, sink: ImageSink, opts: PullImageOptions = {}): Promise<PulledImage> {
  const root = await client.getManifest(repo, ref);
  const descriptor: Descriptor = { mediaType: root.mediaType, digest: root.digest, size: root.size };
  await pullNode(client, repo, root.bytes, descriptor, root.manifest, sink, opts, 0);
  return { descriptor, manifest: root.manifest };
}

async function pullNode(client: RegistryClient, repo: string, bytes: Buffer, desc: Descriptor, m: Manifest, sink: ImageSink, opts: PullImageOptions, depth: number): Promise<void> {
  if (depth > MAX_INDEX_DEPTH) throw new VouchError('INVALID_METADATA', `indexes nest deeper than ${MAX_INDEX_DEPTH} levels`);
  if (m.kind === 'index') {
    for (const child of m.manifests) {
      const c = await client.getManifest(repo, child.digest);
      checkBytes(c.bytes, child, `manifest ${child.digest}`);
      await pullNode(client, repo, c.bytes, child, c.manifest, sink, opts, depth + 1);
    }
  } else {
    await forEachLimited(blobsOf(m), opts.concurrency ?? PULL_CONCURRENCY, async (blob) => {
      const have = await sink.hasBlob(blob.digest);
      if (!have) await sink.writeBlob(blob, await client.openBlob(repo, blob));
      opts.onBlob?.(blob, have);
    });
  }
  // The manifest goes in last: a layout never references content it does not hold.
  await sink.writeBlob({ digest: desc.digest, size: bytes.byteLength }, bytes);
}

/** The descriptor for manifest bytes of a given media type. */
export function manifestDescriptor(bytes: Buffer, mediaType: string): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
}

/** A repository as an ImageSource, for registry-to-registry copies (everything re-verified). */
export class RegistryImageSource implements ImageSource {
  constructor(private readonly client: RegistryClient, private readonly repo: string) {}

  async readManifest(desc: Descriptor): Promise<Buffer> {
    const m = await this.client.getManifest(this.repo, desc.digest);
    checkBytes(m.bytes, desc, `manifest ${desc.digest}`);
    return m.bytes;
  }

  openBlob(desc: { digest: string; size: number }): Promise<Readable> {
    return this.client.openBlob(this.repo, desc);
  }
}
