// vouch push / vouch pull through the CLI against an in-process trust server and registry:
// content trust from DOCKER_CONTENT_TRUST, usage errors, and the --docker hand-off's failure path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import { loadServerConfig, runServer, type RunningServer } from '../../../src/server/index.js';
import { runRegistry, type RunningRegistry } from '../../../src/registry/index.js';

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
    assert.equal(existsSync(join(dir, 'out-v')), false);
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
