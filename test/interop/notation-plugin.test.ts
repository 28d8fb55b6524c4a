// Notation plugins against the real `notation` v1.3.2: the tests' own plugin
// (test/support/notation-test-plugin.ts, written from the protocol specification) is installed
// once in notation's config directory, and both tools sign through it and verify each other's
// signatures, in an OCI layout, on docker-registry (tag fallback) and on `vouch registry`
// (referrers API):
//  - SIGNATURE_GENERATOR.RAW: the signer builds the envelope (JWS, and COSE), the plugin signs;
//  - SIGNATURE_GENERATOR.ENVELOPE: the plugin builds an envelope naming itself as the critical
//    verification plugin, so both verifiers must run its verify-signature;
//  - the plugin's denials (trusted identity, revocation) and an insufficient plugin version give
//    the same verdict in both tools.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RegistryClient } from '../../src/oci/client.js';
import { pushImage } from '../../src/oci/copy.js';
import { OciLayout } from '../../src/oci/layout.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { buildImageLayout } from '../support/image.js';
import {
  TEST_PLUGIN, globalPolicy, installTestPlugin, issueSigningLeaf, makeNotationHome, makeRootCa, notationBinary, pluginRequests, runNotation,
  type SigningIdentity,
} from '../support/notation.js';
import { startPeers, type Peers, type RunResult } from '../support/peers.js';
import { scratchDirs } from '../support/scratch.js';

const scratch = scratchDirs();
const tempDir = scratch.tempDir;
const show = (r: { code: number; stdout: string; stderr: string }): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const IDENTITY = 'x509.subject: C=US, ST=WA, O=Vouch Test';
const RAW_CAPS = ['SIGNATURE_GENERATOR.RAW', 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY', 'SIGNATURE_VERIFIER.REVOCATION_CHECK'];
const ENVELOPE_CAPS = ['SIGNATURE_GENERATOR.ENVELOPE', 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY', 'SIGNATURE_VERIFIER.REVOCATION_CHECK'];

let signer: SigningIdentity;
let pki: string;
let peers: Peers | undefined;
let reg: RunningRegistry | undefined;

async function home(caps: string[], extra: Record<string, unknown> = {}): Promise<{ env: Record<string, string>; pluginDir: string }> {
  const env = await makeNotationHome(await tempDir('vouch-nphome-'), { trustStores: { test: [join(pki, 'root.crt')] }, policy: globalPolicy('strict', ['ca:test'], [IDENTITY]) });
  const pluginDir = await installTestPlugin(env, { keyId: 'key-1', keyFile: signer.key, chainFile: signer.chain, keySpec: 'EC-256', capabilities: caps, ...extra });
  return { env, pluginDir };
}

before(async () => {
  await notationBinary();
  pki = await tempDir('vouch-nppki-');
  await makeRootCa(pki, 'root', '/C=US/ST=WA/O=Vouch Test/CN=Vouch Test Root');
  signer = await issueSigningLeaf(pki, 'root', 'plugin', 'ec-256', '/C=US/ST=WA/O=Vouch Test/CN=plugin signer');
  peers = await startPeers({ registry: true });
  reg = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-npreg-') });
});

after(async () => {
  await reg?.close();
  await peers?.stop();
  await scratch.removeAll();
});

/** Where the image lives; the arguments naming it for each tool (verify adds --scope for a layout). */
interface Place { name: string; image(name: string): Promise<{ vouch: string[]; notation: string[]; verifyExtra: string[] }> }

const layoutPlace: Place = {
  name: 'OCI layout',
  async image(name) {
    const img = await buildImageLayout(await tempDir('vouch-nplayout-'), name, 'v1', `plugin interop ${name}`);
    const args = ['--oci-layout', `${img.layout}@${img.digest}`];
    return { vouch: args, notation: args, verifyExtra: ['--scope', 'local/app'] };
  },
};

function registryPlace(name: string, host: () => string): Place {
  let n = 0;
  return {
    name,
    async image(imgName) {
      const repo = `plugin/${imgName}-${++n}`;
      const img = await buildImageLayout(await tempDir('vouch-npreg-img-'), repo, 'v1', `plugin interop ${imgName} ${n}`);
      const c = new RegistryClient({ registry: host(), scheme: 'http' });
      try {
        const layout = await OciLayout.open(img.layout);
        await pushImage(c, repo, layout, layout.resolve('v1'), { tag: 'v1' });
      } finally { await c.close(); }
      const ref = `${host()}/${repo}@${img.digest}`;
      return { vouch: [ref, '--plain-http'], notation: [ref, '--insecure-registry'], verifyExtra: [] };
    },
  };
}

const places: Place[] = [
  layoutPlace,
  registryPlace('docker-registry (tag fallback)', () => peers?.registryHost as string),
  registryPlace('vouch registry (referrers API)', () => reg?.host as string),
];

const vouchSign = (env: Record<string, string>, args: string[], extra: string[] = []): Promise<CliResult> => runCli(['notation', 'sign', ...args, '--plugin', TEST_PLUGIN, '--id', 'key-1', ...extra], env);
const notationSign = (env: Record<string, string>, args: string[], extra: string[] = []): Promise<RunResult> => runNotation(env, ['sign', ...args, '--plugin', TEST_PLUGIN, '--id', 'key-1', ...extra]);
const vouchVerify = (env: Record<string, string>, img: { vouch: string[]; verifyExtra: string[] }, extra: string[] = []): Promise<CliResult> => runCli(['notation', 'verify', ...img.vouch, ...img.verifyExtra, ...extra], env);
/** -v: notation prints why each check failed only when verbose. */
const notationVerify = (env: Record<string, string>, img: { notation: string[]; verifyExtra: string[] }, extra: string[] = []): Promise<RunResult> => runNotation(env, ['verify', '-v', ...img.notation, ...img.verifyExtra, ...extra]);

for (const place of places) {
  describe(`notation plugins interop: ${place.name}`, () => {
    for (const format of ['jws', 'cose'] as const) {
      test(`generate-signature, ${format}: notation signs through the plugin → vouch verifies; vouch signs through it → notation verifies`, async () => {
        const h = await home(RAW_CAPS);
        const formatArgs = ['--signature-format', format];
        const a = await place.image(`raw${format}-n2v`);
        const ns = await notationSign(h.env, a.notation, formatArgs);
        assert.equal(ns.code, 0, show(ns));
        const vv = await vouchVerify(h.env, a);
        assert.equal(vv.code, 0, show(vv));
        const b = await place.image(`raw${format}-v2n`);
        const vs = await vouchSign(h.env, b.vouch, formatArgs);
        assert.equal(vs.code, 0, show(vs));
        const nv = await notationVerify(h.env, b);
        assert.equal(nv.code, 0, show(nv));
        // both asked the plugin the same way, to sign the same kind of signing input: the JWS
        // `protected.payload`, or the COSE Sig_structure (RFC 9052 §4.4: an array of four, "Signature1" first)
        const calls = (await pluginRequests(h.pluginDir)).filter((q) => q.command === 'generate-signature').map((q) => ({
          keySpec: q.request.keySpec, hashAlgorithm: q.request.hashAlgorithm, keyId: q.request.keyId,
          input: format === 'jws' ? /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(Buffer.from(q.request.payload as string, 'base64').toString()) : Buffer.from(q.request.payload as string, 'base64').subarray(0, 12).toString('latin1') === '\x84\x6aSignature1',
        }));
        const expected = { keySpec: 'EC-256', hashAlgorithm: 'SHA-256', keyId: 'key-1', input: true };
        assert.deepEqual(calls, [expected, expected]);
      });
    }

    test('generate-envelope: the plugin names itself as verification plugin; each tool verifies the other\'s signature by running it', async () => {
      const h = await home(ENVELOPE_CAPS);
      const a = await place.image('env-n2v');
      const ns = await notationSign(h.env, a.notation);
      assert.equal(ns.code, 0, show(ns));
      const vv = await vouchVerify(h.env, a);
      assert.equal(vv.code, 0, show(vv));
      const b = await place.image('env-v2n');
      const vs = await vouchSign(h.env, b.vouch);
      assert.equal(vs.code, 0, show(vs));
      const before = (await pluginRequests(h.pluginDir)).filter((q) => q.command === 'verify-signature').length;
      const nv = await notationVerify(h.env, b);
      assert.equal(nv.code, 0, show(nv));
      assert.equal((await pluginRequests(h.pluginDir)).filter((q) => q.command === 'verify-signature').length, before + 1, 'notation ran the verification plugin');
    });
  });
}

describe('notation plugins interop: the same verdicts from the plugin in both tools (OCI layout)', () => {
  test("the plugin's trusted-identity denial and revocation are refused by both", async () => {
    const h = await home(ENVELOPE_CAPS);
    const img = await layoutPlace.image('deny');
    assert.equal((await vouchSign(h.env, img.vouch)).code, 0);
    for (const [behaviour, vouchMessage, notationMessage] of [
      ['deny-identity', /authenticity failed: trusted identify verification by plugin "io\.vouch\.test" failed with reason "the signer is not on the allow list"/, /trusted identify verification by plugin "io\.vouch\.test" failed with reason "the signer is not on the allow list"/],
      ['revoked', /revocation failed: revocation check by verification plugin "io\.vouch\.test" failed with reason "the signing key was revoked"/, /revocation check by verification plugin "io\.vouch\.test" failed with reason "the signing key was revoked"/],
    ] as const) {
      const v = await vouchVerify(h.env, img, ['--plugin-config', `behaviour=${behaviour}`]);
      assert.equal(v.code, 1, show(v));
      assert.match(v.stderr, vouchMessage);
      const n = await notationVerify(h.env, img, ['--plugin-config', `behaviour=${behaviour}`]);
      assert.equal(n.code, 1, show(n));
      assert.match(n.stderr, notationMessage, show(n));
    }
  });

  test('inspect shows plugin-made signatures (generate-signature JWS and COSE, generate-envelope) as notation does', async () => {
    const raw = await home(RAW_CAPS);
    const envelopes = await home(ENVELOPE_CAPS);
    const img = await (places[2] as Place).image('inspect');
    for (const format of ['jws', 'cose']) assert.equal((await vouchSign(raw.env, img.vouch, ['--signature-format', format])).code, 0);
    assert.equal((await vouchSign(envelopes.env, img.vouch)).code, 0);
    const ref = img.vouch[0] as string;
    const theirs = await runNotation(raw.env, ['inspect', '--insecure-registry', '-o', 'json', ref]);
    assert.equal(theirs.code, 0, show(theirs));
    const mine = await runCli(['notation', 'inspect', '--plain-http', '-o', 'json', ref], raw.env);
    assert.equal(mine.code, 0, show(mine));
    type Inspected = { Signatures: { digest: string; mediaType: string; signedAttributes?: Record<string, unknown> }[] };
    const t = JSON.parse(theirs.stdout) as Inspected;
    const m = JSON.parse(mine.stdout) as Inspected;
    assert.deepEqual(t.Signatures.map((x) => x.mediaType).sort(), ['application/cose', 'application/jose+json', 'application/jose+json']);
    for (const sig of t.Signatures) assert.deepEqual(m.Signatures.find((x) => x.digest === sig.digest), sig, `${sig.mediaType} ${sig.digest}: every field notation prints`);
  });

  test('a plugin older than the signature\'s verificationPluginMinVersion is refused by both', async () => {
    const h = await home(ENVELOPE_CAPS, { minVersion: '2.0.0' });
    const img = await layoutPlace.image('minversion');
    const ns = await notationSign(h.env, img.notation);
    assert.equal(ns.code, 0, show(ns));
    const v = await vouchVerify(h.env, img);
    assert.equal(v.code, 1, show(v));
    assert.match(v.stderr, /found plugin io\.vouch\.test with version 1\.2\.0 but signature verification needs plugin version greater than or equal to 2\.0\.0/);
    const n = await notationVerify(h.env, img);
    assert.equal(n.code, 1, show(n));
    assert.match(n.stderr, /found plugin io\.vouch\.test with version 1\.2\.0 but signature verification needs plugin version greater than or equal to 2\.0\.0/, show(n));
  });

  test('a plugin key of signingkeys.json signs in both tools; plugin list prints the same table', async () => {
    const h = await home(RAW_CAPS);
    const { writeFile, mkdir } = await import('node:fs/promises');
    const cfg = join(h.env.XDG_CONFIG_HOME as string, 'notation');
    await writeFile(join(cfg, 'signingkeys.json'), JSON.stringify({ default: 'kms', keys: [{ name: 'kms', id: 'key-1', pluginName: TEST_PLUGIN, pluginConfig: { region: 'eu' } }] }));
    const img = await layoutPlace.image('keystore');
    const vs = await runCli(['notation', 'sign', ...img.vouch, '--key', 'kms'], h.env);
    assert.equal(vs.code, 0, show(vs));
    const ns = await runNotation(h.env, ['sign', ...img.notation, '--key', 'kms']);
    assert.equal(ns.code, 0, show(ns));
    const configs = (await pluginRequests(h.pluginDir)).filter((q) => q.command === 'generate-signature').map((q) => q.request.pluginConfig);
    assert.deepEqual(configs, [{ region: 'eu' }, { region: 'eu' }]);
    const n = await notationVerify(h.env, img);
    assert.equal(n.code, 0, show(n));
    await mkdir(join(cfg, 'plugins', 'com.example.missing'));
    const mine = await runCli(['notation', 'plugin', 'list'], h.env);
    const theirs = await runNotation(h.env, ['plugin', 'list']);
    assert.equal(mine.code, 0, show(mine));
    assert.equal(theirs.code, 0, show(theirs));
    assert.equal(mine.stdout, theirs.stdout);
    assert.match(mine.stdout, /com\.example\.missing .*plugin executable file `notation-com\.example\.missing` not found/);
  });
});
