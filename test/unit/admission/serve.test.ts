// The webhook as it runs: `vouch admission` over HTTPS on src/httpd with the API server's
// `?timeout=` parameter, and `vouch admission manifests` printing YAML that parses into the objects
// Kubernetes needs, with the CA bundle and the certificate Secret.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runAdmission, type RunningAdmission } from '../../../src/admission/index.js';
import { TrustDir } from '../../../src/keys/index.js';
import { DEFAULT_POLICY } from '../../../src/policy/index.js';
import { runCli } from '../../support/cli.js';
import { httpRequestTo } from '../../support/peers.js';
import { spawnServer } from '../../support/vouch-server.js';
import { reviewText, type Answered } from './helpers.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

/** The fields of the printed objects this test reads. */
interface Probe { httpGet: { path: string } }
interface Hook {
  clientConfig: { caBundle: string; service: unknown }; admissionReviewVersions: string[]; sideEffects: string; failurePolicy: string; timeoutSeconds: number;
  namespaceSelector: { matchExpressions: { values: string[] }[] }; rules: { resources: string[] }[];
}
interface K8sObject {
  kind: string; apiVersion: string; metadata: { name: string; namespace?: string }; type?: string; data: { 'tls.crt': string; 'tls.key': string; 'policy.yaml': string }; webhooks: Hook[];
  spec: {
    selector: Record<string, unknown> & { matchLabels: unknown }; ports: unknown; minAvailable: number;
    template: { metadata: { labels: unknown }; spec: { containers: { image: string; args: string[]; readinessProbe: Probe; livenessProbe: Probe }[]; volumes: { name: string }[] } };
  };
}

let dir: string;
let running: RunningAdmission | undefined;

function cert(name: string, host: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt, '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host},IP:127.0.0.1`], { stdio: 'ignore' });
  return { cert: crt, key };
}

before(async () => { dir = await tempDir('vouch-admission-serve-'); });
after(async () => { await running?.close(); await removeTempDirs(); });

test('served over HTTPS: an AdmissionReview in, an AdmissionReview out; health endpoints', async () => {
  const c = cert('serving', 'vouch-admission.vouch.svc');
  running = await runAdmission({
    addr: '127.0.0.1:0', tls: { cert: readFileSync(c.cert), key: readFileSync(c.key) }, policy: DEFAULT_POLICY,
    env: {}, trustDir: new TrustDir(join(dir, 'trust')), logger: false,
  });
  assert.match(running.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(c.cert);
  const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {
    uid: 'e1e1e1e1-0000-4000-8000-000000000001', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' },
    name: 'p', namespace: 'default', operation: 'DELETE', userInfo: { username: 'kubernetes-admin' }, object: null, oldObject: null, dryRun: false,
  } };
  const r = await httpRequestTo(`${running.url}/validate?timeout=10s`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(review), ca });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body.toString()), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
  assert.equal((await httpRequestTo(`${running.url}/healthz`, { ca })).status, 200);
  assert.equal((await httpRequestTo(`${running.url}/readyz`, { ca })).status, 200);
  const bad = await httpRequestTo(`${running.url}/mutate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{', ca });
  assert.equal(bad.status, 400);
  await running.close();
  running = undefined;
});

test('vouch admission refuses to serve without TLS', async () => {
  const r = await runCli(['admission', '--addr', '127.0.0.1:0'], { HOME: dir }, dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the API server calls webhooks over HTTPS only: give --tls-cert and --tls-key/);
});

test('vouch admission manifests: YAML that parses into every object, with caBundle, the certificate Secret and the policy', async () => {
  const c = cert('manifest', 'vouch-admission.trust.svc');
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'version: 1\n');
  const r = await runCli(['admission', 'manifests', '--namespace', 'trust', '--cert', c.cert, '--key', c.key, '--image', 'registry.example.com/vouch:0.1.0', '--policy', policy, '--timeout-seconds', '12'], { HOME: dir }, dir);
  assert.equal(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => { assert.deepEqual(d.errors, []); return d.toJS() as K8sObject; });
  const byKind = new Map(docs.map((d) => [d.kind as string, d]));
  assert.deepEqual([...byKind.keys()], ['Secret', 'ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
  for (const d of docs) assert.ok(typeof d.apiVersion === 'string' && typeof d.metadata?.name === 'string');
  const secret = byKind.get('Secret')!;
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.equal(Buffer.from(secret.data['tls.crt'], 'base64').toString(), readFileSync(c.cert, 'utf8'));
  assert.equal(Buffer.from(secret.data['tls.key'], 'base64').toString(), readFileSync(c.key, 'utf8'));
  assert.equal(byKind.get('ConfigMap')!.data['policy.yaml'], 'version: 1\n');
  const dep = byKind.get('Deployment')!;
  assert.equal(dep.metadata.namespace, 'trust');
  const pod = dep.spec.template.spec;
  const container = pod.containers[0]!;
  assert.deepEqual(dep.spec.selector.matchLabels, dep.spec.template.metadata.labels);
  assert.equal(container.image, 'registry.example.com/vouch:0.1.0');
  assert.deepEqual(container.args, ['admission', '--addr', ':8443', '--tls-cert', '/etc/vouch/tls/tls.crt', '--tls-key', '/etc/vouch/tls/tls.key', '--policy', '/etc/vouch/policy/policy.yaml']);
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  assert.deepEqual(pod.volumes.map((v: { name: string }) => v.name), ['tls', 'trust', 'policy']);
  const svc = byKind.get('Service')!;
  assert.deepEqual(svc.spec.ports, [{ name: 'https', port: 443, targetPort: 8443 }]);
  assert.deepEqual(svc.spec.selector, dep.spec.template.metadata.labels);
  assert.equal(byKind.get('PodDisruptionBudget')!.spec.minAvailable, 1);
  for (const [kind, path] of [['ValidatingWebhookConfiguration', '/validate'], ['MutatingWebhookConfiguration', '/mutate']] as const) {
    const hook = byKind.get(kind)!.webhooks[0]!;
    assert.equal(Buffer.from(hook.clientConfig.caBundle, 'base64').toString(), readFileSync(c.cert, 'utf8'));
    assert.deepEqual(hook.clientConfig.service, { name: 'vouch-admission', namespace: 'trust', path, port: 443 });
    assert.deepEqual(hook.admissionReviewVersions, ['v1']);
    assert.equal(hook.sideEffects, 'None');
    assert.equal(hook.failurePolicy, 'Fail');
    assert.equal(hook.timeoutSeconds, 12);
    assert.deepEqual(hook.namespaceSelector.matchExpressions[0]!.values, ['trust', 'kube-system']);
    assert.deepEqual(hook.rules.flatMap((x: { resources: string[] }) => x.resources), ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers', 'podtemplates', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs']);
  }
});

test('vouch admission manifests refuses a certificate that is not valid for the service name', async () => {
  const c = cert('wrong', 'elsewhere.example.com');
  const r = await runCli(['admission', 'manifests', '--namespace', 'trust', '--cert', c.cert, '--key', c.key], { HOME: dir }, dir);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /is not valid for vouch-admission\.trust\.svc, the name the API server calls/);
});

test('vouch admission as users start it: --config exclusions, fail closed when the trust server is out of reach, --audit, SIGTERM', async () => {
  const c = cert('cli', 'vouch-admission.vouch.svc');
  const config = join(dir, 'admission.yaml');
  writeFileSync(config, 'excludeNamespaces: [kube-system]\nexcludeImages: ["127.0.0.1:1/excluded/**"]\n');
  const env = { HOME: dir, DOCKER_CONFIG: join(dir, 'docker'), VOUCH_TIMEOUT_CONNECT: '1' };
  const ca = readFileSync(c.cert);
  // Images in a registry nobody listens on: its trust server (the registry host) cannot be reached.
  const body = reviewText('pod-create', '127.0.0.1:1');
  const send = async (url: string, text: string): Promise<Answered['response']> => {
    const r = await httpRequestTo(`${url}/validate?timeout=5s`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text, ca });
    assert.equal(r.status, 200, r.body.toString());
    return (JSON.parse(r.body.toString()) as Answered).response;
  };
  const enforce = await spawnServer(['--addr', '127.0.0.1:0', '--tls-cert', c.cert, '--tls-key', c.key, '--config', config, '--log-level', 'silent'], env, 'admission');
  try {
    const denied = await send(enforce.url, body);
    assert.equal(denied.allowed, false);
    assert.match(denied.status?.message ?? '', /vouch admission denied 3 of 3 images: image "127\.0\.0\.1:1\/team\/app:1\.0" \(init container "migrate"\): /);
    const excluded = await send(enforce.url, body.replaceAll('"namespace": "shop"', '"namespace": "kube-system"'));
    assert.equal(excluded.allowed, true);
    const excludedImages = await send(enforce.url, body.replaceAll('127.0.0.1:1/team/app', '127.0.0.1:1/excluded/app'));
    assert.equal(excludedImages.allowed, true);
  } finally {
    assert.equal(await enforce.stop(), 0);
  }
  const audit = await spawnServer(['--addr', '127.0.0.1:0', '--tls-cert', c.cert, '--tls-key', c.key, '--audit', '--log-level', 'silent'], env, 'admission');
  try {
    const allowed = await send(audit.url, body);
    assert.equal(allowed.allowed, true);
    assert.equal(allowed.warnings?.length, 3);
    assert.match(allowed.warnings?.[0] ?? '', /^audit mode, would be denied: image "127\.0\.0\.1:1\/team\/app:1\.0" \(init container "migrate"\)/);
  } finally {
    assert.equal(await audit.stop(), 0);
  }
});
