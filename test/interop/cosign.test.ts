// vouch cosign against the real cosign v2 and v3 (built by scripts/install-go-peers.sh), both
// directions, on docker-registry (TLS, the peers' CA) and on vouch registry (plain HTTP on
// loopback), legacy `.sig` format, keys without a transparency log: keys made by either tool load
// in the other, signatures made by either verify in the other, and what one refuses the other
// refuses too. A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDemoImage } from '../../src/cli/demoimage.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { goPeerBinary } from '../support/gopeers.js';
import { run, startPeers, type Peers, type RunResult } from '../support/peers.js';
import { runCli } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../unit/client/helpers.js';

const PASSWORD = 'interop-cosign';
let peers: Peers;
let local: RunningRegistry;
let dir: string;
let env: Record<string, string>;
const cosigns: Record<string, string> = {};

before(async () => {
  [cosigns.v2, cosigns.v3] = await Promise.all([goPeerBinary('cosign'), goPeerBinary('cosign3')]) as [string, string];
  peers = await startPeers({ registry: true });
  dir = await tempDir('cosign-interop-');
  local = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: PASSWORD, SSL_CERT_FILE: peers.ca };
  await writeDemoImage(join(dir, 'img'), '1.0', 'cosign interop\n');
});

after(async () => {
  await local?.close();
  await peers?.stop();
  await removeTempDirs();
});

const vouch = async (args: string[], cwd = dir): Promise<RunResult> => runCli(args, env, cwd);
const cosign = (version: string, args: string[], cwd = dir): Promise<RunResult> =>
  run(cosigns[version] as string, args, { env: { ...env, COSIGN_YES: 'true' }, cwd, timeoutMs: 120_000 });

/** Flags each cosign needs for an offline, legacy-format, no-tlog run against `host`. */
function offline(version: string, host: string, verb: 'sign' | 'verify'): string[] {
  const flags = verb === 'sign' ? ['--tlog-upload=false'] : ['--insecure-ignore-tlog=true'];
  if (host === local.host) flags.push('--allow-http-registry');
  if (version === 'v3') flags.push('--new-bundle-format=false', ...(verb === 'sign' ? ['--use-signing-config=false'] : []));
  return flags;
}

async function pushImage(host: string, repo: string): Promise<string> {
  const ref = `${host}/${repo}:1.0`;
  const r = await vouch(['push', ref, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust']);
  assert.equal(r.code, 0, r.stderr);
  return ref;
}

for (const version of ['v2', 'v3'] as const) {
  describe(`cosign ${version}`, () => {
    for (const where of ['docker-registry', 'vouch registry'] as const) {
      test(`${where}: cosign's keys and signatures work in vouch, vouch's in cosign, and both refuse the wrong key`, async () => {
        const host = where === 'vouch registry' ? local.host : peers.registryHost as string;
        const work = await tempDir(`cosign-${version}-`);
        const image = await pushImage(host, `${version}/${where === 'vouch registry' ? 'local' : 'remote'}`);

        // keys: cosign makes one pair, vouch the other
        const made = await cosign(version, ['generate-key-pair', '--output-key-prefix', 'theirs'], work);
        assert.equal(made.code, 0, made.stderr);
        assert.equal((await vouch(['cosign', 'generate-key-pair', '--output-key-prefix', 'ours'], work)).code, 0);

        // vouch signs with cosign's key; cosign verifies
        const signed = await vouch(['cosign', 'sign', '--key', 'theirs.key', '--tlog-upload=false', '-a', 'by=vouch', image], work);
        assert.equal(signed.code, 0, signed.stderr);
        const theirVerify = await cosign(version, ['verify', '--key', 'theirs.pub', ...offline(version, host, 'verify'), '-a', 'by=vouch', image], work);
        assert.equal(theirVerify.code, 0, `cosign ${version} verify of vouch's signature: ${theirVerify.stderr}`);
        assert.match(theirVerify.stdout, /"docker-manifest-digest":"sha256:[0-9a-f]{64}"/);

        // cosign signs with vouch's key; vouch verifies
        const theirSign = await cosign(version, ['sign', '--key', 'ours.key', ...offline(version, host, 'sign'), '-a', 'by=cosign', image], work);
        assert.equal(theirSign.code, 0, `cosign ${version} sign: ${theirSign.stderr}`);
        const ourVerify = await vouch(['cosign', 'verify', '--key', 'ours.pub', '--insecure-ignore-tlog=true', '-a', 'by=cosign', image], work);
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
