// `vouch status` over signatures the real cosign made (v2.6.5; v3.1.3 in the legacy format), on
// docker-registry and on vouch registry: a signature with the certificate and chain cosign attached
// (`cosign sign --key --certificate --certificate-chain`, the leaf and root openssl made) reports
// that chain with its notAfter, and the 10-day leaf is what breaks first (exit 1 at 30 days, 0 at
// 5); a key-signed signature is reported as such, its signature unchecked. A missing peer fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDemoImage } from '../../src/cli/demoimage.js';
import type { RepoStatus } from '../../src/client/status.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { goPeerBinary } from '../support/gopeers.js';
import { issueSigningLeaf, makeRootCa, type SigningIdentity } from '../support/notation.js';
import { run, startPeers, type Peers, type RunResult } from '../support/peers.js';
import { runCli } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../unit/client/helpers.js';

let peers: Peers;
let local: RunningRegistry;
let dir: string;
let pki: string;
let signer: SigningIdentity;
let env: Record<string, string>;
const cosigns: Record<string, string> = {};

const notAfter = async (pemFile: string): Promise<string> => new Date(new X509Certificate(await readFile(pemFile)).validTo).toISOString();

before(async () => {
  [cosigns.v2, cosigns.v3] = await Promise.all([goPeerBinary('cosign'), goPeerBinary('cosign3')]) as [string, string];
  peers = await startPeers({ registry: true });
  dir = await tempDir('status-cosign-interop-');
  local = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  pki = join(dir, 'pki');
  await makeRootCa(pki, 'root', '/C=US/O=Vouch Test/CN=cosign status root'); // 30 days
  signer = await issueSigningLeaf(pki, 'root', 'signer', 'ec-256', '/C=US/O=Vouch Test/CN=cosign status signer'); // 10 days
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: 'status-interop' };
  await writeDemoImage(join(dir, 'img'), '1.0', 'cosign status interop\n');
  for (const args of [['generate-key-pair'], ['import-key-pair', '--key', signer.key, '--output-key-prefix', 'certified']]) {
    const r = await run(cosigns.v2 as string, args, { env, cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await local?.close();
  await peers?.stop();
  await removeTempDirs();
});

const vouch = (args: string[]): Promise<RunResult> => runCli(args, env, dir);
const cosign = (version: 'v2' | 'v3', args: string[]): Promise<RunResult> =>
  run(cosigns[version] as string, args, { env: { ...env, COSIGN_YES: 'true' }, cwd: dir, timeoutMs: 120_000 });

for (const where of ['docker-registry', 'vouch registry'] as const) {
  describe(where, () => {
    test('status reports the chain cosign attached, its leaf first to break, and a key-signed signature as unverified', async () => {
      const host = where === 'vouch registry' ? local.host : peers.registryHost as string;
      const image = `${host}/status/cosign:1.0`;
      const pushed = await vouch(['push', image, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust']);
      assert.equal(pushed.code, 0, pushed.stderr);
      const withCert = await cosign('v2', ['sign', '--key', 'certified.key', '--certificate', signer.leaf, '--certificate-chain', join(pki, 'root.crt'), '--tlog-upload=false', image]);
      assert.equal(withCert.code, 0, withCert.stderr);
      const keyOnly = await cosign('v3', ['sign', '--key', 'cosign.key', '--tlog-upload=false', '--new-bundle-format=false', '--use-signing-config=false', image]);
      assert.equal(keyOnly.code, 0, keyOnly.stderr);

      const r = await vouch(['status', image, '--json']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const [st] = JSON.parse(r.stdout) as RepoStatus[];
      const sigs = st?.images[0]?.signatures ?? [];
      assert.deepEqual(sigs.map((s) => [s.kind, s.signer, s.verifies]), [['cosign', 'C=US, O=Vouch Test, CN=cosign status signer', true], ['cosign', 'key-signed', true]]);
      assert.deepEqual(sigs[0]?.certificates.map((c) => [c.position, c.notAfter]), [['leaf', await notAfter(signer.leaf)], ['root', await notAfter(join(pki, 'root.crt'))]]);
      assert.equal(st?.firstToBreak?.name, 'cosign leaf certificate "cosign status signer"');
      assert.equal(st?.firstToBreak?.expires, await notAfter(signer.leaf));
      assert.match(sigs[1]?.unverified ?? '', /no certificate/);

      assert.equal((await vouch(['status', image, '--warn', '5d'])).code, 0);
      const text = await vouch(['status', image]);
      assert.match(text.stdout, /first to break: cosign leaf certificate "cosign status signer" expires \S+ \(in (9|10)d\)/);
    });
  });
}
