// vouch's referrers against a third-party referrers client, the real `oras` CLI (v1.3.6, built
// from the Go module proxy by scripts/install-go-peers.sh), on `vouch registry` (referrers API)
// and on docker-registry (no referrers API: the sha256-<hex> tag schema):
//  - `oras discover` lists the Notation signatures `vouch notation sign` pushed;
//  - artifacts `oras attach` pushed are found by vouch's referrers reading (src/oci), filtered by
//    artifactType, and do not disturb `vouch notation verify`.
// A missing binary is a failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryClient, referrersTag } from '../../src/oci/client.js';
import { pushImage } from '../../src/oci/copy.js';
import { OciLayout } from '../../src/oci/layout.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { runCli } from '../support/cli.js';
import { buildImageLayout } from '../support/image.js';
import { globalPolicy, goPeerBinary, issueSigningLeaf, makeNotationHome, makeRootCa, type SigningIdentity } from '../support/notation.js';
import { run, startPeers, type Peers, type RunResult } from '../support/peers.js';
import { scratchDirs } from '../support/scratch.js';

const NOTATION_SIGNATURE = 'application/vnd.cncf.notary.signature';
const SBOM = 'application/vnd.example.sbom.v1+json';
const scratch = scratchDirs();
const tempDir = scratch.tempDir;
const show = (r: { code: number; stdout: string; stderr: string }): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

let peers: Peers | undefined;
let reg: RunningRegistry | undefined;
let signer: SigningIdentity;
let env: Record<string, string>;
let work: string;

async function oras(args: string[]): Promise<RunResult> {
  return run(await goPeerBinary('oras'), args, { env: { HOME: work, PATH: process.env.PATH ?? '/usr/bin:/bin', DOCKER_CONFIG: join(work, '.docker') }, timeoutMs: 120_000, cwd: work });
}

before(async () => {
  await goPeerBinary('oras');
  work = await tempDir('vouch-oras-');
  const pki = await tempDir('vouch-oras-pki-');
  await makeRootCa(pki, 'root', '/C=US/ST=WA/O=Vouch Test/CN=Vouch Test Root');
  signer = await issueSigningLeaf(pki, 'root', 'rsa', 'rsa-2048', '/C=US/ST=WA/O=Vouch Test/CN=oras signer');
  env = await makeNotationHome(await tempDir('vouch-oras-home-'), { trustStores: { test: [join(pki, 'root.crt')] }, policy: globalPolicy('strict', ['ca:test'], ['*']) });
  peers = await startPeers({ registry: true });
  reg = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-oras-reg-') });
});

after(async () => {
  await reg?.close();
  await peers?.stop();
  await scratch.removeAll();
});

interface Discovered { referrers?: { digest: string; artifactType?: string; mediaType: string }[]; manifests?: { digest: string; artifactType?: string }[] }

for (const [name, host, fallback] of [
  ['vouch registry (referrers API)', () => reg?.host as string, false],
  ['docker-registry (referrers tag schema)', () => peers?.registryHost as string, true],
] as const) {
  describe(`oras interop: ${name}`, () => {
    let n = 0;
    const image = async (label: string): Promise<{ repo: string; ref: string; digest: string }> => {
      const repo = `oras/${label}-${++n}`;
      const img = await buildImageLayout(await tempDir('vouch-oras-img-'), repo, 'v1', `oras interop ${label} ${n}`);
      const c = new RegistryClient({ registry: host(), scheme: 'http' });
      try {
        const layout = await OciLayout.open(img.layout);
        await pushImage(c, repo, layout, layout.resolve('v1'), { tag: 'v1' });
      } finally { await c.close(); }
      return { repo, ref: `${host()}/${repo}@${img.digest}`, digest: img.digest };
    };

    test('oras discover lists the Notation signature vouch pushed', async () => {
      const img = await image('discover');
      const signed = await runCli(['notation', 'sign', img.ref, '--key', signer.key, '--cert', signer.chain], env);
      assert.equal(signed.code, 0, show(signed));
      const d = await oras(['discover', '--plain-http', '--format', 'json', img.ref]);
      assert.equal(d.code, 0, show(d));
      const found = JSON.parse(d.stdout) as Discovered;
      const referrers = found.referrers ?? found.manifests ?? [];
      assert.equal(referrers.length, 1, d.stdout);
      assert.equal(referrers[0]?.artifactType, NOTATION_SIGNATURE);
      // and filtered by artifact type, as notation users script it
      const filtered = await oras(['discover', '--plain-http', '--format', 'json', '--artifact-type', NOTATION_SIGNATURE, img.ref]);
      assert.equal(filtered.code, 0, show(filtered));
      assert.equal(((JSON.parse(filtered.stdout) as Discovered).referrers ?? []).length, 1);
    });

    test('artifacts oras attached are found by vouch, and vouch notation verify still finds its signature among them', async () => {
      const img = await image('attach');
      await writeFile(join(work, 'sbom.json'), '{"sbom": true}');
      const a = await oras(['attach', '--plain-http', '--artifact-type', SBOM, img.ref, 'sbom.json:application/json']);
      assert.equal(a.code, 0, show(a));
      const signed = await runCli(['notation', 'sign', img.ref, '--key', signer.key, '--cert', signer.chain], env);
      assert.equal(signed.code, 0, show(signed));
      const c = new RegistryClient({ registry: host(), scheme: 'http' });
      try {
        const all = await c.listReferrers(img.repo, img.digest);
        assert.deepEqual(all.map((r) => r.artifactType).sort(), [SBOM, NOTATION_SIGNATURE].sort());
        const sboms = await c.listReferrers(img.repo, img.digest, { artifactType: SBOM });
        assert.equal(sboms.length, 1);
        const attached = await c.getManifest(img.repo, sboms[0]?.digest as string);
        assert.equal(attached.manifest.kind === 'manifest' ? attached.manifest.subject?.digest : undefined, img.digest);
        // With no referrers API, oras and vouch share one sha256-<hex> tag index (read-modify-write by both).
        assert.equal((await c.headManifest(img.repo, referrersTag(img.digest))) !== undefined, fallback);
      } finally { await c.close(); }
      const v = await runCli(['notation', 'verify', img.ref], env);
      assert.equal(v.code, 0, show(v));
      // and oras sees both
      const d = await oras(['discover', '--plain-http', '--format', 'json', img.ref]);
      assert.equal(((JSON.parse(d.stdout) as Discovered).referrers ?? []).length, 2, d.stdout);
    });
  });
}
