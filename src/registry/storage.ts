// Filesystem storage for the embedded registry. Content is addressed by digest and shared by all
// repositories; a repository holds link files saying which blobs and manifests it may serve,
// and its tags. Every write is temp file + fsync + rename, so a crash leaves old or new, never torn.
// Every write is counted against the disk budget before it happens, and upload sessions against
// their bounds (accounting.ts); idle sessions are deleted with their data.
//
//   root/blobs/sha256/<hex>                               content
//   root/repositories/<name>/_blobs/sha256/<hex>          blob link (empty)
//   root/repositories/<name>/_manifests/sha256/<hex>      manifest link: {"mediaType": …}
//   root/repositories/<name>/_tags/<tag>                  digest text
//   root/repositories/<name>/_referrers/sha256/<subject hex>/<hex>   referrer descriptor (JSON)
//   root/uploads/<uuid>/{data,repo}                       upload sessions
//   root/tmp/                                             temp files
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VouchError, isRepositoryName, isTag, parseDigest } from '../core/index.js';
import { writeFileAtomic } from '../files/index.js';
import { DiskUse, UploadTable } from './accounting.js';
import { DEFAULT_REGISTRY_LIMITS, type RegistryLimits } from './limits.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The distribution-spec repository grammar (core/names.ts); it also rules out `..`, empty and `_`-led components. */
export const validName = isRepositoryName;

export function validUploadId(id: string): boolean {
  return UUID_PATTERN.test(id);
}

/** Raised for limits the HTTP layer turns into SIZE_INVALID / BLOB_UPLOAD_INVALID. */
export class StorageLimitError extends Error {}

export interface ReferrerRecord {
  subject: string;
  /** the descriptor the referrers API lists (mediaType, digest, size, artifactType, annotations) */
  descriptor: Record<string, unknown>;
}

export interface ManifestRecord {
  digest: string;
  mediaType: string;
  size: number;
  path: string;
}

/**
 * Hashes and counts the bytes passing through; fails once more than `limit` have passed, or when
 * `admit` refuses a chunk (a budget). `accepted` counts the bytes let through.
 */
class HashCounter extends Transform {
  readonly hash = createHash('sha256');
  count = 0;
  accepted = 0;
  constructor(private readonly limit: number, private readonly admit: (n: number) => void = () => undefined) { super(); }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.byteLength;
    if (this.count > this.limit) { cb(new StorageLimitError(`more than ${this.limit} bytes`)); return; }
    try {
      this.admit(chunk.byteLength);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.accepted += chunk.byteLength;
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

/**
 * Streams a request body through `counter` into `sink`. Unlike pipeline(body, …), a refusal (a limit,
 * a budget) leaves the body undestroyed and unread, so the HTTP layer can still answer on the
 * connection (and close it); a body that ends early fails the write.
 */
async function receive(body: Readable, counter: HashCounter, sink: Writable): Promise<void> {
  const broken = (err?: Error): void => { counter.destroy(err ?? new StorageLimitError('the request body was not received whole')); };
  const onClose = (): void => { if (!body.readableEnded) broken(); };
  body.once('error', broken);
  body.once('close', onClose);
  body.pipe(counter);
  try {
    await pipeline(counter, sink);
  } finally {
    body.off('error', broken);
    body.off('close', onClose);
    body.unpipe(counter);
  }
}

async function sizeOf(path: string): Promise<number> {
  try { return (await stat(path)).size; } catch { return 0; }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

export class FsStorage {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** bytes of files under root, against the disk budget */
  readonly disk: DiskUse;
  /** open upload sessions */
  readonly uploads: UploadTable;

  constructor(readonly root: string, private readonly limits: RegistryLimits = DEFAULT_REGISTRY_LIMITS, private readonly now: () => number = Date.now) {
    this.disk = new DiskUse(limits.diskBudgetBytes);
    this.uploads = new UploadTable(limits);
  }

  /** Creates the layout, drops temp files a crash left, and counts what is on disk and which sessions are open. */
  async init(): Promise<void> {
    for (const d of ['blobs/sha256', 'repositories', 'uploads', 'tmp']) await mkdir(join(this.root, d), { recursive: true });
    for (const f of await readdir(join(this.root, 'tmp'))) await rm(join(this.root, 'tmp', f), { recursive: true, force: true });
    for (const id of await readdir(join(this.root, 'uploads'))) {
      const dir = join(this.root, 'uploads', id);
      try {
        if (!validUploadId(id)) throw new Error('not a session');
        const repo = await readFile(join(dir, 'repo'), 'utf8');
        if (!validName(repo)) throw new Error('not a session');
        const data = await stat(join(dir, 'data'));
        this.uploads.add(id, repo, data.size, data.mtimeMs);
      } catch {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 64) return;
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name), depth + 1);
        else if (e.isFile()) this.disk.found(await sizeOf(join(dir, e.name)));
      }
    };
    await walk(this.root, 0);
  }

  /** Serialises work on one key (an upload session, a repository's tags). */
  async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    this.locks.set(key, run);
    try { return await run; } finally { if (this.locks.get(key) === run) this.locks.delete(key); }
  }

  private tmpPath(): string {
    return join(this.root, 'tmp', randomBytes(12).toString('hex'));
  }

  private async writeAtomic(path: string, data: string | Buffer): Promise<void> {
    const size = Buffer.byteLength(data);
    const replaced = await sizeOf(path);
    this.disk.take(size);
    try {
      // the temp file in the registry's own tmp/ (swept at start-up, counted against the budget)
      await writeFileAtomic(path, data, { tmp: this.tmpPath() });
    } catch (err) {
      this.disk.give(size);
      throw err;
    }
    this.disk.give(replaced);
  }

  /** Removes a file, giving its bytes back to the disk budget. */
  private async removeFile(path: string): Promise<void> {
    const size = await sizeOf(path);
    await rm(path, { force: true });
    this.disk.give(size);
  }

  blobPath(digest: string): string {
    const d = parseDigest(digest);
    return join(this.root, 'blobs', d.algorithm, d.hex);
  }

  private repoDir(name: string): string {
    if (!validName(name)) throw new VouchError('INVALID_ARGUMENT', `invalid repository name '${name}'`);
    return join(this.root, 'repositories', ...name.split('/'));
  }

  private blobLink(name: string, digest: string): string {
    const d = parseDigest(digest);
    return join(this.repoDir(name), '_blobs', d.algorithm, d.hex);
  }

  private manifestLink(name: string, digest: string): string {
    const d = parseDigest(digest);
    return join(this.repoDir(name), '_manifests', d.algorithm, d.hex);
  }

  private tagPath(name: string, tag: string): string {
    if (!isTag(tag)) throw new VouchError('INVALID_ARGUMENT', `invalid tag '${tag}'`);
    return join(this.repoDir(name), '_tags', tag);
  }

  async repositoryExists(name: string): Promise<boolean> {
    const dir = this.repoDir(name);
    return (await exists(join(dir, '_manifests'))) || (await exists(join(dir, '_blobs'))) || (await exists(join(dir, '_tags')));
  }

  // ---- blobs ----

  /** Size of the blob if `name` may serve it. */
  async repoBlobSize(name: string, digest: string): Promise<number | undefined> {
    if (!await exists(this.blobLink(name, digest))) return undefined;
    try { return (await stat(this.blobPath(digest))).size; } catch { return undefined; }
  }

  async linkBlob(name: string, digest: string): Promise<void> {
    const link = this.blobLink(name, digest);
    if (!await exists(link)) await this.writeAtomic(link, '');
  }

  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    const link = this.blobLink(name, digest);
    if (!await exists(link)) return false;
    await this.removeFile(link);
    return true;
  }

  openBlob(digest: string): Readable {
    return createReadStream(this.blobPath(digest));
  }

  /** Moves a complete, verified file into the content store (dropping it if the content is there). */
  private async commitFile(file: string, digest: string): Promise<void> {
    const dest = this.blobPath(digest);
    if (await exists(dest)) { await this.removeFile(file); return; }
    await fsyncFile(file);
    await mkdir(dirname(dest), { recursive: true });
    await rename(file, dest);
  }

  /** Stores a whole blob from a stream if it hashes to `digest`; returns false (and keeps nothing) otherwise. */
  async putBlobStream(name: string, digest: string, body: Readable, limit: number): Promise<boolean> {
    const { algorithm } = parseDigest(digest);
    if (algorithm !== 'sha256') throw new StorageLimitError('only sha256 digests are supported');
    const tmp = this.tmpPath();
    const counter = new HashCounter(limit, (n) => { this.disk.take(n); });
    try {
      await receive(body, counter, createWriteStream(tmp, { flags: 'wx' }));
      if (`sha256:${counter.hash.digest('hex')}` !== digest) { await this.removeFile(tmp); return false; }
      await this.commitFile(tmp, digest);
      await this.linkBlob(name, digest);
      return true;
    } catch (err) {
      await rm(tmp, { force: true });
      this.disk.give(counter.accepted);
      throw err;
    }
  }

  async putBlobBytes(digest: string, bytes: Buffer): Promise<void> {
    const dest = this.blobPath(digest);
    if (!await exists(dest)) await this.writeAtomic(dest, bytes);
  }

  // ---- manifests and tags ----

  async putManifest(name: string, digest: string, mediaType: string, bytes: Buffer, tag?: string, referrer?: ReferrerRecord): Promise<void> {
    await this.putBlobBytes(digest, bytes);
    if (referrer) await this.writeAtomic(this.referrerPath(name, referrer.subject, digest), JSON.stringify(referrer.descriptor));
    await this.writeAtomic(this.manifestLink(name, digest), JSON.stringify({ mediaType, ...(referrer ? { subject: referrer.subject } : {}) }));
    if (tag !== undefined) await this.writeAtomic(this.tagPath(name, tag), digest);
  }

  private referrerPath(name: string, subject: string, digest: string): string {
    const s = parseDigest(subject);
    const d = parseDigest(digest);
    return join(this.repoDir(name), '_referrers', s.algorithm, s.hex, `${d.algorithm}-${d.hex}`);
  }

  /** Descriptors of the manifests in `name` whose subject is `subject`, sorted by digest. */
  async referrers(name: string, subject: string): Promise<Record<string, unknown>[]> {
    const s = parseDigest(subject);
    const dir = join(this.repoDir(name), '_referrers', s.algorithm, s.hex);
    let files: string[];
    try { files = (await readdir(dir)).filter((f) => !f.startsWith('.')).sort(); } catch { return []; }
    const out: Record<string, unknown>[] = [];
    for (const f of files) {
      try { out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as Record<string, unknown>); } catch { /* removed meanwhile */ }
    }
    return out;
  }

  async resolveTag(name: string, tag: string): Promise<string | undefined> {
    try { return (await readFile(this.tagPath(name, tag), 'utf8')).trim(); } catch { return undefined; }
  }

  async getManifest(name: string, digest: string): Promise<ManifestRecord | undefined> {
    let link: string;
    try { link = await readFile(this.manifestLink(name, digest), 'utf8'); } catch { return undefined; }
    const { mediaType } = JSON.parse(link) as { mediaType: string };
    const path = this.blobPath(digest);
    try { return { digest, mediaType, size: (await stat(path)).size, path }; } catch { return undefined; }
  }

  async hasManifest(name: string, digest: string): Promise<boolean> {
    return exists(this.manifestLink(name, digest));
  }

  /** Removes a manifest from a repository, with every tag that pointed at it. */
  async deleteManifest(name: string, digest: string): Promise<boolean> {
    const link = this.manifestLink(name, digest);
    if (!await exists(link)) return false;
    try {
      const { subject } = JSON.parse(await readFile(link, 'utf8')) as { subject?: string };
      if (subject) await this.removeFile(this.referrerPath(name, subject, digest));
    } catch { /* a link without a subject */ }
    for (const tag of (await this.tags(name)) ?? []) {
      if (await this.resolveTag(name, tag) === digest) await this.removeFile(this.tagPath(name, tag));
    }
    await this.removeFile(link);
    return true;
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    const p = this.tagPath(name, tag);
    if (!await exists(p)) return false;
    await this.removeFile(p);
    return true;
  }

  /** Sorted tags, or undefined when the repository does not exist. */
  async tags(name: string): Promise<string[] | undefined> {
    if (!await this.repositoryExists(name)) return undefined;
    try {
      return (await readdir(join(this.repoDir(name), '_tags'))).filter(isTag).sort();
    } catch {
      return [];
    }
  }

  /** Every repository name, sorted. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string[], depth: number): Promise<void> => {
      if (depth > 32) return;
      let entries: Dirent[];
      try { entries = await readdir(dir, { withFileTypes: true }); } catch { return; }
      if (entries.some((e) => e.name === '_manifests' || e.name === '_tags')) out.push(prefix.join('/'));
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('_')) await walk(join(dir, e.name), [...prefix, e.name], depth + 1);
    };
    await walk(join(this.root, 'repositories'), [], 0);
    return out.filter((n) => n !== '' && validName(n)).sort();
  }

  // ---- uploads ----

  private uploadDir(id: string): string {
    if (!validUploadId(id)) throw new VouchError('INVALID_ARGUMENT', `invalid upload id '${id}'`);
    return join(this.root, 'uploads', id);
  }

  /** Opens a session for `name`, within the session bounds (idle sessions are expired first). */
  async createUpload(name: string): Promise<string> {
    await this.expireIdleUploads();
    this.uploads.checkOpen(name);
    const id = randomUUID();
    const dir = this.uploadDir(id);
    await mkdir(dir, { recursive: true });
    try {
      await this.writeAtomic(join(dir, 'repo'), name);
      await this.writeAtomic(join(dir, 'data'), '');
    } catch (err) {
      await this.removeUploadFiles(id);
      throw err;
    }
    this.uploads.add(id, name, 0, this.now());
    return id;
  }

  /** Current size of an upload of `name`, or undefined if there is no such session. Counts as activity. */
  async uploadSize(name: string, id: string): Promise<number | undefined> {
    if (!validUploadId(id)) return undefined;
    const dir = this.uploadDir(id);
    try {
      if ((await readFile(join(dir, 'repo'), 'utf8')) !== name) return undefined;
      const size = (await stat(join(dir, 'data'))).size;
      this.uploads.touch(id, this.now());
      return size;
    } catch {
      return undefined;
    }
  }

  /** Throws the refusal when session `id` may not grow by `n` bytes (session bounds, disk budget). */
  checkUploadGrowth(id: string, n: number): void {
    this.uploads.checkGrow(id, n);
    this.disk.check(n);
  }

  /** Appends a chunk; the session never grows past `limit`, nor past the session and disk bounds. Returns the new size. */
  async appendUpload(id: string, body: Readable, limit: number): Promise<number> {
    const file = join(this.uploadDir(id), 'data');
    const before = (await stat(file)).size;
    const counter = new HashCounter(Math.max(0, limit - before), (n) => {
      this.checkUploadGrowth(id, n);
      this.disk.take(n);
      this.uploads.grow(id, n);
    });
    try {
      await receive(body, counter, createWriteStream(file, { flags: 'a' }));
    } catch (err) {
      // A failed chunk is not half-applied: the session goes back to where it was.
      await truncate(file, before);
      this.disk.give(counter.accepted);
      this.uploads.grow(id, -counter.accepted);
      throw err;
    } finally {
      this.uploads.touch(id, this.now());
    }
    return before + counter.count;
  }

  async truncateUpload(id: string, size: number): Promise<void> {
    const file = join(this.uploadDir(id), 'data');
    const cut = Math.max(0, (await stat(file)).size - size);
    await truncate(file, size);
    this.disk.give(cut);
    this.uploads.grow(id, -cut);
  }

  /** Deletes the sessions no request has touched for the idle limit, with their data. Returns how many. */
  async expireIdleUploads(): Promise<number> {
    const cutoff = this.now() - this.limits.uploadIdleMs;
    let n = 0;
    for (const id of this.uploads.idleSince(cutoff)) {
      // A session with a request in progress (a long PATCH) is in use, however old its last touch;
      // waiting for its lock would hold up whoever is sweeping.
      if (this.locks.has(`upload:${id}`)) continue;
      // Under the session's lock: a request that arrives meanwhile finishes first and counts as activity.
      await this.locked(`upload:${id}`, async () => {
        if (!this.uploads.isIdleSince(id, cutoff)) return;
        await this.deleteUpload(id);
        n++;
      });
    }
    return n;
  }

  /** Verifies the session's content against `digest`; on success it becomes a blob of `name`. */
  async finishUpload(name: string, id: string, digest: string): Promise<boolean> {
    const { algorithm } = parseDigest(digest);
    const file = join(this.uploadDir(id), 'data');
    const h = createHash(algorithm);
    for await (const c of createReadStream(file)) h.update(c as Buffer);
    if (`${algorithm}:${h.digest('hex')}` !== digest) return false;
    await this.commitFile(file, digest);
    await this.linkBlob(name, digest);
    await this.deleteUpload(id);
    return true;
  }

  async deleteUpload(id: string): Promise<void> {
    this.uploads.remove(id);
    await this.removeUploadFiles(id);
  }

  private async removeUploadFiles(id: string): Promise<void> {
    const dir = this.uploadDir(id);
    for (const f of ['data', 'repo']) await this.removeFile(join(dir, f));
    await rm(dir, { recursive: true, force: true });
  }
}
