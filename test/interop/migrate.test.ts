// vouch migrate against the real peers: the docker CLI and the notary client sign into Debian's
// notary-server with two signers, vouch migrates the DCT signatures to cosign signatures in
// docker-registry, and the real cosign (v2 and v3) verifies them with each signer's new key and
// provenance; a second run migrates nothing; a signer without a key is reported, not migrated.
// Then to Notation signatures, which the real notation v1.3.2 verifies with the provenance as
// user metadata: in docker-registry (no referrers API: the sha256-<hex> tag fallback) from the
// notary-server's trust data, and in `vouch registry` (referrers API) from `vouch server`'s.
// A missing peer is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { goPeerBinary } from '../support/gopeers.js';
import { signWithDockerAndNotary, requireDocker28 } from '../support/dct.js';
import { run, startPeers, type ImageInfo, type Peers } from '../support/peers.js';
import { removeTempDirs, startSignedStack, tempDir, vouchUser } from '../unit/client/helpers.js';
import { globalPolicy, issueSigningLeaf, makeNotationHome, makeRootCa, runNotation, type SigningIdentity } from '../support/notation.js';
import type { RunningRegistry } from '../../src/registry/index.js';
import type { RunningServer } from '../../src/server/index.js';

const COSIGN_PASSWORD = 'migrate-interop';

let peers: Peers;
let img1: ImageInfo;
let img2: ImageInfo;
const cosigns: Record<string, string> = {};
let server: RunningServer | undefined;
let registry: RunningRegistry | undefined;
/** notation's home (trust store `migrated`, strict global policy, bob's key in signingkeys.json) and the signers' identities */
let notationEnv: Record<string, string>;
const ids: Record<string, SigningIdentity> = {};

before(async () => {
  requireDocker28();
  [cosigns.v2, cosigns.v3] = await Promise.all([goPeerBinary('cosign'), goPeerBinary('cosign3')]) as [string, string];
  peers = await startPeers({ registry: true, notary: true, docker: true });
  img1 = await peers.makeImage('migrate/app', '1.0');
  img2 = await peers.makeImage('migrate/app', '2.0', 'second');
  const pki = await tempDir('vouch-migrate-pki-');
  await makeRootCa(pki, 'root', '/C=US/O=Vouch Test/CN=Migration Root');
  for (const who of ['bob', 'carol', 'alice']) ids[who] = await issueSigningLeaf(pki, 'root', who, 'ec-256', `/C=US/O=Vouch Test/CN=${who}`);
  notationEnv = await makeNotationHome(await tempDir('vouch-migrate-notation-'), {
    trustStores: { migrated: [join(pki, 'root.crt')] }, policy: globalPolicy('strict', ['ca:migrated'], ['*']), signingKeys: { bob: ids.bob as SigningIdentity },
  });
});

after(async () => {
  await registry?.close();
  await server?.close();
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

  // The policy written for the new signers gives the decisions the DCT policy gave: 1.0 (bob) allowed,
  // with the same digest; 2.0 (carol, whom the policy does not allow) denied. (notary signed 1.0 in
  // targets/bob alone, which docker does not resolve tags through, so a DCT pull of it still fails:
  // `vouch verify` says so; under the new policy the cosign signature decides the digest.)
  const dctPolicy = join(owner.dir, 'dct-policy.yaml');
  await writeFile(dctPolicy, `version: 1\nrules:\n  - repositories: ["${gun}"]\n    signers: [bob]\n`);
  const newPolicy = join(owner.dir, 'policy.yaml');
  const wrote = await owner.run(['migrate', '--map', map, '--policy', dctPolicy, '--write-policy', newPolicy, gun]);
  assert.equal(wrote.code, 0, wrote.stderr);
  type Verdict = { decision?: { allowed: boolean; digest?: string; signatures?: Array<{ kind: string; counted: boolean }> }; error?: { code: string } };
  for (const [tag, allowed] of [['1.0', true], ['2.0', false]] as const) {
    const dct = await owner.run(['verify', '--json', '--policy', dctPolicy, `${gun}:${tag}`]);
    const oci = await owner.run(['verify', '--json', '--policy', newPolicy, `${gun}:${tag}`]);
    const [d, o] = [dct, oci].map((r) => (JSON.parse(r.stdout) as Verdict[])[0]);
    assert.equal(d?.decision?.allowed, allowed, `DCT policy, ${tag}: ${dct.stdout}`);
    assert.equal(o?.decision?.allowed, allowed, `written policy, ${tag}: ${oci.stdout}`);
    assert.equal(oci.code, allowed ? 0 : 1, oci.stderr);
    if (allowed) {
      assert.equal(o?.decision?.digest, d?.decision?.digest);
      assert.equal(d?.error?.code, 'TAG_NOT_FOUND', 'docker resolves tags through targets/releases and targets only');
      assert.deepEqual(o?.decision?.signatures?.filter((x) => x.counted).map((x) => x.kind), ['cosign'], oci.stdout);
    }
  }
});

/** The real `notation verify` of `image` with the provenance of `role` in `gun` as required user metadata. */
const notationVerify = (gun: string, digest: string, role: string): ReturnType<typeof runNotation> =>
  runNotation(notationEnv, ['verify', '--insecure-registry', '-m', `dev.vouch.dct.role=${role}`, '-m', `dev.vouch.dct.gun=${gun}`, '-m', 'dev.vouch.migrated-from=dct', `${gun}@${digest}`]);

interface Planned { items: Array<{ tag: string; role: string; to: string; action: string; signature?: string }>; summary: Record<string, number> }

test('the same DCT signatures move to Notation signatures in docker-registry that the real notation verifies, with their provenance; once', async () => {
  const gun = peers.gun('migrate/app');
  const owner = await vouchUser(peers.notaryUrl as string, { ca: peers.ca, env: { COSIGN_PASSWORD, SSL_CERT_FILE: peers.ca, XDG_CONFIG_HOME: notationEnv.XDG_CONFIG_HOME as string } });
  await owner.ok(['cosign', 'generate-key-pair', '--output-key-prefix', join(owner.dir, 'bob-cosign')]);
  const map = join(owner.dir, 'map.yaml');
  const carol = ids.carol as SigningIdentity;
  await writeFile(map, `signers:\n  bob: { cosign: bob-cosign.key, notation: bob }\n  carol: { notation: { key: ${carol.key}, cert: ${carol.chain} } }\n`);

  const first = await owner.run(['migrate', '--map', map, '--to', 'notation,cosign', '--json', gun]);
  assert.equal(first.code, 0, first.stderr);
  const [plan] = JSON.parse(first.stdout) as Planned[];
  assert.deepEqual(plan?.summary, { migrated: 3, present: 0, unmapped: 1, refused: 0, unsigned: 0 }, first.stdout);
  assert.deepEqual(plan?.items.map((i) => `${i.tag} ${i.role} ${i.to} ${i.action}`).sort(),
    ['1.0 targets/bob cosign sign', '1.0 targets/bob notation sign', '2.0 targets/carol cosign unmapped', '2.0 targets/carol notation sign']);

  for (const [img, role, who] of [[img1, 'targets/bob', 'bob'], [img2, 'targets/carol', 'carol']] as const) {
    const ok = await notationVerify(gun, img.digest, role);
    assert.equal(ok.code, 0, `notation verify ${who}: ${ok.stdout}${ok.stderr}`);
    assert.match(ok.stdout, /Successfully verified signature for/);
    assert.match(ok.stdout, new RegExp(`dev\\.vouch\\.dct\\.role +${role}`));
  }
  const other = await notationVerify(gun, img1.digest, 'targets/carol');
  assert.equal(other.code, 1, 'bob\'s signature does not claim carol\'s role');

  const again = await owner.run(['migrate', '--map', map, '--to', 'notation', '--json', gun]);
  assert.equal(again.code, 0, again.stderr);
  const [second] = JSON.parse(again.stdout) as Planned[];
  assert.deepEqual(second?.summary, { migrated: 0, present: 2, unmapped: 0, refused: 0, unsigned: 0 }, again.stdout);
  assert.deepEqual(second?.items.map((i) => i.signature).sort(), plan?.items.filter((i) => i.to === 'notation').map((i) => i.signature).sort());
});

test('DCT signatures in vouch server move to Notation signatures in vouch registry (referrers API) that the real notation verifies', async () => {
  const dir = await tempDir('vouch-migrate-stack-');
  const stack = await startSignedStack(dir, ['1.0'], 'migrate to notation\n');
  ({ server, registry } = stack);
  const alice = ids.alice as SigningIdentity;
  const map = join(dir, 'map.yaml');
  await writeFile(map, `signers:\n  alice: { notation: { key: ${alice.key}, cert: ${alice.chain} } }\n`);
  const env = { XDG_CONFIG_HOME: notationEnv.XDG_CONFIG_HOME as string };
  const dry = await stack.owner.run(['migrate', '--map', map, '--to', 'notation', '--dry-run', stack.repo], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /1\.0 +sha256:[0-9a-f]{12}…  targets\/alice +notation would sign/);
  const run1 = await stack.owner.run(['migrate', '--map', map, '--to', 'notation', '--json', stack.repo], env);
  assert.equal(run1.code, 0, run1.stderr);
  const [plan] = JSON.parse(run1.stdout) as Array<Planned & { items: Array<{ digest: string }> }>;
  const digest = plan?.items[0]?.digest as string;
  const ok = await notationVerify(stack.repo, digest, 'targets/alice');
  assert.equal(ok.code, 0, `${ok.stdout}${ok.stderr}`);
  const referrers = await fetch(`http://${registry.host}/v2/team/app/referrers/${digest}`);
  const index = await referrers.json() as { manifests: Array<{ artifactType?: string; digest: string }> };
  assert.deepEqual(index.manifests.filter((m) => m.artifactType === 'application/vnd.cncf.notary.signature').map((m) => m.digest), [plan?.items[0]?.signature]);
  const again = await stack.owner.run(['migrate', '--map', map, '--to', 'notation', stack.repo], env);
  assert.match(again.stdout, /0 migrated, 1 already signed, 1 unmapped, 0 refused, 0 unsigned/, "alice signed into targets/alice and targets/releases; only alice is mapped");
});
