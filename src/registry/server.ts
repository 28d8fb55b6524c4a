// `vouch registry`: a small OCI distribution registry (distribution-spec v1.1 endpoints) over
// filesystem storage, for the zero-install default and for tests. Names carry slashes, so one
// wildcard route takes /v2/* and the path is matched here, most specific first.
// A request is admitted from its request line and headers (Basic auth in onRequest, route, declared
// length against the route's limit, the session bounds and the disk budget) before its body is
// opened (src/httpd); only uploads and manifest PUTs open one. Limits: limits.ts.
import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { VouchError, isJsonObject, isTag, parseDigest, sha256 } from '../core/index.js';
import { BUSY_RETRY_AFTER_SECONDS, BodyRefused, closeIfBodyUnread, declaredBody, deferContinue, openBody, processBodyBudget, readBody, type BodyBudget } from '../httpd/index.js';
import type { Descriptor } from '../oci/manifest.js';
import { DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, INDEX_TYPES as OCI_INDEX_TYPES, MANIFEST_TYPES as OCI_MANIFEST_TYPES, OCI_INDEX, OCI_MANIFEST } from '../oci/mediatypes.js';
import { DEFAULT_REGISTRY_LIMITS, DiskBudgetError, UploadLimitError, registryLimits, type RegistryLimits } from './limits.js';
import { FsStorage, StorageLimitError, validName } from './storage.js';

export interface RegistryAuth {
  username: string;
  password: string;
  realm?: string;
}

export interface RegistryOptions {
  /** storage directory (created if missing) */
  root: string;
  /** require HTTP Basic auth with this user and password */
  auth?: RegistryAuth;
  /** largest blob accepted (default 10 GiB); the same as limits.maxBlobBytes */
  maxBlobBytes?: number;
  /** largest manifest accepted (default 4 MiB); the same as limits.maxManifestBytes */
  maxManifestBytes?: number;
  /** largest page of tags or catalog entries (default 1000); the same as limits.maxPageSize */
  maxPageSize?: number;
  /** every bound, over DEFAULT_REGISTRY_LIMITS (limits.ts) */
  limits?: Partial<RegistryLimits>;
  /** manifest bytes held in memory count against this; default the process-wide budget (src/httpd) */
  bodyBudget?: BodyBudget;
  /** the clock, in ms (tests move it to expire upload sessions) */
  now?: () => number;
  /** Fastify logger option (default off) */
  logger?: boolean;
  /** serve HTTPS with this certificate and key: PEM contents, or files to read them from */
  tls?: { cert: string | Buffer; key: string | Buffer } | { certFile: string; keyFile: string };
}

const SCHEMA1 = [DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED];
const INDEX_TYPES = new Set(OCI_INDEX_TYPES);
const MANIFEST_TYPES = new Set(OCI_MANIFEST_TYPES);

export const DEFAULT_MAX_BLOB = DEFAULT_REGISTRY_LIMITS.maxBlobBytes;
export const DEFAULT_MAX_MANIFEST = DEFAULT_REGISTRY_LIMITS.maxManifestBytes;

type Code = 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID' | 'MANIFEST_BLOB_UNKNOWN' | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN' | 'NAME_INVALID' | 'NAME_UNKNOWN' | 'SIZE_INVALID' | 'TAG_INVALID' | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS' | 'UNAVAILABLE';

/** A failure that becomes an OCI error body. */
class RegistryError extends Error {
  constructor(readonly status: number, readonly code: Code, message: string, readonly detail: unknown = {}) { super(message); }
}

function sendError(reply: FastifyReply, e: RegistryError): FastifyReply {
  return reply.code(e.status).header('content-type', 'application/json').send(JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: e.detail }] }));
}

function requireDigest(text: string | undefined): string {
  if (!text) throw new RegistryError(400, 'DIGEST_INVALID', 'a digest is required');
  try {
    const d = parseDigest(text);
    return `${d.algorithm}:${d.hex}`;
  } catch {
    throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest '${text}'`, { digest: text });
  }
}

function requireName(name: string): string {
  if (!validName(name)) throw new RegistryError(400, 'NAME_INVALID', `invalid repository name '${name}'`, { name });
  return name;
}

/** The OCI error for a body that was not read whole. */
function bodyRefusal(err: BodyRefused): RegistryError {
  switch (err.kind) {
    case 'too-large': return new RegistryError(413, 'SIZE_INVALID', err.message, { limit: err.limit });
    case 'busy': return new RegistryError(503, 'UNAVAILABLE', err.message);
    case 'aborted': return new RegistryError(400, 'BLOB_UPLOAD_INVALID', err.message);
  }
}

/** Whether the client's Accept header admits a stored media type (no header: anything goes). */
function accepts(header: string | undefined, mediaType: string): boolean {
  if (!header) return true;
  const types = header.split(',').map((t) => (t.split(';')[0] ?? '').trim().toLowerCase()).filter(Boolean);
  if (types.length === 0) return true;
  return types.some((t) => t === mediaType || t === '*/*' || t === 'application/*' || t === 'application/json');
}

/** The manifest's references, checked for shape; the registry only needs digests and sizes. */
interface ParsedManifest {
  mediaType: string;
  refs: Descriptor[];
  index: boolean;
  subject?: Descriptor;
  /** artifactType, else the config media type: what the referrers API lists */
  artifactType?: string;
  annotations?: Record<string, string>;
}

function parseManifestBody(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try { doc = JSON.parse(bytes.toString('utf8')); } catch {
    throw new RegistryError(400, 'MANIFEST_INVALID', 'manifest is not valid JSON');
  }
  if (!isJsonObject(doc)) throw new RegistryError(400, 'MANIFEST_INVALID', 'manifest is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const ct = contentType?.split(';')[0]?.trim().toLowerCase();
  if ((ct && SCHEMA1.includes(ct)) || (declared && SCHEMA1.includes(declared)) || doc.schemaVersion === 1) {
    throw new RegistryError(415, 'UNSUPPORTED', 'Docker schema 1 manifests are not supported');
  }
  if (doc.schemaVersion !== 2) throw new RegistryError(400, 'MANIFEST_INVALID', 'schemaVersion must be 2');
  if (declared && ct && ct !== declared && ct !== 'application/json') {
    throw new RegistryError(400, 'MANIFEST_INVALID', `Content-Type '${ct}' does not match the manifest's mediaType '${declared}'`);
  }
  const mediaType = declared ?? (ct && ct !== 'application/json' ? ct : Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST);
  if (!MANIFEST_TYPES.has(mediaType)) throw new RegistryError(400, 'MANIFEST_INVALID', `unsupported manifest media type '${mediaType}'`);
  const index = INDEX_TYPES.has(mediaType);
  const desc = (v: unknown, what: string): Descriptor => {
    if (!isJsonObject(v)) throw new RegistryError(400, 'MANIFEST_INVALID', `${what} is not a descriptor`);
    const { mediaType: mt, digest, size } = v;
    if (typeof mt !== 'string' || typeof digest !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new RegistryError(400, 'MANIFEST_INVALID', `${what} needs mediaType, digest and size`);
    }
    try { parseDigest(digest); } catch { throw new RegistryError(400, 'MANIFEST_INVALID', `${what} has an invalid digest '${digest}'`); }
    const d: Descriptor = { mediaType: mt, digest, size };
    if (Array.isArray(v.urls) && v.urls.length > 0) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
    return d;
  };
  const list = (v: unknown, what: string): Descriptor[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new RegistryError(400, 'MANIFEST_INVALID', `${what} is not a list`);
    return v.map((x, i) => desc(x, `${what}[${i}]`));
  };
  const extra: Pick<ParsedManifest, 'subject' | 'annotations'> = {};
  if (doc.subject !== undefined) extra.subject = desc(doc.subject, 'subject');
  if (isJsonObject(doc.annotations) && Object.values(doc.annotations).every((v) => typeof v === 'string')) extra.annotations = doc.annotations as Record<string, string>;
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : undefined;
  if (index) {
    if (!Array.isArray(doc.manifests)) throw new RegistryError(400, 'MANIFEST_INVALID', 'an index needs a manifests list');
    return { mediaType, refs: list(doc.manifests, 'manifests'), index, ...extra, ...(artifactType ? { artifactType } : {}) };
  }
  if (doc.manifests !== undefined) throw new RegistryError(400, 'MANIFEST_INVALID', 'an image manifest cannot have manifests');
  const config = desc(doc.config, 'config');
  return { mediaType, refs: [config, ...list(doc.layers, 'layers')], index, ...extra, artifactType: artifactType ?? config.mediaType };
}

function rangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

/** Builds the registry as a Fastify instance (not listening): `inject` for tests, `listen` to serve. */
export async function createRegistry(opts: RegistryOptions): Promise<FastifyInstance> {
  const limits = registryLimits({ ...opts.limits, maxBlobBytes: opts.maxBlobBytes, maxManifestBytes: opts.maxManifestBytes, maxPageSize: opts.maxPageSize });
  const now = opts.now ?? Date.now;
  const storage = new FsStorage(opts.root, limits, now);
  await storage.init();
  const maxBlob = limits.maxBlobBytes;
  const maxManifest = limits.maxManifestBytes;
  const maxPage = limits.maxPageSize;
  const budget = opts.bodyBudget ?? processBodyBudget;
  const tls = opts.tls && 'certFile' in opts.tls
    ? { cert: await readFile(opts.tls.certFile), key: await readFile(opts.tls.keyFile) }
    : opts.tls;
  const app = tls
    ? Fastify({ logger: opts.logger ?? false, https: { cert: tls.cert, key: tls.key } }) as unknown as FastifyInstance
    : Fastify({ logger: opts.logger ?? false });

  // Bodies stay unread streams: a handler opens one only once the request is admitted, blobs go
  // to disk as they arrive, and every handler bounds what it reads.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  deferContinue(app.server);
  // An answer given with the body unread (refused, or a route that takes none) closes the
  // connection rather than letting Node read the rest of the body.
  app.addHook('onSend', async (req, reply) => {
    if (closeIfBodyUnread(req.raw)) reply.header('connection', 'close');
  });
  const sweep = setInterval(() => { void storage.expireIdleUploads().catch((err: unknown) => { app.log.error(err); }); }, Math.min(limits.uploadIdleMs / 2, 60_000));
  sweep.unref();
  app.addHook('onClose', async () => { clearInterval(sweep); });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('docker-distribution-api-version', 'registry/2.0');
    if (!opts.auth) return;
    if (checkBasic(req.headers.authorization, opts.auth)) return;
    reply.header('www-authenticate', `Basic realm="${opts.auth.realm ?? 'vouch-registry'}"`);
    return sendError(reply, new RegistryError(401, 'UNAUTHORIZED', 'authentication required'));
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof RegistryError) return sendError(reply, err);
    if (err instanceof BodyRefused) {
      if (err.kind === 'busy') reply.header('retry-after', String(BUSY_RETRY_AFTER_SECONDS));
      return sendError(reply, bodyRefusal(err));
    }
    if (err instanceof UploadLimitError) return sendError(reply, new RegistryError(429, 'TOOMANYREQUESTS', err.message));
    if (err instanceof DiskBudgetError) return sendError(reply, new RegistryError(507, 'DENIED', err.message));
    if (err instanceof StorageLimitError) return sendError(reply, new RegistryError(413, 'SIZE_INVALID', err.message));
    if (err instanceof VouchError && err.code === 'INVALID_ARGUMENT') return sendError(reply, new RegistryError(400, 'NAME_INVALID', err.message));
    // Fastify's own client errors (malformed requests) keep their 4xx status.
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(reply, new RegistryError(status, status === 413 ? 'SIZE_INVALID' : 'UNSUPPORTED', (err as Error).message));
    }
    req.log.error(err);
    return reply.code(500).header('content-type', 'application/json').send(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'internal error', detail: {} }] }));
  });

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'],
    url: '/v2/*',
    exposeHeadRoute: false,
    handler: async (req, reply) => {
      // The raw path, not URL.pathname: that would resolve `..` and `%2e` before names are checked.
      const raw = req.url.split('?')[0] ?? '';
      const url = new URL(req.url, 'http://registry.invalid');
      if (!raw.startsWith('/v2/')) throw new RegistryError(404, 'NAME_UNKNOWN', 'not found');
      const path = raw.slice('/v2/'.length);
      const method = req.method;
      let m: RegExpExecArray | null;

      if (path === '') {
        if (method !== 'GET' && method !== 'HEAD') return unsupported(reply);
        return reply.header('content-type', 'application/json').send('{}');
      }
      if (path === '_catalog') {
        if (method !== 'GET') return unsupported(reply);
        const all = await storage.repositories();
        return page(reply, url, all, '/v2/_catalog', 'repositories', maxPage);
      }
      if ((m = /^(.+)\/blobs\/uploads\/?$/.exec(path))) {
        const name = requireName(m[1] as string);
        if (method !== 'POST') return unsupported(reply);
        return startUpload(name, url, req, reply);
      }
      if ((m = /^(.+)\/blobs\/uploads\/([^/]+)$/.exec(path))) {
        const name = requireName(m[1] as string);
        return upload(name, decodeURIComponent(m[2] as string), method, url, req, reply);
      }
      if ((m = /^(.+)\/blobs\/([^/]+)$/.exec(path))) {
        const name = requireName(m[1] as string);
        const digest = requireDigest(decodeURIComponent(m[2] as string));
        return blob(name, digest, method, reply);
      }
      if ((m = /^(.+)\/manifests\/([^/]+)$/.exec(path))) {
        const name = requireName(m[1] as string);
        return manifest(name, decodeURIComponent(m[2] as string), method, req, reply);
      }
      if ((m = /^(.+)\/referrers\/([^/]+)$/.exec(path))) {
        const name = requireName(m[1] as string);
        const subject = requireDigest(decodeURIComponent(m[2] as string));
        if (method !== 'GET') return unsupported(reply);
        const wanted = url.searchParams.get('artifactType');
        let list = await storage.referrers(name, subject);
        if (wanted !== null) {
          list = list.filter((d) => d.artifactType === wanted);
          reply.header('oci-filters-applied', 'artifactType');
        }
        // A Buffer, so Fastify appends no charset to the OCI media type.
        return reply.header('content-type', OCI_INDEX).send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: list })));
      }
      if ((m = /^(.+)\/tags\/list$/.exec(path))) {
        const name = requireName(m[1] as string);
        if (method !== 'GET') return unsupported(reply);
        const tags = await storage.tags(name);
        if (!tags) throw new RegistryError(404, 'NAME_UNKNOWN', `repository '${name}' is not known`, { name });
        return page(reply, url, tags, `/v2/${name}/tags/list`, 'tags', maxPage, name);
      }
      throw new RegistryError(404, 'NAME_UNKNOWN', `no route for /v2/${path}`);
    },
  });

  function unsupported(reply: FastifyReply): FastifyReply {
    return sendError(reply, new RegistryError(405, 'UNSUPPORTED', 'the operation is unsupported'));
  }

  function page(reply: FastifyReply, url: URL, all: string[], path: string, key: 'tags' | 'repositories', limit: number, name?: string): FastifyReply {
    const last = url.searchParams.get('last');
    const nText = url.searchParams.get('n');
    let n = limit;
    if (nText !== null) {
      if (!/^\d+$/.test(nText)) throw new RegistryError(400, 'UNSUPPORTED', `invalid page size '${nText}'`);
      n = Math.min(Number(nText), limit);
    }
    const after = last === null ? all : all.filter((x) => x > last);
    const items = after.slice(0, n);
    if (after.length > items.length && items.length > 0) {
      const next = new URLSearchParams({ n: String(n), last: items[items.length - 1] as string });
      reply.header('link', `<${path}?${next.toString()}>; rel="next"`);
    }
    const doc = key === 'tags' ? { name, tags: items } : { repositories: items };
    return reply.header('content-type', 'application/json').send(JSON.stringify(doc));
  }

  /**
   * Opens a blob body: its declared length must fit `limit` (413), then `fits` (session bounds:
   * 429, disk budget: 507), all before a byte is read; a chunked body is checked as it arrives.
   */
  function admitBlobBody(req: FastifyRequest, reply: FastifyReply, limit: number, fits: (n: number) => void): Readable {
    const { length } = declaredBody(req.headers);
    if (length !== undefined && length <= limit) fits(length);
    openBody(req.raw, reply.raw, limit);
    return req.raw;
  }

  async function startUpload(name: string, url: URL, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    if (mount !== null && from !== null) {
      const digest = requireDigest(mount);
      // An unknown or invalid source falls back to a normal upload session, as the spec allows.
      if (validName(from) && await storage.repoBlobSize(from, digest) !== undefined) {
        await storage.linkBlob(name, digest);
        return reply.code(201).header('location', `/v2/${name}/blobs/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
      }
    }
    const single = url.searchParams.get('digest');
    if (single !== null) {
      const digest = requireDigest(single);
      const body = admitBlobBody(req, reply, maxBlob, (n) => { storage.disk.check(n); });
      const ok = await storage.putBlobStream(name, digest, body, maxBlob);
      if (!ok) throw new RegistryError(400, 'DIGEST_INVALID', 'the content does not match the digest', { digest });
      return reply.code(201).header('location', `/v2/${name}/blobs/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
    }
    const id = await storage.createUpload(name);
    let size = 0;
    if (declaredBody(req.headers).present) {
      try {
        size = await storage.appendUpload(id, admitBlobBody(req, reply, maxBlob, (n) => { storage.checkUploadGrowth(id, n); }), maxBlob);
      } catch (err) {
        await storage.deleteUpload(id);
        throw err;
      }
    }
    return reply.code(202)
      .header('location', `/v2/${name}/blobs/uploads/${id}`)
      .header('docker-upload-uuid', id)
      .header('range', rangeHeader(size))
      .header('content-length', '0')
      .send();
  }

  async function upload(name: string, id: string, method: string, url: URL, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    return storage.locked(`upload:${id}`, async () => {
      const size = await storage.uploadSize(name, id);
      if (size === undefined) throw new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', 'upload session not found', { id });
      const location = `/v2/${name}/blobs/uploads/${id}`;
      const status = (code: number, s: number): FastifyReply =>
        reply.code(code).header('location', location).header('docker-upload-uuid', id).header('range', rangeHeader(s)).header('content-length', '0').send();
      const admit = (): Readable => admitBlobBody(req, reply, Math.max(0, maxBlob - size), (n) => { storage.checkUploadGrowth(id, n); });
      switch (method) {
        case 'GET':
          return status(204, size);
        case 'DELETE':
          await storage.deleteUpload(id);
          return reply.code(204).send();
        case 'PATCH': {
          const range = req.headers['content-range'];
          let expectLen: number | undefined;
          if (range !== undefined) {
            const r = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(range.trim());
            if (!r || Number(r[2]) < Number(r[1])) throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', `invalid Content-Range '${range}'`);
            if (Number(r[1]) !== size) {
              // Out of order: tell the client where the session is so it can resume.
              return reply.code(416).header('location', location).header('range', rangeHeader(size)).header('content-type', 'application/json')
                .send(JSON.stringify({ errors: [{ code: 'BLOB_UPLOAD_INVALID', message: `chunk starts at ${r[1]}, the upload is at ${size}`, detail: { size } }] }));
            }
            expectLen = Number(r[2]) - Number(r[1]) + 1;
          }
          const next = await storage.appendUpload(id, admit(), maxBlob);
          if (expectLen !== undefined && next - size !== expectLen) {
            await storage.truncateUpload(id, size);
            throw new RegistryError(400, 'SIZE_INVALID', `chunk is ${next - size} bytes but Content-Range says ${expectLen}`);
          }
          return status(202, next);
        }
        case 'PUT': {
          const digest = requireDigest(url.searchParams.get('digest') ?? undefined);
          if (declaredBody(req.headers).present) await storage.appendUpload(id, admit(), maxBlob);
          if (!await storage.finishUpload(name, id, digest)) {
            await storage.deleteUpload(id);
            throw new RegistryError(400, 'DIGEST_INVALID', 'the uploaded content does not match the digest', { digest });
          }
          return reply.code(201).header('location', `/v2/${name}/blobs/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
        }
        default:
          return unsupported(reply);
      }
    });
  }

  async function blob(name: string, digest: string, method: string, reply: FastifyReply): Promise<FastifyReply> {
    if (method === 'DELETE') {
      if (!await storage.unlinkBlob(name, digest)) throw new RegistryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest });
      return reply.code(202).header('content-length', '0').send();
    }
    if (method !== 'GET' && method !== 'HEAD') return unsupported(reply);
    const size = await storage.repoBlobSize(name, digest);
    if (size === undefined) throw new RegistryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    reply.header('content-type', 'application/octet-stream').header('docker-content-digest', digest).header('content-length', String(size)).header('etag', `"${digest}"`);
    if (method === 'HEAD') return reply.send();
    return reply.send(storage.openBlob(digest));
  }

  async function manifest(name: string, ref: string, method: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const byDigest = ref.includes(':');
    if (byDigest) requireDigest(ref);
    else if (!isTag(ref)) throw new RegistryError(400, 'TAG_INVALID', `invalid tag '${ref}'`, { tag: ref });
    if (method === 'PUT') return putManifest(name, ref, byDigest, req, reply);
    if (method === 'DELETE') {
      const ok = byDigest ? await storage.deleteManifest(name, ref) : await storage.deleteTag(name, ref);
      if (!ok) throw new RegistryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { reference: ref });
      return reply.code(202).header('content-length', '0').send();
    }
    if (method !== 'GET' && method !== 'HEAD') return unsupported(reply);
    if (!await storage.repositoryExists(name)) throw new RegistryError(404, 'NAME_UNKNOWN', `repository '${name}' is not known`, { name });
    const digest = byDigest ? ref : await storage.resolveTag(name, ref);
    const rec = digest ? await storage.getManifest(name, digest) : undefined;
    if (!rec) throw new RegistryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { reference: ref });
    if (!accepts(req.headers.accept, rec.mediaType)) {
      throw new RegistryError(404, 'MANIFEST_UNKNOWN', `the manifest is ${rec.mediaType}, which the Accept header does not list`, { mediaType: rec.mediaType });
    }
    reply.header('content-type', rec.mediaType).header('docker-content-digest', rec.digest).header('content-length', String(rec.size)).header('etag', `"${rec.digest}"`);
    if (method === 'HEAD') return reply.send();
    return reply.send(storage.openBlob(rec.digest));
  }

  async function putManifest(name: string, ref: string, byDigest: boolean, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const held = await readBody(req.raw, reply.raw, { limit: maxManifest, budget });
    try {
      return await storeManifest(name, ref, byDigest, req, reply, held.bytes);
    } finally {
      held.release();
    }
  }

  async function storeManifest(name: string, ref: string, byDigest: boolean, req: FastifyRequest, reply: FastifyReply, bytes: Buffer): Promise<FastifyReply> {
    const digest = `sha256:${sha256(bytes).toString('hex')}`;
    if (byDigest && ref !== digest) throw new RegistryError(400, 'DIGEST_INVALID', `the manifest hashes to ${digest}, not ${ref}`, { digest: ref });
    const parsed = parseManifestBody(bytes, req.headers['content-type']);
    for (const d of parsed.refs) {
      if (d.urls) continue; // foreign layers live elsewhere by design
      const present = parsed.index ? await storage.hasManifest(name, d.digest) : await storage.repoBlobSize(name, d.digest) !== undefined;
      if (!present) throw new RegistryError(400, 'MANIFEST_BLOB_UNKNOWN', `the manifest references ${d.digest}, which the repository does not have`, { digest: d.digest });
      if (!parsed.index && await storage.repoBlobSize(name, d.digest) !== d.size) {
        throw new RegistryError(400, 'MANIFEST_INVALID', `descriptor size ${d.size} of ${d.digest} does not match the stored blob`, { digest: d.digest });
      }
    }
    // A subject need not exist (signatures may arrive first); it is indexed for the referrers API.
    const referrer = parsed.subject ? {
      subject: parsed.subject.digest,
      descriptor: {
        mediaType: parsed.mediaType, digest, size: bytes.byteLength,
        ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
        ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
      },
    } : undefined;
    await storage.locked(`repo:${name}`, () => storage.putManifest(name, digest, parsed.mediaType, bytes, byDigest ? undefined : ref, referrer));
    if (referrer) reply.header('oci-subject', referrer.subject);
    return reply.code(201).header('location', `/v2/${name}/manifests/${digest}`).header('docker-content-digest', digest).header('content-length', '0').send();
  }

  return app;
}

function checkBasic(header: string | undefined, auth: RegistryAuth): boolean {
  if (!header || !/^basic /i.test(header)) return false;
  const given = Buffer.from(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'));
  const want = Buffer.from(`${auth.username}:${auth.password}`);
  return given.length === want.length && timingSafeEqual(given, want);
}

export interface RunRegistryOptions extends Omit<RegistryOptions, 'root'> {
  /** host:port to listen on (default 127.0.0.1:5000; port 0 picks a free one) */
  addr?: string;
  root: string;
}

export interface RunningRegistry {
  /** base URL, e.g. http://127.0.0.1:5000 */
  url: string;
  /** host:port as image references name it */
  host: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Parses "host:port", ":port" or "[v6]:port". */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new VouchError('CONFIG', `invalid listen address '${addr}' (expected host:port)`);
  const port = Number(m[3]);
  if (port > 65535) throw new VouchError('CONFIG', `invalid port in '${addr}'`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** Starts the registry listening on `addr`; for the CLI (`vouch registry --addr --root`). */
export async function runRegistry(opts: RunRegistryOptions): Promise<RunningRegistry> {
  const { host, port } = parseAddr(opts.addr ?? '127.0.0.1:5000');
  const app = await createRegistry(opts);
  await app.listen({ host, port });
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${hostPart}:${actual}`,
    host: `${hostPart}:${actual}`,
    app,
    close: () => app.close(),
  };
}
