// Token auth as notary-server accepts it (docker/distribution registry/auth/token/accesscontroller.go): docker/distribution's token access controller.
// A Bearer JWT signed by a key that chains (x5c) to the configured root bundle, or is named by
// `kid` (libtrust key ID) / carried as `jwk` and is one of the bundle's keys; issuer and audience
// must match; exp/nbf with 60 s leeway; the `access` claim must grant every required action.
import { X509Certificate, createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import { NotaryHttpError } from './errors.js';

export interface TokenAuthOptions {
  realm: string;
  service: string;
  issuer: string;
  /** PEM text of the trusted root certificates (the `rootcertbundle` file's content). */
  rootCertBundle: string;
}

/** One required permission; `Class` is always empty for notary. */
export interface Access {
  type: string;
  name: string;
  action: string;
}

export const LEEWAY_SECONDS = 60;
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512'];

type Failure = 'required' | 'invalid' | 'scope';

export interface AuthResult {
  ok: boolean;
  subject?: string;
  /** Why the token was refused (for logs; never contains the token). */
  reason?: string;
}

/** The access list a route needs: repository actions for a GUN, or `registry:catalog:*`. */
export function buildAccess(gun: string | undefined, actions: readonly string[] | 'catalog'): Access[] {
  if (actions === 'catalog' || gun === undefined || gun === '') return [{ type: 'registry', name: 'catalog', action: '*' }];
  return actions.map((action) => ({ type: 'repository', name: gun, action }));
}

/**
 * `repository:<gun>:pull,push` — one scope per resource, actions in the order required, or in
 * `actionOrder` when given (notary's own order is random: Go map iteration).
 */
export function scopeParam(access: readonly Access[], actionOrder?: readonly string[]): string {
  const byResource = new Map<string, { type: string; name: string; actions: string[] }>();
  for (const a of access) {
    const k = `${a.type}\u0000${a.name}`;
    const e = byResource.get(k) ?? { type: a.type, name: a.name, actions: [] };
    if (!e.actions.includes(a.action)) e.actions.push(a.action);
    byResource.set(k, e);
  }
  const rank = (a: string): number => (actionOrder?.includes(a) ? actionOrder.indexOf(a) : Number.MAX_SAFE_INTEGER);
  return [...byResource.values()].map((e) => `${e.type}:${e.name}:${[...e.actions].sort((x, y) => rank(x) - rank(y)).join(',')}`).join(' ');
}

/**
 * Parses a scope string. The type ends at the first `:` and the actions start after the last one,
 * so a GUN with a port (`repository:host:5000/app:pull,push`) keeps its colon.
 */
export function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter((a) => a !== '') };
}

/** Go's %q for the strings that appear in a challenge. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** libtrust key ID: base32 of the first 240 bits of SHA-256(DER SPKI), in 12 groups of 4. */
export function libtrustKeyId(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  const digest = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out.match(/.{4}/g)!.join(':');
}

function splitPem(bundle: string): X509Certificate[] {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

function b64urlJson(part: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

function inValidity(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(cert.validTo).getTime();
}

export class TokenAuthorizer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  private readonly roots: X509Certificate[];
  private readonly trustedKeys = new Map<string, KeyObject>();

  constructor(opts: TokenAuthOptions) {
    this.realm = opts.realm;
    this.service = opts.service;
    this.issuer = opts.issuer;
    this.roots = splitPem(opts.rootCertBundle);
    if (this.roots.length === 0) throw new Error('token auth: rootcertbundle holds no certificate');
    for (const r of this.roots) this.trustedKeys.set(libtrustKeyId(r.publicKey), r.publicKey);
  }

  /** Checks the Authorization header against the required access. Throws the 401 challenge on failure. */
  async authorize(authorization: string | undefined, access: readonly Access[], now: Date, scopeOrder?: readonly string[]): Promise<AuthResult> {
    const r = await this.check(authorization, access, now);
    if (r.failure === undefined) return { ok: true, subject: r.subject };
    throw this.challenge(access, r.failure, r.reason, scopeOrder);
  }

  /** The 401 answer: Www-Authenticate challenge plus notary's UNAUTHORIZED body with the access list. */
  challenge(access: readonly Access[], failure: Failure, reason?: string, scopeOrder?: readonly string[]): NotaryHttpError {
    let header = `Bearer realm=${goQuote(this.realm)},service=${goQuote(this.service)}`;
    const scope = scopeParam(access, scopeOrder);
    if (scope !== '') header += `,scope=${goQuote(scope)}`;
    if (failure === 'invalid') header += ',error="invalid_token"';
    else if (failure === 'scope') header += ',error="insufficient_scope"';
    const detail = access.map((a) => ({ Type: a.type, Class: '', Name: a.name, Action: a.action }));
    return new NotaryHttpError('UNAUTHORIZED', detail, { headers: { 'www-authenticate': header }, reason: reason ?? failure });
  }

  private async check(authorization: string | undefined, access: readonly Access[], now: Date): Promise<{ failure?: Failure; reason?: string; subject?: string }> {
    const parts = (authorization ?? '').split(' ');
    if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'bearer' || parts[1] === '') return { failure: 'required', reason: 'no bearer token' };
    const raw = parts[1]!;
    const segs = raw.split('.');
    if (segs.length !== 3) return { failure: 'invalid', reason: 'malformed token' };
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = b64urlJson(segs[0]!) as Record<string, unknown>;
      claims = b64urlJson(segs[1]!) as Record<string, unknown>;
      if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) throw new Error('not an object');
    } catch {
      return { failure: 'invalid', reason: 'malformed token' };
    }
    if (claims['iss'] !== this.issuer) return { failure: 'invalid', reason: 'untrusted issuer' };
    const aud = claims['aud'];
    const audOk = typeof aud === 'string' ? aud === this.service : Array.isArray(aud) && aud.includes(this.service);
    if (!audOk) return { failure: 'invalid', reason: 'audience not accepted' };
    const nowSec = now.getTime() / 1000;
    const exp = typeof claims['exp'] === 'number' ? claims['exp'] : 0;
    const nbf = typeof claims['nbf'] === 'number' ? claims['nbf'] : 0;
    if (nowSec > exp + LEEWAY_SECONDS) return { failure: 'invalid', reason: 'token expired' };
    if (nowSec < nbf - LEEWAY_SECONDS) return { failure: 'invalid', reason: 'token not yet valid' };
    if (segs[2] === '') return { failure: 'invalid', reason: 'token is not signed' };
    const alg = header['alg'];
    if (typeof alg !== 'string' || !ALGORITHMS.includes(alg)) return { failure: 'invalid', reason: 'unsupported signing algorithm' };
    const key = this.signingKey(header, now);
    if (typeof key === 'string') return { failure: 'invalid', reason: key };
    try {
      await compactVerify(raw, key, { algorithms: [alg] });
    } catch {
      return { failure: 'invalid', reason: 'bad token signature' };
    }
    const granted = grantedAccess(claims['access']);
    for (const a of access) {
      const actions = granted.get(`${a.type}\u0000${a.name}`);
      if (!actions || !(actions.has('*') || actions.has(a.action))) return { failure: 'scope', reason: 'insufficient scope' };
    }
    return { subject: typeof claims['sub'] === 'string' ? claims['sub'] : '' };
  }

  /** The token's verified signing key, or the reason it is not trusted. */
  private signingKey(header: Record<string, unknown>, now: Date): KeyObject | string {
    const x5c = header['x5c'];
    if (Array.isArray(x5c) && x5c.length > 0) return this.verifyChain(x5c, now);
    const jwk = header['jwk'];
    if (jwk !== undefined && jwk !== null) {
      if (typeof jwk !== 'object') return 'malformed jwk';
      const inner = (jwk as Record<string, unknown>)['x5c'];
      if (Array.isArray(inner) && inner.length > 0) return this.verifyChain(inner, now);
      let k: KeyObject;
      try {
        k = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      } catch {
        return 'malformed jwk';
      }
      return this.trustedKeys.get(libtrustKeyId(k)) ?? 'token signed by an untrusted jwk';
    }
    const kid = header['kid'];
    if (typeof kid === 'string' && kid !== '') return this.trustedKeys.get(kid) ?? 'token signed by an untrusted key id';
    return 'unable to get token signing key';
  }

  /** x5c: leaf first, then intermediates; must chain to one of the roots, every cert within its validity. */
  private verifyChain(x5c: unknown[], now: Date): KeyObject | string {
    let certs: X509Certificate[];
    try {
      certs = x5c.map((c) => {
        if (typeof c !== 'string') throw new Error('x5c entry is not a string');
        return new X509Certificate(Buffer.from(c, 'base64'));
      });
    } catch {
      return 'malformed x5c';
    }
    const leaf = certs[0]!;
    const intermediates = certs.slice(1);
    let current = leaf;
    for (let depth = 0; depth < 10; depth++) {
      if (!inValidity(current, now)) return 'certificate outside its validity period';
      if (depth > 0 && !current.ca) return 'intermediate is not a CA';
      const root = this.roots.find((r) => r.raw.equals(current.raw) || (current.checkIssued(r) && current.verify(r.publicKey)));
      if (root) {
        if (!inValidity(root, now)) return 'root certificate outside its validity period';
        return leaf.publicKey;
      }
      const next = intermediates.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
      if (!next) return 'certificate chain does not verify to the root bundle';
      current = next;
    }
    return 'certificate chain too long';
  }
}

function grantedAccess(claim: unknown): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!Array.isArray(claim)) return out;
  for (const entry of claim) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e['type'] !== 'string' || typeof e['name'] !== 'string') continue;
    const k = `${e['type']}\u0000${e['name']}`;
    const set = out.get(k) ?? new Set<string>();
    if (Array.isArray(e['actions'])) for (const a of e['actions']) if (typeof a === 'string') set.add(a);
    out.set(k, set);
  }
  return out;
}
