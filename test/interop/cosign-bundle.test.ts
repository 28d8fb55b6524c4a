// vouch cosign against the real cosign v3 (Sigstore bundles as OCI 1.1 referrers, its default) and
// v2 (legacy .att attestations), both directions, on docker-registry (no referrers API: the
// `sha256-<hex>` referrers tag) and on vouch registry (the referrers API), keys without a
// transparency log. Negatives in both tools: a key that signed nothing, a tampered payload, a
// bundle moved from another image. A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createContext } from '../../src/cli/context.js';
import { Session } from '../../src/client/session.js';
import { referrersTag, type RegistryClient } from '../../src/oci/client.js';
import * as formats from '../../src/sig/cosign/index.js';
import { startCosignWorld, type CosignWorld, type CosignVersion } from '../support/cosign.js';
import type { RunResult } from '../support/peers.js';

let w: CosignWorld;

before(async () => {
  w = await startCosignWorld({ prefix: 'cosign-bundle-interop-', password: 'interop-cosign-bundle', images: { img: 'cosign bundle interop\n', img2: 'cosign bundle interop, another image\n' } });
  await writeFile(join(w.dir, 'slsa.json'), '{"builder":{"id":"https://ci.example/builder"},"buildType":"https://ci.example/build"}');
  await writeFile(join(w.dir, 'bom.json'), '{"bomFormat":"CycloneDX","specVersion":"1.5"}');
  for (const prefix of ['theirs', 'ours', 'stranger']) {
    const r = prefix === 'theirs'
      ? await cosign('v3', ['generate-key-pair', '--output-key-prefix', prefix])
      : await vouch(['cosign', 'generate-key-pair', '--output-key-prefix', prefix]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await w?.close();
});

const vouch = (args: string[]): Promise<RunResult> => w.vouch(args);
const cosign = (version: CosignVersion, args: string[]): Promise<RunResult> => w.cosign(version, args);
/** v3 keeps its default format here: bundles. */
const offline = (version: CosignVersion, host: string, verb: 'sign' | 'verify'): string[] => w.offline(version, host, verb);
const pushImage = (host: string, repo: string, from?: string): Promise<string> => w.pushImage(host, repo, from);

async function withRegistry<T>(host: string, fn: (client: RegistryClient) => Promise<T>): Promise<T> {
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, w.env, w.dir);
  const s = new Session({ env: w.env, trustDir: ctx.trustDir, now: ctx.now });
  try { return await fn(s.registryFor(host)); } finally { await s.close(); }
}

/** The bundle bytes of the only bundle referrer of `repo:1.0`. */
async function onlyBundle(client: RegistryClient, repo: string): Promise<Buffer> {
  const { digest } = await client.getManifest(repo, '1.0');
  const refs = await client.listReferrers(repo, digest);
  assert.equal(refs.length, 1, `one referrer of ${repo}`);
  const m = await client.getManifest(repo, refs[0]?.digest ?? '');
  const layer = formats.bundleLayerOf(m.bytes, digest);
  assert.ok(layer);
  return client.readBlob(repo, { digest: layer.digest, size: layer.size });
}

/** Attaches `bundle` to `repo:1.0` as cosign does (a referrer; the referrers tag where there is no API). */
async function attach(client: RegistryClient, repo: string, bundle: Buffer): Promise<void> {
  const subject = await client.getManifest(repo, '1.0');
  const built = formats.bundleReferrerManifest({ subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, bundle, predicateType: formats.COSIGN_SIGN_PREDICATE_TYPE, now: new Date() });
  await client.pushBlob(repo, built.config, formats.EMPTY_CONFIG);
  await client.pushBlob(repo, built.layer, bundle);
  await client.pushReferrer(repo, built.bytes, 'application/vnd.oci.image.manifest.v1+json');
}

for (const where of ['docker-registry', 'vouch registry'] as const) {
  describe(where, () => {
    const hostOf = (): string => (where === 'vouch registry' ? w.local.host : w.peers.registryHost as string);
    const space = where === 'vouch registry' ? 'local' : 'remote';

    test('signatures: cosign v3 signs a bundle, vouch verifies it; vouch signs a bundle, cosign v3 verifies it; both refuse a stranger key, a tampered payload and a bundle of another image', async () => {
      const host = hostOf();
      const image = await pushImage(host, `${space}/sig`);
      const theirs = await cosign('v3', ['sign', '--key', 'theirs.key', ...offline('v3', host, 'sign'), '-a', 'by=cosign3', image]);
      assert.equal(theirs.code, 0, `cosign v3 sign: ${theirs.stderr}`);
      // cosign v3 wrote a bundle, no .sig tag (so vouch read the bundle), and on docker-registry the referrers tag
      await withRegistry(host, async (client) => {
        const { digest } = await client.getManifest(`${space}/sig`, '1.0');
        const tags = await client.listTags(`${space}/sig`);
        assert.equal(tags.some((t) => t.endsWith('.sig')), false, tags.join(' '));
        if (where === 'docker-registry') assert.ok(tags.includes(referrersTag(digest)), `the referrers tag ${referrersTag(digest)} in ${tags.join(' ')}`);
      });
      const ourVerify = await vouch(['cosign', 'verify', '--key', 'theirs.pub', '--insecure-ignore-tlog=true', '-a', 'by=cosign3', image]);
      assert.equal(ourVerify.code, 0, ourVerify.stderr);
      assert.match(ourVerify.stdout, /"type":"https:\/\/sigstore\.dev\/cosign\/sign\/v1"/);

      const ours = await vouch(['cosign', 'sign', '--key', 'ours.key', '--tlog-upload=false', '--new-bundle-format', '-a', 'by=vouch', image]);
      assert.equal(ours.code, 0, ours.stderr);
      const theirVerify = await cosign('v3', ['verify', '--key', 'ours.pub', ...offline('v3', host, 'verify'), '-a', 'by=vouch', image]);
      assert.equal(theirVerify.code, 0, `cosign v3 verify of vouch's bundle: ${theirVerify.stderr}`);
      assert.match(theirVerify.stdout, /"by":"vouch"/);
      // each tool finds both bundles under the one subject
      for (const pub of ['theirs.pub', 'ours.pub']) {
        assert.equal((await vouch(['cosign', 'verify', '--key', pub, '--insecure-ignore-tlog', image])).code, 0, pub);
        assert.equal((await cosign('v3', ['verify', '--key', pub, ...offline('v3', host, 'verify'), image])).code, 0, pub);
      }
      const ourNo = await vouch(['cosign', 'verify', '--key', 'stranger.pub', '--insecure-ignore-tlog', image]);
      const theirNo = await cosign('v3', ['verify', '--key', 'stranger.pub', ...offline('v3', host, 'verify'), image]);
      assert.equal(ourNo.code, 1);
      assert.notEqual(theirNo.code, 0, 'cosign v3 refuses the stranger key too');

      // another image, whose only bundles are a tampered one and one moved from the first image
      const victim = await pushImage(host, `${space}/sig-neg`, 'img2');
      await withRegistry(host, async (client) => {
        const good = await vouch(['cosign', 'sign', '--key', 'ours.key', '--tlog-upload=false', victim]);
        assert.equal(good.code, 0, good.stderr);
        const bundle = JSON.parse((await onlyBundle(client, `${space}/sig-neg`)).toString('utf8')) as { dsseEnvelope: { payload: string } };
        const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { subject: Array<{ annotations?: Record<string, string> }> };
        statement.subject[0] = { ...statement.subject[0], annotations: { by: 'mallory' } };
        bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
        // the untampered bundle goes: a repository of its own holds the tampered one alone
        const tampered = await pushImage(host, `${space}/sig-tampered`, 'img2');
        await attach(client, `${space}/sig-tampered`, Buffer.from(JSON.stringify(bundle)));
        const moved = await pushImage(host, `${space}/sig-moved`, 'img2');
        // cosign v3's bundle of the first image (signed by=cosign3 with theirs.key), attached to this one
        const first = (await client.getManifest(`${space}/sig`, '1.0')).digest;
        let movedBundle: Buffer | undefined;
        for (const r of await client.listReferrers(`${space}/sig`, first)) {
          const layer = formats.bundleLayerOf((await client.getManifest(`${space}/sig`, r.digest)).bytes, first);
          if (layer === undefined) continue;
          const bytes = await client.readBlob(`${space}/sig`, { digest: layer.digest, size: layer.size });
          if (Buffer.from((JSON.parse(bytes.toString('utf8')) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload, 'base64').toString('utf8').includes('"by":"cosign3"')) movedBundle = bytes;
        }
        assert.ok(movedBundle, 'cosign v3\'s bundle of the first image');
        await attach(client, `${space}/sig-moved`, movedBundle);
        for (const [ref, key, why] of [[tampered, 'ours.pub', /does not verify with the given public key/], [moved, 'theirs.pub', /names no subject with digest/]] as const) {
          const our = await vouch(['cosign', 'verify', '--key', 'ours.pub', '--insecure-ignore-tlog', ref]);
          const ourOther = await vouch(['cosign', 'verify', '--key', 'theirs.pub', '--insecure-ignore-tlog', ref]);
          assert.equal(our.code, 1, ref);
          assert.equal(ourOther.code, 1, ref);
          assert.match(`${our.stderr}${ourOther.stderr}`, why);
          const their = await cosign('v3', ['verify', '--key', key, ...offline('v3', host, 'verify'), ref]);
          assert.notEqual(their.code, 0, `cosign v3 refuses ${ref} too`);
        }
      });
    });

    test('attestations: cosign v2 (.att) and v3 (bundle) attest, vouch verifies; vouch attests in both formats, cosign v2 and v3 verify; wrong key refused by all', async () => {
      const host = hostOf();
      const legacy = await pushImage(host, `${space}/att-legacy`);
      const bundled = await pushImage(host, `${space}/att-bundle`);

      const v2 = await cosign('v2', ['attest', '--key', 'theirs.key', ...offline('v2', host, 'sign'), '--predicate', 'slsa.json', '--type', 'slsaprovenance', legacy]);
      assert.equal(v2.code, 0, `cosign v2 attest: ${v2.stderr}`);
      const v3 = await cosign('v3', ['attest', '--key', 'theirs.key', ...offline('v3', host, 'sign'), '--predicate', 'slsa.json', '--type', 'slsaprovenance', bundled]);
      assert.equal(v3.code, 0, `cosign v3 attest: ${v3.stderr}`);
      for (const [image, format] of [[legacy, '--new-bundle-format=false'], [bundled, '--new-bundle-format=true']] as const) {
        const ok = await vouch(['cosign', 'verify-attestation', '--key', 'theirs.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance', image]);
        assert.equal(ok.code, 0, `${image}: ${ok.stderr}`);
        const env1 = JSON.parse(ok.stdout.trim()) as { payload: string };
        assert.match(Buffer.from(env1.payload, 'base64').toString('utf8'), /"predicateType":"https:\/\/slsa\.dev\/provenance\/v0\.2"/);
        // the format vouch read: only that one holds the attestation
        const only = await vouch(['cosign', 'verify-attestation', '--key', 'theirs.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance', format, image]);
        assert.equal(only.code, 0, `${image} ${format}: ${only.stderr}`);
        assert.equal((await vouch(['cosign', 'verify-attestation', '--key', 'stranger.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance', image])).code, 1);
      }

      // vouch attests: legacy for cosign v2, bundle for cosign v3
      const ours2 = await vouch(['cosign', 'attest', '--key', 'ours.key', '--tlog-upload=false', '--new-bundle-format=false', '--predicate', 'bom.json', '--type', 'cyclonedx', legacy]);
      assert.equal(ours2.code, 0, ours2.stderr);
      const ours3 = await vouch(['cosign', 'attest', '--key', 'ours.key', '--tlog-upload=false', '--predicate', 'bom.json', '--type', 'cyclonedx', bundled]);
      assert.equal(ours3.code, 0, ours3.stderr);
      for (const [version, image] of [['v2', legacy], ['v3', bundled]] as const) {
        const ok = await cosign(version, ['verify-attestation', '--key', 'ours.pub', ...offline(version, host, 'verify'), '--type', 'cyclonedx', image]);
        assert.equal(ok.code, 0, `cosign ${version} verify-attestation of vouch's: ${ok.stderr}`);
        assert.match(Buffer.from((JSON.parse(ok.stdout.trim().split('\n')[0] ?? '{}') as { payload: string }).payload, 'base64').toString('utf8'), /"bomFormat":"CycloneDX"/);
        const no = await cosign(version, ['verify-attestation', '--key', 'stranger.pub', ...offline(version, host, 'verify'), '--type', 'cyclonedx', image]);
        assert.notEqual(no.code, 0, `cosign ${version} refuses the stranger key`);
      }
    });
  });
}
