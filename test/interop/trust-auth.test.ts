// Token auth as docker users have it: notary-server and the registry behind the peers' token
// server; vouch takes the registry's credentials from $DOCKER_CONFIG/config.json for both (docker
// uses the registry's credentials for the notary realm), reads anonymously, and says what to do
// when the credentials are wrong. A missing peer is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startPeers, type ImageInfo, type Peers } from '../support/peers.js';
import { REPO_PASS, ROOT_PASS, removeTempDirs, tempDir, vouchUser } from '../unit/client/helpers.js';

const DOCKER = '/usr/local/bin/docker';
let peers: Peers;
let img: ImageInfo;

before(async () => {
  if (!existsSync(DOCKER)) throw new Error(`${DOCKER} is missing: a failure, not a skip`);
  peers = await startPeers({ registry: { auth: 'token' }, notary: { auth: 'token' }, tokenServer: true, docker: true });
  img = await peers.makeImage('tok/app', '1.0');
});

after(async () => {
  await peers?.stop();
  await removeTempDirs();
});

test('signer add and sign with config.json credentials (token auth on notary-server and registry); anonymous inspect matches docker', async () => {
  const gun = peers.gun('tok/app');
  const registryHost = peers.registryHost as string;
  const owner = await vouchUser(peers.notaryUrl as string, { ca: peers.ca, auths: { [registryHost]: 'testuser:testpassword' } });
  // the registry's token realm uses the test CA: docker reads it from tls/<registry host>/ as well
  await mkdir(join(owner.config, 'tls', registryHost), { recursive: true });
  await copyFile(peers.ca, join(owner.config, 'tls', registryHost, 'ca.crt'));
  await owner.ok(['trust', 'key', 'generate', 'gus', '--dir', owner.dir]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(owner.dir, 'gus.pub'), 'gus', gun]);
  await owner.ok(['trust', 'sign', `${gun}:1.0`]); // the digest comes from the token-protected registry
  const reader = await vouchUser(peers.notaryUrl as string, { ca: peers.ca });
  const mine = await reader.ok(['trust', 'inspect', gun]);
  assert.match(mine.stdout, new RegExp(`"Digest": "${img.sha256}"`));
  const d = await peers.docker(['trust', 'inspect', gun], {
    bin: DOCKER, config: await tempDir('docker-cfg-'),
    env: { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS },
  });
  assert.equal(d.code, 0, d.stderr);
  assert.equal(mine.stdout, d.stdout);
});

test('wrong registry credentials: the write fails with UNAUTHORIZED and a hint about config.json', async () => {
  const gun = peers.gun('tok/other');
  const u = await vouchUser(peers.notaryUrl as string, { ca: peers.ca, auths: { [peers.registryHost as string]: 'testuser:wrong' } });
  await u.ok(['trust', 'key', 'generate', 'hal', '--dir', u.dir]);
  const r = await u.run(['trust', 'signer', 'add', '--key', join(u.dir, 'hal.pub'), 'hal', gun]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refused the credentials|not authorized/);
  assert.match(r.stderr, /hint: .*config\.json/);
});
