import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { digestOf, isVouchError } from '../../../src/core/index.js';
import { DockerArchive, listTar } from '../../../src/oci/archive.js';
import { RegistryImageSource, pullImage, pushImage } from '../../../src/oci/copy.js';
import { OciLayout, OciLayoutWriter, blobPath } from '../../../src/oci/layout.js';
import { streamToFileAtomic } from '../../../src/files/index.js';
import { DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, REF_NAME_ANNOTATION } from '../../../src/oci/mediatypes.js';
import { parseManifest } from '../../../src/oci/manifest.js';
import { VerifyingStream } from '../../../src/oci/verify.js';
import { stagingLeftovers, treeSnapshot } from '../../support/fstree.js';
import { makeImage, makeIndex, serve, startLocalRegistry, tempDir, type LocalRegistry, type TestImage } from './helpers.js';
import { RegistryClient } from '../../../src/oci/client.js';

let reg: LocalRegistry;
before(async () => { reg = await startLocalRegistry(); });
after(async () => { await reg.close(); });

async function writeImage(w: OciLayoutWriter, img: TestImage): Promise<void> {
  for (const [digest, bytes] of img.blobs) await w.writeBlob({ digest, size: bytes.byteLength }, bytes);
  await w.writeBlob(img.descriptor, img.manifest);
}

async function collect(s: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

test('layout write/read round trip; nothing is visible at the target until commit', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const target = join(dir, 'layout');
    const img = makeImage('layout', [100, 200]);
    const w = await OciLayoutWriter.open(target);
    await writeImage(w, img);
    w.addManifest(img.descriptor, 'v1');
    assert.deepEqual(await readdir(dir), [readdirStaging(await readdir(dir))], 'only the staging directory exists before commit');
    await w.commit();
    assert.deepEqual(await readdir(dir), ['layout']);
    assert.deepEqual(JSON.parse(await readFile(join(target, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(target, 'index.json'), 'utf8'));
    assert.equal(index.mediaType, OCI_INDEX);
    assert.equal(index.manifests[0].annotations[REF_NAME_ANNOTATION], 'v1');

    const l = await OciLayout.open(target);
    const desc = l.resolve('v1');
    assert.equal(desc.digest, img.descriptor.digest);
    assert.deepEqual(l.resolve(img.descriptor.digest), desc);
    assert.deepEqual(l.resolve(), desc);
    assert.deepEqual(await l.readManifest(desc), img.manifest);
    for (const [digest, bytes] of img.blobs) assert.deepEqual(await collect(await l.openBlob({ digest, size: bytes.byteLength })), bytes);
    await assert.rejects(async () => l.resolve('v2'), (e) => isVouchError(e, 'IMAGE_NOT_FOUND'));
  } finally { await cleanup(); }
});

async function hasLayoutBlob(dir: string, digest: string): Promise<boolean> {
  return (await readdir(dirname(blobPath(dir, digest)))).includes(digest.slice(7));
}

function readdirStaging(names: string[]): string {
  const s = names.find((n) => n.startsWith('.layout.tmp-'));
  assert.ok(s, `a staging directory, got ${JSON.stringify(names)}`);
  return s;
}

test('abort leaves nothing behind; a blob that fails its check leaves no file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const target = join(dir, 'layout');
    const img = makeImage('abort');
    const w = await OciLayoutWriter.open(target);
    const layer = img.layers[0] as Buffer;
    const desc = { digest: digestOf(layer), size: layer.byteLength };
    await assert.rejects(w.writeBlob(desc, Buffer.alloc(layer.byteLength, 'x')), (e) => isVouchError(e, 'HASH_MISMATCH'));
    await assert.rejects(w.writeBlob(desc, Readable.from([Buffer.alloc(layer.byteLength, 'x')])), (e) => isVouchError(e, 'HASH_MISMATCH'));
    await assert.rejects(w.writeBlob(desc, Readable.from([layer, Buffer.from('extra')])), (e) => isVouchError(e, 'LENGTH_MISMATCH'));
    // A stream that checks itself (as the registry client's do) is relied on, not hashed twice:
    // its own check still refuses bad bytes. One that was read from already is checked again.
    const selfChecked = new VerifyingStream(desc);
    selfChecked.end(Buffer.alloc(layer.byteLength, 'x'));
    await assert.rejects(w.writeBlob(desc, selfChecked), (e) => isVouchError(e, 'HASH_MISMATCH'));
    const otherDigest = new VerifyingStream({ digest: digestOf(Buffer.alloc(layer.byteLength, 'x')), size: layer.byteLength });
    otherDigest.end(Buffer.alloc(layer.byteLength, 'x'));
    await assert.rejects(w.writeBlob(desc, otherDigest), (e) => isVouchError(e, 'HASH_MISMATCH'), 'a check for another digest does not count');
    const prefixRead = new VerifyingStream({ digest: digestOf(Buffer.concat([Buffer.from('p'), layer])), size: layer.byteLength + 1 });
    prefixRead.end(Buffer.concat([Buffer.from('p'), layer]));
    assert.equal(prefixRead.read(1)?.toString(), 'p');
    await assert.rejects(w.writeBlob({ digest: digestOf(Buffer.concat([Buffer.from('p'), layer])), size: layer.byteLength + 1 }, prefixRead), (e) => isVouchError(e, 'LENGTH_MISMATCH'), 'a stream read from is checked again');
    const staging = join(dir, readdirStaging(await readdir(dir)));
    assert.deepEqual(await readdir(join(staging, 'blobs', 'sha256')), [], 'no partial blob');
    await w.abort();
    assert.deepEqual(await readdir(dir), []);
  } finally { await cleanup(); }
});

test('commit refuses an index entry whose manifest blob was never written', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const w = await OciLayoutWriter.open(join(dir, 'l'));
    w.addManifest(makeImage('nothing').descriptor, 'v1');
    await assert.rejects(w.commit(), (e) => isVouchError(e, 'BLOB_NOT_FOUND'));
    await w.abort();
    assert.deepEqual(await readdir(dir), []);
  } finally { await cleanup(); }
});

test('adding to an existing layout keeps its entries and replaces a reused ref name', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const a = makeImage('a');
    const b = makeImage('b');
    const c = makeImage('c');
    let w = await OciLayoutWriter.open(dir); // an existing empty directory
    await writeImage(w, a);
    w.addManifest(a.descriptor, 'a');
    await w.commit();
    const before = treeSnapshot(dir);
    w = await OciLayoutWriter.open(dir);
    await writeImage(w, b);
    await writeImage(w, c);
    assert.deepEqual(treeSnapshot(dir), before, 'new blobs wait outside the layout until commit');
    w.addManifest(b.descriptor, 'b');
    w.addManifest(c.descriptor, 'a');
    await w.commit();
    assert.deepEqual(stagingLeftovers(dir), []);
    for (const [digest] of [...b.blobs, ...c.blobs]) assert.ok(await hasLayoutBlob(dir, digest), `${digest} moved in`);
    const l = await OciLayout.open(dir);
    assert.equal(l.manifests.length, 2);
    assert.equal(l.resolve('a').digest, c.descriptor.digest);
    assert.equal(l.resolve('b').digest, b.descriptor.digest);
  } finally { await cleanup(); }
});

test('reading a layout checks content: a corrupted blob on disk is refused', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const img = makeImage('corrupt');
    const w = await OciLayoutWriter.open(join(dir, 'l'));
    await writeImage(w, img);
    w.addManifest(img.descriptor, 'v1');
    await w.commit();
    const root = join(dir, 'l');
    const layer = img.layers[0] as Buffer;
    await writeFile(blobPath(root, digestOf(layer)), Buffer.alloc(layer.byteLength, 'z'));
    await writeFile(blobPath(root, img.descriptor.digest), Buffer.from(img.manifest.toString().replace('schemaVersion', 'schemaVersioN')));
    const l = await OciLayout.open(root);
    await assert.rejects(l.readManifest(img.descriptor), (e) => isVouchError(e, 'HASH_MISMATCH'));
    await assert.rejects(collect(await l.openBlob({ digest: digestOf(layer), size: layer.byteLength })), (e) => isVouchError(e, 'HASH_MISMATCH'));
    await assert.rejects(OciLayout.open(join(dir, 'absent')), (e) => isVouchError(e, 'FILE_NOT_FOUND'));
  } finally { await cleanup(); }
});

test('push from a layout and pull into a new layout preserve every digest', async () => {
  const { dir, cleanup } = await tempDir();
  const client = reg.client();
  try {
    const img = makeImage('copy', [1000, 2000, 3000]);
    const src = await OciLayoutWriter.open(join(dir, 'src'));
    await writeImage(src, img);
    src.addManifest(img.descriptor, '1.0');
    await src.commit();
    const layout = await OciLayout.open(join(dir, 'src'));
    const results: string[] = [];
    const pushed = await pushImage(client, 'copy/app', layout, layout.resolve('1.0'), { tag: '1.0', onBlob: (_d, r) => results.push(r) });
    assert.equal(pushed.digest, img.descriptor.digest);
    assert.deepEqual(results, ['uploaded', 'uploaded', 'uploaded', 'uploaded']);
    // Pushing again uploads nothing.
    const again: string[] = [];
    await pushImage(client, 'copy/app', layout, layout.resolve('1.0'), { tag: '1.0', onBlob: (_d, r) => again.push(r) });
    assert.deepEqual(again, ['exists', 'exists', 'exists', 'exists']);

    const out = await OciLayoutWriter.open(join(dir, 'out'));
    const pulled = await pullImage(client, 'copy/app', '1.0', out);
    out.addManifest(pulled.descriptor, '1.0');
    await out.commit();
    assert.deepEqual(pulled.descriptor, { mediaType: OCI_MANIFEST, digest: img.descriptor.digest, size: img.manifest.byteLength });
    const back = await OciLayout.open(join(dir, 'out'));
    assert.deepEqual(await back.readManifest(back.resolve('1.0')), img.manifest);
    for (const [digest, bytes] of img.blobs) assert.deepEqual(await readFile(blobPath(join(dir, 'out'), digest)), bytes);
  } finally { await cleanup(); }
});

test('a multi-arch index is copied with all its children, by digest', async () => {
  const { dir, cleanup } = await tempDir();
  const client = reg.client();
  try {
    const amd = makeImage('multi-amd64', [500], 'amd64');
    const arm = makeImage('multi-arm64', [600], 'arm64');
    const index = makeIndex([amd, arm], ['amd64', 'arm64']);
    const src = await OciLayoutWriter.open(join(dir, 'src'));
    await writeImage(src, amd);
    await writeImage(src, arm);
    await src.writeBlob(index.descriptor, index.bytes);
    src.addManifest(index.descriptor, 'multi');
    await src.commit();
    const layout = await OciLayout.open(join(dir, 'src'));
    await pushImage(client, 'multi/app', layout, layout.resolve('multi'), { tag: 'multi' });
    assert.deepEqual((await client.getManifest('multi/app', amd.descriptor.digest)).bytes, amd.manifest);
    assert.deepEqual((await client.getManifest('multi/app', arm.descriptor.digest)).bytes, arm.manifest);
    assert.equal((await client.getManifest('multi/app', 'multi')).mediaType, OCI_INDEX);

    const out = await OciLayoutWriter.open(join(dir, 'out'));
    const pulled = await pullImage(client, 'multi/app', index.descriptor.digest, out);
    out.addManifest(pulled.descriptor, 'multi');
    await out.commit();
    const back = await OciLayout.open(join(dir, 'out'));
    const root = parseManifest(await back.readManifest(back.resolve('multi')));
    assert.equal(root.kind, 'index');
    for (const img of [amd, arm]) {
      assert.deepEqual(await back.readManifest(img.descriptor), img.manifest);
      for (const [digest, bytes] of img.blobs) assert.deepEqual(await readFile(blobPath(join(dir, 'out'), digest)), bytes);
    }
  } finally { await cleanup(); }
});

// ---- docker-archive ----

/** Builds a `docker save`-style archive with GNU tar: legacy layout, the second layer a symlink to the first copy. */
async function makeDockerSave(dir: string, opts: { badDiffId?: boolean; modern?: boolean } = {}): Promise<{ file: string; config: Buffer; layers: Buffer[] }> {
  const root = join(dir, 'save');
  const content = join(dir, 'content');
  await mkdir(content, { recursive: true });
  await writeFile(join(content, 'hello.txt'), 'hello from a docker save\n');
  const layerTar = join(dir, 'layer.tar');
  execFileSync('tar', ['--format=ustar', '--mtime=@0', '--owner=0', '--group=0', '-C', content, '-cf', layerTar, 'hello.txt']);
  const layer = await readFile(layerTar);
  await mkdir(root, { recursive: true });
  let layerNames: string[];
  let layers: Buffer[];
  if (opts.modern) {
    // docker 25+: an OCI layout inside, layers under blobs/sha256, here gzip-compressed.
    const gz = gzipSync(layer);
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(root, 'blobs', 'sha256', digestOf(gz).slice(7)), gz);
    layerNames = [`blobs/sha256/${digestOf(gz).slice(7)}`];
    layers = [gz];
  } else {
    await mkdir(join(root, 'aaa'));
    await mkdir(join(root, 'bbb'));
    await writeFile(join(root, 'aaa', 'layer.tar'), layer);
    await symlink('../aaa/layer.tar', join(root, 'bbb', 'layer.tar'));
    layerNames = ['aaa/layer.tar', 'bbb/layer.tar'];
    layers = [layer, layer];
  }
  const diffIds = opts.modern ? [digestOf(layer)] : [digestOf(layer), opts.badDiffId ? digestOf(Buffer.from('other')) : digestOf(layer)];
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configName = `${digestOf(config).slice(7)}.json`;
  await writeFile(join(root, configName), config);
  await writeFile(join(root, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['demo/app:1.0'], Layers: layerNames }]));
  const file = join(dir, 'image.tar');
  execFileSync('tar', ['-C', root, '-cf', file, '.']);
  return { file, config, layers };
}

test('docker-archive: a legacy docker save is read, symlinked layers resolved, and a schema-2 manifest built', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const { file, config, layers } = await makeDockerSave(dir);
    const entries = await listTar(file);
    assert.ok(entries.some((e) => e.name === 'bbb/layer.tar' && e.type === '2' && e.linkName === '../aaa/layer.tar'));
    const a = await DockerArchive.open(file);
    const img = a.resolve('demo/app:1.0');
    assert.deepEqual(a.resolve(), img);
    assert.deepEqual(img.repoTags, ['demo/app:1.0']);
    assert.deepEqual(img.platform, { os: 'linux', architecture: 'amd64' });
    const m = parseManifest(await a.readManifest(img.descriptor), DOCKER_MANIFEST);
    assert.equal(m.kind, 'manifest');
    if (m.kind !== 'manifest') return;
    assert.deepEqual(m.config, { mediaType: DOCKER_CONFIG, digest: digestOf(config), size: config.byteLength });
    assert.deepEqual(m.layers.map((l) => l.mediaType), [DOCKER_LAYER, DOCKER_LAYER]);
    assert.deepEqual(m.layers.map((l) => l.digest), layers.map((l) => digestOf(l)));
    assert.deepEqual(await collect(await a.openBlob(m.config)), config);
    assert.deepEqual(await collect(await a.openBlob(m.layers[1] as { digest: string; size: number })), layers[1]);

    // Pushed as is, and pulled back byte for byte.
    const client = reg.client();
    const pushed = await pushImage(client, 'archive/app', a, img.descriptor, { tag: '1.0' });
    const got = await client.getManifest('archive/app', '1.0');
    assert.equal(got.digest, pushed.digest);
    assert.equal(got.mediaType, DOCKER_MANIFEST);
    assert.deepEqual(await client.readBlob('archive/app', m.config), config);

    const oci = await DockerArchive.open(file, { format: 'oci' });
    const om = parseManifest(await oci.readManifest(oci.resolve().descriptor));
    assert.equal(om.mediaType, OCI_MANIFEST);
    if (om.kind === 'manifest') {
      assert.equal(om.config.mediaType, OCI_CONFIG);
      assert.deepEqual(om.layers.map((l) => l.mediaType), [OCI_LAYER, OCI_LAYER]);
    }
  } finally { await cleanup(); }
});

test('docker-archive: the docker 25+ layout (blobs/sha256, gzip layer) is read too', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const { file, layers } = await makeDockerSave(dir, { modern: true });
    const a = await DockerArchive.open(file);
    const m = parseManifest(await a.readManifest(a.resolve('demo/app:1.0').descriptor));
    assert.ok(m.kind === 'manifest');
    if (m.kind === 'manifest') {
      assert.deepEqual(m.layers, [{ mediaType: DOCKER_LAYER_GZIP, digest: digestOf(layers[0] as Buffer), size: (layers[0] as Buffer).byteLength }]);
    }
  } finally { await cleanup(); }
});

test('docker-archive: a layer that does not match its diff_id, or a file that is not a tar, is refused', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const { file } = await makeDockerSave(dir, { badDiffId: true });
    await assert.rejects(DockerArchive.open(file), (e) => isVouchError(e, 'HASH_MISMATCH'));
    const junk = join(dir, 'junk.tar');
    await writeFile(junk, Buffer.alloc(2048, 'not a tar archive '));
    await assert.rejects(DockerArchive.open(junk), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
    await assert.rejects(DockerArchive.open(join(dir, 'layer.tar')), (e) => isVouchError(e, 'INVALID_ARGUMENT') && /no manifest\.json/.test(e.message));
  } finally { await cleanup(); }
});

test('registry-to-registry copy of a multi-arch index through RegistryImageSource', async () => {
  const { dir, cleanup } = await tempDir();
  const second = await startLocalRegistry();
  try {
    const amd = makeImage('r2r-amd64', [700, 800], 'amd64');
    const arm = makeImage('r2r-arm64', [900], 'arm64');
    const index = makeIndex([amd, arm], ['amd64', 'arm64']);
    const w = await OciLayoutWriter.open(join(dir, 'src'));
    await writeImage(w, amd);
    await writeImage(w, arm);
    await w.writeBlob(index.descriptor, index.bytes);
    w.addManifest(index.descriptor, 'v1');
    await w.commit();
    const layout = await OciLayout.open(join(dir, 'src'));
    const from = reg.client();
    await pushImage(from, 'r2r/app', layout, layout.resolve('v1'), { tag: 'v1', concurrency: 1 });
    const to = second.client();
    const pushed = await pushImage(to, 'copied/app', new RegistryImageSource(from, 'r2r/app'), index.descriptor, { tag: 'v1' });
    assert.equal(pushed.digest, index.descriptor.digest);
    for (const img of [amd, arm]) {
      assert.deepEqual((await to.getManifest('copied/app', img.descriptor.digest)).bytes, img.manifest);
      for (const [digest, bytes] of img.blobs) assert.deepEqual(await to.readBlob('copied/app', { digest, size: bytes.byteLength }), bytes);
    }
  } finally {
    await second.close();
    await cleanup();
  }
});

test('pulling an image with a tampered layer from a hostile registry leaves no layout behind', async () => {
  const img = makeImage('victim', [4096]);
  const layer = img.layers[0] as Buffer;
  const evil = await serve((req, res) => {
    if (req.url === '/v2/') { res.end('{}'); return; }
    if (req.url?.includes('/manifests/')) { res.setHeader('content-type', OCI_MANIFEST); res.end(img.manifest); return; }
    if (req.url?.endsWith(digestOf(img.config))) { res.end(img.config); return; }
    res.end(Buffer.alloc(layer.length, 'evil')); // same length, other bytes
  });
  const { dir, cleanup } = await tempDir();
  const client = new RegistryClient({ registry: evil.host, transportOptions: { retries: 0 } });
  try {
    const target = join(dir, 'pulled');
    const w = await OciLayoutWriter.open(target);
    await assert.rejects(pullImage(client, 'victim/app', '1.0', w), (e) => isVouchError(e, 'HASH_MISMATCH'));
    await w.abort();
    assert.deepEqual(await readdir(dir), [], 'neither the layout nor its staging directory remains');

    // Into an existing layout: the config that did verify is not left behind either.
    const existing = join(dir, 'existing');
    const other = makeImage('bystander');
    const ew = await OciLayoutWriter.open(existing);
    await writeImage(ew, other);
    ew.addManifest(other.descriptor, 'keep');
    await ew.commit();
    const before = treeSnapshot(existing);
    const w2 = await OciLayoutWriter.open(existing);
    await assert.rejects(pullImage(client, 'victim/app', '1.0', w2), (e) => isVouchError(e, 'HASH_MISMATCH'));
    await w2.abort();
    assert.deepEqual(treeSnapshot(existing), before, 'the existing layout is byte for byte as it was');
    assert.deepEqual(stagingLeftovers(existing), []);
  } finally {
    await client.close();
    await evil.close();
    await cleanup();
  }
});

test('listTar reads long names from pax headers and GNU long-name entries, and data offsets', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}.txt`;
    await mkdir(join(dir, 'src', dirOf(long)), { recursive: true });
    await writeFile(join(dir, 'src', long), 'long name content');
    for (const format of ['pax', 'gnu']) {
      const file = join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '-C', join(dir, 'src'), '-cf', file, long]);
      const entry = (await listTar(file)).find((e) => e.name === long);
      assert.ok(entry, `${format}: ${long} listed`);
      const bytes = await readFile(file);
      assert.equal(bytes.subarray(entry.offset, entry.offset + entry.size).toString(), 'long name content');
    }
  } finally { await cleanup(); }
});

function dirOf(p: string): string { return p.slice(0, p.lastIndexOf('/')); }

test('streamToFileAtomic writes a stream of many chunks (several write batches) exactly; a failing stream leaves no file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const chunks = Array.from({ length: 70 }, (_, i) => Buffer.alloc(40_000 + i, i));
    await streamToFileAtomic(join(dir, 'a', 'blob'), Readable.from(chunks));
    assert.deepEqual(await readFile(join(dir, 'a', 'blob')), Buffer.concat(chunks));
    const failing = Readable.from((function* () { yield* chunks; throw new Error('cut off'); })());
    await assert.rejects(streamToFileAtomic(join(dir, 'b'), failing), /cut off/);
    assert.deepEqual((await readdir(dir)).sort(), ['a'], 'no file and no temp file');
  } finally { await cleanup(); }
});
