// The webhook's handler, `(request) → answer`, served by src/httpd like the other servers:
// POST /validate (ValidatingWebhookConfiguration) and POST /mutate (MutatingWebhookConfiguration,
// which also pins tags to their verified digests with a JSON Patch), GET /healthz, /readyz and
// /metrics. Stateless apart from the verdict cache, so it runs as several replicas.
import type { Logger } from 'pino';
import { VouchError, isVouchError } from '../core/index.js';
import { BodyRefused, BUSY_RETRY_AFTER_SECONDS, EXPOSITION_CONTENT_TYPE, makeLogger, processBodyBudget, type Answer, type BodyBudget, type Handler, type HttpRequest, type LoggerSetting } from '../httpd/index.js';
import { gunOf, parseReference, type ImageReference } from '../oci/reference.js';
import { normalisedReference } from './check.js';
import { ExclusionMatcher, type Exclusions } from './exclusions.js';
import { AdmissionMetrics, type VerdictLabel, type Webhook } from './metrics.js';
import { admissionAnswer, parseAdmissionReview, type AdmissionRequest } from './review.js';
import { DEFAULT_VERDICT_CACHE, VerdictCache, withDeadline, type ImageVerdict, type VerdictCacheOptions } from './verdicts.js';
import { imageFields, pinPatch, pinnedImage, SUPPORTED_KINDS, type ImageField, type PatchOperation } from './workload.js';

/** What the API server waits for a webhook when the configuration does not say (admissionregistration/v1 timeoutSeconds). */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** The share of the API server's timeout the webhook spends deciding; the rest is the answer's way back. */
export const DEADLINE_SHARE = 0.8;
/**
 * AdmissionReviews are bounded by the API server's request size (3 MiB, k8s.io/apiserver
 * pkg/server/config.go MaxRequestBodyBytes) plus the old object of an update: 6 MiB holds both.
 */
export const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;
/** A body not in by then is refused: the API server sends it at once. */
export const DEFAULT_BODY_TIMEOUT_MS = 5_000;
/** A denial message longer than this is cut (the API server shows it to the user). */
const MAX_MESSAGE_CHARS = 4096;

export type FailurePolicy = 'fail' | 'ignore';

export interface AdmissionWebhookOptions {
  /** Checks one image under the policy (checkImage bound to a session and the policy). */
  check: (ref: ImageReference) => Promise<ImageVerdict>;
  /** Identifies the policy in cache keys. */
  policyHash: string;
  /** Allow everything, reporting what would be denied as warnings. */
  audit?: boolean;
  /** What an image without a verdict (trust server out of reach, deadline) gets: denied (`fail`, the default) or allowed with a warning. */
  failurePolicy?: FailurePolicy;
  exclusions?: Exclusions;
  /** The longest the webhook spends on one review, below the API server's timeout (default: DEADLINE_SHARE of it). */
  maxDeadlineMs?: number;
  maxBodyBytes?: number;
  bodyTimeoutMs?: number;
  bodyBudget?: BodyBudget;
  cache?: Partial<Omit<VerdictCacheOptions, 'now'>>;
  logger?: LoggerSetting;
  now?: () => number;
}

export interface AdmissionWebhook {
  handle: Handler;
  readonly cache: VerdictCache;
  readonly metrics: AdmissionMetrics;
  /** /readyz answers 503 from now on (the server is closing). */
  stopReady(): void;
}

/** A Go duration as client-go writes the `timeout` query parameter (`10s`, `1m30s`, `500ms`); undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const m = /^(?:(\d{1,4})h)?(?:(\d{1,6})m(?!s))?(?:(\d{1,6}(?:\.\d{1,9})?)s)?(?:(\d{1,9})ms)?$/.exec(text);
  if (m === null || text === '') return undefined;
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000 + Number(m[4] ?? 0);
}

/** The review's deadline: DEADLINE_SHARE of the API server's timeout (its `timeout` query parameter, else 10 s), at most `max`. */
export function reviewDeadlineMs(query: URLSearchParams, max: number | undefined): number {
  const given = query.get('timeout');
  const parsed = given === null ? undefined : parseGoDuration(given);
  const timeout = parsed !== undefined && parsed > 0 ? parsed : DEFAULT_WEBHOOK_TIMEOUT_MS;
  const share = Math.floor(timeout * DEADLINE_SHARE);
  return max !== undefined ? Math.min(share, max) : share;
}

const JSON_TYPE = 'application/json';
const text = (status: number, body: string, headers: Record<string, string> = {}): Answer => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body });
const json = (status: number, value: unknown): Answer => ({ status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(value) });
const problem = (status: number, code: string, message: string, hint?: string, headers: Record<string, string> = {}): Answer => ({
  status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify({ error: { code, message, ...(hint !== undefined ? { hint } : {}) } }),
});

/** What was decided for one image field. */
interface FieldOutcome {
  field: ImageField;
  label: VerdictLabel;
  /** for a denial or a warning: which image, rule and check */
  message?: string;
  pinned?: string;
}

function where(f: ImageField): string {
  const list = f.list === 'containers' ? 'container' : f.list === 'initContainers' ? 'init container' : 'ephemeral container';
  return `${list} ${JSON.stringify(f.container)}`;
}

/** One line that names the image, the rule and the failed check. */
export function denialLine(f: ImageField, v: ImageVerdict): string {
  if (v.error !== undefined) return `image ${JSON.stringify(f.image)} (${where(f)}): ${v.error.message}`;
  const failed = v.failed.length > 0 ? v.failed.map((c) => `check '${c.check}' failed: ${c.message}`).join('; ') : (v.summary ?? 'not allowed');
  return `image ${JSON.stringify(f.image)} (${where(f)}) is denied by ${v.rule ?? 'the policy'}: ${failed}`;
}

export function createAdmissionWebhook(o: AdmissionWebhookOptions): AdmissionWebhook {
  const now = o.now ?? Date.now;
  const log: Logger = makeLogger(o.logger);
  const metrics = new AdmissionMetrics(now());
  const cache = new VerdictCache({ ...DEFAULT_VERDICT_CACHE, ...o.cache, now });
  const exclusions = new ExclusionMatcher(o.exclusions ?? { namespaces: [], images: [] });
  const failurePolicy = o.failurePolicy ?? 'fail';
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bodyTimeout = o.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const budget = o.bodyBudget ?? processBodyBudget;
  let ready = true;
  let nextId = 0;

  /** Decides every image field of the request; the verdicts come from the cache or the checks. */
  const decide = async (webhook: Webhook, req: AdmissionRequest, deadline: number, budgetMs: number): Promise<{ allowed: boolean; message?: string; warnings: string[]; patch: PatchOperation[]; outcomes: FieldOutcome[] }> => {
    const warnings: string[] = [];
    const pass = { allowed: true, warnings, patch: [], outcomes: [] };
    if (req.object === undefined || req.operation === 'DELETE' || req.operation === 'CONNECT') return pass;
    if (exclusions.namespace(req.namespace)) return pass;
    let fields: ImageField[] | undefined;
    try {
      fields = imageFields(req.kind, req.object);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      return { allowed: false, message: `vouch admission: ${err.message}`, warnings, patch: [], outcomes: [] };
    }
    if (fields === undefined) {
      const what = `${req.kind.group === '' ? '' : `${req.kind.group}/`}${req.kind.version} ${req.kind.kind}`;
      const message = `vouch admission does not know where a ${what} keeps its images (it checks ${SUPPORTED_KINDS.join(', ')}); take it out of the webhook configuration's rules`;
      return o.audit === true ? { ...pass, warnings: [message] } : { allowed: false, message, warnings, patch: [], outcomes: [] };
    }
    // One verification per distinct reference, however many containers name it.
    const refs = new Map<string, { ref: ImageReference; verdict?: Promise<ImageVerdict> }>();
    const parsed = fields.map((field) => {
      try {
        const ref = parseReference(field.image);
        if (exclusions.image(gunOf(ref))) return { field, excluded: true as const };
        const key = normalisedReference(ref);
        if (!refs.has(key)) refs.set(key, { ref });
        return { field, key };
      } catch (err) {
        if (!isVouchError(err)) throw err;
        return { field, invalid: err.message };
      }
    });
    const store = !req.dryRun;
    for (const [key, r] of refs) {
      r.verdict = cache.verdict(`${o.policyHash}\u0000${key}`, key, () => o.check(r.ref), deadline, budgetMs, store)
        .catch((err: unknown): ImageVerdict => {
          if (!isVouchError(err)) throw err;
          return { reference: key, allowed: false, compliant: false, failed: [], error: { code: err.code, outcome: err.outcome, message: err.message, ...(err.hint !== undefined ? { hint: err.hint } : {}) } };
        });
    }
    const outcomes: FieldOutcome[] = [];
    for (const p of parsed) {
      if ('excluded' in p) { outcomes.push({ field: p.field, label: 'excluded' }); continue; }
      if ('invalid' in p) { outcomes.push({ field: p.field, label: 'denied', message: `image ${JSON.stringify(p.field.image)} (${where(p.field)}): ${p.invalid}` }); continue; }
      const v = await (refs.get(p.key)?.verdict as Promise<ImageVerdict>);
      if (v.error !== undefined && v.error.outcome === 'inconclusive') {
        const message = denialLine(p.field, v);
        outcomes.push({ field: p.field, label: 'inconclusive', message: failurePolicy === 'fail' ? message : `${message} (allowed: failure policy ignore)` });
      } else if (v.error !== undefined || !v.allowed) {
        outcomes.push({ field: p.field, label: 'denied', message: denialLine(p.field, v) });
      } else if (!v.compliant) {
        outcomes.push({ field: p.field, label: 'audit', message: `image ${JSON.stringify(p.field.image)} (${where(p.field)}) is allowed in audit mode by ${v.rule ?? 'the policy'}, but ${v.failed.map((c) => `check '${c.check}' failed: ${c.message}`).join('; ') || v.summary}` });
      } else {
        const pinned = v.digest !== undefined ? pinnedImage(p.field.image, v.digest) : undefined;
        outcomes.push({ field: p.field, label: 'allowed', ...(pinned !== undefined ? { pinned } : {}) });
      }
    }
    const refusals = outcomes.filter((x) => x.label === 'denied' || (x.label === 'inconclusive' && failurePolicy === 'fail'));
    for (const x of outcomes) if (x.message !== undefined && !refusals.includes(x)) warnings.push(x.message);
    const patch = webhook === 'mutate' ? pinPatch(outcomes.filter((x) => x.pinned !== undefined).map((x) => ({ field: x.field, pinned: x.pinned as string }))) : [];
    if (refusals.length === 0) return { allowed: true, warnings, patch, outcomes };
    const lines = refusals.map((x) => x.message as string);
    if (o.audit === true) return { allowed: true, warnings: [...lines.map((l) => `audit mode, would be denied: ${l}`), ...warnings], patch, outcomes };
    let message = `vouch admission denied ${refusals.length} of ${fields.length} images: ${lines.join('; ')}`;
    if (message.length > MAX_MESSAGE_CHARS) message = `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
    return { allowed: false, message, warnings, patch: [], outcomes };
  };

  const review = async (webhook: Webhook, req: HttpRequest, query: URLSearchParams, reqId: string): Promise<Answer> => {
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return problem(415, 'INVALID_ARGUMENT', `an AdmissionReview is sent as ${JSON_TYPE}, got ${JSON.stringify(type)}`);
    }
    const started = now();
    const budgetMs = reviewDeadlineMs(query, o.maxDeadlineMs);
    const deadline = started + budgetMs;
    let bytes: Buffer;
    const reading = req.body.read({ limit: maxBody, budget });
    try {
      const held = await withDeadline(reading, Math.min(bodyTimeout, budgetMs), () => new BodyRefused('aborted', `the request body did not arrive within ${Math.min(bodyTimeout, budgetMs) / 1000} s`));
      bytes = held.bytes;
      held.release();
    } catch (err) {
      // A body that still arrives after the deadline gives its bytes back to the budget.
      reading.then((late) => { late.release(); }, () => undefined);
      if (!(err instanceof BodyRefused)) throw err;
      if (err.kind === 'busy') return problem(503, 'BUSY', err.message, undefined, { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) });
      return problem(400, err.kind === 'too-large' ? 'TOO_LARGE' : 'INVALID_ARGUMENT', `the AdmissionReview was refused: ${err.message}`,
        err.kind === 'too-large' ? `the webhook reads at most ${maxBody} bytes (--max-body)` : undefined);
    }
    let request: AdmissionRequest;
    try {
      request = parseAdmissionReview(bytes, maxBody);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      return problem(400, err.code, err.message, err.hint);
    }
    const d = await decide(webhook, request, deadline, budgetMs);
    for (const x of d.outcomes) metrics.verdict(webhook, x.label);
    const entry = {
      reqId, webhook, uid: request.uid, kind: request.kind.kind, namespace: request.namespace, name: request.name, operation: request.operation,
      dryRun: request.dryRun, allowed: d.allowed, images: d.outcomes.length, pinned: d.patch.length / 2, durationMs: now() - started,
    };
    if (!d.allowed) log.info({ ...entry, reason: d.message }, 'admission denied');
    else log.info({ ...entry, ...(d.warnings.length > 0 ? { warnings: d.warnings } : {}) }, 'admission allowed');
    return json(200, admissionAnswer(request.uid, { allowed: d.allowed, ...(d.message !== undefined ? { message: d.message } : {}), patch: d.patch, warnings: d.warnings }));
  };

  const route = async (req: HttpRequest, reqId: string): Promise<{ name: string; answer: Answer }> => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
    const webhook: Webhook | undefined = path === '/validate' ? 'validate' : path === '/mutate' ? 'mutate' : undefined;
    if (webhook !== undefined) {
      if (req.method !== 'POST') return { name: webhook, answer: text(405, 'the webhook takes POST\n', { allow: 'POST' }) };
      return { name: webhook, answer: await review(webhook, req, query, reqId) };
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return { name: 'other', answer: text(405, 'GET only\n', { allow: 'GET, HEAD' }) };
    if (path === '/healthz') return { name: 'healthz', answer: text(200, 'ok\n') };
    if (path === '/readyz') return { name: 'readyz', answer: ready ? text(200, 'ok\n') : text(503, 'shutting down\n') };
    if (path === '/metrics') {
      const m = process.memoryUsage();
      return { name: 'metrics', answer: { status: 200, headers: { 'content-type': EXPOSITION_CONTENT_TYPE }, body: metrics.render(cache.stats, { rss: m.rss, heapUsed: m.heapUsed }) } };
    }
    return { name: 'other', answer: text(404, 'not found: the webhook serves /validate, /mutate, /healthz, /readyz and /metrics\n') };
  };

  const handle: Handler = async (req) => {
    const reqId = `adm-${(++nextId).toString(36)}`;
    const t0 = process.hrtime.bigint();
    let routed: { name: string; answer: Answer };
    try {
      routed = await route(req, reqId);
    } catch (err) {
      // Never a crash: a failure of the webhook itself is a 500 the API server treats per its failurePolicy.
      log.error({ reqId, err }, 'admission failed');
      const e = isVouchError(err) ? err : new VouchError('INTERNAL', (err as Error).message ?? String(err));
      routed = { name: 'other', answer: problem(500, e.code, e.message) };
    }
    metrics.request(routed.name, routed.answer.status, Number(process.hrtime.bigint() - t0) / 1e9);
    return routed.answer;
  };

  return { handle, cache, metrics, stopReady: () => { ready = false; } };
}
