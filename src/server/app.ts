// The notary-server HTTP API (notary server/server.go) as a handler, `(request) → answer`, that the
// shared Node adapter (src/httpd/serve.ts) serves and tests call in-process. The handler reproduces
// gorilla/mux: path cleaning (301), notary's route table in order (routes.ts), 405 for unknown
// methods, the GUN prefix filter, token auth, then one function per operation. A request is
// admitted from its request line and headers (route, GUN prefix, token) before any body is read,
// and only a publish reads one, bounded and counted against the process-wide budget of src/httpd;
// every failure becomes notary's JSON error body. No web framework: docs/decisions/server-shape.md.
import type { Logger } from 'pino';
import { isVouchError, redactSecrets } from '../core/index.js';
import { BUSY_RETRY_AFTER_SECONDS, BodyRefused, EXPOSITION_CONTENT_TYPE, exposition, makeLogger, processBodyBudget, serve, type Answer, type BodyBudget, type Handler, type HeldBody, type HttpRequest, type LoggerSetting, type NodeServer } from '../httpd/index.js';
import { isValidRoleName } from '../tuf/index.js';
import { isStorageUnavailable, storableGun } from '../storage/common.js';
import type { MetadataStore, ServerKeyAlgorithm, ServerKeyStore } from '../storage/types.js';
import { TokenAuthorizer, buildAccess, type TokenAuthOptions } from './auth.js';
import { DEFAULT_CONSISTENT_MAX_AGE, DEFAULT_CURRENT_MAX_AGE, cacheHeaders, checkMaxAge, rfc1123, type CachingOptions } from './caching.js';
import { changefeedBody, changefeedParams } from './changefeed.js';
import { NotaryHttpError, errorBody } from './errors.js';
import { DEFAULT_EXPIRY_WARNING_DAYS, ExpiryMonitor } from './expiry.js';
import { Metrics } from './metrics.js';
import { MultipartError, formDataBoundary, parseMultipart } from './multipart.js';
import { RepoService, type RepoLimits } from './repo.js';
import { ROUTE_ACTIONS, SCOPE_ORDER, cleanPath, decodePath, escapePath, matchRoute, type Operation, type RouteMatch } from './routes.js';
import { Dashboard } from './ui.js';
import { SignatureLookups, signatureGaugeLines, type RegistryMapping, type SignatureReader } from './signers.js';
import { parseUpload } from './upload.js';

export interface ServerLimits {
  /** Largest publish body (the only route that takes one). Default 100 MiB. */
  maxBodyBytes: number;
  /** Most parts in one publish. Default 1000. */
  maxParts: number;
}

/**
 * notary-server reads a publish without a limit (server/handlers/default.go, atomicUpdateHandler:
 * r.MultipartReader and a json.Decoder per part). Its clients read no metadata file larger than
 * notary.MaxDownloadSize, 100 MiB (const.go), so a publish above that could never be fetched back
 * whole: that is the largest body worth reading. Real publishes are a few KiB (a docker tag adds
 * about 150 bytes to a targets file), and 1000 parts is far above the roles one repository has.
 */
export const DEFAULT_LIMITS: ServerLimits = { maxBodyBytes: 100 * 1024 * 1024, maxParts: 1000 };

export interface ServerOptions {
  store: MetadataStore;
  keyStore: ServerKeyStore;
  /** Algorithm of new server-held keys (notary's trust_service.key_algorithm). Default ecdsa. */
  keyAlgorithm?: ServerKeyAlgorithm;
  /** Token auth (notary's `auth` section). Absent = no authentication. */
  auth?: TokenAuthOptions;
  caching?: Partial<CachingOptions>;
  /** repositories.gun_prefixes: when non-empty, only GUNs starting with one of these. */
  gunPrefixes?: readonly string[];
  limits?: Partial<ServerLimits>;
  /** pino logger options, an existing pino logger, or false (default) for none. */
  logger?: LoggerSetting;
  /** The clock (tests move it to exercise expiry). */
  now?: () => Date;
  /** TLS material: serve HTTPS. */
  https?: { key: Buffer | string; cert: Buffer | string };
  /** Checksum-addressed reads kept in memory (defaults: 32 MiB, 10 s; see RepoService). */
  checksumCache?: { bytes?: number; ttlMs?: number };
  /** Health checks beyond the store's (name → check). */
  healthChecks?: Record<string, () => Promise<void>>;
  /** Bytes of request bodies held in memory at once; default the process-wide budget (src/httpd). */
  bodyBudget?: BodyBudget;
  /** Serve the read-only dashboard at /_vouch/ui/ (`vouch server --ui`). Default false. */
  ui?: boolean;
  /** Days ahead the dashboard highlights expiries only a key holder can fix (vouch.expiry_warning_days). Default 30. */
  expiryWarningDays?: number;
  /** The dashboard also shows the images' OCI signatures, read by `reader` from where `mappings` say (src/server/signers.ts). */
  signatures?: { reader: SignatureReader; mappings: readonly RegistryMapping[] };
}

export type { LoggerSetting } from '../httpd/index.js';

/** The trust server: `handle` answers one request (tests call it in-process); `listen` serves it on a socket. */
export interface NotaryApp {
  readonly handle: Handler;
  readonly server: NodeServer['server'];
  readonly log: Logger;
  /** expiries of everything the server stores (gauges on /metrics; runServer logs warnings from it) */
  readonly expiry: ExpiryMonitor;
  listen(opts: { host: string; port: number }): Promise<void>;
  /** Stops accepting connections, answers 503 to new requests, waits for those in flight. Idempotent. */
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
/** Retry-After of a 503 while the database is unreachable: a restart or failover takes seconds. */
export const RETRY_AFTER_SECONDS = 5;
/** What the health endpoint says of a failing check (the reason is in the server log). */
export const HEALTH_FAILED = 'unavailable';
const JSON_TYPE = 'application/json; charset=utf-8';

/** The answer to a body that was not read whole. */
function bodyRefusal(err: BodyRefused): NotaryHttpError {
  switch (err.kind) {
    case 'too-large':
      return new NotaryHttpError('TOO_LARGE', `request body exceeds ${err.limit ?? 0} bytes`, { reason: err.message });
    case 'busy':
      return new NotaryHttpError('UNAVAILABLE', undefined, { headers: { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) }, reason: err.message });
    case 'aborted':
      return new NotaryHttpError('MALFORMED_UPLOAD', undefined, { reason: err.message });
  }
}

/** Builds the server (not listening): call `handle` in-process (tests), `listen` (or runServer) to serve. */
export function createServer(opts: ServerOptions): NotaryApp {
  const now = opts.now ?? (() => new Date());
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const caching: CachingOptions = {
    currentMaxAge: checkMaxAge('current_metadata', opts.caching?.currentMaxAge ?? DEFAULT_CURRENT_MAX_AGE),
    consistentMaxAge: checkMaxAge('consistent_metadata', opts.caching?.consistentMaxAge ?? DEFAULT_CONSISTENT_MAX_AGE),
  };
  const prefixes = [...(opts.gunPrefixes ?? [])];
  const budget = opts.bodyBudget ?? processBodyBudget;
  const authorizer = opts.auth ? new TokenAuthorizer(opts.auth) : undefined;
  const metrics = new Metrics(now());
  const expiry = new ExpiryMonitor({ store: opts.store, keyStore: opts.keyStore, now });
  const repoLimits: RepoLimits = { maxMetadataBytes: limits.maxBodyBytes };
  const repo = new RepoService({ store: opts.store, keyStore: opts.keyStore, keyAlgorithm: opts.keyAlgorithm ?? 'ecdsa', now, limits: repoLimits,
    ...(opts.checksumCache?.bytes !== undefined ? { checksumCacheBytes: opts.checksumCache.bytes } : {}),
    ...(opts.checksumCache?.ttlMs !== undefined ? { checksumCacheTtlMs: opts.checksumCache.ttlMs } : {}),
  });
  // One cache of registry reads for the dashboard and the gauges of /metrics.
  const signatures = opts.signatures !== undefined && opts.signatures.mappings.length > 0 ? new SignatureLookups({ ...opts.signatures, now }) : undefined;
  const dashboard = opts.ui === true
    ? new Dashboard({
      store: opts.store, repo, expiry, now, horizonDays: opts.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS,
      ...(signatures !== undefined ? { signatures } : {}),
    })
    : undefined;
  const log = makeLogger(opts.logger);
  let nextRequestId = 0;

  const handle: Handler = async (req) => {
    const start = process.hrtime.bigint();
    const reqId = `req-${(++nextRequestId).toString(36)}`;
    const routed = await respond(req, reqId);
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    metrics.observeRequest(routed.operation, req.method, routed.answer.status, secs);
    log.info({ reqId, method: req.method, uri: req.url, status: routed.answer.status, durationMs: Math.round(secs * 1e6) / 1e3 }, 'response completed');
    return routed.answer;
  };

  const respond = async (req: HttpRequest, reqId: string): Promise<{ operation: string; answer: Answer }> => {
    const rawUrl = req.url;
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    const path = decodePath(rawPath);
    if (path === undefined) return { operation: 'NotFound', answer: { status: 400, headers: { 'content-type': TEXT }, body: '400 Bad Request' } };
    const clean = cleanPath(path);
    if (clean !== path) return { operation: 'Redirect', answer: { status: 301, headers: { location: escapePath(clean) + (query === '' ? '' : `?${query}`) } } };
    const route = matchRoute(req.method, path, { ui: dashboard !== undefined });
    if (route.methodNotAllowed) return { operation: route.operation, answer: { status: 405 } };
    // A child logger only for the requests that log more than the line every request gets.
    let child: Logger | undefined;
    const reqLog = (): Logger => (child ??= log.child({ reqId }));
    try {
      return { operation: route.operation, answer: await answer(route, req, reqLog, query) };
    } catch (err) {
      reqLog().error({ err }, 'unhandled error');
      return { operation: route.operation, answer: errorAnswer(new NotaryHttpError('UNKNOWN')) };
    }
  };

  const answer = async (route: RouteMatch, req: HttpRequest, reqLog: () => Logger, query: string): Promise<Answer> => {
    let held: HeldBody | undefined;
    try {
      // Admission from the request line and headers alone: no body byte is read before this.
      checkGunPrefix(route, prefixes);
      const actions = ROUTE_ACTIONS[route.operation];
      if (authorizer && actions !== 'none') {
        const r = await authorizer.authorize(req.headers.authorization, buildAccess(route.gun, actions), now(), SCOPE_ORDER[route.operation]);
        reqLog().debug({ subject: r.subject, operation: route.operation }, 'authorized');
      }
      // Only a publish takes a body; any other route answers without reading one (the adapter
      // closes the connection when one was sent).
      let body: Buffer = Buffer.alloc(0);
      if (route.operation === 'UpdateTUF') {
        try {
          held = await req.body.read({ limit: limits.maxBodyBytes, budget });
        } catch (err) {
          if (err instanceof BodyRefused) throw bodyRefusal(err);
          throw err;
        }
        body = held.bytes;
      }
      return await operations[route.operation]({ route, gun: route.gun ?? '', req, body, reqLog, rawQuery: query });
    } catch (err) {
      if (err instanceof NotaryHttpError) {
        const level = err.status >= 500 ? 'error' : 'info';
        reqLog()[level]({ code: err.code, reason: err.reason ?? err.message, gun: route.gun, role: route.role }, 'request failed');
        return errorAnswer(err);
      }
      if (isStorageUnavailable(err)) {
        // The database is down, restarting or busy: a retry soon will likely succeed (reads and writes alike).
        reqLog().warn({ err, gun: route.gun }, 'storage unavailable');
        return errorAnswer(new NotaryHttpError('UNAVAILABLE', `the trust database is unreachable or busy; retry in ${RETRY_AFTER_SECONDS} s`, {
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        }));
      }
      if (isVouchError(err, 'STORAGE') || isVouchError(err, 'INTERNAL')) {
        reqLog().error({ err, gun: route.gun }, 'storage failure');
      } else {
        reqLog().error({ err, gun: route.gun }, 'unexpected failure');
      }
      return errorAnswer(new NotaryHttpError(route.operation === 'UpdateTUF' ? 'UPDATING' : 'UNKNOWN'));
    } finally {
      held?.release();
    }
  };

  /** What one operation gets: the route, the request, its body (a publish's; empty for the others), the query. */
  interface Call {
    route: RouteMatch;
    gun: string;
    req: HttpRequest;
    body: Buffer;
    reqLog: () => Logger;
    rawQuery: string;
  }

  const getRole = async ({ route, gun }: Call): Promise<Answer> => {
    const role = route.role!;
    let file;
    if (route.operation === 'GetRole') file = await repo.getCurrent(gun, role);
    else if (route.operation === 'GetRoleByHash') file = await repo.getChecksum(gun, role, route.checksum!);
    else file = await repo.getVersion(gun, role, route.version!);
    if (!file) throw new NotaryHttpError('METADATA_NOT_FOUND', {});
    const current = route.operation === 'GetRole';
    const headers = cacheHeaders(current ? caching.currentMaxAge : caching.consistentMaxAge, current);
    headers['last-modified'] = rfc1123(file.createdAt);
    headers['content-type'] = TEXT;
    return { status: 200, headers, body: file.data };
  };

  const serverKey = async ({ route, gun, reqLog }: Call): Promise<Answer> => {
    const role = route.role as 'timestamp' | 'snapshot';
    const key = route.operation === 'GetKey' ? await repo.getKey(gun, role) : await repo.rotateKey(gun, role);
    reqLog().info({ gun, role, keyId: key.keyId, operation: route.operation }, 'server key');
    // public before private, as notary writes it (not canonical order).
    return { status: 200, headers: { 'content-type': TEXT }, body: JSON.stringify({ keytype: key.keytype, keyval: { public: key.public, private: null } }) };
  };

  const changefeed = async ({ route, gun, rawQuery }: Call): Promise<Answer> => {
    const query = new URLSearchParams(rawQuery);
    const p = changefeedParams(query.get('records') ?? undefined, query.get('change_id') ?? undefined);
    const records = await opts.store.changes({ gun: route.operation === 'GetChangeFeed' ? gun : undefined, changeId: p.changeId, records: p.records });
    return { status: 200, headers: { 'content-type': TEXT }, body: changefeedBody(records) };
  };

  /** One function per operation of the route table (routes.ts). */
  const operations: Record<Operation, (c: Call) => Promise<Answer>> = {
    MainHandler: async () => ({ status: 200, headers: { 'content-type': TEXT }, body: '{}' }),
    Health: async ({ reqLog }) => {
      // Unauthenticated, so the answer names the failing checks and nothing more: error text
      // (hosts, users, database messages) goes to the log only. notary-server's health handler
      // (distribution's health.StatusHandler) puts the error text in the body.
      const failures: Record<string, string> = {};
      const reasons: Record<string, string> = {};
      const checks: Record<string, () => Promise<void>> = { 'DB operational': () => opts.store.check(), ...opts.healthChecks };
      for (const [name, check] of Object.entries(checks)) {
        try {
          await check();
        } catch (err) {
          failures[name] = HEALTH_FAILED;
          reasons[name] = redactSecrets(err instanceof Error ? err.message : String(err));
        }
      }
      const failed = Object.keys(failures).length > 0;
      if (failed) reqLog().warn({ failures: reasons }, 'health check failed');
      return { status: failed ? 503 : 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(failures) };
    },
    Metrics: async () => {
      const mem = process.memoryUsage();
      await expiry.refresh();
      // With --ui-registry, the OCI signatures of the mapped repositories' signed images (cached reads, within one budget).
      const sigs = signatures === undefined ? [] : signatureGaugeLines(await signatures.forRepositories(expiry.repositories().map((gun) => ({ gun, digests: expiry.digestsOf(gun) }))));
      return { status: 200, headers: { 'content-type': EXPOSITION_CONTENT_TYPE }, body: exposition([...metrics.lines({ rss: mem.rss, heapUsed: mem.heapUsed }), ...expiry.gaugeLines(), ...sigs]) };
    },
    UpdateTUF: async ({ req, body, gun, reqLog }) => {
      let parts;
      try {
        const boundary = formDataBoundary(req.headers['content-type']);
        parts = parseMultipart(body, boundary, { maxParts: limits.maxParts, maxPartBytes: limits.maxBodyBytes, maxHeaderBytes: 16 * 1024 });
      } catch (err) {
        if (err instanceof MultipartError) throw new NotaryHttpError('MALFORMED_UPLOAD', undefined, { reason: err.message });
        throw err;
      }
      const updates = parseUpload(parts, isValidRoleName);
      try {
        await repo.publish(gun, updates);
        metrics.observePublish('accepted');
      } catch (err) {
        metrics.observePublish(err instanceof NotaryHttpError && err.status < 500 ? (err.code === 'VERSION' ? 'conflict' : 'rejected') : 'error');
        throw err;
      }
      reqLog().info({ gun, roles: [...updates.keys()] }, 'published');
      return { status: 200 };
    },
    GetRole: getRole,
    GetRoleByHash: getRole,
    GetRoleByVersion: getRole,
    GetKey: serverKey,
    RotateKey: serverKey,
    DeleteTUF: async ({ gun, reqLog }) => {
      await repo.deleteGun(gun);
      reqLog().info({ gun }, 'repository deleted');
      return { status: 200 };
    },
    GetChangeFeed: changefeed,
    GetGlobalChangeFeed: changefeed,
    UiIndex: async ({ rawQuery }) => dashboard!.index(new URLSearchParams(rawQuery)),
    UiRepository: async ({ gun, rawQuery }) => dashboard!.repository(gun, new URLSearchParams(rawQuery)),
    NotFound: async () => { throw new NotaryHttpError('METADATA_NOT_FOUND'); },
  };

  const node = serve(handle, {
    ...(opts.https ? { tls: opts.https } : {}),
    closing: () => ({ status: 503, headers: { 'content-type': JSON_TYPE }, body: errorBody('UNKNOWN', undefined) }),
    onError: (err) => { log.error({ err }, 'unhandled error'); },
  });
  return { handle, server: node.server, log, expiry, listen: node.listen, close: node.close };
}

function errorAnswer(err: NotaryHttpError, status?: number): Answer {
  return { status: status ?? err.status, headers: { ...err.headers, 'content-type': JSON_TYPE }, body: errorBody(err.code, err.detail) };
}

function checkGunPrefix(route: RouteMatch, prefixes: readonly string[]): void {
  if (route.gun !== undefined && route.gun !== '' && !storableGun(route.gun)) {
    // notary would hit a database error (500); no such repository can exist, so say so
    if (route.operation === 'UpdateTUF') throw new NotaryHttpError('INVALID_GUN', 'GUNs must be at most 255 bytes, without control characters');
    throw new NotaryHttpError('METADATA_NOT_FOUND', route.operation.startsWith('GetRole') ? {} : undefined, { reason: 'GUN cannot be stored' });
  }
  if (prefixes.length === 0 || route.gun === undefined || route.gun === '') return;
  if (prefixes.some((p) => route.gun!.startsWith(p))) return;
  if (route.operation === 'UpdateTUF') throw new NotaryHttpError('INVALID_GUN', `Require GUNs with prefix: [${prefixes.join(' ')}]`);
  throw new NotaryHttpError('METADATA_NOT_FOUND', undefined, { reason: 'GUN outside the configured prefixes' });
}

