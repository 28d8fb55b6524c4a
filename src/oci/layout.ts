// OCI image layout on disk (image-spec image-layout.md): `oci-layout`, `index.json`, and
// `blobs/<alg>/<hex>`. Reads check every digest; writes never leave a half-written layout behind:
// a new layout is built in a sibling temp directory and renamed into place; additions to an
// existing one are staged in a sibling temp directory too, and only on commit are the new blobs
// moved in and index.json replaced atomically, so an aborted write leaves the layout as it was.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { VouchError, isJsonObject, parseDigest, parseJson } from '../core/index.js';
import { streamToFileAtomic, syncDir, writeFileAtomic } from '../files/index.js';
import { parseDescriptor, type Descriptor } from './manifest.js';
import { MAX_MANIFEST_BYTES, OCI_INDEX, REF_NAME_ANNOTATION } from './mediatypes.js';
import { VerifyingStream, checkBytes, isCheckedStream, type Expected } from './verify.js';

export const LAYOUT_VERSION = '1.0.0';

/** Anything images can be read from: an OCI layout, a docker-archive, a registry. */
export interface ImageSource {
  /** exact bytes of a manifest or index, checked against the descriptor */
  readManifest(desc: Descriptor): Promise<Buffer>;
  /** a blob's bytes, checked against the descriptor while streaming */
  openBlob(desc: Expected): Promise<Readable>;
}

/** Anything images can be written to. */
export interface ImageSink {
  hasBlob(digest: string): Promise<boolean>;
  /** stores content (a manifest, config or layer), checking it against the descriptor */
  writeBlob(desc: Expected, data: Buffer | Readable): Promise<void>;
}

export function blobPath(root: string, digest: string): string {
  const d = parseDigest(digest);
  return join(root, 'blobs', d.algorithm, d.hex);
}

/** The descriptor's `org.opencontainers.image.ref.name`, if any. */
export function refNameOf(desc: Descriptor): string | undefined {
  return desc.annotations?.[REF_NAME_ANNOTATION];
}

async function readIndex(dir: string): Promise<Descriptor[]> {
  const file = join(dir, 'index.json');
  let bytes: Buffer;
  try { bytes = await readFile(file); } catch (err) {
    throw new VouchError('FILE_NOT_FOUND', `${dir} is not an OCI image layout: no index.json`, { cause: err });
  }
  const v = parseJson(bytes, { maxBytes: MAX_MANIFEST_BYTES, what: file });
  if (!isJsonObject(v) || v.schemaVersion !== 2 || !Array.isArray(v.manifests)) throw new VouchError('INVALID_METADATA', `${file} is not an OCI image index`);
  return v.manifests.map((m, i) => parseDescriptor(m, `${file} manifests[${i}]`));
}

async function checkLayoutFile(dir: string): Promise<void> {
  const file = join(dir, 'oci-layout');
  let bytes: Buffer;
  try { bytes = await readFile(file); } catch (err) {
    throw new VouchError('FILE_NOT_FOUND', `${dir} is not an OCI image layout: no oci-layout file`, { cause: err });
  }
  const v = parseJson(bytes, { maxBytes: 64 * 1024, what: file });
  if (!isJsonObject(v) || typeof v.imageLayoutVersion !== 'string') throw new VouchError('INVALID_METADATA', `${file} has no imageLayoutVersion`);
  if (!v.imageLayoutVersion.startsWith('1.')) throw new VouchError('INVALID_METADATA', `${file}: unsupported layout version ${v.imageLayoutVersion}`);
}

/** A read-only OCI image layout. */
export class OciLayout implements ImageSource {
  private constructor(readonly dir: string, readonly manifests: Descriptor[]) {}

  static async open(dir: string): Promise<OciLayout> {
    await checkLayoutFile(dir);
    return new OciLayout(dir, await readIndex(dir));
  }

  /**
   * Finds an entry of index.json by ref name (tag) or digest; without a ref the layout must hold
   * exactly one entry.
   */
  resolve(ref?: string): Descriptor {
    if (ref === undefined) {
      if (this.manifests.length === 1) return this.manifests[0] as Descriptor;
      throw new VouchError('INVALID_ARGUMENT', `${this.dir} holds ${this.manifests.length} images; name one (oci:DIR:TAG)`);
    }
    const hit = ref.includes(':') ? this.manifests.find((m) => m.digest === ref) : this.manifests.find((m) => refNameOf(m) === ref);
    if (!hit) throw new VouchError('IMAGE_NOT_FOUND', `no image '${ref}' in ${this.dir}`, { details: { refs: this.manifests.map((m) => refNameOf(m) ?? m.digest) } });
    return hit;
  }

  async hasBlob(digest: string): Promise<boolean> {
    try { return (await stat(blobPath(this.dir, digest))).isFile(); } catch { return false; }
  }

  async readManifest(desc: Descriptor): Promise<Buffer> {
    if (desc.size > MAX_MANIFEST_BYTES) throw new VouchError('TOO_LARGE', `manifest ${desc.digest} is ${desc.size} bytes, over the limit of ${MAX_MANIFEST_BYTES}`);
    const bytes = await this.readFileOf(desc.digest);
    checkBytes(bytes, desc, `manifest ${desc.digest} in ${this.dir}`);
    return bytes;
  }

  async openBlob(desc: Expected): Promise<Readable> {
    const path = blobPath(this.dir, desc.digest);
    try { await stat(path); } catch (err) {
      throw new VouchError('BLOB_NOT_FOUND', `blob ${desc.digest} is missing from ${this.dir}`, { cause: err });
    }
    const check = new VerifyingStream(desc, `blob ${desc.digest} in ${this.dir}`);
    const s = createReadStream(path);
    s.on('error', (e) => check.destroy(e));
    return s.pipe(check);
  }

  private async readFileOf(digest: string): Promise<Buffer> {
    try { return await readFile(blobPath(this.dir, digest)); } catch (err) {
      throw new VouchError('BLOB_NOT_FOUND', `blob ${digest} is missing from ${this.dir}`, { cause: err });
    }
  }
}

/**
 * Writes images into a layout. Nothing is visible at `dir` until `commit()`: a new layout lives
 * in a temp directory beside it and is renamed into place; for an existing layout the new blobs
 * wait in a temp directory beside it and are moved in by commit, just before index.json is
 * replaced. `abort()` (or a failed commit) removes what was staged or moved in: the existing
 * layout is left byte for byte as it was.
 */
export class OciLayoutWriter implements ImageSink {
  private readonly entries: Descriptor[];
  /** digests written to the staging directory (for an existing layout: what commit moves in) */
  private readonly staged = new Set<string>();
  private done = false;

  private constructor(readonly dir: string, private readonly staging: string, private readonly fresh: boolean, existing: Descriptor[]) {
    this.entries = existing;
  }

  static async open(dir: string): Promise<OciLayoutWriter> {
    let exists = false;
    try { exists = (await stat(dir)).isDirectory(); } catch { /* a new layout */ }
    const fresh = !(exists && (await readdir(dir)).length > 0);
    const existing = fresh ? [] : (await checkLayoutFile(dir), await readIndex(dir));
    await mkdir(dirname(dir), { recursive: true });
    const staging = join(dirname(dir), `.${basename(dir)}.tmp-${randomBytes(6).toString('hex')}`);
    await mkdir(join(staging, 'blobs', 'sha256'), { recursive: true });
    return new OciLayoutWriter(dir, staging, fresh, existing);
  }

  get index(): readonly Descriptor[] { return this.entries; }

  async hasBlob(digest: string): Promise<boolean> {
    if (await isFile(blobPath(this.staging, digest))) return true;
    return !this.fresh && isFile(blobPath(this.dir, digest));
  }

  async writeBlob(desc: Expected, data: Buffer | Readable): Promise<void> {
    const path = blobPath(this.staging, desc.digest);
    if (await this.hasBlob(desc.digest)) {
      if (!Buffer.isBuffer(data)) data.destroy();
      return;
    }
    if (Buffer.isBuffer(data)) {
      checkBytes(data, desc, `blob ${desc.digest}`);
      await writeFileAtomic(path, data);
    } else if (isCheckedStream(data, desc)) {
      // Streams from a registry or a layout arrive checked already; anything else is checked here.
      await streamToFileAtomic(path, data);
    } else {
      await streamToFileAtomic(path, data, new VerifyingStream(desc, `blob ${desc.digest}`));
    }
    this.staged.add(desc.digest);
  }

  /**
   * Adds an entry to index.json; `refName` becomes the ref.name annotation and replaces any
   * entry that had it. The manifest's own blob must have been written.
   */
  addManifest(desc: Descriptor, refName?: string): void {
    const entry: Descriptor = { ...desc };
    if (refName !== undefined) {
      entry.annotations = { ...desc.annotations, [REF_NAME_ANNOTATION]: refName };
      const i = this.entries.findIndex((e) => refNameOf(e) === refName);
      if (i >= 0) this.entries.splice(i, 1);
    }
    this.entries.push(entry);
  }

  async commit(): Promise<void> {
    if (this.done) throw new VouchError('INVALID_ARGUMENT', 'layout writer already finished');
    for (const e of this.entries) {
      if (!await this.hasBlob(e.digest)) throw new VouchError('BLOB_NOT_FOUND', `index entry ${e.digest} has no blob in the layout`);
    }
    const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: this.entries });
    if (this.fresh) {
      await writeFileAtomic(join(this.staging, 'oci-layout'), JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }));
      await writeFileAtomic(join(this.staging, 'index.json'), index);
      // An empty directory at `dir` (e.g. made by mktemp) is replaced by the finished layout.
      await rmdir(this.dir).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
      await rename(this.staging, this.dir);
      await syncDir(dirname(this.dir));
      this.done = true;
      return;
    }
    // Every staged blob is complete and fsynced: move them in (a rename each, same filesystem),
    // then index.json names them. Should anything fail, what was moved in is taken out again.
    const moved: string[] = [];
    const made: string[] = [];
    try {
      const dirs = new Set<string>();
      for (const digest of this.staged) {
        const to = blobPath(this.dir, digest);
        if (await isFile(to)) continue;
        const first = await mkdir(dirname(to), { recursive: true });
        if (first !== undefined) made.push(first);
        await rename(blobPath(this.staging, digest), to);
        moved.push(to);
        dirs.add(dirname(to));
      }
      for (const d of dirs) await syncDir(d);
      await writeFileAtomic(join(this.dir, 'index.json'), index);
    } catch (err) {
      for (const f of moved) await rm(f, { force: true });
      for (const d of made.reverse()) await rm(d, { recursive: true, force: true });
      await rm(this.staging, { recursive: true, force: true });
      this.done = true;
      throw err;
    }
    this.done = true;
    await rm(this.staging, { recursive: true, force: true });
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await rm(this.staging, { recursive: true, force: true });
  }
}

async function isFile(path: string): Promise<boolean> {
  try { return (await stat(path)).isFile(); } catch { return false; }
}

/** Reads a layout blob fully (for tests and small blobs). */
export async function readLayoutBlob(dir: string, digest: string): Promise<Buffer> {
  return readFile(blobPath(dir, digest));
}
