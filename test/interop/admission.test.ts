// vouch admission against the REAL CNCF registry (docker-registry) and the REAL notary-server (with
// notary-signer), all on loopback via test/support/peers.ts: images pushed with skopeo, signers
// added with the docker CLI and tags signed into their roles with the notary client
// (test/support/dct.ts). The AdmissionReviews are the fixtures shaped as the API server sends them
// (test/fixtures/admission/NOTES.md); every workload kind is admitted and pinned to the digest the
// registry serves; a tag signed by someone else, and an unsigned one, are denied by name.
// A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signWithDockerAndNotary, requireDocker28 } from '../support/dct.js';
import { startPeers, type ImageInfo, type Peers } from '../support/peers.js';
import { removeTempDirs, tempDir, vouchUser } from '../unit/client/helpers.js';
import { at, patched, review, reviewText, TEMPLATE_KINDS, webhookFor, type WebhookUnderTest } from '../unit/admission/helpers.js';

let peers: Peers;
let signed: ImageInfo;
let other: ImageInfo;
let w: WebhookUnderTest;

before(async () => {
  requireDocker28();
  peers = await startPeers({ registry: true, notary: true, docker: true });
  signed = await peers.makeImage('team/app', '1.0');
  other = await peers.makeImage('team/app', 'staging-1', 'signed by mallory');
  await peers.makeImage('team/app', 'debug', 'never signed');
  const gun = peers.gun('team/app');
  // docker's signing writes a tag into targets/releases and the signer's own role; so does this.
  await signWithDockerAndNotary(peers, gun, ['alice', 'mallory'], [
    { tag: '1.0', image: signed, role: 'targets/alice' },
    { tag: '1.0', image: signed, role: 'targets/releases' },
    { tag: 'staging-1', image: other, role: 'targets/mallory' },
    { tag: 'staging-1', image: other, role: 'targets/releases' },
  ]);
  const user = await vouchUser(peers.notaryUrl as string, { ca: peers.ca });
  w = webhookFor(await tempDir('vouch-admission-interop-'), { DOCKER_CONTENT_TRUST_SERVER: peers.notaryUrl as string, DOCKER_CONFIG: user.config, SSL_CERT_FILE: peers.ca }, peers.registryHost as string);
});

after(async () => {
  await w?.session.close();
  await peers?.stop();
  await removeTempDirs();
});

describe('admission against notary-server and docker-registry', () => {
  for (const [name, pointer] of TEMPLATE_KINDS) {
    test(`${name}: signed by alice → allowed, pinned to the digest docker-registry serves`, async () => {
      const body = reviewText(name, peers.registryHost as string);
      assert.equal((await review(w.webhook, '/validate', body)).allowed, true);
      const m = await review(w.webhook, '/mutate', body);
      assert.equal(m.allowed, true, m.status?.message);
      assert.equal(at(patched(body, m), pointer), `${peers.registryHost}/team/app:1.0@${signed.digest}`);
    });
  }

  test('a Pod whose sidecar mallory signed is denied: image, rule and check named', async () => {
    const r = await review(w.webhook, '/validate', reviewText('pod-create', peers.registryHost as string));
    assert.equal(r.allowed, false);
    assert.match(r.status?.message ?? '', new RegExp(`image "${peers.registryHost}/team/app:staging-1" \\(container "sidecar"\\) is denied by rule 'team' \\(tags 'staging-\\*'\\): check 'signer' failed: `));
  });

  test('an unsigned ephemeral container is denied (signed check)', async () => {
    const r = await review(w.webhook, '/validate', reviewText('pod-ephemeralcontainers-update', peers.registryHost as string));
    assert.equal(r.allowed, false);
    assert.match(r.status?.message ?? '', /\(ephemeral container "debugger-x7k2p"\) is denied by rule 'team': check 'signed' failed: /);
  });
});
