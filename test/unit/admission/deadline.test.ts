// The webhook stays inside its deadline and its bounds when the trust server never answers, for a
// pod with hundreds of images: the hostile peer is test/support/proxy.ts in front of a real vouch
// server, answering nothing. Fails closed by default; --failure-policy ignore allows with warnings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { VerdictCache, reviewDeadlineMs, type ImageVerdict } from '../../../src/admission/index.js';
import { removeTempDirs, startLocalStack, tempDir } from '../client/helpers.js';
import { startTamperingProxy, type TamperingProxy } from '../../support/proxy.js';
import { drip } from '../../support/hostile.js';
import { post, webhookFor, type Answered, type WebhookUnderTest } from './helpers.js';

let dir: string;
let server: RunningServer;
let registry: RunningRegistry;
let proxy: TamperingProxy;
const held: { end: () => void }[] = [];
let asked = 0;
const opened: WebhookUnderTest[] = [];

before(async () => {
  dir = await tempDir('vouch-admission-deadline-');
  ({ server, registry } = await startLocalStack(dir));
  proxy = await startTamperingProxy(server.url);
  // Every request is taken and never answered (until the test ends).
  proxy.answer = (_path, res) => { asked++; held.push({ end: () => res.destroy() }); return true; };
});

after(async () => {
  for (const o of opened) await o.session.close();
  for (const h of held) h.end();
  await proxy?.close();
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

function pod(images: number): string {
  const containers = Array.from({ length: images }, (_, i) => ({ name: `c${i}`, image: `${registry.host}/team/app${i}:t${i}` }));
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {
    uid: 'd0d0d0d0-0000-4000-8000-000000000001', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' },
    name: 'many', namespace: 'shop', operation: 'CREATE', userInfo: { username: 'kubernetes-admin' }, object: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'many' }, spec: { containers } }, oldObject: null, dryRun: false,
  } });
}

test('the deadline is 80% of the API server\'s timeout parameter, 8 s without one', () => {
  assert.equal(reviewDeadlineMs(new URLSearchParams('timeout=10s'), undefined), 8000);
  assert.equal(reviewDeadlineMs(new URLSearchParams(''), undefined), 8000);
  assert.equal(reviewDeadlineMs(new URLSearchParams('timeout=30s'), undefined), 24000);
  assert.equal(reviewDeadlineMs(new URLSearchParams('timeout=1m0s'), 5000), 5000);
  assert.equal(reviewDeadlineMs(new URLSearchParams('timeout=bogus'), undefined), 8000);
});

test('300 images of 300 repositories whose trust server never answers: denied at the deadline, at most max-concurrent verifications at once', async () => {
  const t = webhookFor(dir, { DOCKER_CONTENT_TRUST_SERVER: proxy.url }, registry.host, { cache: { maxConcurrent: 8 } });
  opened.push(t);
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();
  const r = await post(t.webhook, '/validate?timeout=2s', pod(300));
  const elapsed = Date.now() - started;
  assert.equal(r.statusCode, 200);
  const a = r.json<Answered>().response;
  assert.equal(a.allowed, false);
  assert.match(a.status?.message ?? '', /^vouch admission denied 300 of 300 images: /);
  assert.match(a.status?.message ?? '', new RegExp(`image "${registry.host}/team/app0:t0" \\(container "c0"\\): ${registry.host.replace(/\./g, '\\.')}/team/app0:t0: no verdict within the admission deadline of 1\\.6 s`));
  // Only the verifications that had a slot reached the server; the rest were dropped unstarted.
  assert.ok(asked <= 8, `${asked} requests reached the trust server`);
  assert.ok(t.webhook.cache.stats.running <= 8);
  assert.equal(t.webhook.cache.stats.entries, 0, 'no verdict is cached for an image that had none');
  console.log(`# 300 images, trust server silent: answered in ${elapsed} ms (deadline 1600 ms); heap +${Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024)} KiB; ${asked} requests reached the server`);
});

test('a trust server that drips its answer a byte at a time: answered at the deadline, not when the drip ends', async () => {
  const dripping = await startTamperingProxy(server.url);
  dripping.answer = (_path, res) => { drip(res, Buffer.alloc(4096, 0x20), 100); return true; };
  try {
    const t = webhookFor(dir, { DOCKER_CONTENT_TRUST_SERVER: dripping.url }, registry.host);
    opened.push(t);
    const r = await post(t.webhook, '/validate?timeout=1s', pod(2));
    const a = r.json<Answered>().response;
    assert.equal(a.allowed, false);
    assert.match(a.status?.message ?? '', /no verdict within the admission deadline of 0\.8 s/);
    await t.session.close();
  } finally {
    await dripping.close();
  }
});

test('--failure-policy ignore: the same pod is allowed, with warnings that say why', async () => {
  const t = webhookFor(dir, { DOCKER_CONTENT_TRUST_SERVER: proxy.url }, registry.host, { failurePolicy: 'ignore', cache: { maxConcurrent: 4 } });
  opened.push(t);
  const r = await post(t.webhook, '/validate?timeout=1s', pod(3));
  const a = r.json<Answered>().response;
  assert.equal(a.allowed, true);
  assert.equal(a.warnings?.length, 3);
  assert.match(a.warnings?.[0] ?? '', /no verdict within the admission deadline of 0\.8 s .*\(allowed: failure policy ignore\)/);
});

test('the verdict cache: a queued check whose every waiter gave up is dropped unstarted; a full queue refuses at once', async () => {
  let clock = 0;
  const cache = new VerdictCache({ ttlMs: 1000, maxEntries: 10, maxConcurrent: 1, maxQueued: 1, now: () => clock });
  let release!: (v: ImageVerdict) => void;
  const ran: string[] = [];
  const first = cache.verdict('a', 'a', () => { ran.push('a'); return new Promise((r) => { release = r; }); }, 50, 50, true);
  const second = cache.verdict('b', 'b', async () => { ran.push('b'); return { reference: 'b', allowed: true, compliant: true, failed: [] }; }, 10, 10, true);
  await assert.rejects(cache.verdict('c', 'c', async () => { ran.push('c'); return { reference: 'c', allowed: true, compliant: true, failed: [] }; }, 50, 50, true), /1 verifications are already waiting/);
  clock = 20; // b's only waiter's deadline has passed while a holds the one slot
  release({ reference: 'a', allowed: true, compliant: true, failed: [], validUntil: 500 });
  assert.equal((await first).allowed, true);
  await assert.rejects(second, /DEADLINE|no verdict/);
  assert.deepEqual(ran, ['a'], 'b never started');
  // a is cached until its trust data expires (500), not for the whole ttl (1000)
  assert.ok(cache.cached('a') !== undefined);
  clock = 500;
  assert.equal(cache.cached('a'), undefined);
});
