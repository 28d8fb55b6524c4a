// vouch gate end to end in one process: a trust server and a registry (vouch's own, on loopback),
// tags signed with the vouch CLI by alice and bob, and the gate in front of the registry, asked
// over HTTP as any client asks it. Real clients (skopeo, crane, regctl) and docker-registry with
// notary-server: test/interop/gate.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import { digestOf } from '../../../src/core/index.js';
import { runGate, type RunGateOptions, type RunningGate } from '../../../src/gate/index.js';
import { TrustDir } from '../../../src/keys/index.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { parsePolicy } from '../../../src/policy/validate.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { drip, endless } from '../../support/hostile.js';
import { rawExchange } from '../../support/rawhttp.js';
import { startTamperingProxy, type TamperingProxy } from '../../support/proxy.js';
import { removeTempDirs, startSignedStack, tempDir, vouchUser, type VouchUser } from '../client/helpers.js';

let dir: string;
let server: RunningServer;
let registry: RunningRegistry;
let repo: string;
let owner: VouchUser;
let alice: VouchUser;
let bob: VouchUser;
let image: DemoImage;
let other: DemoImage;
let counting: TamperingProxy;
const trustRequests: string[] = [];

function policyText(host: string): string {
  return `version: 1
defaults:
  rejectUnsigned: false
rules:
  - name: team
    repositories: ["${host}/team/*"]
    rejectUnsigned: true
    signers: [alice]
    tags:
      - pattern: "prod-*"
        signers: [alice, bob]
        threshold: 2
`;
}

before(async () => {
  dir = await tempDir('vouch-gate-');
  ({ server, registry, repo, owner, alice } = await startSignedStack(dir, ['1.0', 'moved', 'prod-1', 'prod-2'], 'gate test image\n'));
  image = await writeDemoImage(join(dir, 'image'), '1.0', 'gate test image\n');
  other = await writeDemoImage(join(dir, 'other'), '1.0', 'pushed over a signed tag\n');
  bob = await vouchUser(server.url);
  await bob.ok(['trust', 'key', 'generate', 'bob', '--dir', bob.dir]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(bob.dir, 'bob.pub'), 'bob', repo]);
  for (const tag of ['unsigned', 'bob-1']) await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${join(dir, 'image')}`, '--disable-content-trust']);
  await owner.ok(['push', `${repo}:unsigned-other`, '--from', `oci:${join(dir, 'other')}`, '--disable-content-trust']);
  await bob.ok(['trust', 'sign', `${repo}:bob-1`]);
  await bob.ok(['trust', 'sign', `${repo}:prod-2`]);
  // The tag is moved in the registry after alice signed it.
  await owner.ok(['push', `${repo}:moved`, '--from', `oci:${join(dir, 'other')}`, '--disable-content-trust']);
  // Every request the gates make to the trust server passes through this counter.
  counting = await startTamperingProxy(server.url);
  counting.answer = (path) => { trustRequests.push(path); return false; };
});

after(async () => {
  await counting?.close();
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

const gates: RunningGate[] = [];
after(async () => { for (const g of gates) await g.close(); });

async function startGate(o: Partial<RunGateOptions> = {}): Promise<RunningGate> {
  const home = await tempDir('vouch-gate-home-');
  const g = await runGate({
    addr: '127.0.0.1:0',
    upstreams: [{ prefix: '', url: registry.url, repository: '' }],
    policy: parsePolicy(policyText(registry.host)),
    env: { HOME: home, DOCKER_CONFIG: join(home, 'docker'), DOCKER_CONTENT_TRUST_SERVER: counting.url },
    trustDir: new TrustDir(join(home, 'trust')),
    ...o,
  });
  gates.push(g);
  return g;
}

interface Got { status: number; headers: Headers; body: Buffer; json: { errors?: { code: string; message: string; detail?: unknown }[] } & Record<string, unknown> }

async function get(g: RunningGate, path: string, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(`${g.url}${path}`, init);
  const body = Buffer.from(await res.arrayBuffer());
  let json = {};
  try { json = JSON.parse(body.toString('utf8')); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body, json };
}

const ACCEPT = { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' };

describe('vouch gate against vouch registry and vouch server', () => {
  let gate: RunningGate;
  before(async () => { gate = await startGate(); });

  test('a tag signed by the signer the policy names is served, with its blobs, digests checked', async () => {
    const r = await get(gate, '/v2/team/app/manifests/1.0', { headers: ACCEPT });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers.get('docker-content-digest'), image.manifest.digest);
    assert.equal(digestOf(r.body), image.manifest.digest);
    // A real distribution client reads the image through the gate.
    const client = new RegistryClient({ registry: gate.host, scheme: 'http' });
    try {
      const m = await client.getManifest('team/app', '1.0');
      assert.equal(m.digest, image.manifest.digest);
      const layer = await client.readBlob('team/app', image.layer);
      assert.equal(digestOf(layer), image.layer.digest);
      assert.equal(digestOf(await client.readBlob('team/app', image.config)), image.config.digest);
    } finally {
      await client.close();
    }
    const head = await get(gate, '/v2/team/app/manifests/1.0', { method: 'HEAD', headers: ACCEPT });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), image.manifest.digest);
  });

  test('an unsigned tag is refused with DENIED naming the rule and the missing signature', async () => {
    const r = await get(gate, '/v2/team/app/manifests/unsigned', { headers: ACCEPT });
    assert.equal(r.status, 403);
    assert.equal(r.json.errors?.[0]?.code, 'DENIED');
    assert.match(r.json.errors?.[0]?.message ?? '', /^team\/app:unsigned: denied by rule 'team' \(.*\/team\/\*\): signed: .*unsigned/);
  });

  test('a tag signed by someone the policy does not name is refused, naming who may sign', async () => {
    const r = await get(gate, '/v2/team/app/manifests/bob-1', { headers: ACCEPT });
    assert.equal(r.status, 403);
    assert.equal(r.json.errors?.[0]?.code, 'DENIED');
    assert.match(r.json.errors?.[0]?.message ?? '', /denied by rule 'team'.*only alice may sign it/);
  });

  test('k of n: one of two required signers is refused, both are served', async () => {
    const one = await get(gate, '/v2/team/app/manifests/prod-1', { headers: ACCEPT });
    assert.equal(one.status, 403);
    assert.match(one.json.errors?.[0]?.message ?? '', /tags 'prod-\*'\): threshold: needs 2 distinct signers on one digest out of alice, bob, but sha256:\S+ has 1 \(alice\)/);
    const two = await get(gate, '/v2/team/app/manifests/prod-2', { headers: ACCEPT });
    assert.equal(two.status, 200, two.body.toString());
    assert.equal(two.headers.get('docker-content-digest'), image.manifest.digest);
  });

  test('a tag moved in the registry after signing is refused; its signed digest is still served', async () => {
    const r = await get(gate, '/v2/team/app/manifests/moved', { headers: ACCEPT });
    assert.equal(r.status, 403);
    assert.equal(r.json.errors?.[0]?.code, 'DENIED');
    assert.match(r.json.errors?.[0]?.message ?? '', new RegExp(`team/app:moved: the tag was moved in the upstream registry after signing: it points to ${other.manifest.digest}, but its signers signed ${image.manifest.digest}`));
    const signed = await get(gate, `/v2/team/app/manifests/${image.manifest.digest}`, { headers: ACCEPT });
    assert.equal(signed.status, 200);
  });

  test('by digest: an image no signer signed is refused; a signed digest is served by a gate that has not seen its tag', async () => {
    const r = await get(gate, `/v2/team/app/manifests/${other.manifest.digest}`, { headers: ACCEPT });
    assert.equal(r.status, 403);
    assert.match(r.json.errors?.[0]?.message ?? '', new RegExp(`team/app@${other.manifest.digest}: .*signed with`));
    const fresh = await startGate();
    const ok = await get(fresh, `/v2/team/app/manifests/${image.manifest.digest}`, { headers: ACCEPT });
    assert.equal(ok.status, 200, ok.body.toString());
  });

  test('artifacts that cannot run (signatures, SBOMs) pass by digest, and the referrers API passes through', async () => {
    const cfg = Buffer.from('{}');
    const sbom = Buffer.from('{"spdxVersion":"SPDX-2.3"}');
    const direct = new RegistryClient({ registry: registry.host, scheme: 'http' });
    try {
      await direct.pushBlob('team/app', { digest: digestOf(cfg), size: cfg.byteLength }, cfg);
      await direct.pushBlob('team/app', { digest: digestOf(sbom), size: sbom.byteLength }, sbom);
      const artifact = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/spdx+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(cfg), size: cfg.byteLength },
        layers: [{ mediaType: 'application/spdx+json', digest: digestOf(sbom), size: sbom.byteLength }],
        subject: image.manifest,
      }));
      const { digest } = await direct.pushReferrer('team/app', artifact, 'application/vnd.oci.image.manifest.v1+json');
      const r = await get(gate, `/v2/team/app/manifests/${digest}`, { headers: ACCEPT });
      assert.equal(r.status, 200, r.body.toString());
      const refs = await get(gate, `/v2/team/app/referrers/${image.manifest.digest}`);
      assert.equal(refs.status, 200);
      assert.deepEqual((refs.json.manifests as { digest: string }[]).map((m) => m.digest), [digest]);
    } finally {
      await direct.close();
    }
  });

  test('tags/list and the catalog pass through', async () => {
    const tags = await get(gate, '/v2/team/app/tags/list');
    assert.equal(tags.status, 200);
    assert.equal(tags.json.name, 'team/app');
    assert.ok((tags.json.tags as string[]).includes('unsigned'));
    const cat = await get(gate, '/v2/_catalog');
    assert.deepEqual(cat.json.repositories, ['team/app']);
  });

  test('a blob corrupted in the upstream is cut short: the client never gets a whole, wrong blob', async () => {
    const scratch = await tempDir('vouch-gate-corrupt-');
    // Incompressible, so the layer streams in many chunks and is cut in the middle.
    const img = await writeDemoImage(scratch, '1.0', randomBytes(400_000).toString('base64'));
    await owner.ok(['push', `${repo}:corrupt`, '--from', `oci:${scratch}`, '--disable-content-trust']);
    const path = join(dir, 'registry', 'blobs', 'sha256', img.layer.digest.slice('sha256:'.length));
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await writeFile(path, bytes);
    const res = await fetch(`${gate.url}/v2/team/app/blobs/${img.layer.digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(img.layer.size));
    await assert.rejects(res.arrayBuffer(), 'the body must break off, not end as if complete');
  });

  test('pushes are refused with DENIED, before a byte of the body is read', async () => {
    const start = await get(gate, '/v2/team/app/blobs/uploads/', { method: 'POST' });
    assert.equal(start.status, 403);
    assert.equal(start.json.errors?.[0]?.code, 'DENIED');
    assert.match(start.json.errors?.[0]?.message ?? '', /does not pass pushes.*--allow-push/);
    const put = await get(gate, '/v2/team/app/manifests/evil', { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: '{}' });
    assert.equal(put.status, 403);
    assert.equal(put.headers.get('connection'), 'close');
  });
});

describe('vouch gate: pushes, client auth, cache, shared checks', () => {
  test('with allowPush, an image pushed through the gate lands upstream under the mapped name', async () => {
    const gate = await startGate({ allowPush: true, upstreams: [{ prefix: 'mirror', url: registry.url, repository: 'team' }] });
    const client = new RegistryClient({ registry: gate.host, scheme: 'http' });
    const direct = new RegistryClient({ registry: registry.host, scheme: 'http' });
    try {
      const blobs = join(dir, 'image', 'blobs', 'sha256');
      for (const d of [image.layer, image.config]) await client.pushBlob('mirror/pushed', d, await readFile(join(blobs, d.digest.slice(7))), { force: true, chunkSize: 100 });
      const digest = await client.putManifest('mirror/pushed', 'v1', await readFile(join(blobs, image.manifest.digest.slice(7))), 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(digest, image.manifest.digest);
      assert.equal((await direct.getManifest('team/pushed', 'v1')).digest, image.manifest.digest);
      // An upload id is one plain path segment: a dot segment never reaches the upstream.
      // (A raw request: client libraries resolve dot segments before sending.)
      const port = Number(new URL(gate.url).port);
      for (const id of ['..', '%2e%2e', '.hidden']) {
        const r = await rawExchange(port, `PUT /v2/mirror/pushed/blobs/uploads/${id} HTTP/1.1\r\nHost: gate\r\nContent-Length: 0\r\nConnection: close`);
        r.socket.destroy();
        assert.equal(r.status, 404, id);
        assert.match(r.body, /BLOB_UPLOAD_UNKNOWN/, id);
      }
      // Pushed is not signed: pulling it back through the gate is refused like any unsigned tag.
      const r = await get(gate, '/v2/mirror/pushed/manifests/v1', { headers: ACCEPT });
      assert.equal(r.status, 403);
    } finally {
      await client.close();
      await direct.close();
    }
  });

  test('client auth comes first: 401 without credentials, served with them', async () => {
    const gate = await startGate({ auth: { username: 'puller', password: 's3cret' } });
    const anon = await get(gate, '/v2/team/app/manifests/1.0', { headers: ACCEPT });
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    const authed = await get(gate, '/v2/team/app/manifests/1.0', { headers: { ...ACCEPT, authorization: `Basic ${Buffer.from('puller:s3cret').toString('base64')}` } });
    assert.equal(authed.status, 200);
    // A body sent without credentials is never read: the answer closes the connection.
    const put = await get(gate, '/v2/team/app/manifests/x', { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: 'x'.repeat(100_000) });
    assert.equal(put.status, 401);
    assert.equal(put.headers.get('connection'), 'close');
  });

  test("an upstream that refuses the gate's credentials is 502 UNAVAILABLE, saying so", async () => {
    const { runRegistry } = await import('../../../src/registry/index.js');
    const locked = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-gate-locked-'), auth: { username: 'gate', password: 'right' } });
    try {
      const gate = await startGate({ upstreams: [{ prefix: '', url: locked.url, repository: '', credentials: { username: 'gate', password: 'wrong' } }] });
      const r = await get(gate, '/v2/open/app/tags/list');
      assert.equal(r.status, 502);
      assert.equal(r.json.errors?.[0]?.code, 'UNAVAILABLE');
      assert.match(r.json.errors?.[0]?.message ?? '', /refused the gate's credentials/);
    } finally {
      await locked.close();
    }
  });

  test('identical concurrent checks share one verification, and the verdict is kept', async () => {
    const gate = await startGate();
    trustRequests.length = 0;
    const all = await Promise.all(Array.from({ length: 8 }, () => get(gate, '/v2/team/app/manifests/1.0', { headers: ACCEPT })));
    for (const r of all) assert.equal(r.status, 200);
    const timestamps = trustRequests.filter((p) => p.endsWith('/timestamp.json')).length;
    assert.equal(timestamps, 1, `one update of the trust data for 8 requests, got ${trustRequests.join(' ')}`);
    await get(gate, '/v2/team/app/manifests/1.0', { headers: ACCEPT });
    assert.equal(trustRequests.filter((p) => p.endsWith('/timestamp.json')).length, 1, 'the kept verdict answers the next request');
    assert.equal(gate.gate.inFlight, 0);
  });

  test('with no cache, a revoked signature is refused at once', async () => {
    const gate = await startGate({ cacheTtlMs: 0 });
    await owner.ok(['push', `${repo}:revoke-me`, '--from', `oci:${join(dir, 'image')}`, '--disable-content-trust']);
    await alice.ok(['trust', 'sign', `${repo}:revoke-me`]);
    assert.equal((await get(gate, '/v2/team/app/manifests/revoke-me', { headers: ACCEPT })).status, 200);
    await alice.ok(['trust', 'revoke', '-y', `${repo}:revoke-me`]);
    const r = await get(gate, '/v2/team/app/manifests/revoke-me', { headers: ACCEPT });
    assert.equal(r.status, 403, r.body.toString());
  });

  test('requirePin: a tag alone is refused, the signed digest is served (asked as TAG@DIGEST of the tags that bind it)', async () => {
    const policy = parsePolicy(`version: 1\nrules:\n  - name: pinned\n    repositories: ["${registry.host}/team/*"]\n    signers: [alice]\n    requirePin: true\n`);
    const gate = await startGate({ policy });
    const tag = await get(gate, '/v2/team/app/manifests/1.0', { headers: ACCEPT });
    assert.equal(tag.status, 403);
    assert.match(tag.json.errors?.[0]?.message ?? '', /denied by rule 'pinned'.*pinned: /);
    const pinned = await get(gate, `/v2/team/app/manifests/${image.manifest.digest}`, { headers: ACCEPT });
    assert.equal(pinned.status, 200, pinned.body.toString());
  });

  test('a signed index: its children pass by digest once the index was served; asked first, a child is refused', async () => {
    const direct = new RegistryClient({ registry: registry.host, scheme: 'http' });
    try {
      // An index over the two images already in team/app (the signed one and the other).
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ ...image.manifest, platform: { architecture: 'amd64', os: 'linux' } }, { ...other.manifest, platform: { architecture: 'arm64', os: 'linux' } }],
      }));
      await direct.putManifest('team/app', 'multi', index, 'application/vnd.oci.image.index.v1+json');
    } finally {
      await direct.close();
    }
    await alice.ok(['trust', 'sign', `${repo}:multi`]);
    const cold = await startGate();
    const child = await get(cold, `/v2/team/app/manifests/${other.manifest.digest}`, { headers: ACCEPT });
    assert.equal(child.status, 403, 'a child asked for before its index is refused');
    const idx = await get(cold, '/v2/team/app/manifests/multi', { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(idx.status, 200, idx.body.toString());
    const after = await get(cold, `/v2/team/app/manifests/${other.manifest.digest}`, { headers: ACCEPT });
    assert.equal(after.status, 200, 'the child of the index just served passes');
  });

  test('audit mode: a tag the policy would refuse is served (and logged)', async () => {
    const policy = parsePolicy(`version: 1\nrules:\n  - name: watch\n    repositories: ["${registry.host}/team/*"]\n    mode: audit\n    signers: [alice]\n`);
    const gate = await startGate({ policy });
    const r = await get(gate, '/v2/team/app/manifests/unsigned', { headers: ACCEPT });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers.get('docker-content-digest'), image.manifest.digest);
  });

  test('operable: /healthz and /readyz without credentials, /readyz 503 once shutting down, /metrics counts requests, verdicts and the cache', async () => {
    const gate = await startGate({ auth: { username: 'puller', password: 's3cret' } });
    const auth = { authorization: `Basic ${Buffer.from('puller:s3cret').toString('base64')}` };
    assert.equal((await get(gate, '/healthz')).body.toString(), 'ok\n');
    assert.equal((await get(gate, '/readyz')).status, 200);
    assert.equal((await get(gate, '/metrics', { method: 'POST' })).status, 405);
    for (let i = 0; i < 2; i++) assert.equal((await get(gate, '/v2/team/app/manifests/1.0', { headers: { ...ACCEPT, ...auth } })).status, 200);
    // By digest, on the verdict of the tag just served: counted as allowed, no new check.
    assert.equal((await get(gate, `/v2/team/app/manifests/${image.manifest.digest}`, { headers: { ...ACCEPT, ...auth } })).status, 200);
    assert.equal((await get(gate, '/v2/team/app/manifests/unsigned', { headers: { ...ACCEPT, ...auth } })).status, 403);
    assert.equal((await get(gate, '/v2/team/app/manifests/1.0', { headers: ACCEPT })).status, 401);
    const m = await get(gate, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = m.body.toString();
    assert.match(text, /^vouch_gate_requests_total\{endpoint="manifest",method="GET",code="200"\} 3$/m);
    assert.match(text, /^vouch_gate_requests_total\{endpoint="manifest",method="GET",code="403"\} 1$/m);
    assert.match(text, /^vouch_gate_requests_total\{endpoint="other",method="GET",code="401"\} 1$/m);
    assert.match(text, /^vouch_gate_requests_total\{endpoint="healthz",method="GET",code="200"\} 1$/m);
    assert.match(text, /^vouch_gate_request_duration_seconds_count\{endpoint="manifest"\} 4$/m);
    assert.match(text, /^vouch_gate_manifest_verdicts_total\{verdict="allowed"\} 3$/m);
    assert.match(text, /^vouch_gate_manifest_verdicts_total\{verdict="denied"\} 1$/m);
    assert.match(text, /^vouch_gate_cache_hits_total 1$/m);
    assert.match(text, /^vouch_gate_cache_misses_total 2$/m);
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
    assert.doesNotMatch(text, /team\/app/, 'no repository name in the unauthenticated metrics');
    gate.gate.stopReady();
    assert.equal((await get(gate, '/readyz')).status, 503);
  });

  test('a name no upstream serves is NAME_UNKNOWN', async () => {
    const gate = await startGate({ upstreams: [{ prefix: 'only', url: registry.url, repository: '' }] });
    const r = await get(gate, '/v2/team/app/manifests/1.0');
    assert.equal(r.status, 404);
    assert.equal(r.json.errors?.[0]?.code, 'NAME_UNKNOWN');
  });
});

describe('vouch gate: a hostile or absent upstream stays within the deadlines', () => {
  let hostile: Server;
  let hostileHost: string;
  const held: ServerResponse[] = [];
  before(async () => {
    // Never answers a manifest by tag; sends an endless manifest by digest; drips a blob a byte a second.
    hostile = createServer((req, res) => {
      if (req.url?.includes('/blobs/')) { drip(res, Buffer.alloc(1_000_000, 0x78), 1000); return; }
      if (req.url?.includes('/manifests/sha256:')) { endless(res, { total: 64 * 1024 * 1024 }); return; }
      held.push(res);
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    hostileHost = `127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  after(async () => {
    hostile.closeAllConnections();
    await new Promise<void>((r) => hostile.close(() => r()));
  });

  test('a manifest the upstream never answers is 503 UNAVAILABLE at the request deadline', { timeout: 20_000 }, async () => {
    const gate = await startGate({ upstreams: [{ prefix: '', url: `http://${hostileHost}`, repository: '' }], requestDeadlineMs: 500 });
    const r = await get(gate, '/v2/open/app/manifests/1.0', { headers: ACCEPT });
    assert.equal(r.status, 503);
    assert.equal(r.json.errors?.[0]?.code, 'UNAVAILABLE');
    assert.match(r.json.errors?.[0]?.message ?? '', /no answer within 500 ms/);
  });

  test('an endless manifest is cut at the manifest ceiling: 502 UNAVAILABLE', { timeout: 20_000 }, async () => {
    const gate = await startGate({ upstreams: [{ prefix: '', url: `http://${hostileHost}`, repository: '' }] });
    const r = await get(gate, `/v2/open/app/manifests/sha256:${'b'.repeat(64)}`, { headers: ACCEPT });
    assert.equal(r.status, 502);
    assert.equal(r.json.errors?.[0]?.code, 'UNAVAILABLE');
    assert.match(r.json.errors?.[0]?.message ?? '', /larger than the limit of 4194304 bytes/);
  });

  test('a blob whose upstream goes silent past the stall deadline is 503 UNAVAILABLE', { timeout: 20_000 }, async () => {
    // hostile.ts's drip sends its headers with the first byte, a second later: the stall deadline comes first.
    const gate = await startGate({ upstreams: [{ prefix: '', url: `http://${hostileHost}`, repository: '' }], upstreamDeadlines: { stallMs: 300 } });
    const r = await get(gate, `/v2/open/app/blobs/sha256:${'a'.repeat(64)}`);
    assert.equal(r.status, 503);
    assert.equal(r.json.errors?.[0]?.code, 'UNAVAILABLE');
    assert.match(r.json.errors?.[0]?.message ?? '', /no data for 300 ms/);
  });

  test('a trust server that does not answer is 503 UNAVAILABLE, never an allowed pull', { timeout: 20_000 }, async () => {
    const home = await tempDir('vouch-gate-home-');
    const gate = await startGate({
      requestDeadlineMs: 500,
      env: { HOME: home, DOCKER_CONFIG: join(home, 'docker'), DOCKER_CONTENT_TRUST_SERVER: `http://${hostileHost}` },
    });
    const r = await get(gate, '/v2/team/app/manifests/1.0', { headers: ACCEPT });
    assert.equal(r.status, 503);
    assert.equal(r.json.errors?.[0]?.code, 'UNAVAILABLE');
  });
});
