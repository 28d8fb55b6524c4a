// The HTTP client for registries and trust servers, over node:http(s) (connections.ts): both use
// docker's registry auth (a 401 with a Bearer or Basic challenge, then a token from the realm;
// auth.ts), idempotent requests are retried, redirects followed. Bodies are read with a size
// bound and every exchange has deadlines (connect, first byte, whole body; idle for streamed
// bodies), so a hostile server cannot make us buffer more than the caller allows nor hold a
// command for long. Credentials go only to the host they belong to, and never over plain http to
// a realm named by an https server.
import type { Readable } from 'node:stream';
import { VouchError, isVouchError } from '../core/index.js';
import { basicAuthorization, parseChallenge, type Challenge, type Credentials } from './auth.js';
import { DEFAULT_MAX_BODY, errorCode, readBody } from './body.js';
import { Connections } from './connections.js';
import { CONNECT_TIMEOUT, DEADLINE_CODES, DEFAULT_DEADLINES, type Deadlines } from './deadlines.js';
import { isLoopbackHost } from './host.js';
import type { TlsOptions } from './tls.js';

export interface TransportOptions {
  tls?: TlsOptions;
  credentials?: Credentials;
  /**
   * The hosts (host[:port]) the credentials belong to: only their challenges are answered with
   * them. Default: the host of the transport's first request.
   */
  credentialHosts?: readonly string[];
  userAgent?: string;
  /** deadlines of every exchange (default DEFAULT_DEADLINES) */
  deadlines?: Partial<Deadlines>;
  /** retries for idempotent requests on 429/5xx and network errors */
  retries?: number;
  /** waits between retries; injectable so tests need not sleep */
  sleep?: (ms: number) => Promise<void>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** refuse bodies larger than this (default 4 MiB) */
  maxBytes?: number;
  /** token scopes to ask for when challenged (default: the challenge's own scope) */
  scopes?: string[];
}

export interface StreamRequestOptions {
  headers?: Record<string, string>;
  /**
   * A buffer, or a factory for a fresh stream: a consumed stream cannot be sent again after an
   * auth challenge, a factory can.
   */
  body?: Buffer | string | (() => Readable);
  /** token scopes to ask for when challenged (default: the challenge's own scope) */
  scopes?: string[];
  /** retries for this request (default: the transport's, and 0 for requests with a body) */
  retries?: number;
  /** follow up to this many redirects (default 5); Authorization is dropped when the origin changes */
  maxRedirects?: number;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  /** the URL that answered, after redirects (Location headers are relative to it) */
  url: string;
  /** the body, unread; call `discard()` when not reading it */
  body: Readable;
  /** when a body read into memory must be complete (epoch ms): the whole-body deadline */
  deadline: number;
  discard(): Promise<void>;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Answers of a gateway whose server is down: as good as no connection (UNREACHABLE, not REMOTE_ERROR). */
const GATEWAY_UNAVAILABLE = new Set([502, 503, 504]);

/** The code of an error answer with this status that is no better than no connection: UNREACHABLE, else REMOTE_ERROR. */
export function unusableAnswerCode(status: number): 'UNREACHABLE' | 'REMOTE_ERROR' {
  return GATEWAY_UNAVAILABLE.has(status) ? 'UNREACHABLE' : 'REMOTE_ERROR';
}
/** Error codes of a connection that never came up. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', CONNECT_TIMEOUT]);

/**
 * Could the server not be reached at all (no connection, or a gateway saying it is down)? Any
 * other failure is an answer: oversized, endless, too slow or malformed.
 */
export function isUnreachable(err: unknown): boolean {
  return isVouchError(err, 'UNREACHABLE');
}

export class HttpTransport {
  private readonly connections: Connections;
  private readonly opts: TransportOptions;
  private readonly deadlines: Deadlines;
  /** hosts whose challenges get the credentials (see TransportOptions.credentialHosts) */
  private credentialHosts: Set<string> | undefined;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  /** origins that answered a Basic challenge: later requests send credentials up front */
  private readonly basicOrigins = new Set<string>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: TransportOptions = {}) {
    this.opts = opts;
    this.deadlines = { ...DEFAULT_DEADLINES, ...opts.deadlines };
    if (opts.credentialHosts) this.credentialHosts = new Set(opts.credentialHosts);
    this.connections = new Connections(opts.tls ?? {}, this.deadlines);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async close(): Promise<void> {
    this.connections.close();
  }

  /** One request with auth and retries (no redirects); the response body is read fully, up to maxBytes. */
  async request(method: string, url: string, ro: RequestOptions = {}): Promise<HttpResponse> {
    const res = await this.stream(method, url, {
      ...(ro.headers ? { headers: ro.headers } : {}),
      ...(ro.body !== undefined ? { body: ro.body } : {}),
      ...(ro.scopes ? { scopes: ro.scopes } : {}),
      maxRedirects: 0,
    });
    return { status: res.status, headers: res.headers, body: await readBody(res, ro.maxBytes ?? DEFAULT_MAX_BODY, `the response from ${url}`) };
  }

  /** Tokens are cached per target origin and requested scopes, until shortly before they expire. */
  private cacheKey(url: string, scopes: string[] | undefined): string {
    return `${new URL(url).origin} ${(scopes ?? []).join(' ')}`;
  }

  private cachedAuth(url: string, scopes: string[] | undefined): string | undefined {
    const hit = this.tokens.get(this.cacheKey(url, scopes));
    if (hit && hit.expiresAt > Date.now()) return `Bearer ${hit.token}`;
    if (this.basicOrigins.has(new URL(url).origin)) return this.basicHeader();
    return undefined;
  }

  private basicHeader(): string | undefined {
    return basicAuthorization(this.opts.credentials);
  }

  /** Do the credentials belong to this URL's host? (The first request's host, unless configured.) */
  private ownsCredentials(url: string): boolean {
    const host = new URL(url).host;
    this.credentialHosts ??= new Set([host]);
    return this.credentialHosts.has(host);
  }

  /**
   * One request whose response body is handed back unread (blobs, uploads). Auth as `request`;
   * redirects are followed, without Authorization when they leave the origin (blob downloads are
   * often redirected to object storage that rejects a foreign Bearer token).
   */
  async stream(method: string, url: string, ro: StreamRequestOptions = {}): Promise<StreamResponse> {
    this.ownsCredentials(url); // the first request names the credentials' host, unless configured
    let current = url;
    let redirects = ro.maxRedirects ?? 5;
    const origin = new URL(url).origin;
    let auth = this.cachedAuth(url, ro.scopes);
    let challenged = false;
    for (;;) {
      const sameOrigin = new URL(current).origin === origin;
      const res = await this.dispatch(method, current, ro, sameOrigin ? auth : undefined);
      if (res.status === 401 && sameOrigin && !challenged) {
        const challenge = parseChallenge(res.headers['www-authenticate']);
        let next: string | undefined;
        try {
          next = challenge ? await this.authorize(current, challenge, ro.scopes) : undefined;
        } catch (err) {
          await res.discard();
          throw err;
        }
        if (next) {
          await res.discard();
          challenged = true;
          auth = next;
          continue;
        }
      }
      const location = res.headers.location;
      if (REDIRECTS.has(res.status) && location && redirects > 0 && (method === 'GET' || method === 'HEAD')) {
        await res.discard();
        redirects--;
        current = new URL(location, current).toString();
        continue;
      }
      return res;
    }
  }

  private async dispatch(method: string, url: string, ro: StreamRequestOptions, authorization: string | undefined): Promise<StreamResponse> {
    const idempotent = (method === 'GET' || method === 'HEAD') && ro.body === undefined;
    const attempts = (ro.retries ?? (idempotent ? (this.opts.retries ?? 3) : 0)) + 1;
    let lastError: unknown;
    let widened = false;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await this.sleep(Math.min(200 * 2 ** (attempt - 1), 2000));
      const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'vouch', ...ro.headers };
      if (authorization) headers.authorization = authorization;
      const body = typeof ro.body === 'function' ? ro.body() : ro.body;
      const deadline = Date.now() + this.deadlines.bodyMs;
      try {
        const res = await this.connections.request(method, url, headers, body);
        const stream = res.body;
        const out: StreamResponse = {
          status: res.status,
          headers: flattenHeaders(res.headers),
          url,
          body: stream,
          deadline,
          discard: async () => { try { await res.dump(64 * 1024); } catch { stream.destroy(); } },
        };
        if (RETRYABLE.has(out.status) && attempt + 1 < attempts) {
          await out.discard();
          lastError = new VouchError('REMOTE_ERROR', `HTTP ${out.status}`);
          continue;
        }
        return out;
      } catch (err) {
        if (body && typeof body === 'object' && 'destroy' in body) (body as Readable).destroy();
        if (err instanceof VouchError) throw err;
        lastError = err;
        // the server's chain ends at an issuer the configured CAs do not hold: once more with the
        // system roots too (tls.ts); nothing was sent on the failed handshake
        if (!widened && this.connections.widenTrust(err)) {
          widened = true;
          attempt--;
          continue;
        }
        if (DEADLINE_CODES.has(errorCode(err) ?? '')) break;
      }
    }
    const cause = lastError as Error;
    const code = errorCode(cause);
    const reached = !NOT_CONNECTED.has(code ?? '');
    const timedOut = code !== undefined && DEADLINE_CODES.has(code);
    const message = `cannot reach ${new URL(url).origin}: ${cause?.message ?? String(cause)}`;
    const hint = timedOut
      ? 'the server did not answer in time; if it is just slow, raise the deadlines (VOUCH_TIMEOUT_CONNECT, VOUCH_TIMEOUT_FIRST_BYTE, VOUCH_TIMEOUT_BODY, VOUCH_TIMEOUT_STALL, in seconds)'
      : 'check the server address, that it is running, and its TLS certificate (CAs go in $DOCKER_CONFIG/tls/<host>/ca.crt)';
    // no connection came up: UNREACHABLE (cached data may stand in); one that came up and failed: NETWORK
    if (!reached) throw new VouchError('UNREACHABLE', message, { cause, hint, details: { reached, ...(code ? { cause: code } : {}) } });
    throw new VouchError('NETWORK', message, { cause, hint, details: { reached, ...(code ? { cause: code } : {}) } });
  }

  /** One request without the auth dance (token fetches), with retries and a bounded body. */
  private async fetchBounded(method: string, url: string, ro: RequestOptions, authorization: string | undefined): Promise<HttpResponse> {
    const res = await this.dispatch(method, url, {
      ...(ro.headers ? { headers: ro.headers } : {}),
      ...(ro.body !== undefined ? { body: ro.body } : {}),
    }, authorization);
    return { status: res.status, headers: res.headers, body: await readBody(res, ro.maxBytes ?? DEFAULT_MAX_BODY, `the response from ${url}`) };
  }

  /**
   * The Authorization for a challenge. The credentials answer only challenges from their own host
   * (a Link or Location may lead elsewhere), and never travel over plain http to a token realm
   * named by an https server (a loopback realm excepted); elsewhere a token is asked for
   * anonymously, and a Basic challenge is not answered.
   */
  private async authorize(url: string, challenge: Challenge, scopes: string[] | undefined): Promise<string | undefined> {
    const own = this.ownsCredentials(url);
    const cred = own ? this.opts.credentials : undefined;
    if (challenge.scheme === 'basic') {
      const basic = own ? this.basicHeader() : undefined;
      if (basic) this.basicOrigins.add(new URL(url).origin);
      return basic;
    }
    const realm = challenge.params.realm;
    if (!realm) throw new VouchError('REMOTE_ERROR', 'the server asked for a token but named no realm');
    const realmUrl = new URL(realm);
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new VouchError('REMOTE_ERROR', `token realm '${realm}' is not an http(s) URL`);
    }
    const hasCredentials = Boolean(cred?.identityToken || cred?.username);
    if (hasCredentials && realmUrl.protocol === 'http:' && new URL(url).protocol === 'https:' && !isLoopbackHost(realmUrl.host)) {
      throw new VouchError('UNAUTHORIZED', `${new URL(url).origin} names the token realm ${realmUrl.origin}, over plain http: the credentials are not sent there`, {
        details: { realm: realmUrl.origin },
        hint: 'the registry\'s token service must use https; ask its operator to fix the realm in its WWW-Authenticate challenge',
      });
    }
    const wanted = scopes?.length ? scopes : challenge.params.scope ? challenge.params.scope.split(' ') : [];
    const headers: Record<string, string> = {};
    let res: HttpResponse;
    if (cred?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'vouch', service: challenge.params.service ?? '' });
      if (wanted.length) form.set('scope', wanted.join(' '));
      headers['content-type'] = 'application/x-www-form-urlencoded';
      res = await this.fetchBounded('POST', realmUrl.toString(), { headers, body: form.toString(), maxBytes: 1024 * 1024 }, undefined);
    } else {
      if (challenge.params.service) realmUrl.searchParams.set('service', challenge.params.service);
      for (const s of wanted) realmUrl.searchParams.append('scope', s);
      realmUrl.searchParams.set('client_id', 'vouch');
      const auth = basicAuthorization(cred);
      res = await this.fetchBounded('GET', realmUrl.toString(), { maxBytes: 1024 * 1024 }, auth);
    }
    if (res.status === 401 || res.status === 403) {
      throw new VouchError('UNAUTHORIZED', `the token server ${realmUrl.origin} refused the credentials (HTTP ${res.status})`, {
        hint: 'check the credentials for this registry in $DOCKER_CONFIG/config.json (docker login)',
      });
    }
    if (res.status !== 200) throw new VouchError('REMOTE_ERROR', `the token server ${realmUrl.origin} answered HTTP ${res.status}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try { body = JSON.parse(res.body.toString('utf8')); } catch { throw new VouchError('REMOTE_ERROR', 'the token server answered with invalid JSON'); }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new VouchError('REMOTE_ERROR', 'the token server answered without a token');
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    this.tokens.set(this.cacheKey(url, scopes), { token, expiresAt: Date.now() + Math.max(0, ttl - 10) * 1000 });
    return `Bearer ${token}`;
  }
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
