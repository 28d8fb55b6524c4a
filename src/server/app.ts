// The notary-server HTTP API on Fastify (spec §1). One catch-all Fastify route hands every request
// to a dispatcher that reproduces gorilla/mux: path cleaning (301), notary's route regexes in
// order, 405 for unknown methods, the GUN prefix filter, token auth, then the handler. Bodies are
// collected raw and bounded; every failure becomes notary's JSON error body.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { isVouchError } from '../core/index.js';
import { isValidRoleName } from '../tuf/index.js';
import type { MetadataStore, ServerKeyAlgorithm, ServerKeyStore } from '../storage/types.js';
import { TokenAuthorizer, buildAccess, type TokenAuthOptions } from './auth.js';
import { DEFAULT_CONSISTENT_MAX_AGE, DEFAULT_CURRENT_MAX_AGE, cacheHeaders, checkMaxAge, rfc1123, type CachingOptions } from './caching.js';
import { changefeedBody, changefeedParams } from './changefeed.js';
import { NotaryHttpError, errorBody } from './errors.js';
import { Metrics } from './metrics.js';
import { MultipartError, formDataBoundary, parseMultipart } from './multipart.js';
import { RepoService, type RepoLimits } from './repo.js';
import { ROUTE_ACTIONS, SCOPE_ORDER, cleanPath, decodePath, escapePath, matchRoute, type RouteMatch } from './routes.js';
import { parseUpload } from './upload.js';

export interface ServerLimits {
  /** Largest request body (a whole publish). Default 100 MiB. */
  maxBodyBytes: number;
  /** Most parts in one publish. Default 1000. */
  maxParts: number;
}

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
  /** Fastify/pino logger options, an existing pino logger, or false (default) for none. */
  logger?: FastifyServerOptions['logger'];
  /** The clock (tests move it to exercise expiry). */
  now?: () => Date;
  /** TLS material: serve HTTPS. */
  https?: { key: Buffer | string; cert: Buffer | string };
  /** Health checks beyond the store's (name → check). */
  healthChecks?: Record<string, () => Promise<void>>;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    vouchStart?: bigint;
    vouchOperation?: string;
  }
}

/** Builds the server (not listening). Use `inject` in tests, `listen` (or runServer) to serve. */
export function createServer(opts: ServerOptions): FastifyInstance {
  const now = opts.now ?? (() => new Date());
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const caching: CachingOptions = {
    currentMaxAge: checkMaxAge('current_metadata', opts.caching?.currentMaxAge ?? DEFAULT_CURRENT_MAX_AGE),
    consistentMaxAge: checkMaxAge('consistent_metadata', opts.caching?.consistentMaxAge ?? DEFAULT_CONSISTENT_MAX_AGE),
  };
  const prefixes = [...(opts.gunPrefixes ?? [])];
  const authorizer = opts.auth ? new TokenAuthorizer(opts.auth) : undefined;
  const metrics = new Metrics(now());
  const repoLimits: RepoLimits = { maxMetadataBytes: limits.maxBodyBytes };
  const repo = new RepoService({ store: opts.store, keyStore: opts.keyStore, keyAlgorithm: opts.keyAlgorithm ?? 'ecdsa', now, limits: repoLimits });

  const fastifyOpts: FastifyServerOptions & { https?: unknown } = {
    logger: opts.logger ?? false,
    bodyLimit: limits.maxBodyBytes,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Never let the router answer by itself: malformed URLs get a plain 400 as from Go's net/http.
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply).code(400).header('content-type', TEXT).send(`400 Bad Request: ${err.message}`);
    },
  };
  if (opts.https) fastifyOpts.https = { key: opts.https.key, cert: opts.https.cert };
  const app = Fastify(fastifyOpts as FastifyServerOptions) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.maxBodyBytes }, (_req, body, done) => { done(null, body); });

  app.addHook('onRequest', async (req) => { req.vouchStart = process.hrtime.bigint(); });
  app.addHook('onResponse', async (req, reply) => {
    const secs = req.vouchStart === undefined ? 0 : Number(process.hrtime.bigint() - req.vouchStart) / 1e9;
    metrics.observeRequest(req.vouchOperation ?? 'NotFound', req.method, reply.statusCode, secs);
  });

  app.setErrorHandler(async (err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      req.log.info({ limit: limits.maxBodyBytes }, 'request body too large');
      return sendError(reply, new NotaryHttpError('TOO_LARGE', `request body exceeds ${limits.maxBodyBytes} bytes`));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Framework-level client errors (bad Content-Length, aborted bodies, ...).
      req.log.info({ err: err.message }, 'bad request');
      const code = req.method === 'POST' ? 'MALFORMED_UPLOAD' : 'METADATA_NOT_FOUND';
      return sendError(reply, new NotaryHttpError(code), err.statusCode === 404 ? undefined : 400);
    }
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, new NotaryHttpError('UNKNOWN'));
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const rawUrl = req.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = q < 0 ? '' : rawUrl.slice(q + 1);
    const path = decodePath(rawPath);
    if (path === undefined) {
      await reply.code(400).header('content-type', TEXT).send('400 Bad Request');
      return;
    }
    const clean = cleanPath(path);
    if (clean !== path) {
      req.vouchOperation = 'Redirect';
      await reply.code(301).header('location', escapePath(clean) + (query === '' ? '' : `?${query}`)).send();
      return;
    }
    const route = matchRoute(req.method, path);
    req.vouchOperation = route.operation;
    if (route.methodNotAllowed) {
      await reply.code(405).send();
      return;
    }
    try {
      checkGunPrefix(route, prefixes);
      const actions = ROUTE_ACTIONS[route.operation];
      if (authorizer && actions !== 'none') {
        const r = await authorizer.authorize(req.headers.authorization, buildAccess(route.gun, actions), now(), SCOPE_ORDER[route.operation]);
        req.log.debug({ subject: r.subject, operation: route.operation }, 'authorized');
      }
      await dispatch(route, req, reply, new URLSearchParams(query));
    } catch (err) {
      if (err instanceof NotaryHttpError) {
        const level = err.status >= 500 ? 'error' : 'info';
        req.log[level]({ code: err.code, reason: err.reason ?? err.message, gun: route.gun, role: route.role }, 'request failed');
        await sendError(reply, err);
        return;
      }
      if (isVouchError(err, 'STORAGE') || isVouchError(err, 'INTERNAL')) {
        req.log.error({ err, gun: route.gun }, 'storage failure');
      } else {
        req.log.error({ err, gun: route.gun }, 'unexpected failure');
      }
      await sendError(reply, new NotaryHttpError(route.operation === 'UpdateTUF' ? 'UPDATING' : 'UNKNOWN'));
    }
  };

  const dispatch = async (route: RouteMatch, req: FastifyRequest, reply: FastifyReply, query: URLSearchParams): Promise<void> => {
    const gun = route.gun ?? '';
    switch (route.operation) {
      case 'MainHandler':
        await reply.code(200).header('content-type', TEXT).send('{}');
        return;
      case 'Health': {
        const failures: Record<string, string> = {};
        const checks: Record<string, () => Promise<void>> = { 'DB operational': () => opts.store.check(), ...opts.healthChecks };
        for (const [name, check] of Object.entries(checks)) {
          try {
            await check();
          } catch (err) {
            failures[name] = redactSecrets(err instanceof Error ? err.message : String(err));
          }
        }
        const failed = Object.keys(failures).length > 0;
        if (failed) req.log.warn({ failures }, 'health check failed');
        await reply.code(failed ? 503 : 200).header('content-type', JSON_TYPE).send(JSON.stringify(failures));
        return;
      }
      case 'Metrics': {
        const mem = process.memoryUsage();
        await reply.code(200).header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(metrics.render({ rss: mem.rss, heapUsed: mem.heapUsed }));
        return;
      }
      case 'UpdateTUF': {
        let boundary: string;
        let parts;
        try {
          boundary = formDataBoundary(req.headers['content-type']);
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
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
        req.log.info({ gun, roles: [...updates.keys()] }, 'published');
        await reply.code(200).send();
        return;
      }
      case 'GetRole':
      case 'GetRoleByHash':
      case 'GetRoleByVersion': {
        const role = route.role!;
        let file;
        if (route.operation === 'GetRole') file = await repo.getCurrent(gun, role);
        else if (route.operation === 'GetRoleByHash') file = await repo.getChecksum(gun, role, route.checksum!);
        else file = await repo.getVersion(gun, role, route.version!);
        if (!file) throw new NotaryHttpError('METADATA_NOT_FOUND', {});
        const current = route.operation === 'GetRole';
        const headers = cacheHeaders(current ? caching.currentMaxAge : caching.consistentMaxAge, current);
        await reply.code(200).headers({ ...headers, 'last-modified': rfc1123(file.createdAt), 'content-type': TEXT }).send(file.data);
        return;
      }
      case 'GetKey':
      case 'RotateKey': {
        const role = route.role as 'timestamp' | 'snapshot';
        const key = route.operation === 'GetKey' ? await repo.getKey(gun, role) : await repo.rotateKey(gun, role);
        req.log.info({ gun, role, keyId: key.keyId, operation: route.operation }, 'server key');
        // public before private, as notary writes it (not canonical order).
        const body = JSON.stringify({ keytype: key.keytype, keyval: { public: key.public, private: null } });
        await reply.code(200).header('content-type', TEXT).send(body);
        return;
      }
      case 'DeleteTUF':
        await repo.deleteGun(gun);
        req.log.info({ gun }, 'repository deleted');
        await reply.code(200).send();
        return;
      case 'GetChangeFeed':
      case 'GetGlobalChangeFeed': {
        const p = changefeedParams(query.get('records') ?? undefined, query.get('change_id') ?? undefined);
        const records = await opts.store.changes({ gun: route.operation === 'GetChangeFeed' ? gun : undefined, changeId: p.changeId, records: p.records });
        await reply.code(200).header('content-type', TEXT).send(changefeedBody(records));
        return;
      }
      case 'NotFound':
        throw new NotaryHttpError('METADATA_NOT_FOUND');
    }
  };

  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'], url: '/*', handler });
  app.setNotFoundHandler(handler);
  app.addHook('onClose', async () => { /* the store is owned by the caller */ });
  return app;
}

async function sendError(reply: FastifyReply, err: NotaryHttpError, status?: number): Promise<void> {
  await reply.code(status ?? err.status).headers({ ...err.headers, 'content-type': JSON_TYPE }).send(errorBody(err.code, err.detail));
}

/** GUNs storage can hold: 1 to 255 bytes (notary's varchar(255)), no control characters. */
export function storableGun(gun: string): boolean {
  return Buffer.byteLength(gun) <= 255 && !/[\u0000-\u001f\u007f]/.test(gun);
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

/** Strips credentials from URLs in error texts before they reach a response or a log. */
export function redactSecrets(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@').replace(/password=[^&\s]*/gi, 'password=***');
}
