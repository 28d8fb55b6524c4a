// The same client interop against vouch server (HTTPS, memory store, the peers' test CA): the real
// notary client and the Docker CLIs (28.2.2 and 20.10) publish to vouch server, vouch verifies and
// inspects what they wrote exactly as docker does, and what vouch publishes there, they read.
// A missing peer is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NotaryApp } from '../../src/server/index.js';
import { createServer } from '../../src/server/index.js';
import { openMemoryStore } from '../../src/storage/index.js';
import { check, startPeers, type ImageInfo, type Peers, type RunResult } from '../support/peers.js';
import { REPO_PASS, ROOT_PASS, removeTempDirs, tempDir, vouchUser, type VouchUser } from '../unit/client/helpers.js';

const DOCKERS = ['/usr/local/bin/docker', '/usr/bin/docker'];
const NOTARY_PASS = { NOTARY_ROOT_PASSPHRASE: ROOT_PASS, NOTARY_TARGETS_PASSPHRASE: REPO_PASS, NOTARY_SNAPSHOT_PASSPHRASE: REPO_PASS, NOTARY_DELEGATION_PASSPHRASE: REPO_PASS };
const DOCKER_PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS };

let peers: Peers;
let app: NotaryApp;
let url: string;
let img1: ImageInfo;
let img2: ImageInfo;

before(async () => {
  for (const bin of [...DOCKERS, '/usr/bin/notary']) if (!existsSync(bin)) throw new Error(`${bin} is missing: a failure, not a skip`);
  peers = await startPeers({ registry: true, docker: true }); // the registry start also makes the test CA and certs
  const certs = join(peers.dir, 'certs');
  const store = openMemoryStore({ keySecret: 'interop-secret' });
  app = createServer({ store, keyStore: store.keys, https: { key: await readFile(join(certs, 'notary-server.key')), cert: await readFile(join(certs, 'notary-server.crt')) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  img1 = await peers.makeImage('vs/app', '1.0');
  img2 = await peers.makeImage('vs/app', '2.0', 'two');
});

after(async () => {
  await app?.close();
  await peers?.stop();
  await removeTempDirs();
});

const serverEnv = (): Record<string, string> => ({ NOTARY_URL: url, NOTARY_CA: peers.ca });
const docker = (bin: string, config: string, args: string[]): Promise<RunResult> =>
  peers.docker(args, { bin, config, env: { ...serverEnv(), ...DOCKER_PASS } });
const notary = (trustDir: string, args: string[]): Promise<RunResult> => peers.notary(args, { trustDir, env: { ...serverEnv(), ...NOTARY_PASS } });
const user = (config?: string): Promise<VouchUser> => vouchUser(url, { ca: peers.ca, ...(config ? { config } : {}) });

async function sameInspect(refs: string[], label: string): Promise<string> {
  const v = await user();
  const vj = await v.ok(['trust', 'inspect', ...refs]);
  const vp = await v.ok(['trust', 'inspect', '--pretty', ...refs]);
  for (const bin of DOCKERS) {
    const cfg = await tempDir('docker-cfg-');
    const dj = await docker(bin, cfg, ['trust', 'inspect', ...refs]);
    const dp = await docker(bin, cfg, ['trust', 'inspect', '--pretty', ...refs]);
    assert.equal(dj.code, 0, `${label} ${bin}: ${dj.stderr}`);
    assert.equal(vj.stdout, dj.stdout, `${label}: JSON differs from ${bin}`);
    assert.equal(vp.stdout, dp.stdout, `${label}: --pretty differs from ${bin}`);
  }
  return vj.stdout;
}

test('vouch server: docker and notary publish, vouch verifies and inspects identically, then signs into it', async () => {
  const gun = peers.gun('vs/app');
  const cfg = await tempDir('docker-shared-');
  const keys = join(cfg, 'keys');
  await mkdir(keys, { recursive: true });
  const d = DOCKERS[1] as string; // Debian's 20.10 this time
  check(await docker(d, cfg, ['trust', 'key', 'generate', 'erin', '--dir', keys]), 'docker key generate');
  check(await docker(d, cfg, ['trust', 'signer', 'add', '--key', join(keys, 'erin.pub'), 'erin', gun]), 'docker signer add');
  check(await notary(join(cfg, 'trust'), ['addhash', '-p', gun, '1.0', String(img1.size), '--sha256', img1.sha256]), 'notary addhash');
  check(await docker(d, cfg, ['trust', 'sign', `${gun}:1.0`]), 'docker sign');
  assert.match(await sameInspect([gun], 'docker-made on vouch server'), /"erin"/);

  // vouch, sharing docker's keys, signs 2.0 (digest from the registry); notary and docker read it
  const v = await user(cfg);
  await v.ok(['trust', 'sign', `${gun}:2.0`]);
  const list = check(await notary(await tempDir('notary-fresh-'), ['list', gun]), 'notary list');
  assert.match(list, new RegExp(`2\\.0\\s+${img2.sha256}\\s+${img2.size}`));
  assert.match(await sameInspect([`${gun}:2.0`], 'vouch-signed on vouch server'), /"SignedTag": "2\.0"/);
});

test('vouch server: vouch initialises, rotates every key; notary and docker follow', async () => {
  const gun = peers.gun('vs/owned');
  const owner = await user();
  await owner.ok(['trust', 'key', 'generate', 'fay', '--dir', owner.dir]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(owner.dir, 'fay.pub'), 'fay', gun]);
  await owner.ok(['trust', 'sign', `${gun}:1.0`, '--digest', img1.digest, '--size', String(img1.size)]);
  const cache = await tempDir('notary-cache-');
  check(await notary(cache, ['list', gun]), 'warm notary cache');
  for (const [role, extra] of [['timestamp', []], ['snapshot', ['-r']], ['targets', []], ['root', []]] as const) {
    await owner.ok(['trust', 'key', 'rotate', gun, role, ...extra]);
    const rows = check(await notary(cache, ['list', gun]), `notary list after ${role} rotation`);
    assert.match(rows, new RegExp(`1\\.0\\s+${img1.sha256}`));
  }
  assert.match(await sameInspect([gun], 'vouch-made, rotated, on vouch server'), /"fay"/);
});
