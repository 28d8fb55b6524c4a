import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf, isVouchError } from '../../../src/core/index.js';
import { OciLayoutWriter } from '../../../src/oci/layout.js';
import { DOCKER_MANIFEST } from '../../../src/oci/mediatypes.js';
import { openImageSource, parseLayoutLocation } from '../../../src/oci/transports.js';
import { makeImage, tempDir } from './helpers.js';

test('oci:DIR[:TAG] sources resolve by tag, by digest, or the only image; paths may contain colons', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const layoutDir = join(dir, 'with:colon');
    const img = makeImage('src');
    const w = await OciLayoutWriter.open(layoutDir);
    for (const [digest, bytes] of img.blobs) await w.writeBlob({ digest, size: bytes.length }, bytes);
    await w.writeBlob(img.descriptor, img.manifest);
    w.addManifest(img.descriptor, '1.0');
    await w.commit();
    const byTag = await openImageSource(`oci:${layoutDir}:1.0`);
    assert.equal(byTag.kind, 'oci');
    assert.equal(byTag.path, layoutDir);
    assert.equal(byTag.root.digest, img.descriptor.digest);
    assert.equal(byTag.name, '1.0');
    assert.equal((await openImageSource(`oci:${layoutDir}`)).name, '1.0');
    assert.equal((await openImageSource(`oci:${layoutDir}:${img.descriptor.digest}`)).root.digest, img.descriptor.digest);
    await assert.rejects(openImageSource(`oci:${layoutDir}:2.0`), (e) => isVouchError(e, 'IMAGE_NOT_FOUND'));
    await assert.rejects(openImageSource(`oci:${join(dir, 'absent')}`), (e) => isVouchError(e, 'FILE_NOT_FOUND'));
    await assert.rejects(openImageSource(`docker:${layoutDir}`), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
  } finally { await cleanup(); }
});

/** A legacy `docker save` tar in `dir`: one shared layer, an image (config) per entry of `tags`. */
async function dockerSave(dir: string, tags: string[][], archs: string[] = tags.map(() => 'amd64')): Promise<string> {
  const root = join(dir, 'save');
  await mkdir(join(root, 'l'), { recursive: true });
  await writeFile(join(dir, 'hello'), 'hi\n');
  execFileSync('tar', ['--format=ustar', '-C', dir, '-cf', join(root, 'l', 'layer.tar'), 'hello']);
  const layer = await readFile(join(root, 'l', 'layer.tar'));
  const configs = tags.map((_, i) => `c${i}.json`);
  for (const [i, c] of configs.entries()) {
    await writeFile(join(root, c), JSON.stringify({ os: 'linux', architecture: archs[i], rootfs: { type: 'layers', diff_ids: [digestOf(layer)] } }));
  }
  await writeFile(join(root, 'manifest.json'), JSON.stringify(tags.map((t, i) => ({ Config: configs[i], RepoTags: t, Layers: ['l/layer.tar'] }))));
  const file = join(dir, 'image.tar');
  execFileSync('tar', ['-C', root, '-cf', file, 'manifest.json', ...configs, 'l/layer.tar']);
  return file;
}

test('docker-archive:FILE[:REPO:TAG] sources resolve the named or the only image', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = await dockerSave(dir, [['demo/app:2.1']]);
    const named = await openImageSource(`docker-archive:${file}:demo/app:2.1`);
    assert.equal(named.kind, 'docker-archive');
    assert.equal(named.path, file);
    assert.equal(named.root.mediaType, DOCKER_MANIFEST);
    assert.equal(named.name, '2.1');
    const only = await openImageSource(`docker-archive:${file}`);
    assert.equal(only.root.digest, named.root.digest);
    assert.equal(only.name, '2.1');
    await assert.rejects(openImageSource(`docker-archive:${file}:other:1`), (e) => isVouchError(e, 'IMAGE_NOT_FOUND'));
  } finally { await cleanup(); }
});

test('docker-archive with several images: the one named, else the one tagged as the pushed name:tag, never a looser match', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = await dockerSave(dir, [['127.0.0.1:5000/demo/app:2.1'], ['other/app:2.1']], ['amd64', 'arm64']);
    const named = await openImageSource(`docker-archive:${file}:other/app:2.1`);
    const pushed = await openImageSource(`docker-archive:${file}`, { pushing: { name: '127.0.0.1:5000/demo/app', tag: '2.1' } });
    assert.notEqual(pushed.root.digest, named.root.digest);
    assert.equal((await openImageSource(`docker-archive:${file}:127.0.0.1:5000/demo/app:2.1`)).root.digest, pushed.root.digest);
    // The location's name wins over the pushed one.
    assert.equal((await openImageSource(`docker-archive:${file}:other/app:2.1`, { pushing: { name: '127.0.0.1:5000/demo/app', tag: '2.1' } })).root.digest, named.root.digest);
    await assert.rejects(openImageSource(`docker-archive:${file}`), (e) => isVouchError(e, 'INVALID_ARGUMENT') && /holds 2 images; name one/.test(e.message));
    // Another repository's image that merely has the same tag is not taken.
    await assert.rejects(openImageSource(`docker-archive:${file}`, { pushing: { name: 'third/app', tag: '2.1' } }), (e) => isVouchError(e, 'IMAGE_NOT_FOUND'));
  } finally { await cleanup(); }
});

test('oci: destinations split a trailing tag only', () => {
  assert.deepEqual(parseLayoutLocation('oci:/tmp/out:1.0'), { path: '/tmp/out', tag: '1.0' });
  assert.deepEqual(parseLayoutLocation('oci:/tmp/out'), { path: '/tmp/out' });
  assert.deepEqual(parseLayoutLocation('oci:/tmp/a:b/out'), { path: '/tmp/a:b/out' });
  assert.throws(() => parseLayoutLocation('dir:/tmp/out'), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
  assert.throws(() => parseLayoutLocation('oci:'), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
});
