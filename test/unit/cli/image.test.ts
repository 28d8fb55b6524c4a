// vouch push / vouch pull through the CLI against an in-process trust server and registry:
// content trust from DOCKER_CONTENT_TRUST, usage errors, and the --docker hand-off's failure path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import { loadServerConfig, runServer, type RunningServer } from '../../../src/server/index.js';
import { runRegistry, type RunningRegistry } from '../../../src/registry/index.js';
import { generateKey } from '../../../src/keys/index.js';
import { FakeNotary, RepoBuilder } from '../client/fake.js';
import { assertNothingWritten, treeSnapshot } from '../../support/fstree.js';

describe('vouch push / pull CLI', () => {
  let dir: string;
  let server: RunningServer;
  let registry: RunningRegistry;
  let env: Record<string, string>;
  let img: DemoImage;
  let image: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vouch-cli-image-'));
    server = await runServer(loadServerConfig({ cwd: dir, env: {}, readFile: () => '', overrides: { addr: '127.0.0.1:0', storage: 'memory', logLevel: 'silent' } }), { handleSignals: false, logger: false });
    registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
    env = {
      HOME: dir,
      DOCKER_CONFIG: join(dir, 'docker'),
      DOCKER_CONTENT_TRUST_SERVER: server.url,
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'root-passphrase-1',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-passphrase-1',
    };
    img = await writeDemoImage(join(dir, 'img'), '1.0', 'cli test\n');
    image = `${registry.host}/cli/app`;
  });
  after(async () => { await registry?.close(); await server?.close(); });

  test('DOCKER_CONTENT_TRUST=1 push signs; pull verifies and prints docker\'s resolution line', async () => {
    const trusted = { ...env, DOCKER_CONTENT_TRUST: '1' };
    const p = await runCli(['push', `${image}:1.0`, '--from', `oci:${join(dir, 'img')}`], trusted, dir);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, new RegExp(`^1\\.0: digest: ${img.manifest.digest} size: ${img.manifest.size}\\n`));
    assert.match(p.stdout, /Successfully signed/);
    const r = await runCli(['pull', `${image}:1.0`, '--to', 'oci:out'], trusted, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Pull (1 of 1): ${image}:1.0@${img.manifest.digest}\nDigest: ${img.manifest.digest}\nWritten to ${join(dir, 'out')}\n`);
  });

  test('without content trust, push does not sign and pull goes by tag', async () => {
    const p = await runCli(['push', `${image}:plain`, '--from', `oci:${join(dir, 'img')}`], env, dir);
    assert.equal(p.code, 0, p.stderr);
    assert.doesNotMatch(p.stdout, /sign/i);
    const r = await runCli(['pull', `${image}:plain`, '--to', 'oci:out-plain'], env, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Pull \(1 of 1\)/);
    // --verify turns it on: the tag was never signed.
    const v = await runCli(['pull', `${image}:plain`, '--verify', '--to', 'oci:out-v'], env, dir);
    assert.equal(v.code, 1);
    assert.match(v.stderr, /No trust data for plain/);
    assertNothingWritten(join(dir, 'out-v'));
  });

  test('a manifest tampered with in the registry\'s storage is refused; nothing is written, an existing layout is left as it was', async () => {
    const trusted = { ...env, DOCKER_CONTENT_TRUST: '1' };
    const repo = `${registry.host}/cli/tampered`;
    const p = await runCli(['push', `${repo}:1.0`, '--from', `oci:${join(dir, 'img')}`], trusted, dir);
    assert.equal(p.code, 0, p.stderr);
    const existing = join(dir, 'existing-tampered');
    const ok = await runCli(['pull', `${image}:1.0`, '--to', `oci:${existing}`], trusted, dir);
    assert.equal(ok.code, 0, ok.stderr);
    const before = treeSnapshot(existing);
    const file = join(dir, 'registry', 'blobs', 'sha256', img.manifest.digest.slice(7));
    const original = readFileSync(file);
    // Same length, one byte changed inside the JSON: the tag still names the signed digest.
    writeFileSync(file, Buffer.from(original.toString('latin1').replace('"schemaVersion":2', '"schemaVersion":3'), 'latin1'));
    try {
      for (const out of [join(dir, 'out-tampered'), existing]) {
        const r = await runCli(['pull', `${repo}:1.0`, '--to', `oci:${out}`], trusted, dir);
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, new RegExp(`manifest requested as ${img.manifest.digest} hashes to sha256:[0-9a-f]{64}`));
      }
      assertNothingWritten(join(dir, 'out-tampered'));
      assert.deepEqual(treeSnapshot(existing), before, 'the existing layout is byte for byte as it was');
    } finally {
      writeFileSync(file, original);
    }
  });

  test('trust data with an invalid signature or a tampered targets.json is refused; nothing is written', async () => {
    // A trust server that serves what the test makes it serve, for an image pushed unsigned.
    const repoName = `${registry.host}/cli/missigned`;
    const p = await runCli(['push', `${repoName}:1.0`, '--from', `oci:${join(dir, 'img')}`], env, dir);
    assert.equal(p.code, 0, p.stderr);
    const manifest = readFileSync(join(dir, 'img', 'blobs', 'sha256', img.manifest.digest.slice(7)), 'utf8');
    const fake = new FakeNotary(repoName);
    await fake.start();
    try {
      const trust = await RepoBuilder.create(repoName, new Date(), []);
      assert.equal(trust.sign('1.0', manifest, 'targets'), img.manifest.digest.slice(7));
      await trust.publish(fake);
      let n = 0;
      // A fresh trust cache each time: the client sees only what the server serves now.
      const pull = (out: string) => runCli(['pull', `${repoName}:1.0`, '--verify', '--to', `oci:${join(dir, out)}`], { ...env, DOCKER_CONFIG: join(dir, `docker-missigned-${n++}`), DOCKER_CONTENT_TRUST_SERVER: fake.url }, dir);
      const good = await pull('out-signed');
      assert.equal(good.code, 0, good.stderr);

      // targets.json changed after signing (another digest for 1.0): the snapshot's checksum no longer matches.
      const path = [...fake.files.keys()].find((k) => /^targets\.[0-9a-f]{64}\.json$/.test(k)) as string;
      const signedTargets = fake.files.get(path) as Buffer;
      fake.files.set(path, Buffer.from(signedTargets.toString('utf8').replace(Buffer.from(img.manifest.digest.slice(7), 'hex').toString('base64'), Buffer.alloc(32, 1).toString('base64'))));
      const tampered = await pull('out-tampered-targets');
      assert.equal(tampered.code, 1, tampered.stdout);
      assert.match(tampered.stderr, /targets metadata failed the hash check/);
      assertNothingWritten(join(dir, 'out-tampered-targets'));

      // targets.json signed by a key the root does not list (snapshot and timestamp are consistent with it).
      trust.targetsKey = generateKey('ecdsa');
      trust.touch('targets');
      await trust.publish(fake);
      const missigned = await pull('out-missigned');
      assert.equal(missigned.code, 1, missigned.stdout);
      assert.match(missigned.stderr, /targets metadata failed the signature threshold check/);
      assertNothingWritten(join(dir, 'out-missigned'));
    } finally {
      await fake.stop();
    }
  });

  test('push --from docker-archive:FILE (as skopeo and docker save write it) pushes and signs that image; pull verifies it', async () => {
    const trusted = { ...env, DOCKER_CONTENT_TRUST: '1' };
    execFileSync('skopeo', ['copy', '--quiet', `oci:${join(dir, 'img')}:1.0`, `docker-archive:${join(dir, 'app.tar')}:demo/archive:1.0`], { stdio: 'pipe' });
    const repo = `${registry.host}/cli/archive`;
    // A path relative to the working directory, the image named as in the archive.
    const p = await runCli(['push', `${repo}:2.0`, '--from', 'docker-archive:app.tar:demo/archive:1.0'], trusted, dir);
    assert.equal(p.code, 0, p.stderr);
    const m = /^2\.0: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(p.stdout);
    assert.ok(m, p.stdout);
    assert.match(p.stdout, /Successfully signed/);
    const r = await runCli(['pull', `${repo}:2.0`, '--to', 'oci:out-archive'], trusted, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Pull \\(1 of 1\\): ${repo.replace(/\./g, '\\.')}:2\\.0@${m[1]}`));
    // The layer and config are the OCI image's, in docker's media types.
    const index = JSON.parse(readFileSync(join(dir, 'out-archive', 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
    assert.deepEqual(index.manifests.map((d) => [d.digest, d.mediaType]), [[m[1], 'application/vnd.docker.distribution.manifest.v2+json']]);
    const pulled = JSON.parse(readFileSync(join(dir, 'out-archive', 'blobs', 'sha256', (m[1] as string).slice(7)), 'utf8')) as { layers: { size: number }[] };
    assert.equal(pulled.layers.length, 1);
    // Only the single image is taken without a name; a name that is not in the archive is refused.
    const only = await runCli(['push', `${repo}:2.1`, '--from', `docker-archive:${join(dir, 'app.tar')}`], env, dir);
    assert.equal(only.code, 0, only.stderr);
    assert.match(only.stdout, new RegExp(`^2\\.1: digest: ${m[1]} `));
    const wrong = await runCli(['push', `${repo}:2.2`, '--from', `docker-archive:${join(dir, 'app.tar')}:other/app:1.0`], env, dir);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /no image 'other\/app:1\.0' in .*app\.tar/);
  });

  test('usage errors exit 2 with a reason', async () => {
    const noFrom = await runCli(['push', `${image}:1.0`], env, dir);
    assert.equal(noFrom.code, 2);
    assert.match(noFrom.stderr, /--from/);
    const noTo = await runCli(['pull', `${image}:1.0`], env, dir);
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /needs a destination: --to oci:DIR/);
    const badTo = await runCli(['pull', `${image}:1.0`, '--to', 'dir:/tmp/x'], env, dir);
    assert.equal(badTo.code, 2);
    const badFrom = await runCli(['push', `${image}:1.0`, '--from', 'tarball:/x'], env, dir);
    assert.equal(badFrom.code, 2);
    const badRef = await runCli(['pull', 'UPPER/Case:1', '--to', 'oci:x'], env, dir);
    assert.equal(badRef.code, 2);
    assert.match(badRef.stderr, /invalid image reference/);
  });

  test('a missing source is a clear error', async () => {
    const r = await runCli(['push', `${image}:1.0`, '--from', `oci:${join(dir, 'nope')}`], env, dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not an OCI image layout/);
  });

  test('--docker hands the verified digest to docker, and says so when docker fails', async () => {
    const fake = join(dir, 'fake-docker');
    writeFileSync(fake, '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const r = await runCli(['pull', `${image}:1.0`, '--verify', '--docker'], { ...env, DOCKER_BIN: fake }, dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`Pull \\(1 of 1\\): ${image.replace(/\./g, '\\.')}:1\\.0@${img.manifest.digest}`));
    assert.match(r.stderr, new RegExp(`docker pull ${image.replace(/\./g, '\\.')}@${img.manifest.digest} failed: Cannot connect to the Docker daemon`));
    const missing = await runCli(['pull', `${image}:1.0`, '--docker', '--disable-content-trust'], { ...env, DOCKER_BIN: join(dir, 'no-such-docker') }, dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot run .*no-such-docker/);
  });
});
