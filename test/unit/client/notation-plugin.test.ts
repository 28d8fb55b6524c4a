// Notation plugins through `vouch notation …` (the code that ships: discovery, the runner, the
// protocol checks, the signer and the verifier), driven with the tests' own plugin
// (test/support/notation-test-plugin.ts, written from the protocol specification) in an OCI
// layout: signing in both modes (generate-signature, generate-envelope), verification plugins
// named by a signature, and every hostile answer refused with an error that names it, with
// nothing written to the layout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../support/cli.js';
import { buildImageLayout } from '../../support/image.js';
import {
  TEST_PLUGIN, globalPolicy, installTestPlugin, issueSigningLeaf, makeNotationHome, makeRootCa, pluginRequests, type SigningIdentity,
} from '../../support/notation.js';
import { scratchDirs } from '../../support/scratch.js';

const scratch = scratchDirs();
const tempDir = scratch.tempDir;
after(async () => { await scratch.removeAll(); });

const show = (r: CliResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const IDENTITY = 'x509.subject: C=US, ST=WA, O=Vouch Test';
const RAW_CAPS = ['SIGNATURE_GENERATOR.RAW', 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY', 'SIGNATURE_VERIFIER.REVOCATION_CHECK'];
const ENVELOPE_CAPS = ['SIGNATURE_GENERATOR.ENVELOPE', 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY', 'SIGNATURE_VERIFIER.REVOCATION_CHECK'];

let pki: string;
let signer: SigningIdentity;

before(async () => {
  pki = await tempDir('vouch-plugin-pki-');
  await makeRootCa(pki, 'root', '/C=US/ST=WA/O=Vouch Test/CN=Vouch Test Root');
  signer = await issueSigningLeaf(pki, 'root', 'plugin', 'ec-256', '/C=US/ST=WA/O=Vouch Test/CN=plugin signer');
});

interface Home { env: Record<string, string>; pluginDir: string }

async function home(caps: string[] = RAW_CAPS, extra: Record<string, unknown> = {}, level = 'strict'): Promise<Home> {
  const env = await makeNotationHome(await tempDir('vouch-plugin-home-'), { trustStores: { test: [join(pki, 'root.crt')] }, policy: globalPolicy(level, ['ca:test'], [IDENTITY]) });
  const pluginDir = await installTestPlugin(env, { keyId: 'key-1', keyFile: signer.key, chainFile: signer.chain, keySpec: 'EC-256', capabilities: caps, ...extra });
  return { env, pluginDir };
}

async function image(name: string): Promise<{ ref: string; layout: string; digest: string }> {
  const img = await buildImageLayout(await tempDir('vouch-plugin-img-'), name, 'v1', `plugin test ${name}`);
  return { ref: `${img.layout}@${img.digest}`, layout: img.layout, digest: img.digest };
}

const sign = (h: Home, ref: string, args: string[] = []): Promise<CliResult> => runCli(['notation', 'sign', '--oci-layout', ref, '--plugin', TEST_PLUGIN, '--id', 'key-1', ...args], h.env);
const verify = (h: Home, ref: string, args: string[] = []): Promise<CliResult> => runCli(['notation', 'verify', '--oci-layout', ref, '--scope', 'local/app', '-o', 'json', ...args], h.env);

interface VerifyJson { verified: boolean; signatures: { verdict?: { failure?: { check: string; status: string; message?: string }; checks: { check: string; status: string; message?: string }[] } }[] }
const failureOf = (r: CliResult): { check: string; status: string; message?: string } | undefined => (JSON.parse(r.stdout) as VerifyJson).signatures[0]?.verdict?.failure;

async function indexEntries(layout: string): Promise<number> {
  return (JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] }).manifests.length;
}

/** The signature manifests of `layout` (entries with a subject), parsed. */
async function signatureManifests(layout: string): Promise<{ annotations: Record<string, string>; layers: { digest: string }[] }[]> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const out = [];
  for (const d of index.manifests) {
    const m = JSON.parse(await readFile(join(layout, 'blobs', 'sha256', d.digest.slice(7)), 'utf8')) as { subject?: unknown; annotations: Record<string, string>; layers: { digest: string }[] };
    if (m.subject) out.push(m);
  }
  return out;
}

/** A JWS by the test signer with extra protected headers (critical ones listed in crit), attached to the layout's image. */
async function attachCraftedSignature(img: { layout: string; digest: string }, extra: Record<string, unknown>, critical: string[]): Promise<void> {
  const manifestBytes = await readFile(join(img.layout, 'blobs', 'sha256', img.digest.slice(7)));
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: img.digest, size: manifestBytes.length };
  const header = {
    alg: 'ES256', cty: 'application/vnd.cncf.notary.payload.v1+json', 'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    ...extra, crit: ['io.cncf.notary.signingScheme', ...critical],
  };
  const b64 = (s: string): string => Buffer.from(s).toString('base64url');
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify({ targetArtifact: target }))}`;
  const sig = nodeSign('sha256', Buffer.from(input), { key: createPrivateKey(await readFile(signer.key)), dsaEncoding: 'ieee-p1363' });
  const x5c = [...(await readFile(signer.chain, 'utf8')).matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END/g)].map((m) => (m[1] as string).replace(/\s+/g, ''));
  const envelope = Buffer.from(JSON.stringify({ payload: input.split('.')[1], protected: input.split('.')[0], header: { x5c }, signature: sig.toString('base64url') }));
  const { createHash } = await import('node:crypto');
  const hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const empty = Buffer.from('{}');
  const thumbs = x5c.map((c) => hex(Buffer.from(c, 'base64')));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.cncf.notary.signature', digest: `sha256:${hex(empty)}`, size: 2 },
    layers: [{ mediaType: 'application/jose+json', digest: `sha256:${hex(envelope)}`, size: envelope.length }],
    subject: target, annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(thumbs) },
  }));
  for (const b of [empty, envelope, manifest]) await writeFile(join(img.layout, 'blobs', 'sha256', hex(b)), b);
  const index = JSON.parse(await readFile(join(img.layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
  index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${hex(manifest)}`, size: manifest.length });
  await writeFile(join(img.layout, 'index.json'), JSON.stringify(index));
}

describe('signing with a plugin key', () => {
  test('generate-signature: vouch builds the JWS, the plugin signs its signing input; the signature verifies', async () => {
    const h = await home();
    const img = await image('raw');
    const r = await sign(h, img.ref, ['--plugin-config', 'region=eu']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^Successfully signed /);
    const reqs = await pluginRequests(h.pluginDir);
    assert.deepEqual(reqs.map((q) => q.command), ['get-plugin-metadata', 'describe-key', 'generate-signature']);
    const gen = reqs[2]?.request as Record<string, unknown>;
    assert.equal(gen.contractVersion, '1.0');
    assert.equal(gen.keyId, 'key-1');
    assert.equal(gen.keySpec, 'EC-256');
    assert.equal(gen.hashAlgorithm, 'SHA-256');
    assert.deepEqual(gen.pluginConfig, { region: 'eu' });
    // the payload is the JWS signing input, base64 (the specification's double encoding)
    assert.match(Buffer.from(gen.payload as string, 'base64').toString(), /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const [m] = await signatureManifests(img.layout);
    const envelope = JSON.parse(await readFile(join(img.layout, 'blobs', 'sha256', (m?.layers[0]?.digest as string).slice(7)), 'utf8')) as { header: Record<string, string> };
    assert.equal(envelope.header['io.cncf.notary.signingAgent'], `vouch ${TEST_PLUGIN}/1.2.0`);
    const v = await verify(h, img.ref);
    assert.equal(v.code, 0, show(v));
  });

  test('generate-signature with --signature-format cose: vouch builds the COSE envelope, the plugin signs its Sig_structure', async () => {
    const h = await home();
    const img = await image('rawcose');
    const r = await sign(h, img.ref, ['--signature-format', 'cose']);
    assert.equal(r.code, 0, show(r));
    const gen = (await pluginRequests(h.pluginDir)).find((q) => q.command === 'generate-signature')?.request as Record<string, unknown>;
    // RFC 9052 §4.4: an array of four (0x84) whose first member is the text "Signature1"
    const signed = Buffer.from(gen.payload as string, 'base64');
    assert.equal(signed[0], 0x84);
    assert.equal(signed.subarray(1, 12).toString('latin1'), '\x6aSignature1');
    const [m] = await signatureManifests(img.layout);
    assert.equal((m as unknown as { layers: { mediaType: string }[] }).layers[0]?.mediaType, 'application/cose');
    const v = await verify(h, img.ref);
    assert.equal(v.code, 0, show(v));
  });

  test('a plugin that generates whole envelopes is not asked to sign when a timestamp is wanted: refused by name, nothing written', async () => {
    const h = await home(ENVELOPE_CAPS);
    const img = await image('envtsa');
    const r = await sign(h, img.ref, ['--timestamp-url', 'http://127.0.0.1:9/', '--timestamp-root-cert', join(pki, 'root.crt')]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /plugin io\.vouch\.test generates whole signature envelopes \(SIGNATURE_GENERATOR\.ENVELOPE\), which vouch cannot add an RFC 3161 timestamp to/);
    assert.deepEqual((await pluginRequests(h.pluginDir)).map((q) => q.command), ['get-plugin-metadata']);
    assert.equal((await signatureManifests(img.layout)).length, 0);
  });

  test('generate-envelope with --signature-format cose asks the plugin for a COSE envelope', async () => {
    const h = await home(ENVELOPE_CAPS);
    const img = await image('envcose');
    const r = await sign(h, img.ref, ['--signature-format', 'cose']);
    // the tests' plugin builds JWS envelopes only, and says so in the protocol's error
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /VALIDATION_ERROR: unsupported envelope type application\/cose/);
    const gen = (await pluginRequests(h.pluginDir)).find((q) => q.command === 'generate-envelope')?.request as Record<string, unknown>;
    assert.equal(gen.signatureEnvelopeType, 'application/cose');
    assert.equal((await signatureManifests(img.layout)).length, 0);
  });

  test("a plugin key of signingkeys.json (pluginName, id, pluginConfig); --plugin-config overrides the key's", async () => {
    const h = await home();
    const cfgDir = join(h.env.XDG_CONFIG_HOME as string, 'notation');
    await writeFile(join(cfgDir, 'signingkeys.json'), JSON.stringify({ default: 'kms', keys: [{ name: 'kms', id: 'key-1', pluginName: TEST_PLUGIN, pluginConfig: { region: 'us', tier: 'gold' } }] }));
    const img = await image('keyfile');
    const r = await runCli(['notation', 'sign', '--oci-layout', img.ref, '--plugin-config', 'region=eu'], h.env);
    assert.equal(r.code, 0, show(r));
    const gen = (await pluginRequests(h.pluginDir)).find((q) => q.command === 'generate-signature');
    assert.deepEqual(gen?.request.pluginConfig, { region: 'eu', tier: 'gold' });
  });

  test('generate-envelope: the plugin builds the envelope; its manifest annotations are kept; the verification plugin it names is run', async () => {
    const h = await home(ENVELOPE_CAPS);
    const img = await image('envelope');
    const r = await sign(h, img.ref, ['-m', 'build=7', '--expiry', '24h']);
    assert.equal(r.code, 0, show(r));
    const gen = (await pluginRequests(h.pluginDir)).find((q) => q.command === 'generate-envelope')?.request as Record<string, unknown>;
    assert.equal(gen.payloadType, 'application/vnd.cncf.notary.payload.v1+json');
    assert.equal(gen.signatureEnvelopeType, 'application/jose+json');
    assert.equal(gen.expiryDurationInSeconds, 86400);
    assert.deepEqual(JSON.parse(Buffer.from(gen.payload as string, 'base64').toString()).targetArtifact.annotations, { build: '7' });
    const [m] = await signatureManifests(img.layout);
    assert.equal(m?.annotations['com.example.test-plugin.key'], 'key-1');
    const v = await verify(h, img.ref, ['-m', 'build=7']);
    assert.equal(v.code, 0, show(v));
    const ver = (await pluginRequests(h.pluginDir)).find((q) => q.command === 'verify-signature')?.request as { signature: { criticalAttributes: Record<string, unknown>; unprocessedAttributes: string[]; certificateChain: string[] }; trustPolicy: Record<string, unknown> };
    assert.equal(ver.signature.criticalAttributes.verificationPlugin, TEST_PLUGIN);
    assert.equal(ver.signature.criticalAttributes.signingScheme, 'notary.x509');
    assert.deepEqual(ver.signature.unprocessedAttributes, []);
    assert.equal(ver.signature.certificateChain.length, 2);
    assert.deepEqual(ver.trustPolicy, { trustedIdentities: [IDENTITY], signatureVerification: ['SIGNATURE_VERIFIER.TRUSTED_IDENTITY', 'SIGNATURE_VERIFIER.REVOCATION_CHECK'] });
    // the plugin's results are the checks' results
    const checks = (JSON.parse(v.stdout) as VerifyJson).signatures[0]?.verdict?.checks ?? [];
    assert.equal(checks.find((c) => c.check === 'revocation')?.status, 'passed');
    assert.equal(checks.find((c) => c.check === 'verificationPlugin')?.status, 'passed');
  });

  test('vouch notation plugin list prints the plugins as notation does, with why one cannot be used', async () => {
    const h = await home();
    const broken = join(h.env.XDG_CONFIG_HOME as string, 'notation', 'plugins', 'com.example.missing');
    await mkdir(broken);
    const r = await runCli(['notation', 'plugin', 'list'], h.env);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+DESCRIPTION\s+VERSION\s+CAPABILITIES\s+ERROR\s+$/);
    assert.match(r.stdout, /com\.example\.missing\s+\[\]\s+plugin executable file `notation-com\.example\.missing` not found/);
    assert.match(r.stdout, /io\.vouch\.test\s+vouch test plugin\s+1\.2\.0\s+\[SIGNATURE_GENERATOR\.RAW SIGNATURE_VERIFIER\.TRUSTED_IDENTITY SIGNATURE_VERIFIER\.REVOCATION_CHECK\]\s+<nil>/);
  });
});

describe('verification plugins named by a signature', () => {
  let h: Home;
  let img: { ref: string; layout: string; digest: string };
  before(async () => {
    h = await home(ENVELOPE_CAPS);
    img = await image('verify');
    const r = await sign(h, img.ref);
    assert.equal(r.code, 0, show(r));
  });

  test("the plugin's trusted identity verdict is the authenticity check's", async () => {
    const v = await verify(h, img.ref, ['--plugin-config', 'behaviour=deny-identity']);
    assert.equal(v.code, 1, show(v));
    const f = failureOf(v);
    assert.equal(f?.check, 'authenticity');
    assert.match(f?.message ?? '', /trusted identify verification by plugin "io\.vouch\.test" failed with reason "the signer is not on the allow list"/);
    // audit logs authenticity: the same answer is a warning there
    const audit = await home(ENVELOPE_CAPS, {}, 'audit');
    const a = await runCli(['notation', 'verify', '--oci-layout', img.ref, '--scope', 'local/app', '--plugin-config', 'behaviour=deny-identity'], audit.env);
    assert.equal(a.code, 0, show(a));
    assert.match(a.stderr, /Warning: authenticity was set to "log" and failed with error: trusted identify verification by plugin/);
  });

  test("the plugin's revocation verdict is the revocation check's", async () => {
    const v = await verify(h, img.ref, ['--plugin-config', 'behaviour=revoked']);
    assert.equal(v.code, 1, show(v));
    const f = failureOf(v);
    assert.equal(f?.check, 'revocation');
    assert.match(f?.message ?? '', /revocation check by verification plugin "io\.vouch\.test" failed with reason "the signing key was revoked"/);
  });

  test('a plugin older than the signature\'s verificationPluginMinVersion is refused', async () => {
    const old = await home(ENVELOPE_CAPS, { minVersion: '2.0.0' });
    const i = await image('minversion');
    assert.equal((await sign(old, i.ref)).code, 0);
    const v = await verify(old, i.ref);
    assert.equal(v.code, 1, show(v));
    assert.equal(failureOf(v)?.check, 'verificationPlugin');
    assert.match(failureOf(v)?.message ?? '', /found plugin io\.vouch\.test with version 1\.2\.0 but signature verification needs plugin version greater than or equal to 2\.0\.0/);
  });

  test('a plugin that is not installed, or has no verification capability, makes the signature inconclusive', async () => {
    const bare = await makeNotationHome(await tempDir('vouch-plugin-home-'), { trustStores: { test: [join(pki, 'root.crt')] }, policy: globalPolicy('strict', ['ca:test'], [IDENTITY]) });
    const v = await runCli(['notation', 'verify', '--oci-layout', img.ref, '--scope', 'local/app', '-o', 'json'], bare);
    assert.equal(v.code, 1, show(v));
    assert.equal(failureOf(v)?.status, 'inconclusive');
    assert.match(failureOf(v)?.message ?? '', /error while locating the verification plugin "io\.vouch\.test", make sure the plugin is installed/);
    const signOnly = await home(['SIGNATURE_GENERATOR.ENVELOPE']);
    const w = await verify(signOnly, img.ref);
    assert.equal(w.code, 1, show(w));
    assert.match(failureOf(w)?.message ?? '', /requires plugin "io\.vouch\.test" with signature verification capabilities/);
  });

  test('a plugin name from a signature that is not one directory name is never run', async () => {
    const i = await image('traversal');
    await attachCraftedSignature(i, { 'io.cncf.notary.verificationPlugin': '../../../../bin/sh' }, ['io.cncf.notary.verificationPlugin']);
    const v = await verify(h, i.ref);
    assert.equal(v.code, 1, show(v));
    assert.equal(failureOf(v)?.check, 'verificationPlugin');
    assert.match(failureOf(v)?.message ?? '', /"\.\.\/\.\.\/\.\.\/\.\.\/bin\/sh" is not a plugin name/);
  });

  test('every critical attribute the verifier does not know must be processed by the plugin', async () => {
    const i = await image('unprocessed');
    await attachCraftedSignature(i, { 'io.cncf.notary.verificationPlugin': TEST_PLUGIN, 'com.example.tier': 'gold' }, ['io.cncf.notary.verificationPlugin', 'com.example.tier']);
    const ok = await verify(h, i.ref);
    assert.equal(ok.code, 0, show(ok));
    const req = (await pluginRequests(h.pluginDir)).filter((q) => q.command === 'verify-signature').pop()?.request as { signature: { unprocessedAttributes: string[]; criticalAttributes: { extendedAttributes: Record<string, unknown> } } };
    assert.deepEqual(req.signature.unprocessedAttributes, ['com.example.tier']);
    assert.deepEqual(req.signature.criticalAttributes.extendedAttributes, { 'com.example.tier': 'gold' });
    const skipped = await verify(h, i.ref, ['--plugin-config', 'behaviour=skip-attributes']);
    assert.equal(skipped.code, 1, show(skipped));
    assert.match(failureOf(skipped)?.message ?? '', /extended critical attribute "com\.example\.tier" was not processed by the verification plugin/);
  });

  test('a verify-signature answer with results it was not asked for is refused', async () => {
    const v = await verify(h, img.ref, ['--plugin-config', 'behaviour=extra-result']);
    assert.equal(v.code, 1, show(v));
    assert.equal(failureOf(v)?.check, 'verificationPlugin');
    assert.match(failureOf(v)?.message ?? '', /results for checks it was not asked for: SIGNATURE_VERIFIER\.SOMETHING/);
  });
});

describe('hostile or broken plugins are refused, and nothing is written', () => {
  const refused: [string, string[], string[] | undefined, RegExp][] = [
    ['oversize output (over 64 MiB on stdout)', ['behaviour=oversize', 'on=describe-key'], undefined, /describe-key command for plugin io\.vouch\.test wrote more than 67108864 bytes to stdout and was stopped/],
    ['a hang (past --plugin-timeout)', ['behaviour=hang', 'on=generate-signature'], ['--plugin-timeout', '1s'], /generate-signature command for plugin io\.vouch\.test did not finish within 1 s and was stopped/],
    ['a key spec that is not its key\'s', ['behaviour=wrong-keyspec'], undefined, /describe-key said key key-1 is EC-384, but the signing certificate's key is EC-256/],
    ['a certificate chain that breaks the rules (the leaf without its root)', ['behaviour=bad-chain'], undefined, /the certificate chain does not meet the Notary Project certificate requirements: invalid self-signed certificate/],
    ['a signature that does not verify', ['behaviour=bad-signature'], undefined, /the signature does not verify with the signing certificate's key/],
    ['output that is not JSON', ['behaviour=bad-json', 'on=describe-key'], undefined, /plugin io\.vouch\.test answered describe-key with output that is not JSON/],
    ['a non-zero exit without the protocol\'s error', ['behaviour=crash', 'on=get-plugin-metadata'], undefined, /get-plugin-metadata command for plugin io\.vouch\.test exited with status 2: panic: runtime error/],
    ['the protocol\'s error answer', ['behaviour=error', 'on=generate-signature'], undefined, /failed to execute the generate-signature command for plugin io\.vouch\.test: ACCESS_DENIED: the key vault refused access to the key/],
  ];
  for (const [what, config, extra, message] of refused) {
    test(what, async () => {
      const h = await home();
      const img = await image('hostile');
      const before = await indexEntries(img.layout);
      const r = await sign(h, img.ref, [...config.flatMap((c) => ['--plugin-config', c]), ...(extra ?? [])]);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, message);
      assert.equal(await indexEntries(img.layout), before, 'nothing is written on a refused signature');
    });
  }

  test('generate-envelope signing another digest is refused', async () => {
    const h = await home(ENVELOPE_CAPS);
    const img = await image('otherdigest');
    const r = await sign(h, img.ref, ['--plugin-config', 'behaviour=other-digest']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /during signing descriptor subject has changed/);
    assert.equal((await signatureManifests(img.layout)).length, 0);
  });

  test('a generated envelope whose signature does not verify is refused', async () => {
    const h = await home(ENVELOPE_CAPS);
    const img = await image('envbadsig');
    const r = await sign(h, img.ref, ['--plugin-config', 'behaviour=bad-signature']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /plugin io\.vouch\.test: generated signature failed verification: signature is invalid/);
    assert.equal((await signatureManifests(img.layout)).length, 0);
  });

  test('a plugin that hangs or answers garbage in verify-signature fails the verification plugin check', async () => {
    const h = await home(ENVELOPE_CAPS);
    const img = await image('verifyhostile');
    assert.equal((await sign(h, img.ref)).code, 0);
    const hang = await verify(h, img.ref, ['--plugin-config', 'behaviour=hang', '--plugin-config', 'on=verify-signature', '--plugin-timeout', '1s']);
    assert.equal(hang.code, 1, show(hang));
    assert.equal(failureOf(hang)?.check, 'verificationPlugin');
    assert.match(failureOf(hang)?.message ?? '', /verify-signature command for plugin io\.vouch\.test did not finish within 1 s/);
    const junk = await verify(h, img.ref, ['--plugin-config', 'behaviour=bad-json', '--plugin-config', 'on=verify-signature']);
    assert.equal(junk.code, 1, show(junk));
    assert.match(failureOf(junk)?.message ?? '', /answered verify-signature with output that is not JSON/);
  });

  test('a symlinked plugin executable is not run', async () => {
    const h = await home();
    const dir = join(h.env.XDG_CONFIG_HOME as string, 'notation', 'plugins', 'com.example.link');
    await mkdir(dir);
    await symlink(join(h.pluginDir, `notation-${TEST_PLUGIN}`), join(dir, 'notation-com.example.link'));
    const img = await image('symlink');
    const r = await runCli(['notation', 'sign', '--oci-layout', img.ref, '--plugin', 'com.example.link', '--id', 'key-1'], h.env);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /is not a regular file \(symlinks are not supported\)/);
  });

  test('--plugin and --id go together, and not with --key', async () => {
    const h = await home();
    const img = await image('flags');
    const a = await runCli(['notation', 'sign', '--oci-layout', img.ref, '--plugin', TEST_PLUGIN], h.env);
    assert.equal(a.code, 2, show(a));
    assert.match(a.stderr, /missing \[id\]/);
    const b = await runCli(['notation', 'sign', '--oci-layout', img.ref, '--plugin', TEST_PLUGIN, '--id', 'key-1', '--key', 'x'], h.env);
    assert.equal(b.code, 2, show(b));
  });
});

describe('vouch notation verify with several references (one process)', () => {
  test('each is answered in order as notation answers one; any failure makes the exit status 1', async () => {
    const h = await home();
    const a = await image('batch-a');
    const b = await image('batch-b');
    const unsigned = await image('batch-unsigned');
    for (const i of [a, b]) assert.equal((await sign(h, i.ref)).code, 0);
    const ok = await runCli(['notation', 'verify', '--oci-layout', '--scope', 'local/app', a.ref, b.ref], h.env);
    assert.equal(ok.code, 0, show(ok));
    assert.equal(ok.stdout, `Successfully verified signature for ${a.ref}\nSuccessfully verified signature for ${b.ref}\n`);
    const mixed = await runCli(['notation', 'verify', '--oci-layout', '--scope', 'local/app', a.ref, unsigned.ref, b.ref], h.env);
    assert.equal(mixed.code, 1, show(mixed));
    assert.equal(mixed.stdout, `Successfully verified signature for ${a.ref}\nSuccessfully verified signature for ${b.ref}\n`);
    assert.match(mixed.stderr, new RegExp(`Error: ${unsigned.ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no signature is associated with`));
    assert.match(mixed.stderr, /signature verification failed for 1 of 3 artifacts/);
    const json = await runCli(['notation', 'verify', '--oci-layout', '--scope', 'local/app', '-o', 'json', a.ref, unsigned.ref], h.env);
    assert.equal(json.code, 1, show(json));
    assert.deepEqual((JSON.parse(json.stdout) as { verified: boolean }[]).map((r) => r.verified), [true, false]);
  });
});
