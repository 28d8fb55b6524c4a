// The registry side against real peers, live on loopback:
//  - skopeo 1.9 copies images INTO `vouch registry` and back OUT (oci: layout <-> docker://),
//    single images, multi-arch indexes and docker schema 2, with digests preserved;
//  - vouch's registry client pushes to and pulls from the real CNCF registry (Debian's
//    docker-registry 2.8) without auth, with htpasswd basic auth and with token auth.
// A missing binary is a failure, not a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { digestOf, isVouchError } from '../../src/core/index.js';
import { DockerArchive, listTar } from '../../src/oci/archive.js';
import { RegistryClient } from '../../src/oci/client.js';
import { pullImage, pushImage } from '../../src/oci/copy.js';
import { OciLayout, OciLayoutWriter, blobPath } from '../../src/oci/layout.js';
import type { Descriptor } from '../../src/oci/manifest.js';
import { DOCKER_MANIFEST, OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST } from '../../src/oci/mediatypes.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { check, run, startPeers, type Peers } from '../support/peers.js';
import { buildImageLayout } from '../support/image.js';

const INSTALL_HINT = 'run scripts/install-deps.sh to install skopeo and docker-registry';

function requireBinary(bin: string): void {
  const found = (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, bin)));
  if (!found) throw new Error(`required binary "${bin}" not found on PATH: ${INSTALL_HINT} (this is a failure, not a skip)`);
}

const scratch: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
}
after(async () => { for (const d of scratch) await rm(d, { recursive: true, force: true }); });

async function skopeo(args: string[]): Promise<string> {
  return check(await run('skopeo', ['--insecure-policy', ...args], { timeoutMs: 180_000 }), `skopeo ${args.join(' ')}`);
}

/** A real tar+gzip image built by the test harness (not pushed); returns its layout and manifest digest. */
async function peersImage(repo: string, tag: string, content: string): Promise<{ layout: string; digest: string }> {
  return buildImageLayout(await tempDir('vouch-img-'), repo, tag, content);
}

/** An OCI layout holding a two-platform index, built with vouch's own writer. */
async function multiArchLayout(tag: string): Promise<{ layout: string; index: Descriptor; children: Descriptor[] }> {
  const layout = join(await tempDir('vouch-multi-'), 'layout');
  const w = await OciLayoutWriter.open(layout);
  const children: Descriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    const layer = gzipSync(Buffer.from(`layer for ${arch}\n`.repeat(100)));
    const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(Buffer.from('x'))] } }));
    const m = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER_GZIP, digest: digestOf(layer), size: layer.length }],
    }));
    await w.writeBlob({ digest: digestOf(layer), size: layer.length }, layer);
    await w.writeBlob({ digest: digestOf(config), size: config.length }, config);
    await w.writeBlob({ digest: digestOf(m), size: m.length }, m);
    children.push({ mediaType: OCI_MANIFEST, digest: digestOf(m), size: m.length, platform: { architecture: arch, os: 'linux' } });
  }
  const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }));
  const index: Descriptor = { mediaType: OCI_INDEX, digest: digestOf(idx), size: idx.length };
  await w.writeBlob(index, idx);
  w.addManifest(index, tag);
  await w.commit();
  return { layout, index, children };
}

async function indexDigest(layout: string, tag: string): Promise<string> {
  return (await OciLayout.open(layout)).resolve(tag).digest;
}

describe('skopeo against vouch registry', () => {
  let reg: RunningRegistry;
  let client: RegistryClient;
  before(async () => {
    requireBinary('skopeo');
    reg = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-registry-root-') });
    client = new RegistryClient({ registry: reg.host });
  });
  after(async () => {
    await client?.close();
    await reg?.close();
  });

  test('skopeo copies an OCI image in and back out with the same digests', async () => {
    const img = await peersImage('skopeo/app', '1.0', 'hello skopeo');
    await skopeo(['copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', `oci:${img.layout}:1.0`, `docker://${reg.host}/skopeo/app:1.0`]);
    const got = await client.getManifest('skopeo/app', '1.0');
    assert.equal(got.digest, img.digest);
    assert.deepEqual(got.bytes, await readFile(blobPath(img.layout, img.digest)));

    const out = join(await tempDir('vouch-out-'), 'layout');
    await skopeo(['copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', `docker://${reg.host}/skopeo/app:1.0`, `oci:${out}:1.0`]);
    assert.equal(await indexDigest(out, '1.0'), img.digest);
    const m = got.manifest;
    assert.equal(m.kind, 'manifest');
    if (m.kind === 'manifest') {
      for (const d of [m.config, ...m.layers]) assert.deepEqual(await readFile(blobPath(out, d.digest)), await readFile(blobPath(img.layout, d.digest)));
    }
    const inspect = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/skopeo/app:1.0`])) as { Digest: string; RepoTags: string[] };
    assert.equal(inspect.Digest, img.digest);
    assert.deepEqual(inspect.RepoTags, ['1.0']);
  });

  test('skopeo copies a multi-arch index in and out (--all), children by digest', async () => {
    const { layout, index, children } = await multiArchLayout('multi');
    await skopeo(['copy', '--quiet', '--all', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${reg.host}/skopeo/multi:1`]);
    const got = await client.getManifest('skopeo/multi', '1');
    assert.equal(got.digest, index.digest);
    assert.equal(got.mediaType, OCI_INDEX);
    for (const c of children) assert.equal((await client.getManifest('skopeo/multi', c.digest)).digest, c.digest);
    const out = join(await tempDir('vouch-out-'), 'layout');
    await skopeo(['copy', '--quiet', '--all', '--preserve-digests', '--src-tls-verify=false', `docker://${reg.host}/skopeo/multi:1`, `oci:${out}:multi`]);
    assert.equal(await indexDigest(out, 'multi'), index.digest);
    const back = await OciLayout.open(out);
    for (const c of children) assert.equal(digestOf(await back.readManifest(c)), c.digest);
  });

  test('skopeo converts to docker schema 2 on the way in; vouch and skopeo read it back; skopeo deletes it', async () => {
    const img = await peersImage('skopeo/v2', '1.0', 'hello v2s2');
    const digestFile = join(await tempDir('vouch-digest-'), 'd');
    await skopeo(['copy', '--quiet', '--format', 'v2s2', '--digestfile', digestFile, '--dest-tls-verify=false', `oci:${img.layout}:1.0`, `docker://${reg.host}/skopeo/v2:1.0`]);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    const got = await client.getManifest('skopeo/v2', '1.0');
    assert.equal(got.mediaType, DOCKER_MANIFEST);
    assert.equal(got.digest, pushed);
    const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/skopeo/v2`])) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['1.0']);
    await skopeo(['delete', '--tls-verify=false', `docker://${reg.host}/skopeo/v2@${pushed}`]);
    await assert.rejects(client.getManifest('skopeo/v2', pushed), (e) => isVouchError(e, 'REGISTRY_NOT_FOUND'));
  });

  test('a docker-archive written by skopeo is read and pushed by vouch; skopeo reads the result', async () => {
    const img = await peersImage('archive/app', '1.0', 'hello docker-archive');
    const archive = join(await tempDir('vouch-archive-'), 'save.tar');
    await skopeo(['copy', '--quiet', `oci:${img.layout}:1.0`, `docker-archive:${archive}:demo/archive:1.0`]);
    const a = await DockerArchive.open(archive);
    const entry = a.resolve('demo/archive:1.0');
    const pushed = await pushImage(client, 'archive/app', a, entry.descriptor, { tag: '1.0' });
    const got = await client.getManifest('archive/app', '1.0');
    assert.equal(got.digest, pushed.digest);
    assert.equal(got.mediaType, DOCKER_MANIFEST);
    // The config is carried byte for byte, so the image ID is the one skopeo wrote.
    const ours = got.manifest.kind === 'manifest' ? got.manifest.config.digest : '';
    const inspect = JSON.parse(await skopeo(['inspect', '--raw', '--config', '--tls-verify=false', `docker://${reg.host}/archive/app:1.0`])) as { rootfs: { diff_ids: string[] } };
    const fromArchive = JSON.parse(await skopeo(['inspect', '--config', `docker-archive:${archive}`])) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(inspect.rootfs.diff_ids, fromArchive.rootfs.diff_ids);
    assert.ok((await listTar(archive)).some((e) => e.name === `${ours.slice(7)}.json`), 'config digest = the image ID skopeo named the config after');
    const back = join(await tempDir('vouch-out-'), 'back.tar');
    await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/archive/app:1.0`, `docker-archive:${back}:demo/archive:1.0`]);
    const again = await DockerArchive.open(back);
    assert.equal(again.resolve().descriptor.digest, entry.descriptor.digest, 'the same archive content makes the same manifest');
  });

  test('skopeo pushes to and pulls from vouch registry over TLS, verifying its certificate', async () => {
    const certs = await tempDir('vouch-tls-');
    check(await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(certs, 'key.pem'), '-out', join(certs, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']), 'openssl req');
    // skopeo treats every *.crt in the cert dir as a CA: give it only the certificate.
    const certDir = await tempDir('vouch-skopeo-certs-');
    await writeFile(join(certDir, 'ca.crt'), await readFile(join(certs, 'cert.pem')));
    const secure = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-registry-tls-'), tls: { certFile: join(certs, 'cert.pem'), keyFile: join(certs, 'key.pem') } });
    try {
      const img = await peersImage('tls/app', '1.0', 'hello tls');
      const untrusted = await run('skopeo', ['--insecure-policy', 'copy', '--quiet', `oci:${img.layout}:1.0`, `docker://${secure.host}/tls/app:1.0`]);
      assert.notEqual(untrusted.code, 0, 'an unknown certificate must be refused');
      await skopeo(['copy', '--quiet', '--preserve-digests', '--dest-cert-dir', certDir, `oci:${img.layout}:1.0`, `docker://${secure.host}/tls/app:1.0`]);
      const out = join(await tempDir('vouch-out-'), 'layout');
      await skopeo(['copy', '--quiet', '--preserve-digests', '--src-cert-dir', certDir, `docker://${secure.host}/tls/app:1.0`, `oci:${out}:1.0`]);
      assert.equal(await indexDigest(out, '1.0'), img.digest);
    } finally {
      await secure.close();
    }
  });

  test('skopeo pushes to and pulls from vouch registry with basic auth', async () => {
    const secured = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-registry-auth-'), auth: { username: 'skopeo', password: 'pw' } });
    try {
      const img = await peersImage('auth/app', '1.0', 'hello auth');
      const denied = await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${img.layout}:1.0`, `docker://${secured.host}/auth/app:1.0`]);
      assert.notEqual(denied.code, 0, 'anonymous push must be refused');
      await skopeo(['copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', 'skopeo:pw', `oci:${img.layout}:1.0`, `docker://${secured.host}/auth/app:1.0`]);
      const out = join(await tempDir('vouch-out-'), 'layout');
      await skopeo(['copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', '--src-creds', 'skopeo:pw', `docker://${secured.host}/auth/app:1.0`, `oci:${out}:1.0`]);
      assert.equal(await indexDigest(out, '1.0'), img.digest);
    } finally {
      await secured.close();
    }
  });
});

/** Pushes a layout image with vouch, pulls it back into a new layout, and checks every byte. */
async function roundTrip(client: RegistryClient, repo: string, layoutDir: string, tag: string, opts: { chunkSize?: number } = {}): Promise<string> {
  const src = await OciLayout.open(layoutDir);
  const root = src.resolve(tag);
  const pushed = await pushImage(client, repo, src, root, { tag, ...opts });
  assert.equal(pushed.digest, root.digest);
  const outDir = join(await tempDir('vouch-pull-'), 'layout');
  const out = await OciLayoutWriter.open(outDir);
  const pulled = await pullImage(client, repo, tag, out);
  out.addManifest(pulled.descriptor, tag);
  await out.commit();
  assert.equal(pulled.descriptor.digest, root.digest);
  const back = await OciLayout.open(outDir);
  assert.deepEqual(await back.readManifest(back.resolve(tag)), await src.readManifest(root));
  return outDir;
}

describe('vouch client against the real docker-registry', () => {
  let peers: Peers;
  before(async () => {
    requireBinary('docker-registry');
    requireBinary('skopeo');
    peers = await startPeers({ registry: true });
  });
  after(async () => { await peers?.stop(); });

  test('push, pull, chunked upload, mount, multi-arch index and tag listing', async () => {
    const client = new RegistryClient({ registry: peers.registryHost as string });
    try {
      assert.match((await client.ping()).apiVersion ?? '', /registry\/2\.0/);
      const img = await peersImage('vouch/app', '1.0', 'pushed by vouch');
      await roundTrip(client, 'vouch/app', img.layout, '1.0');
      // skopeo agrees on what vouch pushed.
      const inspect = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${peers.registryHost}/vouch/app:1.0`])) as { Digest: string };
      assert.equal(inspect.Digest, img.digest);

      const chunked = await peersImage('vouch/chunked', '1.0', 'chunked upload '.repeat(500));
      await roundTrip(client, 'vouch/chunked', chunked.layout, '1.0', { chunkSize: 64 });

      const m = (await client.getManifest('vouch/app', '1.0')).manifest;
      assert.equal(m.kind, 'manifest');
      if (m.kind === 'manifest') {
        assert.equal(await client.pushBlob('vouch/mounted', m.layers[0] as Descriptor, () => { throw new Error('must mount, not upload'); }, { mountFrom: 'vouch/app' }), 'mounted');
        assert.equal(await client.hasBlob('vouch/mounted', (m.layers[0] as Descriptor).digest), true);
      }

      const multi = await multiArchLayout('multi');
      await roundTrip(client, 'vouch/multi', multi.layout, 'multi');
      for (const c of multi.children) assert.equal((await client.getManifest('vouch/multi', c.digest)).digest, c.digest);
      await client.putManifest('vouch/app', '1.1', (await client.getManifest('vouch/app', '1.0')).bytes, OCI_MANIFEST);
      assert.deepEqual((await client.listTags('vouch/app', { pageSize: 1 })).sort(), ['1.0', '1.1']);
    } finally { await client.close(); }
  });

  test('referrers on a registry without the referrers API: the fallback tag index is kept and read', async () => {
    const client = new RegistryClient({ registry: peers.registryHost as string });
    try {
      const img = await peersImage('vouch/signed', '1.0', 'to be signed');
      const src = await OciLayout.open(img.layout);
      const subject = await pushImage(client, 'vouch/signed', src, src.resolve('1.0'), { tag: '1.0' });
      const empty = Buffer.from('{}');
      await client.pushBlob('vouch/signed', { digest: digestOf(empty), size: 2 }, empty);
      const pushed: string[] = [];
      for (const who of ['alice', 'bob']) {
        const payload = Buffer.from(`signed by ${who}`);
        await client.pushBlob('vouch/signed', { digest: digestOf(payload), size: payload.length }, payload);
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example.signature',
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(empty), size: 2 },
          layers: [{ mediaType: 'application/octet-stream', digest: digestOf(payload), size: payload.length }],
          subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
          annotations: { who },
        }));
        const r = await client.pushReferrer('vouch/signed', manifest, OCI_MANIFEST);
        assert.equal(r.fallback, true, 'distribution 2.8 has no referrers API');
        pushed.push(r.digest);
      }
      const listed = await client.listReferrers('vouch/signed', subject.digest, { artifactType: 'application/vnd.example.signature' });
      assert.deepEqual(listed.map((d) => d.digest), pushed);
      assert.deepEqual(listed.map((d) => d.annotations?.who), ['alice', 'bob']);
      const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${peers.registryHost}/vouch/signed`])) as { Tags: string[] };
      assert.deepEqual(tags.Tags.sort(), ['1.0', `sha256-${subject.digest.slice(7)}`]);
    } finally { await client.close(); }
  });

  test('an image pushed by skopeo is pulled by vouch with the digest skopeo reported', async () => {
    const img = await peers.makeImage('skopeo/pushed', '2.0', 'pushed by skopeo', { format: 'v2s2' });
    const client = new RegistryClient({ registry: peers.registryHost as string });
    try {
      const outDir = join(await tempDir('vouch-pull-'), 'layout');
      const out = await OciLayoutWriter.open(outDir);
      const pulled = await pullImage(client, 'skopeo/pushed', '2.0', out);
      out.addManifest(pulled.descriptor, '2.0');
      await out.commit();
      assert.equal(pulled.descriptor.digest, img.digest);
      assert.equal(pulled.descriptor.mediaType, DOCKER_MANIFEST);
      assert.deepEqual(await readFile(blobPath(outDir, img.digest)), await readFile(img.manifestPath));
    } finally { await client.close(); }
  });
});

describe('vouch client against docker-registry with htpasswd basic auth', () => {
  let peers: Peers;
  before(async () => {
    requireBinary('docker-registry');
    peers = await startPeers({ registry: { auth: 'htpasswd', user: 'vouch', password: 'vouch-pw' } });
  });
  after(async () => { await peers?.stop(); });

  test('refused without or with wrong credentials; push and pull with them', async () => {
    const host = peers.registryHost as string;
    const anon = new RegistryClient({ registry: host, transportOptions: { retries: 0 } });
    const wrong = new RegistryClient({ registry: host, transportOptions: { retries: 0, credentials: { username: 'vouch', password: 'nope' } } });
    const ok = new RegistryClient({ registry: host, transportOptions: { credentials: { username: 'vouch', password: 'vouch-pw' } } });
    try {
      await assert.rejects(anon.ping(), (e) => isVouchError(e, 'UNAUTHORIZED'));
      await assert.rejects(wrong.ping(), (e) => isVouchError(e, 'UNAUTHORIZED'));
      const img = await peersImage('basic/app', '1.0', 'basic auth');
      await roundTrip(ok, 'basic/app', img.layout, '1.0');
      await roundTrip(ok, 'basic/chunked', (await peersImage('basic/chunked', '1.0', 'x'.repeat(3000))).layout, '1.0', { chunkSize: 100 });
    } finally {
      await anon.close(); await wrong.close(); await ok.close();
    }
  });
});

describe('vouch client against docker-registry with token auth', () => {
  let peers: Peers;
  before(async () => {
    requireBinary('docker-registry');
    peers = await startPeers({ registry: { auth: 'token' } });
  });
  after(async () => { await peers?.stop(); });

  test('push with pull,push tokens, anonymous pull, refused bad credentials', async () => {
    const host = peers.registryHost as string;
    const tls = { ca: [await readFile(peers.ca)] };
    const user = new RegistryClient({ registry: host, transportOptions: { tls, credentials: { username: 'testuser', password: 'testpassword' } } });
    const anon = new RegistryClient({ registry: host, transportOptions: { tls, retries: 0 } });
    const bad = new RegistryClient({ registry: host, transportOptions: { tls, retries: 0, credentials: { username: 'testuser', password: 'wrong' } } });
    try {
      const img = await peersImage('token/app', '1.0', 'token auth');
      const src = await OciLayout.open(img.layout);
      await assert.rejects(pushImage(bad, 'token/app', src, src.resolve('1.0'), { tag: '1.0' }), (e) => isVouchError(e, 'UNAUTHORIZED'));
      await assert.rejects(pushImage(anon, 'token/app', src, src.resolve('1.0'), { tag: '1.0' }), (e) => isVouchError(e, 'UNAUTHORIZED'));
      await roundTrip(user, 'token/app', img.layout, '1.0', { chunkSize: 128 });
      const got = await anon.getManifest('token/app', '1.0');
      assert.equal(got.digest, img.digest);
      // A mount asks for push on the target and pull on the source in one token.
      if (got.manifest.kind !== 'manifest') throw new Error('expected an image manifest');
      const layer = got.manifest.layers[0] as Descriptor;
      assert.equal(await user.pushBlob('token/mounted', layer, () => { throw new Error('must mount, not upload'); }, { mountFrom: 'token/app' }), 'mounted');
      // The token server granted the scopes vouch asked for: pull,push for the user, pull anonymously.
      const log = await readFile(join(peers.dir, 'logs', 'token-server.log'), 'utf8');
      assert.match(log, /200 service=registry account=testuser access=\[\{"type":"repository","name":"token\/app","actions":\["pull","push"\]\}\]/);
      assert.match(log, /200 service=registry account= access=\[\{"type":"repository","name":"token\/app","actions":\["pull"\]\}\]/);
      assert.match(log, /200 service=registry account=testuser access=\[\{"type":"repository","name":"token\/mounted","actions":\["pull","push"\]\},\{"type":"repository","name":"token\/app","actions":\["pull"\]\}\]/);
    } finally {
      await user.close(); await anon.close(); await bad.close();
    }
  });
});
