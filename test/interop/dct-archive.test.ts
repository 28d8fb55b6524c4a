// Trust-data archives against the real peers: the docker CLI and the notary client publish into
// Debian's notary-server (with notary-signer) with two signers, vouch archives the verified trust
// data into the real registry (docker-registry) and an OCI layout, the notary-server is stopped, and
// `vouch verify --dct-archive` still shows who had signed which digest, offline. A missing peer is
// a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { check, startPeers, type ImageInfo, type Peers, type RunResult } from '../support/peers.js';
import { REPO_PASS, ROOT_PASS, removeTempDirs, tempDir, vouchUser } from '../unit/client/helpers.js';
import type { VerifyResult } from '../../src/cli/commands/verify.js';

const DOCKER = '/usr/local/bin/docker';
const NOTARY_PASS = { NOTARY_ROOT_PASSPHRASE: ROOT_PASS, NOTARY_TARGETS_PASSPHRASE: REPO_PASS, NOTARY_SNAPSHOT_PASSPHRASE: REPO_PASS, NOTARY_DELEGATION_PASSPHRASE: REPO_PASS };
const DOCKER_PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS };

let peers: Peers;
let img1: ImageInfo;
let img2: ImageInfo;

before(async () => {
  if (!existsSync(DOCKER)) throw new Error(`${DOCKER} is missing: a failure, not a skip`);
  peers = await startPeers({ registry: true, notary: true, docker: true });
  img1 = await peers.makeImage('archive/app', '1.0');
  img2 = await peers.makeImage('archive/app', '2.0', 'second');
});

after(async () => {
  await peers?.stop();
  await removeTempDirs();
});

const docker = (config: string, args: string[]): Promise<RunResult> => peers.docker(args, { bin: DOCKER, config, env: DOCKER_PASS });
const notary = (trustDir: string, args: string[]): Promise<RunResult> => peers.notary(args, { trustDir, env: NOTARY_PASS });

test('docker and notary sign into notary-server; vouch archives it; with notary-server stopped the archive still says who signed what', async () => {
  const gun = peers.gun('archive/app');
  const cfg = await tempDir('docker-archive-');
  const keys = join(cfg, 'keys');
  await mkdir(keys, { recursive: true });
  for (const signer of ['bob', 'carol']) {
    check(await docker(cfg, ['trust', 'key', 'generate', signer, '--dir', keys]), `docker trust key generate ${signer}`);
    check(await docker(cfg, ['trust', 'signer', 'add', '--key', join(keys, `${signer}.pub`), signer, gun]), `docker trust signer add ${signer}`);
  }
  check(await notary(join(cfg, 'trust'), ['addhash', '-p', gun, '1.0', String(img1.size), '--sha256', img1.sha256, '-r', 'targets/bob']), 'notary addhash 1.0 as bob');
  check(await notary(join(cfg, 'trust'), ['addhash', '-p', gun, '1.0', String(img1.size), '--sha256', img1.sha256, '-r', 'targets/releases']), 'notary addhash 1.0 in releases');
  check(await notary(join(cfg, 'trust'), ['addhash', '-p', gun, '2.0', String(img2.size), '--sha256', img2.sha256, '-r', 'targets/carol']), 'notary addhash 2.0 as carol');

  const archivist = await vouchUser(peers.notaryUrl as string, { ca: peers.ca });
  const layout = `oci:${join(archivist.dir, 'archive')}:2026-12-02`;
  const inRegistry = `${peers.gun('archives/app')}:dct`;
  const made = JSON.parse((await archivist.ok(['trust', 'archive', gun, '--to', layout, '--json'])).stdout) as { roles: string[]; rootVersions: number };
  assert.deepEqual([...made.roles].sort(), ['snapshot', 'targets', 'targets/bob', 'targets/carol', 'targets/releases', 'timestamp']);
  assert.equal(made.rootVersions, 1);
  await archivist.ok(['trust', 'archive', gun, '--to', inRegistry]);

  await peers.stopPeer('notary-server');
  const offline = await vouchUser(peers.notaryUrl as string, { ca: peers.ca });
  const live = await offline.run(['verify', `${gun}:1.0`]);
  assert.equal(live.code, 1, 'with notary-server stopped and no archive, a machine without cached trust data cannot verify');
  for (const location of [layout, inRegistry]) {
    const r = await offline.run(['verify', '--json', '--dct-archive', location, `${gun}:1.0`, `${gun}:2.0`]);
    const results = JSON.parse(r.stdout) as VerifyResult[];
    const [one, two] = results;
    assert.equal(one?.allowed, true, JSON.stringify(one));
    assert.ok(one?.evidence?.signers.some((x) => x.role === 'targets/releases' && x.digest === img1.digest));
    assert.ok(one?.evidence?.signers.some((x) => x.role === 'targets/bob' && x.digest === img1.digest));
    // 2.0 is signed by carol only, not in targets/releases: the default policy denies it, as a live verify would
    assert.equal(two?.allowed, false);
    assert.ok(two?.evidence?.signers.some((x) => x.role === 'targets/carol' && x.digest === img2.digest));
    assert.equal(r.code, 1);
  }
});
