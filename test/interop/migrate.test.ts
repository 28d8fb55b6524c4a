// vouch migrate against the real peers: the docker CLI and the notary client sign into Debian's
// notary-server with two signers, vouch migrates the DCT signatures to cosign signatures in
// docker-registry, and the real cosign (v2 and v3) verifies them with each signer's new key and
// provenance; a second run migrates nothing; a signer without a key is reported, not migrated.
// A missing peer is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { goPeerBinary } from '../support/gopeers.js';
import { signWithDockerAndNotary, requireDocker28 } from '../support/dct.js';
import { run, startPeers, type ImageInfo, type Peers } from '../support/peers.js';
import { removeTempDirs, vouchUser } from '../unit/client/helpers.js';

const COSIGN_PASSWORD = 'migrate-interop';

let peers: Peers;
let img1: ImageInfo;
let img2: ImageInfo;
const cosigns: Record<string, string> = {};

before(async () => {
  requireDocker28();
  [cosigns.v2, cosigns.v3] = await Promise.all([goPeerBinary('cosign'), goPeerBinary('cosign3')]) as [string, string];
  peers = await startPeers({ registry: true, notary: true, docker: true });
  img1 = await peers.makeImage('migrate/app', '1.0');
  img2 = await peers.makeImage('migrate/app', '2.0', 'second');
});

after(async () => {
  await peers?.stop();
  await removeTempDirs();
});


test('DCT signatures from docker and notary move to cosign signatures that the real cosign v2 and v3 verify, once', async () => {
  const gun = peers.gun('migrate/app');
  await signWithDockerAndNotary(peers, gun, ['bob', 'carol'], [{ tag: '1.0', image: img1, role: 'targets/bob' }, { tag: '2.0', image: img2, role: 'targets/carol' }]);

  const owner = await vouchUser(peers.notaryUrl as string, { ca: peers.ca, env: { COSIGN_PASSWORD, SSL_CERT_FILE: peers.ca } });
  for (const who of ['bob', 'carol']) await owner.ok(['cosign', 'generate-key-pair', '--output-key-prefix', join(owner.dir, `${who}-cosign`)]);
  const map = join(owner.dir, 'map.yaml');
  await writeFile(map, 'signers:\n  bob: { cosign: bob-cosign.key }\n');

  const first = await owner.run(['migrate', '--map', map, '--json', gun]);
  assert.equal(first.code, 0, first.stderr);
  const [plan] = JSON.parse(first.stdout) as Array<{ summary: Record<string, number> }>;
  assert.deepEqual(plan?.summary, { migrated: 1, present: 0, unmapped: 1, refused: 0, unsigned: 0 }, first.stdout);

  for (const version of ['v2', 'v3'] as const) {
    const flags = ['--insecure-ignore-tlog=true', ...(version === 'v3' ? ['--new-bundle-format=false'] : [])];
    const ok = await run(cosigns[version] as string, ['verify', '--key', join(owner.dir, 'bob-cosign.pub'), ...flags,
      '-a', 'dev.vouch.dct.role=targets/bob', '-a', `dev.vouch.dct.gun=${gun}`, '-a', 'dev.vouch.migrated-from=dct', `${gun}@${img1.digest}`],
    { env: { HOME: owner.dir, SSL_CERT_FILE: peers.ca }, timeoutMs: 120_000 });
    assert.equal(ok.code, 0, `cosign ${version} verify: ${ok.stderr}`);
    assert.match(ok.stdout, new RegExp(`"docker-manifest-digest":"${img1.digest}"`));
    // carol had no key in the mapping: nothing was signed for 2.0
    const none = await run(cosigns[version] as string, ['verify', '--key', join(owner.dir, 'carol-cosign.pub'), ...flags, `${gun}@${img2.digest}`],
      { env: { HOME: owner.dir, SSL_CERT_FILE: peers.ca }, timeoutMs: 120_000 });
    assert.notEqual(none.code, 0);
  }

  const again = await owner.run(['migrate', '--map', map, gun]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 migrated, 1 already signed, 1 unmapped, 0 refused, 0 unsigned/);
  const check2 = await owner.run(['migrate', '--map', map, '--check', gun]);
  assert.equal(check2.code, 1, 'carol is still unmapped: --check fails');
});
