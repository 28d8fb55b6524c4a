import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { digestOf, isVouchError } from '../../../src/core/index.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { OCI_MANIFEST } from '../../../src/oci/mediatypes.js';
import { makeImage, serve, startLocalRegistry, tempDir, type LocalRegistry } from './helpers.js';

let reg: LocalRegistry;
let client: RegistryClient;
before(async () => {
  reg = await startLocalRegistry();
  client = reg.client();
});
after(async () => { await reg.close(); });

async function pushTestImage(c: RegistryClient, repo: string, img: ReturnType<typeof makeImage>, tag: string): Promise<string> {
  for (const [digest, bytes] of img.blobs) await c.pushBlob(repo, { digest, size: bytes.byteLength }, bytes);
  return c.putManifest(repo, tag, img.manifest, OCI_MANIFEST);
}

/** A proxy in front of the registry that records "METHOD path" of every request. */
async function recordingProxy(target: string, opts: { withoutReferrers?: boolean } = {}): Promise<{ host: string; log: string[]; close: () => Promise<void> }> {
  const log: string[] = [];
  const t = new URL(target);
  const p = await serve((req, res) => {
    log.push(`${req.method} ${req.url}`);
    // Playing a registry without the referrers API (like distribution 2.8).
    if (opts.withoutReferrers && req.url?.includes('/referrers/')) { res.statusCode = 404; res.end('404 page not found'); return; }
    const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      if (opts.withoutReferrers) delete r.headers['oci-subject'];
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  return { host: p.host, log, close: p.close };
}

test('ping chooses plain http for a loopback registry without TLS', async () => {
  const c = reg.client();
  const r = await c.ping();
  assert.equal(r.url, `http://${reg.host}`);
  assert.equal(r.apiVersion, 'registry/2.0');
});

test('a non-loopback registry is https only; docker.io is served from registry-1.docker.io', async () => {
  const c = new RegistryClient({ registry: 'registry.invalid:5000' });
  assert.equal(await c.baseUrl(), 'https://registry.invalid:5000');
  await c.close();
  const hub = new RegistryClient({ registry: 'docker.io' });
  assert.equal(await hub.baseUrl(), 'https://registry-1.docker.io');
  assert.equal(hub.registry, 'docker.io');
  await hub.close();
});

test('monolithic blob upload, existence check skips the second upload, download checks and writes the file', async () => {
  const bytes = Buffer.alloc(5000, 'blob-data');
  const desc = { digest: digestOf(bytes), size: bytes.byteLength };
  assert.equal(await client.hasBlob('mono/app', desc.digest), false);
  assert.equal(await client.pushBlob('mono/app', desc, bytes), 'uploaded');
  assert.equal(await client.hasBlob('mono/app', desc.digest), true);
  assert.equal(await client.pushBlob('mono/app', desc, bytes), 'exists');
  const { dir, cleanup } = await tempDir();
  try {
    await client.fetchBlob('mono/app', desc, join(dir, 'out'));
    assert.deepEqual(await readFile(join(dir, 'out')), bytes);
    assert.deepEqual(await readdir(dir), ['out']);
  } finally { await cleanup(); }
});

test('chunked upload sends PATCH chunks with Content-Range, then PUT with the digest', async () => {
  const proxy = await recordingProxy(reg.url);
  const c = new RegistryClient({ registry: proxy.host, scheme: 'http', transportOptions: { retries: 0 } });
  try {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const desc = { digest: digestOf(bytes), size: bytes.byteLength };
    const source = (): Readable => Readable.from([bytes.subarray(0, 123), bytes.subarray(123, 900), bytes.subarray(900)]);
    assert.equal(await c.pushBlob('chunk/app', desc, source, { chunkSize: 300 }), 'uploaded');
    const methods = proxy.log.map((l) => l.split(' ')[0]);
    assert.deepEqual(methods, ['HEAD', 'POST', 'PATCH', 'PATCH', 'PATCH', 'PATCH', 'PUT']);
    assert.match(proxy.log.at(-1) ?? '', /digest=sha256%3A[0-9a-f]{64}/);
    assert.deepEqual(await client.readBlob('chunk/app', desc), bytes);
  } finally {
    await c.close();
    await proxy.close();
  }
});

test('cross-repository mount: the blob is linked without being uploaded again', async () => {
  const bytes = Buffer.alloc(2048, 'mount-me');
  const desc = { digest: digestOf(bytes), size: bytes.byteLength };
  await client.pushBlob('mount/src', desc, bytes);
  const proxy = await recordingProxy(reg.url);
  const c = new RegistryClient({ registry: proxy.host, scheme: 'http', transportOptions: { retries: 0 } });
  try {
    assert.equal(await c.pushBlob('mount/dst', desc, () => { throw new Error('must not read the source'); }, { mountFrom: 'mount/src' }), 'mounted');
    assert.ok(proxy.log.some((l) => l.startsWith('POST /v2/mount/dst/blobs/uploads/?mount=sha256%3A') && l.includes('from=mount%2Fsrc')));
    assert.ok(!proxy.log.some((l) => l.startsWith('PUT') || l.startsWith('PATCH')));
    assert.equal(await client.hasBlob('mount/dst', desc.digest), true);
    // A mount from a repository that lacks the blob falls back to a normal upload.
    const other = Buffer.alloc(10, 'x');
    assert.equal(await c.pushBlob('mount/dst', { digest: digestOf(other), size: 10 }, other, { mountFrom: 'mount/empty' }), 'uploaded');
  } finally {
    await c.close();
    await proxy.close();
  }
});

test('a corrupt local source is refused while uploading and nothing is committed', async () => {
  const good = Buffer.alloc(100, 'a');
  const bad = Buffer.alloc(100, 'b');
  const desc = { digest: digestOf(good), size: 100 };
  await assert.rejects(client.pushBlob('corrupt/app', desc, () => Readable.from([bad])), (e) => isVouchError(e, 'HASH_MISMATCH'));
  assert.equal(await client.hasBlob('corrupt/app', desc.digest), false);
});

test('manifest round trip by tag and digest; HEAD reports the digest; tags are listed across pages', async () => {
  const img = makeImage('rt', [300, 400]);
  const digest = await pushTestImage(client, 'rt/app', img, 'v1');
  assert.equal(digest, img.descriptor.digest);
  const byTag = await client.getManifest('rt/app', 'v1');
  assert.deepEqual(byTag.bytes, img.manifest);
  assert.equal(byTag.digest, digest);
  assert.equal(byTag.mediaType, OCI_MANIFEST);
  assert.equal(byTag.manifest.kind, 'manifest');
  const byDigest = await client.getManifest('rt/app', digest);
  assert.deepEqual(byDigest.bytes, img.manifest);
  assert.deepEqual(await client.headManifest('rt/app', 'v1'), { digest, size: img.manifest.byteLength, mediaType: OCI_MANIFEST });
  assert.equal(await client.headManifest('rt/app', 'nope'), undefined);
  for (const t of ['v2', 'v3', 'a', 'b']) await client.putManifest('rt/app', t, img.manifest, OCI_MANIFEST);
  assert.deepEqual(await client.listTags('rt/app', { pageSize: 2 }), ['a', 'b', 'v1', 'v2', 'v3']);
  assert.ok((await client.catalog({ pageSize: 1 })).includes('rt/app'));
  await client.deleteManifest('rt/app', digest);
  await assert.rejects(client.getManifest('rt/app', 'v1'), (e) => isVouchError(e, 'REGISTRY_NOT_FOUND') && (e.details.codes as string[]).includes('MANIFEST_UNKNOWN'));
});

test('a gateway that says the registry is down (502, 503, 504) is UNREACHABLE; another failed status is REMOTE_ERROR', async () => {
  let status = 503;
  const gw = await serve((_req, res) => { res.writeHead(status, { 'content-type': 'text/plain' }).end('down'); });
  const c = new RegistryClient({ registry: gw.host, scheme: 'http', transportOptions: { retries: 0 } });
  try {
    for (const s of [502, 503, 504]) {
      status = s;
      await assert.rejects(c.getManifest('gw/app', 'v1'), (e) => isVouchError(e, 'UNREACHABLE') && e.outcome === 'inconclusive' && e.details.status === s, String(s));
    }
    status = 500;
    await assert.rejects(c.getManifest('gw/app', 'v1'), (e) => isVouchError(e, 'REMOTE_ERROR') && e.details.status === 500);
  } finally {
    await c.close();
    await gw.close();
  }
});

test('a manifest PUT that references a missing blob is refused with the registry code', async () => {
  const img = makeImage('missing');
  await assert.rejects(client.putManifest('missing/app', 'v1', img.manifest, OCI_MANIFEST),
    (e) => isVouchError(e, 'REMOTE_ERROR') && (e.details.codes as string[]).includes('MANIFEST_BLOB_UNKNOWN'));
});

test('an oversized manifest is refused before it is sent', async () => {
  const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
  await assert.rejects(client.putManifest('big/app', 'v1', big, OCI_MANIFEST), (e) => isVouchError(e, 'TOO_LARGE'));
});

test('basic auth: refused without credentials, accepted with them (the streamed PUT carries them up front)', async () => {
  const secured = await startLocalRegistry({ auth: { username: 'alice', password: 's3cret' } });
  try {
    await assert.rejects(secured.client().ping(), (e) => isVouchError(e, 'UNAUTHORIZED'));
    await assert.rejects(secured.client({ transportOptions: { credentials: { username: 'alice', password: 'wrong' }, retries: 0 } }).ping(), (e) => isVouchError(e, 'UNAUTHORIZED'));
    const c = secured.client({ transportOptions: { credentials: { username: 'alice', password: 's3cret' }, retries: 0 } });
    const img = makeImage('auth');
    const blob = img.layers[0] as Buffer;
    assert.equal(await c.pushBlob('auth/app', { digest: digestOf(blob), size: blob.byteLength }, () => Readable.from([blob])), 'uploaded');
    await c.pushBlob('auth/app', { digest: digestOf(img.config), size: img.config.byteLength }, img.config);
    await c.putManifest('auth/app', 'v1', img.manifest, OCI_MANIFEST);
    assert.deepEqual((await c.getManifest('auth/app', 'v1')).bytes, img.manifest);
  } finally { await secured.close(); }
});

test('blob descriptors over the configured limit are refused before any download', async () => {
  const c = reg.client({ maxBlobBytes: 100 });
  await assert.rejects(c.openBlob('x/y', { digest: digestOf(Buffer.alloc(101)), size: 101 }), (e) => isVouchError(e, 'TOO_LARGE'));
});

// ---- a hostile registry ----

const content = Buffer.alloc(4000, 'genuine');
const contentDesc = { digest: digestOf(content), size: content.byteLength };
const img = makeImage('hostile');

type Mode = 'tamper' | 'long' | 'short' | 'longChunked' | 'manifestSwap' | 'lyingHeader' | 'hugeManifest' | 'hugeManifestChunked';
async function hostile(mode: Mode): Promise<{ host: string; close: () => Promise<void>; seen: (string | undefined)[] }> {
  const seen: (string | undefined)[] = [];
  const s = await serve((req, res) => {
    seen.push(req.headers.authorization);
    if (req.url === '/v2/') { res.end('{}'); return; }
    if (req.url?.includes('/blobs/')) {
      if (mode === 'tamper') { res.setHeader('content-length', content.length); res.end(Buffer.alloc(content.length, 'tampered')); return; }
      if (mode === 'long') { res.setHeader('content-length', content.length + 10); res.end(Buffer.concat([content, Buffer.alloc(10)])); return; }
      if (mode === 'longChunked') { res.write(content); res.end(Buffer.alloc(10)); return; }
      if (mode === 'short') { res.end(content.subarray(0, 100)); return; }
    }
    if (req.url?.includes('/manifests/')) {
      res.setHeader('content-type', OCI_MANIFEST);
      if (mode === 'manifestSwap') { res.end(makeImage('other').manifest); return; }
      if (mode === 'lyingHeader') { res.setHeader('docker-content-digest', digestOf(Buffer.from('something else'))); res.end(img.manifest); return; }
      if (mode === 'hugeManifest') { const big = Buffer.alloc(5 * 1024 * 1024, 0x20); res.setHeader('content-length', big.length); res.end(big); return; }
      if (mode === 'hugeManifestChunked') {
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        let n = 0;
        const pump = (): void => { while (n < 6) { n++; if (!res.write(chunk)) { res.once('drain', pump); return; } } res.end(); };
        pump();
        return;
      }
      res.end(img.manifest);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  return { host: s.host, close: s.close, seen };
}

async function assertNoFileLeft(dir: string): Promise<void> {
  assert.deepEqual(await readdir(dir), [], 'no partial output may remain');
}

for (const [mode, code] of [['tamper', 'HASH_MISMATCH'], ['long', 'LENGTH_MISMATCH'], ['longChunked', 'LENGTH_MISMATCH'], ['short', 'LENGTH_MISMATCH']] as const) {
  test(`a hostile registry serving a ${mode} blob: ${code}, and no partial file is left`, async () => {
    const h = await hostile(mode);
    const c = new RegistryClient({ registry: h.host, transportOptions: { retries: 0 } });
    const { dir, cleanup } = await tempDir();
    try {
      await assert.rejects(c.fetchBlob('evil/app', contentDesc, join(dir, 'layer')), (e) => isVouchError(e, code));
      await assertNoFileLeft(dir);
      const sink = new PassThrough();
      sink.resume();
      await assert.rejects(c.fetchBlob('evil/app', contentDesc, sink), (e) => isVouchError(e, code));
    } finally {
      await c.close();
      await h.close();
      await cleanup();
    }
  });
}

test('a hostile registry answering a digest request with other bytes: HASH_MISMATCH', async () => {
  const h = await hostile('manifestSwap');
  const c = new RegistryClient({ registry: h.host, transportOptions: { retries: 0 } });
  try {
    await assert.rejects(c.getManifest('evil/app', img.descriptor.digest), (e) => isVouchError(e, 'HASH_MISMATCH'));
  } finally { await c.close(); await h.close(); }
});

test('a Docker-Content-Digest header that disagrees with the bytes is refused', async () => {
  const h = await hostile('lyingHeader');
  const c = new RegistryClient({ registry: h.host, transportOptions: { retries: 0 } });
  try {
    await assert.rejects(c.getManifest('evil/app', 'v1'), (e) => isVouchError(e, 'HASH_MISMATCH'));
  } finally { await c.close(); await h.close(); }
});

for (const mode of ['hugeManifest', 'hugeManifestChunked'] as const) {
  test(`an oversized manifest from the registry is refused (${mode === 'hugeManifest' ? 'declared length' : 'chunked'})`, async () => {
    const h = await hostile(mode);
    const c = new RegistryClient({ registry: h.host, transportOptions: { retries: 0 } });
    try {
      await assert.rejects(c.getManifest('evil/app', 'v1'), (e) => isVouchError(e, 'TOO_LARGE'));
    } finally { await c.close(); await h.close(); }
  });
}

test('a blob redirect to another origin is followed without the Authorization header', async () => {
  const storeAuth: (string | undefined)[] = [];
  const store = await serve((req, res) => { storeAuth.push(req.headers.authorization); res.end(content); });
  const registryAuth: (string | undefined)[] = [];
  const registry = await serve((req, res) => {
    registryAuth.push(req.headers.authorization);
    if (!req.headers.authorization) {
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Basic realm="r"');
      res.end();
      return;
    }
    res.statusCode = 307;
    res.setHeader('location', `${store.url}/objects/${contentDesc.digest}`);
    res.end();
  });
  const c = new RegistryClient({ registry: registry.host, scheme: 'http', transportOptions: { retries: 0, credentials: { username: 'u', password: 'p' } } });
  try {
    assert.deepEqual(await c.readBlob('r/app', contentDesc), content);
    assert.deepEqual(registryAuth, [undefined, 'Basic ' + Buffer.from('u:p').toString('base64')]);
    assert.deepEqual(storeAuth, [undefined]);
  } finally { await c.close(); await registry.close(); await store.close(); }
});

test('a loopback registry serving TLS is reached over https, verified with the given CA', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const cert = await readFile(join(dir, 'cert.pem'));
    const secure = await startLocalRegistry({ tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    try {
      assert.ok(secure.url.startsWith('https://'));
      const c = secure.client({ transportOptions: { tls: { ca: [cert] }, retries: 0 } });
      assert.equal((await c.ping()).url, `https://${secure.host}`);
      const bytes = Buffer.from('over tls');
      const desc = { digest: digestOf(bytes), size: bytes.byteLength };
      await c.pushBlob('tls/app', desc, bytes);
      assert.deepEqual(await c.readBlob('tls/app', desc), bytes);
      // Without the CA the certificate is not trusted, and plain http is no way around it.
      await assert.rejects(secure.client().ping(), (e) => isVouchError(e, 'NETWORK'));
    } finally { await secure.close(); }
  } finally { await cleanup(); }
});

/** A signature-like artifact manifest whose subject is `subject`. */
function artifactFor(subject: { digest: string; size: number }, artifactType: string, note: string): { manifest: Buffer; blob: Buffer } {
  const blob = Buffer.from(`signature over ${subject.digest}: ${note}`);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(Buffer.from('{}')), size: 2 },
    layers: [{ mediaType: 'application/octet-stream', digest: digestOf(blob), size: blob.byteLength }],
    subject: { mediaType: OCI_MANIFEST, ...subject },
    annotations: { note },
  }));
  return { manifest, blob };
}

async function pushArtifact(c: RegistryClient, repo: string, a: { manifest: Buffer; blob: Buffer }): Promise<{ digest: string; fallback: boolean }> {
  const empty = Buffer.from('{}');
  await c.pushBlob(repo, { digest: digestOf(empty), size: 2 }, empty);
  await c.pushBlob(repo, { digest: digestOf(a.blob), size: a.blob.byteLength }, a.blob);
  return c.pushReferrer(repo, a.manifest, OCI_MANIFEST);
}

test('referrers: vouch registry indexes subjects (OCI-Subject) and lists them, filtered by artifactType', async () => {
  const img = makeImage('subject');
  const subject = { digest: await pushTestImage(client, 'ref/app', img, 'v1'), size: img.manifest.byteLength };
  const sig = artifactFor(subject, 'application/vnd.example.signature', 'one');
  const sbom = artifactFor(subject, 'application/vnd.example.sbom', 'two');
  assert.deepEqual(await pushArtifact(client, 'ref/app', sig), { digest: digestOf(sig.manifest), fallback: false });
  await pushArtifact(client, 'ref/app', sbom);
  const all = await client.listReferrers('ref/app', subject.digest);
  assert.deepEqual(all.map((d) => d.digest).sort(), [digestOf(sig.manifest), digestOf(sbom.manifest)].sort());
  const sigs = await client.listReferrers('ref/app', subject.digest, { artifactType: 'application/vnd.example.signature' });
  assert.deepEqual(sigs, [{ mediaType: OCI_MANIFEST, digest: digestOf(sig.manifest), size: sig.manifest.byteLength, artifactType: 'application/vnd.example.signature', annotations: { note: 'one' } }]);
  assert.deepEqual(await client.listReferrers('ref/app', digestOf(Buffer.from('nothing refers to this'))), []);
  await assert.rejects(client.getManifest('ref/app', `sha256-${subject.digest.slice(7)}`), (e) => isVouchError(e, 'REGISTRY_NOT_FOUND'), 'no fallback tag when the registry indexes subjects');
});

test('referrers: without the API the client keeps the referrers tag index, and reads it back', async () => {
  const proxy = await recordingProxy(reg.url, { withoutReferrers: true });
  const c = new RegistryClient({ registry: proxy.host, scheme: 'http', transportOptions: { retries: 0 } });
  try {
    const img = makeImage('fallback-subject');
    const subject = { digest: await pushTestImage(c, 'reffb/app', img, 'v1'), size: img.manifest.byteLength };
    const one = artifactFor(subject, 'application/vnd.example.signature', 'one');
    const two = artifactFor(subject, 'application/vnd.example.signature', 'two');
    assert.equal((await pushArtifact(c, 'reffb/app', one)).fallback, true);
    assert.equal((await pushArtifact(c, 'reffb/app', two)).fallback, true);
    await pushArtifact(c, 'reffb/app', one); // again: not listed twice
    const tag = `sha256-${subject.digest.slice(7)}`;
    const idx = await c.getManifest('reffb/app', tag);
    assert.equal(idx.manifest.kind, 'index');
    const listed = await c.listReferrers('reffb/app', subject.digest);
    assert.deepEqual(listed.map((d) => d.digest), [digestOf(one.manifest), digestOf(two.manifest)]);
    assert.deepEqual(listed.map((d) => d.annotations?.note), ['one', 'two']);
    assert.deepEqual(await c.listReferrers('reffb/app', subject.digest, { artifactType: 'other' }), []);
    assert.deepEqual(await c.listReferrers('reffb/app', digestOf(Buffer.from('unreferenced'))), []);
  } finally {
    await c.close();
    await proxy.close();
  }
});

test('large blobs stream through both upload kinds and download into a file', async () => {
  const big = Buffer.alloc(12 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
  const desc = { digest: digestOf(big), size: big.byteLength };
  const source = (): Readable => Readable.from((function* () { for (let i = 0; i < big.length; i += 1 << 20) yield big.subarray(i, i + (1 << 20)); })());
  assert.equal(await client.pushBlob('large/mono', desc, source), 'uploaded');
  assert.equal(await client.pushBlob('large/chunked', desc, source, { chunkSize: 5 * 1024 * 1024 }), 'uploaded');
  const { dir, cleanup } = await tempDir();
  try {
    for (const repo of ['large/mono', 'large/chunked']) {
      const file = join(dir, repo.replace('/', '-'));
      await client.fetchBlob(repo, desc, file);
      assert.equal(digestOf(await readFile(file)), desc.digest);
    }
  } finally { await cleanup(); }
});

test('repository names, tags and digests are checked before any request', async () => {
  for (const [repo, ref] of [['../etc', 'v1'], ['a/b?x=1', 'v1'], ['UPPER', 'v1'], ['a/b', '../../x'], ['a/b', 'sha256:short'], ['a/b', 'v1/../x']]) {
    await assert.rejects(client.getManifest(repo as string, ref as string), (e) => isVouchError(e, 'INVALID_ARGUMENT'), `${repo} ${ref}`);
  }
  await assert.rejects(client.hasBlob('a/b', 'v1'), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(client.listTags('a/../b'), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(client.pushBlob('a/b', contentDesc, content, { mountFrom: '../x' }), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
});

test('referrers: with a limit, a registry that pages without end is read only as far as needed', async () => {
  let requests = 0;
  const subject = digestOf(Buffer.from('paged subject'));
  const fake = await serve((req, res) => {
    requests++;
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '0');
    const manifests = [0, 1].map((i) => ({ mediaType: OCI_MANIFEST, digest: digestOf(Buffer.from(`ref ${page} ${i}`)), size: 10, artifactType: i === 0 ? 'application/vnd.cncf.notary.signature' : 'other' }));
    res.setHeader('content-type', 'application/vnd.oci.image.index.v1+json');
    res.setHeader('link', `</v2/paged/app/referrers/${subject}?page=${page + 1}>; rel="next"`);
    res.end(JSON.stringify({ schemaVersion: 2, manifests }));
  });
  const c = new RegistryClient({ registry: fake.host, scheme: 'http', transportOptions: { retries: 0 } });
  try {
    const got = await c.listReferrers('paged/app', subject, { artifactType: 'application/vnd.cncf.notary.signature', limit: 3 });
    assert.equal(got.length, 3);
    assert.ok(got.every((d) => d.artifactType === 'application/vnd.cncf.notary.signature'));
    assert.equal(requests, 3, 'one page per wanted referrer here, and not one more');
  } finally {
    await c.close();
    await fake.close();
  }
});
