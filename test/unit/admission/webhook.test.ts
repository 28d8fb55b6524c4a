// vouch admission against a real trust server and registry (vouch server and vouch registry,
// in-process): images pushed and signed by the vouch CLI, AdmissionReviews shaped as the API server
// sends them (test/fixtures/admission/NOTES.md), every workload kind, denial messages, the JSON
// Patch applied as the API server applies it, audit mode, exclusions, dry runs, the cache.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { imageFields } from '../../../src/admission/index.js';
import { removeTempDirs, startSignedStack, tempDir, type VouchUser } from '../client/helpers.js';
import { inject } from '../../support/inject.js';
import { startTamperingProxy } from '../../support/proxy.js';
import { at, patched, post, review, reviewText, TEMPLATE_KINDS, webhookFor, type WebhookUnderTest } from './helpers.js';

let dir: string;
let server: RunningServer;
let registry: RunningRegistry;
let owner: VouchUser;
let digest: string;
let w: WebhookUnderTest;
const opened: WebhookUnderTest[] = [];

function open(o: Parameters<typeof webhookFor>[3] = {}): WebhookUnderTest {
  const made = webhookFor(dir, { DOCKER_CONTENT_TRUST_SERVER: server.url, DOCKER_CONFIG: owner.config }, registry.host, o);
  opened.push(made);
  return made;
}

before(async () => {
  dir = await tempDir('vouch-admission-');
  // alice signs 1.0 and staging-1; `debug` is pushed and never signed.
  ({ server, registry, owner } = await startSignedStack(dir, ['1.0', 'staging-1'], 'admission test image\n'));
  await owner.ok(['push', `${registry.host}/team/app:debug`, '--from', `oci:${join(dir, 'image')}`, '--disable-content-trust']);
  const head = await fetch(`${registry.url}/v2/team/app/manifests/1.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  digest = head.headers.get('docker-content-digest') as string;
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  w = open();
});

after(async () => {
  for (const o of opened) await o.session.close();
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

describe('every workload kind, signed by the right signer', () => {
  for (const [name, pointer] of TEMPLATE_KINDS) {
    test(`${name}: allowed; the mutating patch pins the tag to the verified digest`, async () => {
      const body = reviewText(name, registry.host);
      const v = await review(w.webhook, '/validate', body);
      assert.equal(v.allowed, true, v.status?.message);
      const m = await review(w.webhook, '/mutate', body);
      assert.equal(m.allowed, true);
      assert.equal(m.patchType, 'JSONPatch');
      const before = JSON.parse(body).request.object as Record<string, unknown>;
      const after = patched(body, m);
      assert.equal(at(after, pointer), `${registry.host}/team/app:1.0@${digest}`);
      // Nothing but the image changed.
      const expected = structuredClone(before);
      const fields = imageFields({ group: '', version: 'v1', kind: 'x' }, {});
      assert.equal(fields, undefined);
      const parts = pointer.slice(1).split('/');
      let node = expected as Record<string, unknown>;
      for (const p of parts.slice(0, -1)) node = (Array.isArray(node) ? node[Number(p)] : node[p]) as Record<string, unknown>;
      node.image = `${registry.host}/team/app:1.0@${digest}`;
      assert.deepEqual(after, expected);
      // The pinned object passes the validating webhook too (the pinned digest is the signed one).
      const again = JSON.parse(body);
      again.request.object = after;
      assert.equal((await review(w.webhook, '/validate', JSON.stringify(again))).allowed, true);
    });
  }
});

describe('denials name the image, the rule and the failed check', () => {
  test('a Pod whose sidecar is signed by someone the rule does not accept is denied', async () => {
    const body = reviewText('pod-create', registry.host);
    for (const path of ['/validate', '/mutate'] as const) {
      const r = await review(w.webhook, path, body);
      assert.equal(r.allowed, false);
      assert.equal(r.status?.code, 403);
      assert.equal(r.status?.reason, 'Forbidden');
      assert.equal(r.patch, undefined, 'nothing is pinned in a denied object');
      const msg = r.status?.message ?? '';
      assert.match(msg, /^vouch admission denied 1 of 3 images: /);
      assert.match(msg, new RegExp(`image "${registry.host}/team/app:staging-1" \\(container "sidecar"\\) is denied by rule 'team' \\(tags 'staging-\\*'\\): check 'signer' failed: `));
      assert.doesNotMatch(msg, /"migrate"|"app"\)/, 'the allowed images are not named');
    }
  });

  test('kubectl debug with an unsigned image: the ephemeral container is denied (signed check)', async () => {
    const r = await review(w.webhook, '/validate', reviewText('pod-ephemeralcontainers-update', registry.host));
    assert.equal(r.allowed, false);
    assert.match(r.status?.message ?? '', new RegExp(`image "${registry.host}/team/app:debug" \\(ephemeral container "debugger-x7k2p"\\) is denied by rule 'team': check 'signed' failed: `));
  });

  test('a reference that is not an image reference is denied by name', async () => {
    const body = JSON.parse(reviewText('deployment-create', registry.host));
    body.request.object.spec.template.spec.containers[0].image = 'Not/A/Valid:Ref:';
    const r = await review(w.webhook, '/validate', JSON.stringify(body));
    assert.equal(r.allowed, false);
    assert.match(r.status?.message ?? '', /image "Not\/A\/Valid:Ref:" \(container "app"\): invalid image reference/);
  });

  test('a kind the webhook does not know is denied (fail closed), naming the kinds it checks', async () => {
    const body = JSON.parse(reviewText('deployment-create', registry.host));
    body.request.kind = { group: 'example.com', version: 'v1', kind: 'Widget' };
    const r = await review(w.webhook, '/validate', JSON.stringify(body));
    assert.equal(r.allowed, false);
    assert.match(r.status?.message ?? '', /does not know where a example\.com\/v1 Widget keeps its images \(it checks Pod, .*batch\/CronJob\)/);
  });

  test('DELETE is allowed without a check', async () => {
    const t = open();
    const r = await review(t.webhook, '/validate', reviewText('pod-delete', registry.host));
    assert.equal(r.allowed, true);
    assert.deepEqual(t.checks, []);
  });
});

describe('audit mode, exclusions, dry runs', () => {
  test('audit mode allows, with a warning per image it would deny, and pins only what passed', async () => {
    const t = open({ audit: true });
    const body = reviewText('pod-create', registry.host);
    const r = await review(t.webhook, '/mutate', body);
    assert.equal(r.allowed, true);
    assert.equal(r.status, undefined);
    assert.equal(r.warnings?.length, 1);
    assert.match(r.warnings?.[0] ?? '', new RegExp(`^audit mode, would be denied: image "${registry.host}/team/app:staging-1" \\(container "sidecar"\\) is denied by rule 'team'`));
    const after = patched(body, r);
    assert.equal(at(after, '/spec/containers/0/image'), `${registry.host}/team/app:1.0@${digest}`);
    assert.equal(at(after, '/spec/initContainers/0/image'), `${registry.host}/team/app:1.0@${digest}`);
    assert.equal(at(after, '/spec/containers/1/image'), `${registry.host}/team/app:staging-1`, 'a denied image is not pinned');
  });

  test('an excluded namespace is not checked; an excluded image is not checked, the others are', async () => {
    const ns = open({ exclusions: { namespaces: ['sh*'], images: [] } });
    assert.equal((await review(ns.webhook, '/validate', reviewText('pod-create', registry.host))).allowed, true);
    assert.deepEqual(ns.checks, []);
    const img = open({ exclusions: { namespaces: [], images: [`${registry.host}/team/*`] } });
    assert.equal((await review(img.webhook, '/validate', reviewText('pod-ephemeralcontainers-update', registry.host))).allowed, true);
    assert.deepEqual(img.checks, []);
  });

  test('a dry run gets the same verdict and leaves the verdict cache as it was', async () => {
    const t = open();
    const dry = await review(t.webhook, '/validate', reviewText('pod-create-dryrun', registry.host));
    assert.equal(dry.allowed, false);
    assert.match(dry.status?.message ?? '', /check 'signer' failed/);
    assert.equal(t.webhook.cache.stats.entries, 0, 'nothing cached for a dry run');
    await review(t.webhook, '/validate', reviewText('pod-create', registry.host));
    assert.equal(t.webhook.cache.stats.entries, 2, 'the same request for real is cached');
  });
});

describe('fast: cache and shared verifications', () => {
  test('identical concurrent reviews share one verification per image; the next review is answered from the cache', async () => {
    const t = open();
    const body = reviewText('deployment-create', registry.host);
    const answers = await Promise.all(Array.from({ length: 8 }, () => review(t.webhook, '/validate', body)));
    assert.ok(answers.every((a) => a.allowed));
    assert.deepEqual(t.checks, ['team/app:1.0'], 'one verification for eight reviews');
    assert.equal(t.webhook.cache.stats.shared, 7);
    await review(t.webhook, '/mutate', body);
    assert.deepEqual(t.checks, ['team/app:1.0']);
    assert.equal(t.webhook.cache.stats.hits, 1);
    const metrics = await inject(t.webhook, { url: '/metrics' });
    assert.match(metrics.body, /^vouch_admission_cache_hits_total 1$/m);
    assert.match(metrics.body, /^vouch_admission_requests_total\{webhook="validate",code="200"\} 8$/m);
    assert.match(metrics.body, /^vouch_admission_verdicts_total\{webhook="validate",verdict="allowed"\} 8$/m);
    assert.match(metrics.body, /^vouch_admission_request_duration_seconds_count\{webhook="mutate"\} 1$/m);
  });

  test("the images of one repository share one update of its trust data", async () => {
    const proxy = await startTamperingProxy(server.url);
    const fetched: string[] = [];
    proxy.tamper = (path) => { fetched.push(path); return undefined; };
    try {
      const t = webhookFor(dir, { DOCKER_CONTENT_TRUST_SERVER: proxy.url, DOCKER_CONFIG: owner.config }, registry.host);
      opened.push(t);
      // app:1.0 and app:staging-1: two verifications, one repository
      const r = await review(t.webhook, '/validate', reviewText('pod-create', registry.host));
      assert.equal(r.allowed, false);
      assert.equal(t.checks.length, 2);
      assert.equal(fetched.filter((p) => p.endsWith('/timestamp.json')).length, 1, fetched.join('\n'));
      assert.equal(t.loads.inFlight, 0, 'nothing is kept once the load settles');
    } finally {
      await proxy.close();
    }
  });

  test('a cached verdict ends with the trust data it rests on', async () => {
    let clock = Date.now();
    const t = open({ now: () => clock, cache: { ttlMs: 10 * 365 * 86_400_000 } });
    const body = reviewText('deployment-create', registry.host);
    await review(t.webhook, '/validate', body);
    await review(t.webhook, '/validate', body);
    assert.equal(t.checks.length, 1);
    // vouch server's timestamp role expires in 14 days (notary-server's default): a verdict is not reused after it.
    clock += 15 * 86_400_000;
    await review(t.webhook, '/validate', body).catch(() => undefined);
    assert.equal(t.checks.length, 2, 'the expired verdict was verified again');
  });
});

describe('operable', () => {
  test('one structured log line per review: uid, kind, verdict, and the reason of a denial', async () => {
    const lines: string[] = [];
    const t = open({ logger: { level: 'info', stream: { write: (l: string) => { lines.push(l); } } } });
    await review(t.webhook, '/validate', reviewText('pod-create', registry.host));
    const entry = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
    assert.equal(entry.msg, 'admission denied');
    assert.equal(entry.uid, '0df28fbd-5f5e-4f8a-9d4b-3c1a9d9c0b01');
    assert.equal(entry.kind, 'Pod');
    assert.equal(entry.namespace, 'shop');
    assert.equal(entry.allowed, false);
    assert.equal(entry.images, 3);
    assert.match(String(entry.reason), /check 'signer' failed/);
  });

  test('/healthz, /readyz (503 once closing), /metrics; other paths and methods are refused', async () => {
    const t = open();
    assert.equal((await inject(t.webhook, { url: '/healthz' })).statusCode, 200);
    assert.equal((await inject(t.webhook, { url: '/readyz' })).statusCode, 200);
    t.webhook.stopReady();
    assert.equal((await inject(t.webhook, { url: '/readyz' })).statusCode, 503);
    assert.equal((await inject(t.webhook, { url: '/validate' })).statusCode, 405);
    assert.equal((await inject(t.webhook, { url: '/nope' })).statusCode, 404);
    const m = await inject(t.webhook, { url: '/metrics' });
    assert.match(m.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(m.body, /^# TYPE vouch_admission_request_duration_seconds histogram$/m);
  });
});

describe('hostile input gets a clear 400, never a crash', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['not JSON', '{"apiVersion":', /INVALID_JSON/],
    ['a JSON array', '[]', /not a JSON object/],
    ['v1beta1', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }), /apiVersion is \\"admission\.k8s\.io\/v1beta1\\"/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /request is missing/],
    ['no uid', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE' } }), /request\.uid/],
    ['an unknown operation', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'PATCH' } }), /request\.operation/],
    ['containers that are not a list', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: { spec: { containers: { image: 'x' } } } } }), /.*/],
    ['deeply nested JSON', `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${'['.repeat(5000)}${']'.repeat(5000)}}`, /INVALID_JSON|deep/i],
  ];
  for (const [what, body, expected] of cases) {
    test(what, async () => {
      const r = await post(w.webhook, '/validate', body as string);
      if (what === 'containers that are not a list') {
        // Well-formed envelope, malformed object: an answer (denied), not an error.
        assert.equal(r.statusCode, 200);
        assert.equal(r.json<{ response: { allowed: boolean } }>().response.allowed, false);
        return;
      }
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.body, expected);
      assert.equal(r.headers['content-type'], 'application/json');
    });
  }

  test('an oversized body is refused by its declared length before it is read, and when sent chunked', async () => {
    const t = open({ maxBodyBytes: 64 * 1024 });
    const big = Buffer.alloc(65 * 1024, 0x20);
    const declared = await post(t.webhook, '/validate', big.toString());
    assert.equal(declared.statusCode, 400);
    assert.match(declared.body, /TOO_LARGE.*exceeds the limit of 65536 bytes/);
    const { Readable } = await import('node:stream');
    const chunked = await inject(t.webhook, { method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: Readable.from([big.subarray(0, 40_000), big.subarray(40_000)]) });
    assert.equal(chunked.statusCode, 400);
    assert.match(chunked.body, /TOO_LARGE/);
  });

  test('a body that never finishes is refused at the body deadline', async () => {
    const t = open({ bodyTimeoutMs: 200 });
    const { PassThrough } = await import('node:stream');
    const slow = new PassThrough();
    slow.write('{"apiVersion":');
    const r = await inject(t.webhook, { method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: slow });
    slow.destroy();
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /did not arrive within 0\.2 s/);
  });

  test('a body that is not JSON by its content type is refused before it is read (415)', async () => {
    const r = await post(w.webhook, '/validate', 'x', { 'content-type': 'text/plain' });
    assert.equal(r.statusCode, 415);
  });
});
