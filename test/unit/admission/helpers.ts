// Shared by the admission tests: the recorded-shape AdmissionReview fixtures with the test
// registry put in, a webhook over a real client Session, and reading its answers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SharedRepoLoads, checkImage, createAdmissionWebhook, policyHash, type AdmissionWebhook, type AdmissionWebhookOptions } from '../../../src/admission/index.js';
import { Session } from '../../../src/client/session.js';
import { TrustDir } from '../../../src/keys/index.js';
import { parsePolicy } from '../../../src/policy/validate.js';
import { fixture } from '../../support/paths.js';
import { inject, type InjectResponse } from '../../support/inject.js';
import { applyPatch, type Operation } from '../../support/jsonpatch.js';

export const FIXTURES = ['pod-create', 'pod-create-dryrun', 'pod-ephemeralcontainers-update', 'pod-delete', 'deployment-create', 'replicaset-create', 'statefulset-create', 'daemonset-create', 'job-create', 'cronjob-create'] as const;
export type FixtureName = (typeof FIXTURES)[number];

/** A fixture's text with REGISTRY replaced, as the API server would send it for images in `registry`. */
export function reviewText(name: FixtureName, registry: string): string {
  return readFileSync(fixture('admission', `${name}.json`), 'utf8').replaceAll('REGISTRY', registry);
}

export interface Review {
  apiVersion: string;
  kind: string;
  request: { uid: string; object: Record<string, unknown> | null; dryRun: boolean };
}

export interface Answered {
  apiVersion: string;
  kind: string;
  response: { uid: string; allowed: boolean; status?: { status: string; message: string; reason: string; code: number }; patch?: string; patchType?: string; warnings?: string[] };
}

export async function post(w: AdmissionWebhook, path: string, body: string, headers: Record<string, string> = {}): Promise<InjectResponse> {
  return inject(w, { method: 'POST', url: path, headers: { 'content-type': 'application/json', ...headers }, payload: body });
}

/** Posts a review and checks the envelope the API server requires (admissionreview.go VerifyAdmissionResponse). */
export async function review(w: AdmissionWebhook, path: '/validate' | '/mutate', body: string): Promise<Answered['response']> {
  const r = await post(w, path, body);
  assert.equal(r.statusCode, 200, r.body);
  const a = r.json<Answered>();
  assert.equal(a.apiVersion, 'admission.k8s.io/v1');
  assert.equal(a.kind, 'AdmissionReview');
  assert.equal(a.response.uid, (JSON.parse(body) as Review).request.uid);
  if (path === '/validate') assert.equal(a.response.patch, undefined, 'a validating webhook never sends a patch');
  if (a.response.patch !== undefined) assert.equal(a.response.patchType, 'JSONPatch');
  return a.response;
}

/** The object after the webhook's patch, applied as the API server applies it. */
export function patched(body: string, response: Answered['response']): Record<string, unknown> {
  const object = (JSON.parse(body) as Review).request.object as Record<string, unknown>;
  if (response.patch === undefined) return object;
  const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as Operation[];
  return applyPatch(object, ops);
}

export function policy(registry: string): ReturnType<typeof parsePolicy> {
  return parsePolicy(`version: 1
defaults:
  mode: enforce
  rejectUnsigned: true
rules:
  - name: team
    repositories: ["${registry}/team/*"]
    signers: [alice]
    tags:
      - pattern: "staging-*"
        signers: [ci]
`, 'policy.yaml');
}

export interface WebhookUnderTest { webhook: AdmissionWebhook; session: Session; checks: string[]; loads: SharedRepoLoads }

/** A webhook whose checks go through a real Session to `server`; `checks` lists every verification started. */
export function webhookFor(dir: string, env: Record<string, string>, registry: string, o: Partial<AdmissionWebhookOptions> = {}): WebhookUnderTest {
  const session = new Session({ env, trustDir: new TrustDir(join(dir, 'webhook-trust')), now: () => new Date() });
  const p = o.check === undefined ? policy(registry) : undefined;
  const checks: string[] = [];
  const loads = new SharedRepoLoads(session);
  const webhook = createAdmissionWebhook({
    policyHash: p !== undefined ? policyHash(p) : 'test',
    check: async (ref) => { checks.push(`${ref.repository}:${ref.tag ?? ''}`); return checkImage(session, ref, p ?? policy(registry), loads); },
    ...o,
  });
  return { webhook, session, checks, loads };
}

/** The image field a pointer names. */
export function at(object: unknown, pointer: string): unknown {
  let node = object as Record<string, unknown> | unknown[];
  for (const t of pointer.slice(1).split('/')) node = (Array.isArray(node) ? node[Number(t)] : node[t]) as Record<string, unknown>;
  return node;
}

/** The workload fixtures with a pod template, and the JSON pointer of their first container's image. */
export const TEMPLATE_KINDS: [FixtureName, string][] = [
  ['deployment-create', '/spec/template/spec/containers/0/image'],
  ['replicaset-create', '/spec/template/spec/containers/0/image'],
  ['statefulset-create', '/spec/template/spec/containers/0/image'],
  ['daemonset-create', '/spec/template/spec/containers/0/image'],
  ['job-create', '/spec/template/spec/containers/0/image'],
  ['cronjob-create', '/spec/jobTemplate/spec/template/spec/containers/0/image'],
];
