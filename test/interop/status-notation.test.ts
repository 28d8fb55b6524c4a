// `vouch status` over signatures the real `notation` v1.3.2 made, in the real docker-registry (no
// referrers API: the sha256-<hex> tag fallback) and in `vouch registry` (referrers API), next to
// DCT trust data in `vouch server` for the same tags. Status must report the chain notation put in
// the signature (the leaf and root openssl made, with their notAfter), the signature's own expiry
// (`notation sign --expiry`), what breaks first, and the exit status at two horizons.
// A missing notation binary is a failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RepoStatus } from '../../src/client/status.js';
import { RegistryClient } from '../../src/oci/client.js';
import { pushImage } from '../../src/oci/copy.js';
import { OciLayout } from '../../src/oci/layout.js';
import type { RunningRegistry } from '../../src/registry/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { removeTempDirs, startLocalStack, tempDir, vouchUser, type VouchUser } from '../unit/client/helpers.js';
import { buildImageLayout } from '../support/image.js';
import { globalPolicy, issueSigningLeaf, makeNotationHome, makeRootCa, notationBinary, runNotation, type SigningIdentity } from '../support/notation.js';
import { startPeers, type Peers } from '../support/peers.js';
import { startTsa } from '../support/tsa.js';

let peers: Peers | undefined;
let server: RunningServer | undefined;
let registry: RunningRegistry | undefined;
let owner: VouchUser;
let notationEnv: Record<string, string>;
let signer: SigningIdentity;
let pki: string;

const show = (r: { code: number; stdout: string; stderr: string }): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const notAfter = async (pemFile: string): Promise<string> => new Date(new X509Certificate(await readFile(pemFile)).validTo).toISOString();

before(async () => {
  await notationBinary();
  pki = await tempDir('vouch-snpki-');
  await makeRootCa(pki, 'root', '/C=US/ST=WA/O=Vouch Test/CN=Vouch Status Root'); // 30 days
  signer = await issueSigningLeaf(pki, 'root', 'rsa', 'rsa-2048', '/C=US/ST=WA/O=Vouch Test/CN=status rsa signer'); // 10 days
  notationEnv = await makeNotationHome(await tempDir('vouch-snhome-'), {
    trustStores: { test: [join(pki, 'root.crt')] },
    policy: globalPolicy('strict', ['ca:test'], ['*']),
    signingKeys: { rsa: signer },
  });
  peers = await startPeers({ registry: true });
  ({ server, registry } = await startLocalStack(await tempDir('vouch-snstack-')));
  owner = await vouchUser(server.url);
});

after(async () => {
  await registry?.close();
  await server?.close();
  await peers?.stop();
  await removeTempDirs();
});

/** Pushes one small image per tag to `repo` in the plain-HTTP registry `host`; their digests by tag. */
async function pushTags(host: string, repo: string, tags: readonly string[], label: string): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  const client = new RegistryClient({ registry: host, scheme: 'http' });
  try {
    for (const tag of tags) {
      const img = await buildImageLayout(await tempDir('vouch-snimg-'), repo, tag, `${label} ${tag}`);
      const layout = await OciLayout.open(img.layout);
      await pushImage(client, repo, layout, layout.resolve(tag), { tag });
      digests[tag] = img.digest;
    }
  } finally { await client.close(); }
  return digests;
}

const places: [string, () => string][] = [
  ['docker-registry (tag fallback)', () => peers?.registryHost as string],
  ['vouch registry (referrers API)', () => registry?.host as string],
];

for (const [placeName, host] of places) {
  describe(`vouch status over real notation signatures: ${placeName}`, () => {
    test('the chain notation signed with, the signature expiry, what breaks first, exit 1 at 30d and 0 at 1d', async () => {
      const repo = 'status/app';
      const gun = `${host()}/${repo}`;
      const digests = await pushTags(host(), repo, ['1.0', '2.0'], 'status interop');
      // DCT for both tags (vouch server), Notation for both: 2.0 with a 48-hour signature expiry
      for (const tag of ['1.0', '2.0']) await owner.ok(['trust', 'sign', `${gun}:${tag}`]);
      const n1 = await runNotation(notationEnv, ['sign', '--key', 'rsa', '--insecure-registry', `${gun}@${digests['1.0']}`]);
      assert.equal(n1.code, 0, show(n1));
      const n2 = await runNotation(notationEnv, ['sign', '--key', 'rsa', '--insecure-registry', '--expiry', '48h', `${gun}@${digests['2.0']}`]);
      assert.equal(n2.code, 0, show(n2));

      const r = await owner.run(['status', gun, '--json']);
      assert.equal(r.code, 1, show(r));
      const [st] = JSON.parse(r.stdout) as RepoStatus[];
      assert.equal(st?.state, 'expiring');
      assert.deepEqual(st?.images.map((i) => [i.tags, i.digest, i.signatures.length, i.error]), [[['1.0'], digests['1.0'], 1, undefined], [['2.0'], digests['2.0'], 1, undefined]]);
      const leafEnd = await notAfter(signer.leaf);
      const rootEnd = await notAfter(join(pki, 'root.crt'));
      for (const img of st?.images ?? []) {
        const sig = img.signatures[0];
        assert.equal(sig?.kind, 'notation');
        assert.equal(sig?.verifies, true, sig?.problem);
        assert.match(sig?.signer ?? '', /CN=status rsa signer$/);
        assert.deepEqual(sig?.certificates.map((c) => [c.position, c.notAfter, c.state]), [['leaf', leafEnd, 'expiring'], ['root', rootEnd, 'expiring']],
          'the leaf and root notation put in x5c, with the dates openssl gave them');
      }
      const withExpiry = st?.images[1]?.signatures[0];
      assert.ok(withExpiry?.expires !== undefined && Math.abs(Date.parse(withExpiry.expires) - Date.now() - 48 * 3_600_000) < 3_600_000, `--expiry 48h: ${withExpiry?.expires}`);
      assert.equal(st?.firstToBreak?.kind, 'signature', 'the 48-hour signature breaks before the 10-day leaf');
      assert.equal(st?.firstToBreak?.expires, withExpiry?.expires);
      // both DCT and Notation signers
      assert.deepEqual(st?.signers.map((s) => [s.kind, s.tags]), [['dct', 2], ['notation', 2]]);
      assert.ok(st?.items.some((i) => i.name === 'targets' && i.renewedBy === 'owner'), 'the DCT roles are still there');

      const text = await owner.run(['status', gun]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /first to break: notation signature [0-9a-f]{12} \(2\.0\) expires \S+ \(in (47|48)h\); its notation signer must re-sign it/);
      assert.match(text.stdout, /notation leaf certificate "status rsa signer"\s+-\s+notation signer\s+expiring/);

      // a 1-day horizon: nothing expires within it
      const calm = await owner.run(['status', gun, '--warn', '1d']);
      assert.equal(calm.code, 0, show(calm));
      // the image by digest, without DCT
      const image = await owner.run(['status', `${gun}@${digests['2.0']}`, '--warn', '3d', '--json']);
      assert.equal(image.code, 1, show(image));
      assert.equal((JSON.parse(image.stdout) as RepoStatus[])[0]?.firstToBreak?.kind, 'signature');
    });
  });
}

test('a signature the real notation timestamped (RFC 3161): status ends it with its own expiry, not its certificates\'; the same signer without a timestamp is expiring', async () => {
  const tsa = await startTsa(await tempDir('vouch-sntsa-'));
  try {
    const repo = 'status/stamped';
    const host = peers?.registryHost as string;
    const gun = `${host}/${repo}`;
    const digests = await pushTags(host, repo, ['stamped', 'plain'], 'status tsa');
    const stamped = await runNotation(notationEnv, ['sign', '--key', 'rsa', '--insecure-registry', '--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootCert, `${gun}@${digests.stamped}`]);
    assert.equal(stamped.code, 0, show(stamped));
    const plain = await runNotation(notationEnv, ['sign', '--key', 'rsa', '--insecure-registry', `${gun}@${digests.plain}`]);
    assert.equal(plain.code, 0, show(plain));

    // status trusts the TSA as notation would: through a tsa trust store of notation's configuration
    const withTsa = await makeNotationHome(await tempDir('vouch-sntsahome-'), { trustStores: {}, tsaStores: { ts: [tsa.rootCert] }, policy: globalPolicy('strict', ['ca:test', 'tsa:ts'], ['*']) });
    const trusting = { XDG_CONFIG_HOME: withTsa.XDG_CONFIG_HOME as string };
    // the leaf (10 days) and the root (30 days) both fall within a 60-day horizon
    const r = await owner.run(['status', `${gun}@${digests.stamped}`, '--json', '--warn', '60d'], trusting);
    assert.equal(r.code, 0, show(r));
    const sig = (JSON.parse(r.stdout) as RepoStatus[])[0]?.images[0]?.signatures[0];
    assert.equal(sig?.verifies, true, sig?.problem);
    assert.match(sig?.timestamp?.authority ?? '', /CN=tsa TSA/);
    assert.equal(sig?.timestamp?.problem, undefined);
    assert.equal(sig?.validUntil, undefined, 'no expiry of its own: the timestamp carries it past its certificates');
    assert.equal(sig?.untimestampedUntil, await notAfter(signer.leaf));
    const text = await owner.run(['status', `${gun}@${digests.stamped}`, '--warn', '60d'], trusting);
    assert.match(text.stdout, /timestamp +\S+ +by .*CN=tsa TSA: verifies after its certificates expire where the trust policy has a tsa trust store/);
    // without a tsa trust store that trusts it, the same timestamp counts for nothing
    const untrusting = await owner.run(['status', `${gun}@${digests.stamped}`, '--warn', '60d'], { XDG_CONFIG_HOME: notationEnv.XDG_CONFIG_HOME as string });
    assert.equal(untrusting.code, 1, show(untrusting));
    assert.match(untrusting.stdout, /timestamp +does not count: no tsa trust store is configured/);

    const bare = await owner.run(['status', `${gun}@${digests.plain}`, '--json', '--warn', '60d']);
    assert.equal(bare.code, 1, show(bare));
    assert.equal((JSON.parse(bare.stdout) as RepoStatus[])[0]?.images[0]?.signatures[0]?.validUntil, await notAfter(signer.leaf));
  } finally {
    await tsa.close();
  }
});
