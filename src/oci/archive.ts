// Reading a `docker save` archive (docker-archive): a tar with manifest.json listing, per image,
// its config file, repo tags and layer tar files (legacy `<id>/layer.tar`, or `blobs/sha256/<hex>`
// since docker 25). The archive is indexed once; blobs are then streamed straight from their byte
// ranges in the tar, and a schema-2 (or OCI) manifest is built for each image so it can be pushed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { VouchError, digestOf, isJsonObject, parseJson } from '../core/index.js';
import type { ImageSource } from './layout.js';
import type { Descriptor } from './manifest.js';
import { DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_CONFIG, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, OCI_MANIFEST } from './mediatypes.js';
import { VerifyingStream, checkBytes, type Expected } from './verify.js';

export interface TarEntry {
  name: string;
  /** '0' file, '2' symlink, '1' hard link, '5' directory, … */
  type: string;
  size: number;
  /** offset of the data in the archive */
  offset: number;
  linkName: string;
}

const BLOCK = 512;
/** Bounds on what is read into memory from an archive. */
const MAX_META_BYTES = 16 * 1024 * 1024;

function cstring(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(buf: Buffer, start: number, len: number): number {
  const field = buf.subarray(start, start + len);
  // GNU base-256 for sizes over 8 GiB: high bit set in the first byte.
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = cstring(buf, start, len).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new VouchError('INVALID_ARGUMENT', `malformed tar header field '${text}'`);
  return parseInt(text, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(data.subarray(i, sp).toString('ascii'));
    if (!Number.isSafeInteger(len) || len <= 0) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Lists a tar file's entries (ustar, pax and GNU long names), without reading file data. */
export async function listTar(file: string): Promise<TarEntry[]> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const entries: TarEntry[] = [];
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    while (pos + BLOCK <= size) {
      await readExactly(fh, header, pos);
      if (header.every((b) => b === 0)) break;
      const sum = octal(header, 148, 8);
      let check = 0;
      for (let i = 0; i < BLOCK; i++) check += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
      if (sum !== check) throw new VouchError('INVALID_ARGUMENT', `${file} is not a tar archive (bad header checksum at ${pos})`);
      const type = String.fromCharCode(header[156] || 0x30);
      const isMeta = type === 'x' || type === 'L' || type === 'K' || type === 'g';
      // A pax size overrides the header's (which cannot hold sizes past 8 GiB in octal).
      const entrySize = !isMeta && pax.size !== undefined ? Number(pax.size) : octal(header, 124, 12);
      if (!Number.isSafeInteger(entrySize) || entrySize < 0) throw new VouchError('INVALID_ARGUMENT', `${file}: invalid entry size at ${pos}`);
      const dataOffset = pos + BLOCK;
      if (dataOffset + entrySize > size) throw new VouchError('INVALID_ARGUMENT', `${file} is truncated`);
      pos = dataOffset + Math.ceil(entrySize / BLOCK) * BLOCK;
      if (type === 'x' || type === 'L' || type === 'K') {
        if (entrySize > MAX_META_BYTES) throw new VouchError('TOO_LARGE', `${file}: tar metadata entry too large`);
        const data = Buffer.alloc(entrySize);
        await readExactly(fh, data, dataOffset);
        if (type === 'x') pax = parsePax(data);
        else if (type === 'L') longName = cstring(data, 0, data.length);
        else longLink = cstring(data, 0, data.length);
        continue;
      }
      if (type === 'g') continue;
      let name = cstring(header, 0, 100);
      const magic = cstring(header, 257, 6);
      if (magic === 'ustar') {
        const prefix = cstring(header, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      name = pax.path ?? longName ?? name;
      const linkName = pax.linkpath ?? longLink ?? cstring(header, 157, 100);
      entries.push({ name: normalize(name), type, size: entrySize, offset: dataOffset, linkName });
      pax = {};
      longName = undefined;
      longLink = undefined;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

async function readExactly(fh: FileHandle, buf: Buffer, pos: number): Promise<void> {
  const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
  if (bytesRead !== buf.length) throw new VouchError('INVALID_ARGUMENT', 'unexpected end of tar archive');
}

function normalize(name: string): string {
  return posix.normalize(name.replace(/^\.\//, '')).replace(/\/$/, '');
}

export interface ArchiveImage {
  /** repo:tag names from manifest.json (may be empty for untagged images) */
  repoTags: string[];
  /** the manifest built for this image */
  descriptor: Descriptor;
  manifest: Buffer;
  /** the image's platform, from its config */
  platform?: { os: string; architecture: string };
}

export interface DockerArchiveOptions {
  /** manifest flavour to build: docker v2 schema 2 (default) or OCI */
  format?: 'docker' | 'oci';
}

interface BlobLocation { offset: number; size: number }

/** An indexed docker-archive; an ImageSource for pushImage. */
export class DockerArchive implements ImageSource {
  private constructor(readonly file: string, readonly images: ArchiveImage[], private readonly blobs: Map<string, BlobLocation>, private readonly manifests: Map<string, Buffer>) {}

  static async open(file: string, opts: DockerArchiveOptions = {}): Promise<DockerArchive> {
    const format = opts.format ?? 'docker';
    const entries = await listTar(file);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const resolveEntry = (name: string, hops = 0): TarEntry => {
      const e = byName.get(normalize(name));
      if (!e) throw new VouchError('INVALID_ARGUMENT', `${file}: manifest.json names '${name}', which is not in the archive`);
      if ((e.type === '2' || e.type === '1') && hops < 8) {
        // Docker writes repeated layers as links to the first copy.
        const target = e.type === '2' ? posix.join(posix.dirname(e.name), e.linkName) : e.linkName;
        return resolveEntry(target, hops + 1);
      }
      if (e.type !== '0' && e.type !== '\0' && e.type !== '7') throw new VouchError('INVALID_ARGUMENT', `${file}: '${name}' is not a regular file`);
      return e;
    };
    const readEntry = async (e: TarEntry, what: string): Promise<Buffer> => {
      if (e.size > MAX_META_BYTES) throw new VouchError('TOO_LARGE', `${file}: ${what} is ${e.size} bytes, over the limit of ${MAX_META_BYTES}`);
      const fh = await open(file, 'r');
      try {
        const buf = Buffer.alloc(e.size);
        if (e.size > 0) await readExactly(fh, buf, e.offset);
        return buf;
      } finally { await fh.close(); }
    };

    const top = byName.get('manifest.json');
    if (!top) throw new VouchError('INVALID_ARGUMENT', `${file} is not a docker-archive: no manifest.json`, { hint: 'make one with `docker save IMAGE -o FILE`' });
    const list = parseJson(await readEntry(top, 'manifest.json'), { what: `${file} manifest.json` });
    if (!Array.isArray(list) || list.length === 0) throw new VouchError('INVALID_ARGUMENT', `${file}: manifest.json lists no images`);

    const blobs = new Map<string, BlobLocation>();
    const manifests = new Map<string, Buffer>();
    const images: ArchiveImage[] = [];
    const digests = new Map<string, string>();
    for (const [i, item] of list.entries()) {
      if (!isJsonObject(item) || typeof item.Config !== 'string' || !Array.isArray(item.Layers)) {
        throw new VouchError('INVALID_ARGUMENT', `${file}: manifest.json entry ${i} needs Config and Layers`);
      }
      const configEntry = resolveEntry(item.Config);
      const configBytes = await readEntry(configEntry, 'image config');
      const configDigest = digestOf(configBytes);
      blobs.set(configDigest, { offset: configEntry.offset, size: configEntry.size });
      const config = parseJson(configBytes, { what: `${file} ${item.Config}` });
      const diffIds = isJsonObject(config) && isJsonObject(config.rootfs) && Array.isArray(config.rootfs.diff_ids) ? config.rootfs.diff_ids : [];
      const layers: Descriptor[] = [];
      for (const [j, l] of item.Layers.entries()) {
        if (typeof l !== 'string') throw new VouchError('INVALID_ARGUMENT', `${file}: manifest.json entry ${i} has a non-string layer`);
        const e = resolveEntry(l);
        const key = `${e.offset}`;
        let digest = digests.get(key);
        if (!digest) {
          digest = await hashRange(file, e);
          digests.set(key, digest);
        }
        const kind = await sniff(file, e);
        // An uncompressed layer's digest is its diff_id; anything else means a corrupt archive.
        if (kind === 'tar' && diffIds[j] !== undefined && diffIds[j] !== digest) {
          throw new VouchError('HASH_MISMATCH', `${file}: layer ${l} hashes to ${digest} but the config says ${String(diffIds[j])}`);
        }
        blobs.set(digest, { offset: e.offset, size: e.size });
        const mediaType = format === 'oci'
          ? (kind === 'gzip' ? OCI_LAYER_GZIP : kind === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER)
          : (kind === 'gzip' ? DOCKER_LAYER_GZIP : DOCKER_LAYER);
        layers.push({ mediaType, digest, size: e.size });
      }
      if (diffIds.length !== 0 && diffIds.length !== layers.length) {
        throw new VouchError('INVALID_ARGUMENT', `${file}: image ${i} has ${layers.length} layers but its config lists ${diffIds.length}`);
      }
      const manifestType = format === 'oci' ? OCI_MANIFEST : DOCKER_MANIFEST;
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        config: { mediaType: format === 'oci' ? OCI_CONFIG : DOCKER_CONFIG, digest: configDigest, size: configBytes.byteLength },
        layers,
      }));
      const descriptor: Descriptor = { mediaType: manifestType, digest: digestOf(manifest), size: manifest.byteLength };
      manifests.set(descriptor.digest, manifest);
      const repoTags = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
      const img: ArchiveImage = { repoTags, descriptor, manifest };
      if (isJsonObject(config) && typeof config.os === 'string' && typeof config.architecture === 'string') img.platform = { os: config.os, architecture: config.architecture };
      images.push(img);
    }
    return new DockerArchive(file, images, blobs, manifests);
  }

  /** The image tagged `repoTag` (e.g. "app:1.0"); without one the archive must hold one image. */
  resolve(repoTag?: string): ArchiveImage {
    if (repoTag === undefined) {
      if (this.images.length === 1) return this.images[0] as ArchiveImage;
      throw new VouchError('INVALID_ARGUMENT', `${this.file} holds ${this.images.length} images; name one (docker-archive:FILE:REPO:TAG)`);
    }
    const hit = this.images.find((i) => i.repoTags.includes(repoTag) || i.repoTags.some((t) => t.endsWith(`/${repoTag}`)));
    if (!hit) throw new VouchError('IMAGE_NOT_FOUND', `no image '${repoTag}' in ${this.file}`, { details: { tags: this.images.flatMap((i) => i.repoTags) } });
    return hit;
  }

  async readManifest(desc: Descriptor): Promise<Buffer> {
    const m = this.manifests.get(desc.digest);
    if (!m) throw new VouchError('BLOB_NOT_FOUND', `no manifest ${desc.digest} in ${this.file}`);
    checkBytes(m, desc, `manifest ${desc.digest}`);
    return m;
  }

  async openBlob(desc: Expected): Promise<Readable> {
    const loc = this.blobs.get(desc.digest);
    if (!loc) throw new VouchError('BLOB_NOT_FOUND', `no blob ${desc.digest} in ${this.file}`);
    const check = new VerifyingStream(desc, `blob ${desc.digest} in ${this.file}`);
    if (loc.size === 0) { check.end(); return check; }
    const s = createReadStream(this.file, { start: loc.offset, end: loc.offset + loc.size - 1 });
    s.on('error', (e) => check.destroy(e));
    return s.pipe(check);
  }
}

async function hashRange(file: string, e: TarEntry): Promise<string> {
  const h = createHash('sha256');
  if (e.size > 0) {
    for await (const c of createReadStream(file, { start: e.offset, end: e.offset + e.size - 1 })) h.update(c as Buffer);
  }
  return `sha256:${h.digest('hex')}`;
}

async function sniff(file: string, e: TarEntry): Promise<'gzip' | 'zstd' | 'tar'> {
  if (e.size < 4) return 'tar';
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(4);
    await readExactly(fh, b, e.offset);
    if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'tar';
  } finally { await fh.close(); }
}
