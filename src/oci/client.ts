// OCI distribution client. Nothing the registry says about content is believed: manifest digests
// are computed from the bytes received (and must equal the digest asked for), blobs are hashed and
// counted while they stream, and every body is bounded.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VouchError, digestOf, isRepositoryName, isTag, isVouchError, parseDigest } from '../core/index.js';
import { HttpTransport, bodyFailure, isLoopbackHost, readBody, unusableAnswerCode, type StreamResponse, type TransportOptions } from '../http/index.js';
import { streamToFileAtomic } from '../files/index.js';
import { parseDescriptor, parseManifest, type Descriptor, type Manifest } from './manifest.js';
import { MANIFEST_ACCEPT, MAX_BLOB_BYTES, MAX_MANIFEST_BYTES, OCI_INDEX, baseMediaType } from './mediatypes.js';
import { VerifyingStream, type Expected } from './verify.js';

export interface RegistryClientOptions {
  /** registry host[:port], e.g. 127.0.0.1:5000 or ghcr.io */
  registry: string;
  /** a shared transport (auth tokens are cached in it); otherwise one is made from transportOptions */
  transport?: HttpTransport;
  transportOptions?: TransportOptions;
  /** https by default; loopback registries fall back to plain http as docker allows them */
  scheme?: 'https' | 'http';
  /** manifests larger than this are refused (default and ceiling: 4 MiB) */
  maxManifestBytes?: number;
  /** blobs whose descriptor is larger than this are refused before download (default MAX_BLOB_BYTES, 10 GiB) */
  maxBlobBytes?: number;
  /** upload blobs in PATCH chunks of this size (default: one monolithic PUT) */
  chunkSize?: number;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of `bytes`, computed here */
  digest: string;
  size: number;
  manifest: Manifest;
}

export interface ManifestHead {
  /** as the registry reported it: a hint, not verified (HEAD has no body to hash) */
  digest?: string;
  size?: number;
  mediaType?: string;
}

/** A blob to upload: bytes, or a factory for a fresh stream (so a challenged request can be sent again). */
export type BlobSource = Buffer | (() => Readable);

export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

export interface PushBlobOptions {
  /** try a cross-repository mount from this repository first */
  mountFrom?: string;
  /** upload in PATCH chunks of this many bytes instead of one PUT */
  chunkSize?: number;
  /** skip the existence check (HEAD) */
  force?: boolean;
}

export interface RegistryErrorEntry { code: string; message?: string; detail?: unknown }

export const DEFAULT_MAX_BLOB_BYTES = MAX_BLOB_BYTES;

export function pullScope(repo: string): string { return `repository:${repo}:pull`; }
export function pushScope(repo: string): string { return `repository:${repo}:pull,push`; }

/** The `errors` list of an OCI error body, when there is one. */
export function parseRegistryErrors(body: Buffer): RegistryErrorEntry[] {
  try {
    const v = JSON.parse(body.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(v.errors)) return [];
    return v.errors.filter((e): e is RegistryErrorEntry => typeof e === 'object' && e !== null && typeof (e as RegistryErrorEntry).code === 'string');
  } catch {
    return [];
  }
}

/** Docker Hub's API lives on another host than its image names say. */
export function apiHostOf(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

export class RegistryClient {
  /** the registry as image references name it */
  readonly registry: string;
  /** the host:port requests go to */
  readonly apiHost: string;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly opts: RegistryClientOptions;
  private readonly maxManifest: number;
  private readonly maxBlob: number;
  private base: Promise<string> | undefined;

  constructor(opts: RegistryClientOptions) {
    this.opts = opts;
    this.registry = opts.registry;
    this.apiHost = apiHostOf(opts.registry);
    this.ownsTransport = opts.transport === undefined;
    this.transport = opts.transport ?? new HttpTransport(opts.transportOptions);
    this.maxManifest = Math.min(opts.maxManifestBytes ?? MAX_MANIFEST_BYTES, MAX_MANIFEST_BYTES);
    this.maxBlob = opts.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    if (opts.scheme) this.base = Promise.resolve(`${opts.scheme}://${this.apiHost}`);
  }

  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }

  /** The base URL (scheme://host:port), choosing the scheme on first use. */
  baseUrl(): Promise<string> {
    if (!this.base) {
      const probe = this.chooseScheme();
      this.base = probe;
      // A failed probe is not remembered: the registry may come up later.
      probe.catch(() => { if (this.base === probe) this.base = undefined; });
    }
    return this.base;
  }

  private async chooseScheme(): Promise<string> {
    const https = `https://${this.apiHost}`;
    if (!isLoopbackHost(this.apiHost)) return https;
    try {
      const res = await this.transport.stream('GET', `${https}/v2/`, { retries: 0 });
      await res.discard();
      return https;
    } catch (err) {
      if (!isVouchError(err, 'NETWORK') && !isVouchError(err, 'UNREACHABLE')) throw err;
      return `http://${this.apiHost}`;
    }
  }

  private async url(path: string): Promise<string> {
    return `${await this.baseUrl()}${path}`;
  }

  /** `/v2/<repo>/<kind>/<ref>` with both checked, so nothing can leave the repository's path. */
  private async repoUrl(repo: string, kind: 'manifests' | 'blobs' | 'referrers', ref: string): Promise<string> {
    checkRepo(repo);
    if (kind !== 'manifests' || isDigest(ref)) parseDigestArg(ref);
    else if (!isTag(ref)) throw new VouchError('INVALID_ARGUMENT', `'${ref}' is not a valid tag`);
    return this.url(`/v2/${repo}/${kind}/${ref}`);
  }

  /** GET /v2/: checks that this is a v2 registry and that our credentials (if any) are accepted. */
  async ping(): Promise<{ url: string; apiVersion?: string }> {
    const url = await this.url('/v2/');
    const res = await this.transport.stream('GET', url);
    const body = await readBody(res, 64 * 1024, 'ping response');
    if (res.status !== 200) throw this.error(res, body, 'ping');
    return { url: await this.baseUrl(), ...(res.headers['docker-distribution-api-version'] ? { apiVersion: res.headers['docker-distribution-api-version'] } : {}) };
  }

  /** Turns a failed response into an error with the registry's own error codes in `details`. */
  private error(res: StreamResponse, body: Buffer, what: string): VouchError {
    const errors = parseRegistryErrors(body);
    const codes = errors.map((e) => e.code);
    const text = errors.length ? errors.map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ') : `HTTP ${res.status}`;
    const details = { status: res.status, codes, url: res.url };
    const msg = `${this.registry}: ${what} failed: ${text}`;
    if (res.status === 401 || res.status === 403) {
      return new VouchError('UNAUTHORIZED', msg, { details, hint: `check the credentials for ${this.registry} in $DOCKER_CONFIG/config.json (docker login)` });
    }
    if (res.status === 404) return new VouchError('REGISTRY_NOT_FOUND', msg, { details });
    if (res.status === 413) return new VouchError('TOO_LARGE', msg, { details });
    return new VouchError(unusableAnswerCode(res.status), msg, { details });
  }

  private async fail(res: StreamResponse, what: string): Promise<never> {
    let body: Buffer = Buffer.alloc(0);
    try { body = await readBody(res, 64 * 1024, 'error body'); } catch { /* the status is enough */ }
    throw this.error(res, body, what);
  }

  // ---- manifests ----

  /**
   * Fetches a manifest by tag or digest. By digest, the bytes must hash to it; by tag, the digest
   * is computed here (and a Docker-Content-Digest header that disagrees is refused).
   */
  async getManifest(repo: string, ref: string, opts: { push?: boolean } = {}): Promise<FetchedManifest> {
    const { bytes, digest, served } = await this.fetchManifest(repo, ref, MANIFEST_ACCEPT, opts.push);
    const manifest = parseManifest(bytes, served);
    return { bytes, mediaType: manifest.mediaType, digest, size: bytes.byteLength, manifest };
  }

  /**
   * A manifest's bytes, checked against `digest`, whatever its type (`accept` names the one
   * wanted); the caller parses them. For types parseManifest does not know, such as the OCI
   * 1.1-rc artifact manifest of older signatures.
   */
  async getManifestBytes(repo: string, digest: string, accept: string): Promise<{ bytes: Buffer; mediaType?: string }> {
    parseDigest(digest);
    const { bytes, served } = await this.fetchManifest(repo, digest, accept, false);
    return { bytes, ...(served ? { mediaType: served } : {}) };
  }

  /**
   * A manifest's bytes by tag or digest, unparsed, with the digest computed from them (by digest:
   * checked against it) and the media type the registry served (the registry gate passes them on).
   */
  async getRawManifest(repo: string, ref: string, accept: string): Promise<{ bytes: Buffer; digest: string; contentType?: string }> {
    const { bytes, digest, contentType } = await this.fetchManifest(repo, ref, accept, false);
    return { bytes, digest, ...(contentType ? { contentType } : {}) };
  }

  private async fetchManifest(repo: string, ref: string, accept: string, push?: boolean): Promise<{ bytes: Buffer; digest: string; served?: string; contentType?: string }> {
    const url = await this.repoUrl(repo, 'manifests', ref);
    const res = await this.transport.stream('GET', url, { headers: { accept }, scopes: [push ? pushScope(repo) : pullScope(repo)] });
    if (res.status !== 200) return this.fail(res, `GET manifest ${repo}:${ref}`);
    const bytes = await readBody(res, this.maxManifest, `manifest ${repo}:${ref}`);
    const byDigest = isDigest(ref);
    const algorithm = byDigest ? parseDigest(ref).algorithm : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (byDigest && digest !== ref) {
      throw new VouchError('HASH_MISMATCH', `${this.registry}/${repo}: manifest requested as ${ref} hashes to ${digest}`, { details: { expected: ref, actual: digest } });
    }
    const header = res.headers['docker-content-digest'];
    if (header && header.startsWith(`${algorithm}:`) && header !== digest) {
      throw new VouchError('HASH_MISMATCH', `${this.registry}/${repo}:${ref}: the registry says ${header} but the manifest hashes to ${digest}`, { details: { expected: header, actual: digest } });
    }
    const ct = baseMediaType(res.headers['content-type']);
    // Some registries serve application/json or text/plain; the document's mediaType then decides.
    const served = ct && ct.startsWith('application/vnd.') ? ct : undefined;
    return { bytes, digest: byDigest ? ref : digest, ...(served ? { served } : {}), ...(ct ? { contentType: ct } : {}) };
  }

  /** HEAD a manifest: undefined when absent. The digest returned is the registry's claim only. */
  async headManifest(repo: string, ref: string, opts: { push?: boolean } = {}): Promise<ManifestHead | undefined> {
    const url = await this.repoUrl(repo, 'manifests', ref);
    const res = await this.transport.stream('HEAD', url, { headers: { accept: MANIFEST_ACCEPT }, scopes: [opts.push ? pushScope(repo) : pullScope(repo)] });
    await res.discard();
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.fail(res, `HEAD manifest ${repo}:${ref}`);
    const out: ManifestHead = {};
    if (res.headers['docker-content-digest']) out.digest = res.headers['docker-content-digest'];
    const len = Number(res.headers['content-length']);
    if (Number.isSafeInteger(len)) out.size = len;
    const ct = baseMediaType(res.headers['content-type']);
    if (ct) out.mediaType = ct;
    return out;
  }

  /** PUT a manifest under a tag or its digest; returns the digest computed from the bytes. */
  async putManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    return (await this.sendManifest(repo, ref, bytes, mediaType)).digest;
  }

  private async sendManifest(repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<{ digest: string; headers: Record<string, string> }> {
    if (bytes.byteLength > this.maxManifest) {
      throw new VouchError('TOO_LARGE', `manifest is ${bytes.byteLength} bytes, over the limit of ${this.maxManifest}`, { details: { size: bytes.byteLength, limit: this.maxManifest } });
    }
    const digest = digestOf(bytes);
    if (isDigest(ref) && ref !== digest) throw new VouchError('HASH_MISMATCH', `manifest hashes to ${digest}, not ${ref}`, { details: { expected: ref, actual: digest } });
    const url = await this.repoUrl(repo, 'manifests', ref);
    const res = await this.transport.stream('PUT', url, { headers: { 'content-type': mediaType, 'content-length': String(bytes.byteLength) }, body: bytes, scopes: [pushScope(repo)] });
    if (res.status !== 201 && res.status !== 200) return this.fail(res, `PUT manifest ${repo}:${ref}`);
    await res.discard();
    const header = res.headers['docker-content-digest'];
    if (header && header.startsWith('sha256:') && header !== digest) {
      throw new VouchError('HASH_MISMATCH', `${this.registry}/${repo}: stored the manifest as ${header}, expected ${digest}`, { details: { expected: digest, actual: header } });
    }
    return { digest, headers: res.headers };
  }

  // ---- referrers ----

  /**
   * Pushes a manifest that has a `subject` (a signature, an SBOM) by digest. A registry that
   * indexed the subject says so with OCI-Subject; otherwise the client keeps the fallback index
   * under the referrers tag itself (read, append, write back: racy by nature, as the spec notes).
   */
  async pushReferrer(repo: string, bytes: Buffer, mediaType: string): Promise<{ digest: string; fallback: boolean }> {
    const m = parseManifest(bytes, mediaType);
    if (!m.subject) throw new VouchError('INVALID_ARGUMENT', 'a referrer manifest needs a subject');
    const { digest, headers } = await this.sendManifest(repo, digestOf(bytes), bytes, m.mediaType);
    if (headers['oci-subject'] === m.subject.digest) return { digest, fallback: false };
    const tag = referrersTag(m.subject.digest);
    let entries: Descriptor[] = [];
    try {
      const current = await this.getManifest(repo, tag, { push: true });
      if (current.manifest.kind !== 'index') throw new VouchError('CONFLICT', `${this.registry}/${repo}:${tag} is not an index; cannot record referrers there`);
      entries = current.manifest.manifests;
    } catch (err) {
      if (!isVouchError(err, 'REGISTRY_NOT_FOUND')) throw err;
    }
    if (!entries.some((e) => e.digest === digest)) {
      entries = [...entries, referrerDescriptor(m, digest, bytes.byteLength)];
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
      await this.sendManifest(repo, tag, index, OCI_INDEX);
    }
    return { digest, fallback: true };
  }

  /**
   * Manifests whose subject is `digest`: the referrers API, or the referrers tag where it is missing.
   * With `limit`, at most that many are returned, and no further page is fetched once they are in.
   */
  async listReferrers(repo: string, digest: string, opts: { artifactType?: string; limit?: number } = {}): Promise<Descriptor[]> {
    parseDigest(digest);
    const first = new URL(await this.repoUrl(repo, 'referrers', digest));
    if (opts.artifactType) first.searchParams.set('artifactType', opts.artifactType);
    const probe = await this.transport.stream('GET', first.toString(), { scopes: [pullScope(repo)] });
    let list: Descriptor[];
    if (probe.status === 404) {
      await probe.discard();
      try {
        const idx = await this.getManifest(repo, referrersTag(digest));
        list = idx.manifest.kind === 'index' ? idx.manifest.manifests : [];
      } catch (err) {
        if (isVouchError(err, 'REGISTRY_NOT_FOUND')) return [];
        throw err;
      }
    } else {
      list = [];
      const collected = list;
      await this.pages(first.toString(), [pullScope(repo)], `referrers of ${digest}`, probe, (page) => {
        const manifests = (page as { manifests?: unknown }).manifests;
        if (Array.isArray(manifests)) collected.push(...manifests.map((d, i) => parseDescriptor(d, `referrers[${i}]`)));
        return opts.limit !== undefined && collected.filter(wanted).length >= opts.limit;
      });
    }
    // Filtering is cheap and the server may not have applied it; apply it always.
    const out = list.filter(wanted);
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;

    function wanted(d: Descriptor): boolean {
      return opts.artifactType === undefined || d.artifactType === opts.artifactType;
    }
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const url = await this.repoUrl(repo, 'manifests', digest);
    const res = await this.transport.stream('DELETE', url, { scopes: [`repository:${repo}:delete`, pushScope(repo)] });
    if (res.status !== 202 && res.status !== 200 && res.status !== 204) return this.fail(res, `DELETE manifest ${repo}@${digest}`);
    await res.discard();
  }

  // ---- blobs ----

  async hasBlob(repo: string, digest: string, opts: { push?: boolean } = {}): Promise<boolean> {
    parseDigest(digest);
    const url = await this.repoUrl(repo, 'blobs', digest);
    const res = await this.transport.stream('HEAD', url, { scopes: [opts.push ? pushScope(repo) : pullScope(repo)] });
    await res.discard();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    return this.fail(res, `HEAD blob ${repo}@${digest}`);
  }

  /**
   * Opens a blob for reading; the stream fails with HASH_MISMATCH or LENGTH_MISMATCH at the point
   * the content proves wrong (too long: as soon as it passes the size; wrong hash: at the end).
   */
  async openBlob(repo: string, desc: Expected): Promise<Readable> {
    parseDigest(desc.digest);
    if (desc.size > this.maxBlob) {
      throw new VouchError('TOO_LARGE', `blob ${desc.digest} is ${desc.size} bytes, over the limit of ${this.maxBlob}`, { details: { size: desc.size, limit: this.maxBlob } });
    }
    const url = await this.repoUrl(repo, 'blobs', desc.digest);
    const res = await this.transport.stream('GET', url, { scopes: [pullScope(repo)] });
    if (res.status !== 200) return this.fail(res, `GET blob ${repo}@${desc.digest}`);
    const declared = Number(res.headers['content-length']);
    if (res.headers['content-length'] !== undefined && Number.isFinite(declared) && declared !== desc.size) {
      await res.discard();
      throw new VouchError('LENGTH_MISMATCH', `blob ${desc.digest} is served with ${declared} bytes, expected ${desc.size}`, { details: { expected: desc.size, actual: declared } });
    }
    const check = new VerifyingStream(desc, `blob ${desc.digest}`);
    res.body.on('error', (e) => check.destroy(bodyFailure(e, `blob ${repo}@${desc.digest}`)));
    return res.body.pipe(check);
  }

  /**
   * Opens a blob whose size the caller does not know (the registry gate): the registry's
   * Content-Length is the size, refused over the blob ceiling before a byte is read, and the
   * stream checks length and digest as openBlob's does. With `holdBack`, the last chunk comes out
   * only after the digest matched. Undefined when the registry does not have the blob.
   */
  async openBlobOfServedSize(repo: string, digest: string, opts: { holdBack?: boolean } = {}): Promise<{ size: number; stream: Readable } | undefined> {
    const url = await this.repoUrl(repo, 'blobs', digest);
    const res = await this.transport.stream('GET', url, { scopes: [pullScope(repo)] });
    if (res.status === 404) { await res.discard(); return undefined; }
    if (res.status !== 200) return this.fail(res, `GET blob ${repo}@${digest}`);
    const size = await this.servedBlobSize(res, digest);
    const check = new VerifyingStream({ digest, size }, `blob ${digest} from ${this.registry}/${repo}`, opts);
    res.body.on('error', (e) => check.destroy(bodyFailure(e, `blob ${repo}@${digest}`)));
    return { size, stream: res.body.pipe(check) };
  }

  /** HEAD a blob: its size as the registry serves it (bounded as openBlobOfServedSize), or undefined when absent. */
  async statBlob(repo: string, digest: string): Promise<number | undefined> {
    const url = await this.repoUrl(repo, 'blobs', digest);
    const res = await this.transport.stream('HEAD', url, { scopes: [pullScope(repo)] });
    await res.discard();
    if (res.status === 404) return undefined;
    if (res.status !== 200) return this.fail(res, `HEAD blob ${repo}@${digest}`);
    return this.servedBlobSize(res, digest);
  }

  private async servedBlobSize(res: StreamResponse, digest: string): Promise<number> {
    const text = res.headers['content-length'];
    const size = Number(text);
    if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(size)) {
      await res.discard();
      throw new VouchError('REMOTE_ERROR', `${this.registry}: blob ${digest} is served without a Content-Length`, { details: { status: res.status, url: res.url } });
    }
    if (size > this.maxBlob) {
      await res.discard();
      throw new VouchError('TOO_LARGE', `blob ${digest} is ${size} bytes, over the limit of ${this.maxBlob}`, { details: { size, limit: this.maxBlob } });
    }
    return size;
  }

  /** Reads a small blob (e.g. an image config) into memory, verified. */
  async readBlob(repo: string, desc: Expected): Promise<Buffer> {
    const s = await this.openBlob(repo, desc);
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Downloads a blob to a file path (atomically: a failed check leaves no file) or into a stream
   * (which is destroyed on failure).
   */
  async fetchBlob(repo: string, desc: Expected, dest: string | Writable): Promise<void> {
    const body = await this.openBlob(repo, desc);
    if (typeof dest === 'string') await streamToFileAtomic(dest, body);
    else await pipeline(body, dest);
  }

  /**
   * Uploads a blob unless the repository already has it: cross-repository mount when asked, else
   * POST + PUT (monolithic) or POST + PATCH… + PUT (chunked). The bytes sent are checked against
   * the descriptor on the way out, so a corrupt local file is never committed.
   */
  async pushBlob(repo: string, desc: Expected, source: BlobSource, opts: PushBlobOptions = {}): Promise<PushBlobResult> {
    parseDigestArg(desc.digest);
    checkRepo(repo);
    if (opts.mountFrom) checkRepo(opts.mountFrom);
    if (!opts.force && await this.hasBlob(repo, desc.digest, { push: true })) return 'exists';
    const scopes = [pushScope(repo), ...(opts.mountFrom && opts.mountFrom !== repo ? [pullScope(opts.mountFrom)] : [])];
    const start = new URL(await this.url(`/v2/${repo}/blobs/uploads/`));
    if (opts.mountFrom && opts.mountFrom !== repo) {
      start.searchParams.set('mount', desc.digest);
      start.searchParams.set('from', opts.mountFrom);
    }
    const res = await this.transport.stream('POST', start.toString(), { headers: { 'content-length': '0' }, scopes });
    if (res.status === 201 && opts.mountFrom) {
      await res.discard();
      return 'mounted';
    }
    if (res.status !== 202) return this.fail(res, `start upload of ${desc.digest} to ${repo}`);
    await res.discard();
    let location = this.location(res);
    const chunkSize = opts.chunkSize ?? this.opts.chunkSize;
    const verified = (): Readable => {
      const check = new VerifyingStream(desc, `local blob ${desc.digest}`);
      if (Buffer.isBuffer(source)) { check.end(source); return check; }
      const s = source();
      s.on('error', (e) => check.destroy(e));
      return s.pipe(check);
    };
    let finish: StreamResponse;
    if (chunkSize !== undefined) {
      if (!(chunkSize > 0)) throw new VouchError('INVALID_ARGUMENT', 'chunkSize must be positive');
      let offset = 0;
      for await (const chunk of rechunk(verified(), chunkSize)) {
        const patch = await this.transport.stream('PATCH', location, {
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunk.byteLength), 'content-range': `${offset}-${offset + chunk.byteLength - 1}` },
          body: chunk,
          scopes,
        });
        if (patch.status !== 202) return this.fail(patch, `upload chunk at ${offset} of ${desc.digest}`);
        await patch.discard();
        location = this.location(patch);
        offset += chunk.byteLength;
      }
      finish = await this.transport.stream('PUT', withDigest(location, desc.digest), { headers: { 'content-length': '0' }, body: Buffer.alloc(0), scopes });
    } else {
      finish = await this.transport.stream('PUT', withDigest(location, desc.digest), {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: verified,
        scopes,
      });
    }
    if (finish.status !== 201) return this.fail(finish, `finish upload of ${desc.digest} to ${repo}`);
    await finish.discard();
    const header = finish.headers['docker-content-digest'];
    if (header && header !== desc.digest) {
      throw new VouchError('HASH_MISMATCH', `${this.registry}/${repo}: stored the blob as ${header}, expected ${desc.digest}`, { details: { expected: desc.digest, actual: header } });
    }
    return 'uploaded';
  }

  /** The upload Location, resolved against the URL that sent it (it may be relative). */
  private location(res: StreamResponse): string {
    const loc = res.headers.location;
    if (!loc) throw new VouchError('REMOTE_ERROR', `${this.registry}: upload response without a Location header`);
    return new URL(loc, res.url).toString();
  }

  async deleteBlob(repo: string, digest: string): Promise<void> {
    const url = await this.repoUrl(repo, 'blobs', digest);
    const res = await this.transport.stream('DELETE', url, { scopes: [`repository:${repo}:delete`, pushScope(repo)] });
    if (res.status !== 202 && res.status !== 200 && res.status !== 204) return this.fail(res, `DELETE blob ${repo}@${digest}`);
    await res.discard();
  }

  // ---- listing ----

  /** All tags of a repository, following `Link: <…>; rel="next"` pages. */
  async listTags(repo: string, opts: { pageSize?: number; limit?: number } = {}): Promise<string[]> {
    checkRepo(repo);
    const first = new URL(await this.url(`/v2/${repo}/tags/list`));
    if (opts.pageSize) first.searchParams.set('n', String(opts.pageSize));
    const tagsOf = (page: unknown): string[] => {
      const tags = (page as { tags?: unknown }).tags;
      return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
    };
    // With `limit`, no further page is fetched once that many tags are in.
    let seen = 0;
    const enough = opts.limit === undefined ? undefined : (page: unknown): boolean => (seen += tagsOf(page).length) >= (opts.limit as number);
    const out = (await this.pages(first.toString(), [pullScope(repo)], `list tags of ${repo}`, undefined, enough)).flatMap(tagsOf);
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  }

  /** Repository names from /v2/_catalog (registries may restrict or omit it). */
  async catalog(opts: { pageSize?: number } = {}): Promise<string[]> {
    const first = new URL(await this.url('/v2/_catalog'));
    if (opts.pageSize) first.searchParams.set('n', String(opts.pageSize));
    const out: string[] = [];
    for (const page of await this.pages(first.toString(), ['registry:catalog:*'], 'catalog')) {
      const repos = (page as { repositories?: unknown }).repositories;
      if (Array.isArray(repos)) out.push(...repos.filter((t): t is string => typeof t === 'string'));
    }
    return out;
  }

  /** Follows `Link: <…>; rel="next"`; stops early when `enough(page)` says so. */
  private async pages(firstUrl: string, scopes: string[], what: string, firstResponse?: StreamResponse, enough?: (page: unknown) => boolean): Promise<unknown[]> {
    const out: unknown[] = [];
    let next: string | undefined = firstUrl;
    let pending = firstResponse;
    const seen = new Set<string>();
    while (next) {
      if (seen.has(next) || seen.size >= 10_000) throw new VouchError('REMOTE_ERROR', `${this.registry}: ${what}: pagination does not end`);
      seen.add(next);
      const res: StreamResponse = pending ?? await this.transport.stream('GET', next, { scopes });
      pending = undefined;
      if (res.status !== 200) return this.fail(res, what);
      const body = await readBody(res, 4 * 1024 * 1024, what);
      let page: unknown;
      try { page = JSON.parse(body.toString('utf8')); } catch { throw new VouchError('REMOTE_ERROR', `${this.registry}: ${what}: invalid JSON`); }
      out.push(page);
      if (enough?.(page)) break;
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.link ?? '');
      next = link ? new URL(link[1] as string, res.url).toString() : undefined;
    }
    return out;
  }
}

/** The fallback tag for referrers of a digest: `<alg>-<hex>`, truncated and sanitised as the spec says. */
export function referrersTag(digest: string): string {
  const [alg = '', hex = ''] = digest.split(':');
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`.replace(/[^a-zA-Z0-9._-]/g, '-');
}

/** How a referrer is listed: artifactType falls back to the config media type; annotations are copied. */
export function referrerDescriptor(m: Manifest, digest: string, size: number): Descriptor {
  const d: Descriptor = { mediaType: m.mediaType, digest, size };
  const artifactType = m.artifactType ?? (m.kind === 'manifest' ? m.config.mediaType : undefined);
  if (artifactType) d.artifactType = artifactType;
  if (m.annotations) d.annotations = m.annotations;
  return d;
}

function isDigest(ref: string): boolean {
  return ref.includes(':');
}


function checkRepo(repo: string): void {
  if (!isRepositoryName(repo)) throw new VouchError('INVALID_ARGUMENT', `'${repo}' is not a valid repository name`);
}

function parseDigestArg(ref: string): void {
  try { parseDigest(ref); } catch {
    throw new VouchError('INVALID_ARGUMENT', `'${ref}' is neither a tag nor a digest`);
  }
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** Regroups a stream into chunks of exactly `size` bytes (the last one shorter). */
async function* rechunk(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const c of stream) {
    let chunk = c as Buffer;
    while (chunk.byteLength > 0) {
      const take = Math.min(size - pendingLen, chunk.byteLength);
      pending.push(chunk.subarray(0, take));
      pendingLen += take;
      chunk = chunk.subarray(take);
      if (pendingLen === size) {
        yield Buffer.concat(pending, pendingLen);
        pending = [];
        pendingLen = 0;
      }
    }
  }
  if (pendingLen > 0) yield Buffer.concat(pending, pendingLen);
}
