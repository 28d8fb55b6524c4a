// vouch cosign against the real cosign v2 and v3 (built by scripts/install-go-peers.sh), both
// directions, on docker-registry (TLS, the peers' CA) and on vouch registry (plain HTTP on
// loopback), legacy `.sig` format (bundles: cosign-bundle.test.ts), keys without a transparency log: keys made by either tool load
// in the other, signatures made by either verify in the other, and what one refuses the other
// refuses too. A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCosignWorld, type CosignWorld, type CosignVersion } from '../support/cosign.js';
import type { RunResult } from '../support/peers.js';
import { tempDir } from '../unit/client/helpers.js';

let w: CosignWorld;

before(async () => {
  w = await startCosignWorld({ prefix: 'cosign-interop-', password: 'interop-cosign', images: { img: 'cosign interop\n' } });
});

after(async () => {
  await w?.close();
});

const vouch = (args: string[], cwd?: string): Promise<RunResult> => w.vouch(args, cwd);
const cosign = (version: CosignVersion, args: string[], cwd?: string): Promise<RunResult> => w.cosign(version, args, cwd);
/** cosign v3 in the legacy format here: bundles are cosign-bundle.test.ts's. */
const offline = (version: CosignVersion, host: string, verb: 'sign' | 'verify'): string[] => w.offline(version, host, verb, { legacy: true });

for (const version of ['v2', 'v3'] as const) {
  describe(`cosign ${version}`, () => {
    for (const where of ['docker-registry', 'vouch registry'] as const) {
      test(`${where}: cosign's keys and signatures work in vouch, vouch's in cosign, and both refuse the wrong key`, async () => {
        const host = where === 'vouch registry' ? w.local.host : w.peers.registryHost as string;
        const work = await tempDir(`cosign-${version}-`);
        const image = await w.pushImage(host, `${version}/${where === 'vouch registry' ? 'local' : 'remote'}`);

        // keys: cosign makes one pair, vouch the other
        const made = await cosign(version, ['generate-key-pair', '--output-key-prefix', 'theirs'], work);
        assert.equal(made.code, 0, made.stderr);
        assert.equal((await vouch(['cosign', 'generate-key-pair', '--output-key-prefix', 'ours'], work)).code, 0);

        // vouch signs with cosign's key; cosign verifies
        const signed = await vouch(['cosign', 'sign', '--key', 'theirs.key', '--tlog-upload=false', '--new-bundle-format=false', '-a', 'by=vouch', image], work);
        assert.equal(signed.code, 0, signed.stderr);
        const theirVerify = await cosign(version, ['verify', '--key', 'theirs.pub', ...offline(version, host, 'verify'), '-a', 'by=vouch', image], work);
        assert.equal(theirVerify.code, 0, `cosign ${version} verify of vouch's signature: ${theirVerify.stderr}`);
        assert.match(theirVerify.stdout, /"docker-manifest-digest":"sha256:[0-9a-f]{64}"/);

        // cosign signs with vouch's key; vouch verifies
        const theirSign = await cosign(version, ['sign', '--key', 'ours.key', ...offline(version, host, 'sign'), '-a', 'by=cosign', image], work);
        assert.equal(theirSign.code, 0, `cosign ${version} sign: ${theirSign.stderr}`);
        const ourVerify = await vouch(['cosign', 'verify', '--key', 'ours.pub', '--insecure-ignore-tlog=true', '--new-bundle-format=false', '-a', 'by=cosign', image], work);
        assert.equal(ourVerify.code, 0, ourVerify.stderr);
        // both signatures sit in one .sig manifest, written by each tool in turn: each tool finds both
        for (const pub of ['theirs.pub', 'ours.pub']) {
          assert.equal((await vouch(['cosign', 'verify', '--key', pub, '--insecure-ignore-tlog', image], work)).code, 0, pub);
          assert.equal((await cosign(version, ['verify', '--key', pub, ...offline(version, host, 'verify'), image], work)).code, 0, pub);
        }

        // negatives, in both tools: a key that signed nothing here, an annotation that was not signed
        assert.equal((await vouch(['cosign', 'generate-key-pair', '--output-key-prefix', 'stranger'], work)).code, 0);
        const ourNo = await vouch(['cosign', 'verify', '--key', 'stranger.pub', '--insecure-ignore-tlog', image], work);
        const theirNo = await cosign(version, ['verify', '--key', 'stranger.pub', ...offline(version, host, 'verify'), image], work);
        assert.equal(ourNo.code, 1);
        assert.notEqual(theirNo.code, 0, 'cosign refuses the stranger key too');
        const ourAnno = await vouch(['cosign', 'verify', '--key', 'ours.pub', '--insecure-ignore-tlog', '-a', 'by=someone', image], work);
        const theirAnno = await cosign(version, ['verify', '--key', 'ours.pub', ...offline(version, host, 'verify'), '-a', 'by=someone', image], work);
        assert.equal(ourAnno.code, 1);
        assert.notEqual(theirAnno.code, 0, 'cosign refuses the unsigned annotation too');
      });
    }
  });
}
