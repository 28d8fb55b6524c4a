// `vouch registry`: a small OCI distribution registry (distribution-spec v1.1 endpoints) over
// filesystem storage, for the zero-install default and for tests. The registry is a handler,
// `(request) → answer`, served by the shared Node adapter (src/httpd/serve.ts) and called
// in-process by tests: a route table (names carry slashes, so routes match the path after /v2/,
// most specific first) and one function per route and method.
// A request is admitted from its request line and headers (Basic auth, route, declared length
// against the route's limit, the session bounds and the disk budget) before its body is opened
// (src/httpd); only uploads and manifest PUTs open one, blobs stream to and from disk. Limits: limits.ts.
import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { VouchError, isJsonObject, sha256, type JsonObject } from '../core/index.js';
import {
  BodyRefused, listenAt, makeLogger, parseListenAddress, processBodyBudget, serve, type Answer, type BodyBudget, type Handler, type HttpRequest, type LoggerSetting, type NodeServer,
} from '../httpd/index.js';
import { isSchema1, parseManifestDocument, referencedDescriptors, type Descriptor } from '../oci/manifest.js';
import { OCI_INDEX, baseMediaType } from '../oci/mediatypes.js';
import { API_VERSION, JSON_TYPE, RegistryError, bodyRefusal, errorBody, requireDigest } from './errors.js';
import { API_METHODS, matchEndpoint, type Endpoint } from './routes.js';
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
  /** request and error logs: pino options, a logger, true for defaults, or false (default) for none */
  logger?: LoggerSetting;
  /** serve HTTPS with this certificate and key: PEM contents, or files to read them from */
  tls?: { cert: string | Buffer; key: string | Buffer } | { certFile: string; keyFile: string };
}

export const DEFAULT_MAX_BLOB = DEFAULT_REGISTRY_LIMITS.maxBlobBytes;
export const DEFAULT_MAX_MANIFEST = DEFAULT_REGISTRY_LIMITS.maxManifestBytes;




/** The OCI error answer for any failure (distribution-spec, "Error Codes"). */
function errorAnswer(err: unknown, log: Logger): Answer {
  const e = registryError(err);
  if (e === undefined) {
    log.error({ err }, 'request failed');
    return { status: 500, headers: { 'content-type': JSON_TYPE }, body: errorBody('UNKNOWN', 'internal error', {}) };
  }
  return { status: e.status, headers: { ...e.headers, 'content-type': JSON_TYPE }, body: errorBody(e.code, e.message, e.detail) };
}

function registryError(err: unknown): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  if (err instanceof BodyRefused) return bodyRefusal(err);
  if (err instanceof UploadLimitError) return new RegistryError(429, 'TOOMANYREQUESTS', err.message);
  if (err instanceof DiskBudgetError) return new RegistryError(507, 'DENIED', err.message);
  if (err instanceof StorageLimitError) return new RegistryError(413, 'SIZE_INVALID', err.message);
  if (err instanceof VouchError && err.code === 'INVALID_ARGUMENT') return new RegistryError(400, 'NAME_INVALID', err.message);
  return undefined;
}



/** Whether the client's Accept header admits a stored media type (no header: anything goes). */
function accepts(header: string | undefined, mediaType: string): boolean {
  if (!header) return true;
  const types = header.split(',').map((t) => (t.split(';')[0] ?? '').trim().toLowerCase()).filter(Boolean);
  if (types.length === 0) return true;
  return types.some((t) => t === mediaType || t === '*/*' || t === 'application/*' || t === 'application/json');
}

/** What the registry keeps of a manifest: the digests it needs present, and what the referrers API lists. */
interface ParsedManifest {
  mediaType: string;
  refs: Descriptor[];
  index: boolean;
  subject?: Descriptor;
  /** artifactType, else the config media type: what the referrers API lists */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** A pushed manifest, checked by the OCI format layer (src/oci/manifest.ts) the client uses too. */
function parseManifestBody(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try { doc = JSON.parse(bytes.toString('utf8')); } catch {
    throw new RegistryError(400, 'MANIFEST_INVALID', 'manifest is not valid JSON');
  }
  if (!isJsonObject(doc)) throw new RegistryError(400, 'MANIFEST_INVALID', 'manifest is not a JSON object');
  const ct = baseMediaType(contentType);
  if (isSchema1(doc, ct)) throw new RegistryError(415, 'UNSUPPORTED', 'Docker schema 1 manifests are not supported');
  let m;
  try {
    // A client may send any manifest as application/json; the document's mediaType (or shape) decides then.
    m = parseManifestDocument(doc as JsonObject, ct === 'application/json' ? undefined : ct);
  } catch (err) {
    if (err instanceof VouchError) throw new RegistryError(400, 'MANIFEST_INVALID', err.message);
    throw err;
  }
  const parsed: ParsedManifest = { mediaType: m.mediaType, refs: referencedDescriptors(m), index: m.kind === 'index' };
  if (m.subject) parsed.subject = m.subject;
  if (m.annotations) parsed.annotations = m.annotations;
  const artifactType = m.artifactType ?? (m.kind === 'manifest' ? m.config.mediaType : undefined);
  if (artifactType !== undefined) parsed.artifactType = artifactType;
  return parsed;
}

function rangeHeader(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

const UNSUPPORTED = (): RegistryError => new RegistryError(405, 'UNSUPPORTED', 'the operation is unsupported');

/** A request after routing: the repository name and the endpoint's other path parameter, checked (routes.ts). */
interface Routed {
  req: HttpRequest;
  url: URL;
  name: string;
  /** the reference, digest or upload id of the endpoint, decoded */
  param: string;
}

type RouteFn = (r: Routed) => Promise<Answer>;

/** The registry: `handle` answers one request (tests call it in-process); `close` stops its background sweep. */
export interface Registry {
  readonly handle: Handler;
  readonly log: Logger;
  readonly tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  close(): Promise<void>;
}

/** Builds the registry (not listening): call `handle` in-process, or serve it with runRegistry. */
export async function createRegistry(opts: RegistryOptions): Promise<Registry> {
  const limits = registryLimits({ ...opts.limits, maxBlobBytes: opts.maxBlobBytes, maxManifestBytes: opts.maxManifestBytes, maxPageSize: opts.maxPageSize });
  const now = opts.now ?? Date.now;
  const storage = new FsStorage(opts.root, limits, now);
  await storage.init();
  const maxBlob = limits.maxBlobBytes;
  const maxManifest = limits.maxManifestBytes;
  const maxPage = limits.maxPageSize;
  const budget = opts.bodyBudget ?? processBodyBudget;
  const log = makeLogger(opts.logger);
  const tls = opts.tls && 'certFile' in opts.tls
    ? { cert: await readFile(opts.tls.certFile), key: await readFile(opts.tls.keyFile) }
    : opts.tls;
  const sweep = setInterval(() => { void storage.expireIdleUploads().catch((err: unknown) => { log.error({ err }, 'expiring idle uploads failed'); }); }, Math.min(limits.uploadIdleMs / 2, 60_000));
  sweep.unref();

  const ok = (status: number, headers: Record<string, string> = {}): Answer => ({ status, headers: { ...headers, 'content-length': '0' } });
  const json = (doc: unknown, headers: Record<string, string> = {}): Answer => ({ status: 200, headers: { ...headers, 'content-type': JSON_TYPE }, body: JSON.stringify(doc) });

  const ping: RouteFn = async () => json({});

  const catalog: RouteFn = async ({ url }) => page(url, await storage.repositories(), '/v2/_catalog', 'repositories');

  const tags: RouteFn = async ({ url, name }) => {
    const all = await storage.tags(name);
    if (!all) throw new RegistryError(404, 'NAME_UNKNOWN', `repository '${name}' is not known`, { name });
    return page(url, all, `/v2/${name}/tags/list`, 'tags', name);
  };

  function page(url: URL, all: string[], path: string, key: 'tags' | 'repositories', name?: string): Answer {
    const last = url.searchParams.get('last');
    const nText = url.searchParams.get('n');
    let n = maxPage;
    if (nText !== null) {
      if (!/^\d+$/.test(nText)) throw new RegistryError(400, 'UNSUPPORTED', `invalid page size '${nText}'`);
      n = Math.min(Number(nText), maxPage);
    }
    const after = last === null ? all : all.filter((x) => x > last);
    const items = after.slice(0, n);
    const headers: Record<string, string> = {};
    if (after.length > items.length && items.length > 0) {
      const next = new URLSearchParams({ n: String(n), last: items[items.length - 1] as string });
      headers.link = `<${path}?${next.toString()}>; rel="next"`;
    }
    return json(key === 'tags' ? { name, tags: items } : { repositories: items }, headers);
  }

  const referrers: RouteFn = async ({ url, name, param: subject }) => {
    const wanted = url.searchParams.get('artifactType');
    let list = await storage.referrers(name, subject);
    const headers: Record<string, string> = {};
    if (wanted !== null) {
      list = list.filter((d) => d.artifactType === wanted);
      headers['oci-filters-applied'] = 'artifactType';
    }
    return { status: 200, headers: { ...headers, 'content-type': OCI_INDEX }, body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: list }) };
  };

  /**
   * Opens a blob body: its declared length must fit `limit` (413), then `fits` (session bounds:
   * 429, disk budget: 507), all before a byte is read; a chunked body is checked as it arrives.
   */
  function admitBlobBody(req: HttpRequest, limit: number, fits: (n: number) => void): Readable {
    const { length } = req.body.declared;
    if (length !== undefined && length <= limit) fits(length);
    return req.body.open(limit);
  }

  const created = (location: string, digest: string): Answer => ok(201, { location, 'docker-content-digest': digest });

  const startUpload: RouteFn = async ({ req, url, name }) => {
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    if (mount !== null && from !== null) {
      const digest = requireDigest(mount);
      // An unknown or invalid source falls back to a normal upload session, as the spec allows.
      if (validName(from) && await storage.repoBlobSize(from, digest) !== undefined) {
        await storage.linkBlob(name, digest);
        return created(`/v2/${name}/blobs/${digest}`, digest);
      }
    }
    const single = url.searchParams.get('digest');
    if (single !== null) {
      const digest = requireDigest(single);
      const body = admitBlobBody(req, maxBlob, (n) => { storage.disk.check(n); });
      if (!await storage.putBlobStream(name, digest, body, maxBlob)) throw new RegistryError(400, 'DIGEST_INVALID', 'the content does not match the digest', { digest });
      return created(`/v2/${name}/blobs/${digest}`, digest);
    }
    const id = await storage.createUpload(name);
    let size = 0;
    if (req.body.declared.present) {
      try {
        size = await storage.appendUpload(id, admitBlobBody(req, maxBlob, (n) => { storage.checkUploadGrowth(id, n); }), maxBlob);
      } catch (err) {
        await storage.deleteUpload(id);
        throw err;
      }
    }
    return ok(202, { location: `/v2/${name}/blobs/uploads/${id}`, 'docker-upload-uuid': id, range: rangeHeader(size) });
  };

  /** A session's routes, each run under the session's lock once the session is found. */
  type SessionFn = (r: Routed, size: number, location: string) => Promise<Answer>;
  const sessionStatus = (id: string, location: string, status: number, size: number): Answer =>
    ok(status, { location, 'docker-upload-uuid': id, range: rangeHeader(size) });

  const uploadStatus: SessionFn = async ({ param: id }, size, location) => sessionStatus(id, location, 204, size);

  const cancelUpload: SessionFn = async ({ param: id }) => {
    await storage.deleteUpload(id);
    return { status: 204 };
  };

  const patchUpload: SessionFn = async ({ req, param: id }, size, location) => {
    const range = req.headers['content-range'];
    let expectLen: number | undefined;
    if (range !== undefined) {
      const r = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(range.trim());
      if (!r || Number(r[2]) < Number(r[1])) throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', `invalid Content-Range '${range}'`);
      if (Number(r[1]) !== size) {
        // Out of order: tell the client where the session is so it can resume.
        return { status: 416, headers: { location, range: rangeHeader(size), 'content-type': JSON_TYPE },
          body: errorBody('BLOB_UPLOAD_INVALID', `chunk starts at ${r[1]}, the upload is at ${size}`, { size }) };
      }
      expectLen = Number(r[2]) - Number(r[1]) + 1;
    }
    const next = await storage.appendUpload(id, admitSession(req, id, size), maxBlob);
    if (expectLen !== undefined && next - size !== expectLen) {
      await storage.truncateUpload(id, size);
      throw new RegistryError(400, 'SIZE_INVALID', `chunk is ${next - size} bytes but Content-Range says ${expectLen}`);
    }
    return sessionStatus(id, location, 202, next);
  };

  const finishUpload: SessionFn = async ({ req, url, name, param: id }, size) => {
    const digest = requireDigest(url.searchParams.get('digest') ?? undefined);
    if (req.body.declared.present) await storage.appendUpload(id, admitSession(req, id, size), maxBlob);
    if (!await storage.finishUpload(name, id, digest)) {
      await storage.deleteUpload(id);
      throw new RegistryError(400, 'DIGEST_INVALID', 'the uploaded content does not match the digest', { digest });
    }
    return created(`/v2/${name}/blobs/${digest}`, digest);
  };

  const admitSession = (req: HttpRequest, id: string, size: number): Readable =>
    admitBlobBody(req, Math.max(0, maxBlob - size), (n) => { storage.checkUploadGrowth(id, n); });

  const SESSION: Partial<Record<string, SessionFn>> = { GET: uploadStatus, DELETE: cancelUpload, PATCH: patchUpload, PUT: finishUpload };
  const session: RouteFn = async (r) => storage.locked(`upload:${r.param}`, async () => {
    const size = await storage.uploadSize(r.name, r.param);
    if (size === undefined) throw new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', 'upload session not found', { id: r.param });
    const fn = SESSION[r.req.method];
    if (!fn) throw UNSUPPORTED();
    return fn(r, size, `/v2/${r.name}/blobs/uploads/${r.param}`);
  });

  const getBlob: RouteFn = async ({ req, name, param: digest }) => {
    const size = await storage.repoBlobSize(name, digest);
    if (size === undefined) throw new RegistryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    const headers = { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'content-length': String(size), etag: `"${digest}"` };
    return req.method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body: storage.openBlob(digest) };
  };

  const deleteBlob: RouteFn = async ({ name, param: digest }) => {
    if (!await storage.unlinkBlob(name, digest)) throw new RegistryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    return ok(202);
  };

  const getManifest: RouteFn = async ({ req, name, param: ref }) => {
    if (!await storage.repositoryExists(name)) throw new RegistryError(404, 'NAME_UNKNOWN', `repository '${name}' is not known`, { name });
    const digest = ref.includes(':') ? ref : await storage.resolveTag(name, ref);
    const rec = digest ? await storage.getManifest(name, digest) : undefined;
    if (!rec) throw new RegistryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { reference: ref });
    if (!accepts(req.headers.accept, rec.mediaType)) {
      throw new RegistryError(404, 'MANIFEST_UNKNOWN', `the manifest is ${rec.mediaType}, which the Accept header does not list`, { mediaType: rec.mediaType });
    }
    const headers = { 'content-type': rec.mediaType, 'docker-content-digest': rec.digest, 'content-length': String(rec.size), etag: `"${rec.digest}"` };
    return req.method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body: storage.openBlob(rec.digest) };
  };

  const deleteManifest: RouteFn = async ({ name, param: ref }) => {
    const ok202 = ref.includes(':') ? await storage.deleteManifest(name, ref) : await storage.deleteTag(name, ref);
    if (!ok202) throw new RegistryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', { reference: ref });
    return ok(202);
  };

  const putManifest: RouteFn = async ({ req, name, param: ref }) => {
    const held = await req.body.read({ limit: maxManifest, budget });
    try {
      return await storeManifest(name, ref, req, held.bytes);
    } finally {
      held.release();
    }
  };

  async function storeManifest(name: string, ref: string, req: HttpRequest, bytes: Buffer): Promise<Answer> {
    const byDigest = ref.includes(':');
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
    return ok(201, { ...(referrer ? { 'oci-subject': referrer.subject } : {}), location: `/v2/${name}/manifests/${digest}`, 'docker-content-digest': digest });
  }

  // One function per endpoint (routes.ts) and method.
  const METHODS: Record<Endpoint, Partial<Record<string, RouteFn>>> = {
    ping: { GET: ping, HEAD: ping },
    catalog: { GET: catalog },
    startUpload: { POST: startUpload },
    upload: { GET: session, PATCH: session, PUT: session, DELETE: session, POST: session, HEAD: session },
    blob: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob },
    manifest: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest },
    referrers: { GET: referrers },
    tags: { GET: tags },
  };

  const route = async (req: HttpRequest): Promise<Answer> => {
    if (opts.auth && !checkBasic(req.headers.authorization, opts.auth)) {
      throw new RegistryError(401, 'UNAUTHORIZED', 'authentication required', {}, { 'www-authenticate': `Basic realm="${opts.auth.realm ?? 'vouch-registry'}"` });
    }
    const raw = req.url.split('?')[0] ?? '';
    if (!raw.startsWith('/v2/') || !API_METHODS.has(req.method)) throw new RegistryError(404, 'NAME_UNKNOWN', 'not found');
    const url = new URL(req.url, 'http://registry.invalid');
    const path = raw.slice('/v2/'.length);
    const m = matchEndpoint(path, req.url);
    if (m === undefined) throw new RegistryError(404, 'NAME_UNKNOWN', `no route for /v2/${path}`);
    const fn = METHODS[m.endpoint][req.method];
    if (!fn) throw UNSUPPORTED();
    return fn({ req, url, name: m.name, param: m.param });
  };

  const handle: Handler = async (req) => {
    let answer: Answer;
    try {
      answer = await route(req);
    } catch (err) {
      answer = errorAnswer(err, log);
    }
    log.info({ method: req.method, url: req.url, status: answer.status }, 'request completed');
    return { ...answer, headers: { ...API_VERSION, ...answer.headers } };
  };

  return { handle, log, tls, close: async () => { clearInterval(sweep); } };
}


/** Whether an Authorization header carries these Basic credentials (compared in constant time). */
export function checkBasic(header: string | undefined, auth: RegistryAuth): boolean {
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
  registry: Registry;
  server: NodeServer;
  close(): Promise<void>;
}

/** The registry's listen address (httpd/addr.ts: `:PORT` is every interface, as docker-registry's `addr`). */
export const parseAddr = (addr: string): { host: string; port: number } => parseListenAddress(addr, 'registry listen address');

/** Starts the registry listening on `addr`; for the CLI (`vouch registry --addr --root`). */
export async function runRegistry(opts: RunRegistryOptions): Promise<RunningRegistry> {
  const { host, port } = parseAddr(opts.addr ?? '127.0.0.1:5000');
  const registry = await createRegistry(opts);
  const server = serve(registry.handle, {
    ...(registry.tls ? { tls: registry.tls } : {}),
    closing: () => ({ status: 503, headers: { ...API_VERSION, 'content-type': JSON_TYPE }, body: errorBody('UNAVAILABLE', 'the registry is shutting down', {}) }),
    onError: (err) => { registry.log.error({ err }, 'request failed'); },
  });
  const where = await listenAt(server, { host, port }, Boolean(opts.tls), () => registry.close());
  return {
    ...where,
    registry,
    server,
    close: async () => {
      await server.close();
      await registry.close();
    },
  };
}
