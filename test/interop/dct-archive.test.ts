// Trust-data archives against the real peers: the docker CLI and the notary client publish into
// Debian's notary-server (with notary-signer) with two signers, vouch archives the verified trust
// data into the real registry (docker-registry) and an OCI layout, the notary-server is stopped, and
// `vouch verify --dct-archive` still shows who had signed which digest, offline. A missing peer is
// a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { signWithDockerAndNotary, requireDocker28 } from '../support/dct.js';
import { startPeers, type ImageInfo, type Peers } from '../support/peers.js';
import { removeTempDirs, vouchUser } from '../unit/client/helpers.js';
import type { VerifyResult } from '../../src/cli/commands/verify.js';


let peers: Peers;
let img1: ImageInfo;
let img2: ImageInfo;

before(async () => {
  requireDocker28();
  peers = await startPeers({ registry: true, notary: true, docker: true });
  img1 = await peers.makeImage('archive/app', '1.0');
  img2 = await peers.makeImage('archive/app', '2.0', 'second');
});

after(async () => {
  await peers?.stop();
  await removeTempDirs();
});


test('docker and notary sign into notary-server; vouch archives it; with notary-server stopped the archive still says who signed what', async () => {
  const gun = peers.gun('archive/app');
  await signWithDockerAndNotary(peers, gun, ['bob', 'carol'], [
    { tag: '1.0', image: img1, role: 'targets/bob' }, { tag: '1.0', image: img1, role: 'targets/releases' }, { tag: '2.0', image: img2, role: 'targets/carol' },
  ]);

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
