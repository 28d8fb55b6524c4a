// `vouch gate`: an OCI distribution endpoint in front of upstream registries that serves an image
// manifest only when the trust policy is met (docs/gate.md). A handler `(request) → answer` on the
// shared Node adapter (src/httpd/serve.ts), with the registry's route grammar, errors and Basic
// auth (src/registry). The policy is asked through src/gate/verdicts.ts, which calls checkPolicy.
//
// What passes:
// - a manifest by tag: when the policy allows the tag, and the upstream's tag still points at the
//   digest its signers signed (a tag moved after signing is refused, as a trusted pull refuses
//   it); the manifest bytes are hashed here;
// - a manifest by digest: a digest this gate allowed through a tag (or as a child of an allowed
//   index) within the verdict's lifetime; a digest the policy allows by itself or for a tag of the
//   trust data that binds it; or an artifact that cannot run (signatures, attestations, SBOMs:
//   no filesystem layers), which clients need to verify;
// - tags of cosign's scheme (sha256-HEX, .sig, .att, .sbom) when what they hold is an artifact;
// - blobs, streamed with their digest and length checked, the last bytes held back until the
//   digest matched; tags/list, referrers and the catalog (one upstream) as the upstream answers;
// - pushes only with allowPush, passed to the upstream as they come.
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import type { Logger } from 'pino';
import { VouchError, isJsonObject, isVouchError } from '../core/index.js';
import { HttpTransport, readBody, type Deadlines, type StreamResponse } from '../http/index.js';
import {
  EXPOSITION_CONTENT_TYPE, BodyRefused, listenAt, makeLogger, parseListenAddress, serve, type Answer, type Handler, type HttpRequest, type LoggerSetting, type NodeServer,
} from '../httpd/index.js';
import { RegistryClient, pullScope, pushScope } from '../oci/client.js';
import { DOCKER_CONFIG, MANIFEST_ACCEPT, MAX_BLOB_BYTES, MAX_MANIFEST_BYTES, OCI_CONFIG, OCI_INDEX } from '../oci/mediatypes.js';
import type { ImageReference } from '../oci/reference.js';
import type { Policy } from '../policy/index.js';
import type { PolicyCheckOptions } from '../client/policy.js';
import {
  API_METHODS, API_VERSION, DISTRIBUTION_ERROR_CODES, JSON_TYPE, RegistryError, bodyRefusal, checkBasic, errorBody, matchEndpoint, requireName, type DistributionErrorCode, type Endpoint, type RegistryAuth,
} from '../registry/index.js';
import { SIMPLE_SIGNING_MEDIA_TYPE } from '../sig/cosign/legacy.js';
import { Session } from '../client/session.js';
import type { Env } from '../client/dockerenv.js';
import type { TrustDir } from '../keys/index.js';
import type { TrustPinning } from '../tuf/index.js';
import { VerdictCache } from './cache.js';
import { DEFAULT_CACHE_TTL_MS, DEFAULT_REQUEST_DEADLINE_MS } from './defaults.js';
import { checkDistinctPrefixes, gateName, routeName, upstreamHost, type Upstream } from './config.js';
import { GateMetrics, type GateVerdict } from './metrics.js';
import { Verdicts, type Verdict } from './verdicts.js';

export interface GateOptions {
  upstreams: Upstream[];
  policy: Policy;
  /** what the policy's Notation signers need (revocation sources, plugins, notation's config directory) */
  policyOptions?: PolicyCheckOptions;
  /** the trust client's environment: DOCKER_CONTENT_TRUST_SERVER, docker's config and per-host TLS for the trust servers, VOUCH_TIMEOUT_* */
  env: Env;
  /** where verified trust data is cached and first-seen roots are kept (docker's trust directory) */
  trustDir: TrustDir;
  pinning?: TrustPinning;
  /** pass pushes (uploads, manifest PUTs, deletes) to the upstream; default: refused with DENIED */
  allowPush?: boolean;
  /** require HTTP Basic auth from clients, as `vouch registry --user` */
  auth?: RegistryAuth;
  /** the longest a verdict or verified trust data is kept (ms, default 60 s); never past the trust data's expiry */
  cacheTtlMs?: number;
  /** verdicts kept at most, per upstream (default 10 000) */
  maxCacheEntries?: number;
  /** the longest a manifest request, or the start of a blob, may take (ms, default 30 s): then 503 UNAVAILABLE */
  requestDeadlineMs?: number;
  /** deadlines of each exchange with upstreams (default the http client's, DEFAULT_DEADLINES) */
  upstreamDeadlines?: Partial<Deadlines>;
  /** the clock (ms) */
  now?: () => number;
  logger?: LoggerSetting;
}

const DEFAULT_MAX_CACHE_ENTRIES = 10_000;
/** The most child manifests of one allowed index that become allowed by digest. */
const MAX_INDEX_CHILDREN = 1_000;
/** Error bodies and small answers (push results, tag lists, referrers) read from an upstream. */
const SMALL_BODY = 64 * 1024;
const LIST_BODY = 4 * 1024 * 1024;

/** cosign's tag scheme for signatures, attestations and SBOMs, and the referrers API's fallback tag (`sha256-HEX`). */
const ARTIFACT_TAG = /^sha256-[0-9a-f]{64}(?:\.(?:sig|att|sbom))?$/;
/** Layers of signatures and attestations stored as image manifests (cosign's .sig and .att). */
const SIGNATURE_LAYER_TYPES: ReadonlySet<string> = new Set([SIMPLE_SIGNING_MEDIA_TYPE, 'application/vnd.dsse.envelope.v1+json']);

const isFilesystemLayer = (t: string): boolean => t.startsWith('application/vnd.oci.image.layer.') || t.startsWith('application/vnd.docker.image.rootfs.');

/**
 * Could a runtime run what this manifest describes? Indexes (their children are gated one by one,
 * but an index picks them), schema 1, any manifest with a filesystem layer, and an image config
 * whose layers are not all signatures are; artifacts (other configs, no filesystem layers) are
 * not. Anything unreadable counts as runnable: it is then gated.
 */
export function isRunnable(bytes: Buffer): boolean {
  let doc: unknown;
  try { doc = JSON.parse(bytes.toString('utf8')); } catch { return true; }
  if (!isJsonObject(doc) || Array.isArray(doc.manifests) || doc.fsLayers !== undefined || !isJsonObject(doc.config)) return true;
  const config = typeof doc.config.mediaType === 'string' ? doc.config.mediaType : '';
  const layers = (Array.isArray(doc.layers) ? doc.layers : []).map((l) => (isJsonObject(l) && typeof l.mediaType === 'string' ? l.mediaType : ''));
  if (layers.some(isFilesystemLayer)) return true;
  if (config === OCI_CONFIG || config === DOCKER_CONFIG || config === '') return layers.length === 0 || !layers.every((t) => SIGNATURE_LAYER_TYPES.has(t));
  return false;
}

/** One upstream with its clients and caches. */
interface UpstreamState {
  upstream: Upstream;
  /** the registry part of the GUNs its images are signed under */
  gunRegistry: string;
  transport: HttpTransport;
  client: RegistryClient;
  session: Session;
  verdicts: Verdicts;
  /** digests served as allowed (by tag, by digest, as children of an allowed index), until their verdict expires */
  allowed: VerdictCache<true>;
}

interface Routed {
  req: HttpRequest;
  url: URL;
  /** the gate's repository name */
  name: string;
  /** the reference, digest or upload id of the route, decoded */
  param: string;
  /** the path after the name (`manifests/…`, `blobs/uploads/…`), raw */
  rest: string;
  up: UpstreamState;
  /** the repository name at the upstream */
  upName: string;
}

type RouteFn = (r: Routed) => Promise<Answer>;

export interface Gate {
  readonly handle: Handler;
  readonly log: Logger;
  /** verifications in flight over every upstream (tests check that identical ones are shared) */
  readonly inFlight: number;
  readonly metrics: GateMetrics;
  /** /readyz answers 503 from now on (the gate is shutting down). */
  stopReady(): void;
  close(): Promise<void>;
}

/** Docker Hub's registry host signs under docker.io. */
function gunRegistryOf(host: string): string {
  return host === 'registry-1.docker.io' || host === 'index.docker.io' ? 'docker.io' : host;
}

export function createGate(opts: GateOptions): Gate {
  if (opts.upstreams.length === 0) throw new VouchError('CONFIG', 'the gate needs at least one upstream registry', { hint: 'vouch gate --upstream https://registry.example.com' });
  checkDistinctPrefixes(opts.upstreams);
  const now = opts.now ?? Date.now;
  const log = makeLogger(opts.logger);
  const ttl = opts.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const maxEntries = opts.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
  const deadlineMs = opts.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS;
  const metrics = new GateMetrics(now());
  let ready = true;

  const states = new Map<Upstream, UpstreamState>();
  for (const upstream of opts.upstreams) {
    const host = upstreamHost(upstream);
    const transport = new HttpTransport({
      ...(upstream.ca ? { tls: { ca: upstream.ca } } : {}),
      ...(upstream.credentials ? { credentials: upstream.credentials } : {}),
      credentialHosts: [host],
      ...(opts.upstreamDeadlines ? { deadlines: opts.upstreamDeadlines } : {}),
      userAgent: 'vouch-gate',
    });
    const client = new RegistryClient({ registry: host, transport, scheme: new URL(upstream.url).protocol === 'http:' ? 'http' : 'https' });
    const session = new Session({
      env: opts.env, trustDir: opts.trustDir, now: () => new Date(now()),
      warn: (m) => log.warn({ upstream: upstream.url }, m),
      ...(opts.pinning ? { pinning: opts.pinning } : {}),
      ...(upstream.trustServer ? { server: upstream.trustServer } : {}),
      // Signatures stored in the registry (cosign, Notation) are read with the upstream's own credentials and CAs.
      registries: new Map([[gunRegistryOf(host), client]]),
    });
    const verdicts = new Verdicts(() => session, { policy: opts.policy, ...(opts.policyOptions !== undefined ? { policyOptions: opts.policyOptions } : {}), ttlMs: ttl, maxEntries, now });
    states.set(upstream, { upstream, gunRegistry: gunRegistryOf(host), transport, client, session, verdicts, allowed: new VerdictCache(maxEntries, now) });
  }

  /** Runs `work` within the request deadline; what it yields too late is handed to `late` (a stream to close). */
  async function withinDeadline<T>(what: string, work: Promise<T>, late?: (v: T) => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new RegistryError(503, 'UNAVAILABLE', `${what}: no answer within ${deadlineMs} ms (the upstream registry or the trust server is too slow or does not answer)`, {}, { 'retry-after': '5' }));
      }, deadlineMs);
    });
    work.then((v) => { if (timedOut) late?.(v); }, () => undefined);
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const ref = (r: Routed, extra: { tag: string } | { digest: string }): ImageReference => ({ registry: r.up.gunRegistry, repository: r.upName, ...extra });
  const allowedKey = (r: Routed, digest: string): string => `${r.upName}@${digest}`;

  /** Remembers a served manifest as allowed, with an index's children, for as long as its verdict holds. */
  function remember(r: Routed, digest: string, bytes: Buffer, expiresAt: number): void {
    r.up.allowed.put(allowedKey(r, digest), { value: true, expiresAt });
    let doc: unknown;
    try { doc = JSON.parse(bytes.toString('utf8')); } catch { return; }
    if (!isJsonObject(doc) || !Array.isArray(doc.manifests)) return;
    for (const m of doc.manifests.slice(0, MAX_INDEX_CHILDREN)) {
      if (isJsonObject(m) && typeof m.digest === 'string') r.up.allowed.put(allowedKey(r, m.digest), { value: true, expiresAt });
    }
  }

  function manifestAnswer(req: HttpRequest, m: { bytes: Buffer; digest: string; contentType?: string }): Answer {
    let type = m.contentType;
    if (type === undefined || type === 'application/json' || type === 'text/plain') {
      try {
        const doc = JSON.parse(m.bytes.toString('utf8')) as { mediaType?: unknown };
        if (typeof doc.mediaType === 'string') type = doc.mediaType;
      } catch { /* the upstream's type stands */ }
    }
    const headers = { 'content-type': type ?? 'application/json', 'docker-content-digest': m.digest, 'content-length': String(m.bytes.byteLength), etag: `"${m.digest}"` };
    return req.method === 'HEAD' ? { status: 200, headers } : { status: 200, headers, body: m.bytes };
  }

  /** What one manifest request decided, counted in /metrics once its answer goes out. */
  interface Decided { verdict?: GateVerdict }

  /** A manifest served on a verdict: allowed, or allowed only in audit mode. */
  function served(verdict: Verdict, decided: Decided): void {
    decided.verdict = verdict.decision.compliant ? 'allowed' : 'audit';
  }

  function denied(r: Routed, what: string, verdict: Verdict, decided: Decided): RegistryError {
    decided.verdict = 'denied';
    return new RegistryError(403, 'DENIED', `${what}: ${verdict.refusal ?? 'denied by the trust policy'}`, {
      rule: verdict.decision.rule, checks: verdict.decision.reasons.filter((c) => c.status === 'fail'),
    });
  }

  function auditNotes(r: Routed, what: string, verdict: Verdict): void {
    if (!verdict.decision.compliant) log.warn({ image: what, upstream: r.up.upstream.url, decision: verdict.decision.summary }, 'allowed in audit mode');
    for (const w of verdict.warnings) log.warn({ image: what }, w);
  }

  const getManifest: RouteFn = async (r) => {
    const accept = r.req.headers.accept || MANIFEST_ACCEPT;
    const decided: Decided = {};
    const byDigest = r.param.includes(':');
    const work = byDigest ? manifestByDigest(r, r.param, accept, decided) : manifestByTag(r, r.param, accept, decided);
    let answer: Answer;
    try {
      answer = await withinDeadline(`${r.name}${byDigest ? '@' : ':'}${r.param}`, work);
    } catch (err) {
      // A refusal is counted; a verdict reached after the deadline's 503 is not (the client never saw it).
      if (decided.verdict === 'denied' && err instanceof RegistryError && err.code === 'DENIED') metrics.verdict('denied');
      throw err;
    }
    if (decided.verdict !== undefined) metrics.verdict(decided.verdict);
    return answer;
  };

  async function manifestByTag(r: Routed, tag: string, accept: string, decided: Decided): Promise<Answer> {
    const what = `${r.name}:${tag}`;
    if (ARTIFACT_TAG.test(tag)) {
      const m = await r.up.client.getRawManifest(r.upName, tag, accept);
      if (!isRunnable(m.bytes)) return manifestAnswer(r.req, m);
    }
    const v = await r.up.verdicts.forTag(ref(r, { tag }) as ImageReference & { tag: string });
    if (!v.value.allowed) throw denied(r, what, v.value, decided);
    auditNotes(r, what, v.value);
    const m = await r.up.client.getRawManifest(r.upName, tag, accept);
    const signed = v.value.digest;
    if (signed !== undefined && m.digest !== signed) {
      decided.verdict = 'denied';
      throw new RegistryError(403, 'DENIED', `${what}: the tag was moved in the upstream registry after signing: it points to ${m.digest}, but its signers signed ${signed} (refused, as a trusted pull refuses it)`, {
        signed, served: m.digest, rule: v.value.decision.rule,
      }, {});
    }
    served(v.value, decided);
    remember(r, m.digest, m.bytes, v.expiresAt);
    return manifestAnswer(r.req, m);
  }

  async function manifestByDigest(r: Routed, digest: string, accept: string, decided: Decided): Promise<Answer> {
    const m = await r.up.client.getRawManifest(r.upName, digest, accept);
    if (!isRunnable(m.bytes)) return manifestAnswer(r.req, m);
    if (r.up.allowed.peek(allowedKey(r, digest)) !== undefined) {
      // Served on the verdict of the tag or index it was served under.
      decided.verdict = 'allowed';
      return manifestAnswer(r.req, m);
    }
    const v = await r.up.verdicts.forDigest(ref(r, { digest }) as ImageReference & { digest: string });
    if (!v.value.allowed) throw denied(r, `${r.name}@${digest}`, v.value, decided);
    auditNotes(r, `${r.name}@${digest}`, v.value);
    served(v.value, decided);
    remember(r, digest, m.bytes, v.expiresAt);
    return manifestAnswer(r.req, m);
  }

  const getBlob: RouteFn = async ({ req, name, param: digest, up, upName }) => {
    const headers = (size: number): Record<string, string> => ({ 'content-type': 'application/octet-stream', 'docker-content-digest': digest, 'content-length': String(size), etag: `"${digest}"` });
    const unknown = (): RegistryError => new RegistryError(404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    if (req.method === 'HEAD') {
      const size = await withinDeadline(`${name}@${digest}`, up.client.statBlob(upName, digest));
      if (size === undefined) throw unknown();
      return { status: 200, headers: headers(size) };
    }
    const blob = await withinDeadline(`${name}@${digest}`, up.client.openBlobOfServedSize(upName, digest, { holdBack: true }), (b) => { b?.stream.destroy(); });
    if (blob === undefined) throw unknown();
    blob.stream.on('error', (err) => { log.warn({ err, name, digest, upstream: up.upstream.url }, 'blob stream aborted'); });
    return { status: 200, headers: headers(blob.size), body: blob.stream };
  };

  /** The upstream URL for the gate's path `rest` of repository `r` (with the request's query). */
  async function upstreamUrl(r: Routed, rest: string, query = true): Promise<URL> {
    const u = new URL(`${await r.up.client.baseUrl()}/v2/${r.upName}/${rest}`);
    if (query) u.search = r.url.search;
    return u;
  }

  /** An upstream answer other than the one hoped for, as a distribution error. */
  async function upstreamFailure(res: StreamResponse, r: Routed, notFound: DistributionErrorCode): Promise<RegistryError> {
    let body: Buffer = Buffer.alloc(0);
    try { body = await readBody(res, SMALL_BODY, 'error body'); } catch { /* the status is enough */ }
    let codes: string[] = [];
    try {
      const doc = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
      codes = (doc.errors ?? []).map((e) => String(e.code));
    } catch { /* no OCI error body */ }
    return upstreamStatusError(res.status, codes, `${r.up.upstream.url}`, notFound);
  }

  /** A Link header's next page, rewritten from the upstream's name to the gate's. */
  function rewriteLink(link: string | undefined, r: Routed, kind: string): Record<string, string> {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link ?? '');
    if (!m) return {};
    const next = new URL(m[1] as string, 'http://upstream.invalid');
    return { link: `</v2/${r.name}/${kind}${next.search}>; rel="next"` };
  }

  const tagsList: RouteFn = async (r) => withinDeadline(`tags of ${r.name}`, (async () => {
    const res = await r.up.transport.stream('GET', (await upstreamUrl(r, 'tags/list')).toString(), { scopes: [pullScope(r.upName)] });
    if (res.status !== 200) throw await upstreamFailure(res, r, 'NAME_UNKNOWN');
    const body = await readBody(res, LIST_BODY, `tags of ${r.upName}`);
    let doc: unknown;
    try { doc = JSON.parse(body.toString('utf8')); } catch { throw new RegistryError(502, 'UNAVAILABLE', `${r.up.upstream.url} answered the tag list of ${r.upName} with invalid JSON`); }
    const tags = isJsonObject(doc) && Array.isArray(doc.tags) ? doc.tags.filter((t): t is string => typeof t === 'string') : [];
    return { status: 200, headers: { 'content-type': JSON_TYPE, ...rewriteLink(res.headers.link, r, 'tags/list') }, body: JSON.stringify({ name: r.name, tags }) };
  })());

  const referrers: RouteFn = async (r) => withinDeadline(`referrers of ${r.name}@${r.param}`, (async () => {
    const res = await r.up.transport.stream('GET', (await upstreamUrl(r, `referrers/${r.param}`)).toString(), { scopes: [pullScope(r.upName)] });
    // No referrers API upstream: the client falls back to the referrers tag, which passes as an artifact tag.
    if (res.status !== 200) throw await upstreamFailure(res, r, 'NAME_UNKNOWN');
    const body = await readBody(res, LIST_BODY, `referrers of ${r.upName}@${r.param}`);
    const headers: Record<string, string> = { 'content-type': OCI_INDEX, ...rewriteLink(res.headers.link, r, `referrers/${r.param}`) };
    if (res.headers['oci-filters-applied']) headers['oci-filters-applied'] = res.headers['oci-filters-applied'];
    return { status: 200, headers, body };
  })());

  const catalog = async (req: HttpRequest): Promise<Answer> => {
    if (opts.upstreams.length !== 1) throw new RegistryError(404, 'UNSUPPORTED', 'the catalog is served only by a gate with one upstream');
    const up = states.get(opts.upstreams[0] as Upstream) as UpstreamState;
    return withinDeadline('the catalog', (async () => {
      const url = new URL(`${await up.client.baseUrl()}/v2/_catalog`);
      const q = new URL(req.url, 'http://gate.invalid').searchParams;
      const n = q.get('n');
      if (n !== null) url.searchParams.set('n', n);
      const last = q.get('last');
      const lastUp = last === null ? undefined : routeName(opts.upstreams, last);
      if (lastUp !== undefined) url.searchParams.set('last', lastUp.name);
      const res = await up.transport.stream('GET', url.toString(), { scopes: ['registry:catalog:*'] });
      if (res.status !== 200) {
        await res.discard();
        throw upstreamStatusError(res.status, [], up.upstream.url, 'UNSUPPORTED');
      }
      const body = await readBody(res, LIST_BODY, 'the catalog');
      let doc: unknown;
      try { doc = JSON.parse(body.toString('utf8')); } catch { throw new RegistryError(502, 'UNAVAILABLE', `${up.upstream.url} answered the catalog with invalid JSON`); }
      const names = isJsonObject(doc) && Array.isArray(doc.repositories) ? doc.repositories.filter((t): t is string => typeof t === 'string') : [];
      const mapped = names.map((n2) => gateName(up.upstream, n2)).filter((n2): n2 is string => n2 !== undefined);
      const headers: Record<string, string> = { 'content-type': JSON_TYPE };
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.link ?? '');
      const lastMapped = mapped[mapped.length - 1];
      if (link && lastMapped !== undefined) headers.link = `</v2/_catalog?${new URLSearchParams({ ...(n !== null ? { n } : {}), last: lastMapped }).toString()}>; rel="next"`;
      return { status: 200, headers, body: JSON.stringify({ repositories: mapped }) };
    })());
  };

  /** Pushes (uploads, manifest PUTs, deletes): refused, or passed to the upstream as they come. */
  const push: RouteFn = async (r) => {
    if (!opts.allowPush) {
      throw new RegistryError(403, 'DENIED', `this gate does not pass pushes (${r.req.method} ${r.name}); push to ${r.up.upstream.url} directly, or start the gate with --allow-push`);
    }
    const target = await upstreamUrl(r, r.rest);
    const mountFrom = target.searchParams.get('from');
    if (mountFrom !== null) {
      // A cross-repository mount names the gate's repository; the upstream knows it by its own name.
      const from = routeName(opts.upstreams, mountFrom);
      if (from !== undefined && from.upstream === r.up.upstream) target.searchParams.set('from', from.name);
      else { target.searchParams.delete('from'); target.searchParams.delete('mount'); }
    }
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'content-length', 'content-range', 'accept']) {
      const v = r.req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const hasBody = r.req.body.declared.present;
    const scopes = [pushScope(r.upName), ...(mountFrom !== null && target.searchParams.has('from') ? [pullScope(target.searchParams.get('from') as string)] : [])];
    let body: (() => Readable) | undefined;
    if (hasBody) {
      // A body can be sent once: authenticate first (a challenge answered now is cached in the transport).
      const probe = await r.up.transport.stream('GET', (await upstreamUrl(r, 'tags/list', false)).toString(), { scopes });
      await probe.discard();
      const limit = r.rest.startsWith('manifests/') ? MAX_MANIFEST_BYTES : MAX_BLOB_BYTES;
      const stream = r.req.body.open(limit);
      let sent = false;
      body = () => {
        if (sent) return new ReadableStream({ read() { this.destroy(new Error('the request body was already sent upstream')); } });
        sent = true;
        return stream;
      };
    }
    const res = await r.up.transport.stream(r.req.method, target.toString(), { headers, ...(body ? { body } : {}), scopes, retries: 0, maxRedirects: 0 });
    const answer = await readBody(res, SMALL_BODY, `the upstream's answer to ${r.req.method} ${r.upName}/${r.rest}`);
    const out: Record<string, string> = {};
    for (const h of ['content-type', 'docker-content-digest', 'docker-upload-uuid', 'range', 'oci-subject']) {
      const v = res.headers[h];
      if (v !== undefined) out[h] = v;
    }
    const location = res.headers.location;
    if (location !== undefined) out.location = gateLocation(location, res.url, r);
    return { status: res.status, headers: out, ...(answer.byteLength > 0 ? { body: answer } : {}) };
  };

  /** An upstream Location (an upload session, a manifest) as the gate's path. */
  function gateLocation(location: string, base: string, r: Routed): string {
    const u = new URL(location, base);
    const prefix = `/v2/${r.upName}/`;
    if (u.origin !== new URL(base).origin || !u.pathname.startsWith(prefix)) {
      throw new RegistryError(502, 'UNSUPPORTED', `${r.up.upstream.url} sent the upload to ${u.origin}${u.pathname}, which the gate cannot pass on`);
    }
    return `/v2/${r.name}/${u.pathname.slice(prefix.length)}${u.search}`;
  }

  const ping = async (): Promise<Answer> => ({ status: 200, headers: { 'content-type': JSON_TYPE }, body: '{}' });

  // An upload id is passed on in the upstream's path: one plain segment, never a dot segment.
  const checkUpload = (id: string): void => {
    if (!/^[A-Za-z0-9_=-][A-Za-z0-9_=.-]*$/.test(id) || id.length > 256) throw new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', 'upload session not found', { id });
  };

  // One function per endpoint of the registry API (src/registry/routes.ts) and method.
  const METHODS: Record<Exclude<Endpoint, 'ping' | 'catalog'>, Partial<Record<string, RouteFn>>> = {
    startUpload: { POST: push },
    upload: { GET: push, PATCH: push, PUT: push, DELETE: push, HEAD: push },
    blob: { GET: getBlob, HEAD: getBlob, DELETE: push },
    manifest: { GET: getManifest, HEAD: getManifest, PUT: push, DELETE: push },
    referrers: { GET: referrers },
    tags: { GET: tagsList },
  };
  const unsupported = (): RegistryError => new RegistryError(405, 'UNSUPPORTED', 'the operation is unsupported');

  const text = (status: number, body: string, headers: Record<string, string> = {}): Answer => ({ status, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body });

  /** /healthz, /readyz and /metrics: outside the registry API, unauthenticated (probes and scrapers), GET and HEAD only. */
  const operations = (req: HttpRequest, path: '/healthz' | '/readyz' | '/metrics'): Answer => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'GET only\n', { allow: 'GET, HEAD' });
    if (path === '/healthz') return text(200, 'ok\n');
    if (path === '/readyz') return ready ? text(200, 'ok\n') : text(503, 'shutting down\n');
    const stats = { hits: 0, shared: 0, misses: 0, entries: 0, running: 0 };
    for (const s of states.values()) for (const [k, v] of Object.entries(s.verdicts.stats)) stats[k as keyof typeof stats] += v;
    const mem = process.memoryUsage();
    return { status: 200, headers: { 'content-type': EXPOSITION_CONTENT_TYPE }, body: metrics.render(stats, { rss: mem.rss, heapUsed: mem.heapUsed }) };
  };

  /** `seen.endpoint` names what the request asked for, for the metrics. */
  const route = async (req: HttpRequest, seen: { endpoint: string }): Promise<Answer> => {
    const q = req.url.indexOf('?');
    const bare = q < 0 ? req.url : req.url.slice(0, q);
    if (bare === '/healthz' || bare === '/readyz' || bare === '/metrics') {
      seen.endpoint = bare.slice(1);
      return operations(req, bare);
    }
    // Clients are authenticated before anything else, and before a byte of a body is read.
    if (opts.auth && !checkBasic(req.headers.authorization, opts.auth)) {
      throw new RegistryError(401, 'UNAUTHORIZED', 'authentication required', {}, { 'www-authenticate': `Basic realm="${opts.auth.realm ?? 'vouch-gate'}"` });
    }
    const raw = req.url.split('?')[0] ?? '';
    if (!raw.startsWith('/v2/') || !API_METHODS.has(req.method)) throw new RegistryError(404, 'NAME_UNKNOWN', 'not found');
    const path = raw.slice('/v2/'.length);
    const m = matchEndpoint(path, req.url);
    if (m === undefined) throw new RegistryError(404, 'NAME_UNKNOWN', `no route for /v2/${path}`);
    seen.endpoint = m.endpoint;
    if (m.endpoint === 'ping') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw unsupported();
      return ping();
    }
    if (m.endpoint === 'catalog') {
      if (req.method !== 'GET') throw unsupported();
      return catalog(req);
    }
    if (m.endpoint === 'upload') checkUpload(m.param);
    const fn = METHODS[m.endpoint][req.method];
    if (!fn) throw unsupported();
    const routed = routeName(opts.upstreams, m.name);
    if (routed === undefined) throw new RegistryError(404, 'NAME_UNKNOWN', `no upstream registry serves '${m.name}' through this gate`, { name: m.name });
    requireName(routed.name);
    const up = states.get(routed.upstream) as UpstreamState;
    return fn({ req, url: new URL(req.url, 'http://gate.invalid'), name: m.name, param: m.param, rest: path.slice(m.name.length + 1), up, upName: routed.name });
  };

  const handle: Handler = async (req) => {
    const start = process.hrtime.bigint();
    const seen = { endpoint: 'other' };
    let answer: Answer;
    try {
      answer = await route(req, seen);
    } catch (err) {
      const e = gateError(err);
      if (e === undefined) {
        log.error({ err, method: req.method, url: req.url }, 'request failed');
        answer = { status: 500, headers: { 'content-type': JSON_TYPE }, body: errorBody('UNKNOWN', 'internal error', {}) };
      } else {
        if (e.code === 'DENIED' || e.status >= 500) log.warn({ method: req.method, url: req.url, status: e.status, code: e.code }, e.message);
        answer = { status: e.status, headers: { ...e.headers, 'content-type': JSON_TYPE }, body: errorBody(e.code, e.message, e.detail) };
      }
    }
    log.info({ method: req.method, url: req.url, status: answer.status }, 'request completed');
    metrics.request(seen.endpoint, req.method, answer.status, Number(process.hrtime.bigint() - start) / 1e9);
    return { ...answer, headers: { ...API_VERSION, ...answer.headers } };
  };

  return {
    handle,
    log,
    metrics,
    stopReady: () => { ready = false; },
    get inFlight() { let n = 0; for (const s of states.values()) n += s.verdicts.inFlight; return n; },
    close: async () => {
      for (const s of states.values()) {
        await s.transport.close();
        await s.session.close();
      }
    },
  };
}

const DISTRIBUTION_CODES: ReadonlySet<string> = new Set(DISTRIBUTION_ERROR_CODES);

/** An upstream's failed answer as the gate's: not found stays not found; anything else is the gate's upstream failing. */
function upstreamStatusError(status: number, codes: readonly string[], upstream: string, notFound: DistributionErrorCode): RegistryError {
  if (status === 404) {
    const code = codes.find((c) => DISTRIBUTION_CODES.has(c)) as DistributionErrorCode | undefined;
    return new RegistryError(404, code ?? notFound, `${upstream}: not found${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`);
  }
  if (status === 401 || status === 403) return new RegistryError(502, 'UNAVAILABLE', `${upstream} refused the gate's credentials (HTTP ${status}); the gate's operator must fix them`);
  if (status === 429) return new RegistryError(429, 'TOOMANYREQUESTS', `${upstream} asks to slow down (HTTP 429)`);
  return new RegistryError(502, 'UNAVAILABLE', `${upstream} answered HTTP ${status}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`);
}

/** Codes of an upstream that answered with something wrong: the gate's upstream failed, not the policy. */
const UPSTREAM_FAULTS: ReadonlySet<string> = new Set(['HASH_MISMATCH', 'LENGTH_MISMATCH', 'TOO_LARGE', 'REMOTE_ERROR', 'INVALID_JSON']);

/** Any failure as a distribution-spec error; undefined for a bug (answered 500). */
export function gateError(err: unknown): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  if (err instanceof BodyRefused) return bodyRefusal(err);
  if (!isVouchError(err)) return undefined;
  const hint = err.hint ? ` (${err.hint})` : '';
  switch (err.code) {
    case 'REGISTRY_NOT_FOUND': {
      const d = err.details as { status?: number; codes?: readonly string[] } | undefined;
      const code = (d?.codes ?? []).find((c) => DISTRIBUTION_CODES.has(c)) as DistributionErrorCode | undefined;
      return new RegistryError(404, code ?? 'MANIFEST_UNKNOWN', err.message);
    }
    case 'INVALID_ARGUMENT': return new RegistryError(400, 'NAME_INVALID', err.message);
    case 'UNAUTHORIZED': return new RegistryError(502, 'UNAVAILABLE', `the gate was refused: ${err.message}; the gate's operator must fix its credentials`);
    case 'POLICY_DENIED': case 'TAG_NOT_FOUND': return new RegistryError(403, 'DENIED', `${err.message}${hint}`);
  }
  if (UPSTREAM_FAULTS.has(err.code)) return new RegistryError(502, 'UNAVAILABLE', `the upstream registry's answer was refused: ${err.message}`);
  // The trust data does not verify (expired, rolled back, below threshold…): refused, as a pull refuses it.
  if (err.outcome === 'failed') return new RegistryError(403, 'DENIED', `the trust data does not verify: ${err.message}${hint}`, { code: err.code });
  return new RegistryError(503, 'UNAVAILABLE', `${err.message}${hint}`, { code: err.code }, { 'retry-after': '5' });
}

export interface RunGateOptions extends GateOptions {
  /** host:port to listen on (default 127.0.0.1:5050) */
  addr?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface RunningGate {
  url: string;
  host: string;
  gate: Gate;
  server: NodeServer;
  close(): Promise<void>;
}

export async function runGate(opts: RunGateOptions): Promise<RunningGate> {
  const { host, port } = parseListenAddress(opts.addr ?? '127.0.0.1:5050', 'gate listen address');
  const gate = createGate(opts);
  const server = serve(gate.handle, {
    ...(opts.tls ? { tls: opts.tls } : {}),
    closing: () => ({ status: 503, headers: { ...API_VERSION, 'content-type': JSON_TYPE }, body: errorBody('UNAVAILABLE', 'the gate is shutting down', {}) }),
    onError: (err) => { gate.log.error({ err }, 'request failed'); },
  });
  const where = await listenAt(server, { host, port }, Boolean(opts.tls), () => gate.close());
  return {
    ...where,
    gate,
    server,
    close: async () => {
      gate.stopReady();
      await server.close();
      await gate.close();
    },
  };
}
