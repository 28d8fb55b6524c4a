// vouch cosign against the embedded registry: key pairs, sign and verify in the legacy .sig format
// (--new-bundle-format=false; bundles are test/unit/cli/cosign-bundle.test.ts),
// and the refusals (wrong key, a payload for another digest, a tampered payload, missing
// annotations, no tlog flags), plus two signers writing the same .sig tag at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import { runRegistry } from '../../../src/registry/index.js';
import { createContext } from '../../../src/cli/context.js';
import { Session } from '../../../src/client/session.js';
import { signCosign } from '../../../src/client/cosign.js';
import { decryptCosignKey } from '../../../src/keys/cosign.js';
import { parseReference } from '../../../src/oci/reference.js';
import { cosign } from '../../../src/sig/index.js';
import { runCli } from '../../support/cli.js';
import { projectRoot } from '../../support/paths.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

let registry: RunningRegistry;
let dir: string;
let env: Record<string, string>;
let image: string;
let other: string;

before(async () => {
  dir = await tempDir('vouch-cosign-');
  registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: 'cosign-pass' };
  await writeDemoImage(join(dir, 'img'), '1.0', 'cosign one\n');
  await writeDemoImage(join(dir, 'img2'), '2.0', 'cosign two\n');
  image = `${registry.host}/team/app:1.0`;
  other = `${registry.host}/team/app:2.0`;
  for (const [ref, from] of [[image, 'img'], [other, 'img2']] as const) {
    const r = await runCli(['push', ref, '--from', `oci:${join(dir, from)}`, '--disable-content-trust'], env, dir);
    assert.equal(r.code, 0, r.stderr);
  }
  for (const prefix of ['cosign', 'other']) {
    const r = await runCli(['cosign', 'generate-key-pair', '--output-key-prefix', prefix], env, dir);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await registry?.close();
  await removeTempDirs();
});

const cli = (args: string[], extra: Record<string, string> = {}): ReturnType<typeof runCli> => runCli(args, { ...env, ...extra }, dir);

test('generate-key-pair writes cosign.key (0600, encrypted) and cosign.pub, and will not overwrite them', async () => {
  assert.equal((await stat(join(dir, 'cosign.key'))).mode & 0o777, 0o600);
  assert.match(await readFile(join(dir, 'cosign.key'), 'utf8'), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
  assert.match(await readFile(join(dir, 'cosign.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  const again = await cli(['cosign', 'generate-key-pair']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
});

test('sign then verify: the payload names the digest, annotations are signed, the JSON payload array is printed', async () => {
  const signed = await cli(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', '--new-bundle-format=false', '-a', 'build=42', image]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stderr, /Pushing signature to: /);
  const v = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog=true', '-a', 'build=42', image]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr, /The cosign claims were validated/);
  const payloads = JSON.parse(v.stdout) as Array<{ critical: { image: { 'docker-manifest-digest': string }; type: string }; optional: Record<string, string> }>;
  assert.equal(payloads.length, 1);
  assert.match(payloads[0]?.critical.image['docker-manifest-digest'] ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(payloads[0]?.critical.type, 'cosign container image signature');
  assert.equal(payloads[0]?.optional.build, '42');
});

test('refused: another key, an annotation not signed, an unsigned image, and no tlog flags', async () => {
  const wrongKey = await cli(['cosign', 'verify', '--key', 'other.pub', '--insecure-ignore-tlog', image]);
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.stderr, /no matching signatures: .*does not verify with the given public key/);
  const missing = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', '-a', 'build=43', image]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /annotation build=43 is not in the signed payload/);
  const unsigned = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', other]);
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stderr, /no signatures found \(sha256-[0-9a-f]{64}\.sig or a Sigstore bundle referring to sha256:[0-9a-f]{64}\)/);
  assert.equal((await cli(['cosign', 'sign', '--key', 'cosign.key', other])).code, 2);
  assert.equal((await cli(['cosign', 'verify', '--key', 'cosign.pub', image])).code, 2);
  const badPassword = await cli(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', other], { COSIGN_PASSWORD: 'nope' });
  assert.equal(badPassword.code, 1);
  assert.match(badPassword.stderr, /decryption failed/);
});

test("a signature moved to another image's .sig tag is refused: the payload names the other digest", async () => {
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const s = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  try {
    const client = s.registryFor(registry.host);
    const one = await client.getManifest('team/app', '1.0');
    const two = await client.getManifest('team/app', '2.0');
    const sig = await client.getManifest('team/app', `sha256-${one.digest.slice(7)}.sig`);
    await client.putManifest('team/app', `sha256-${two.digest.slice(7)}.sig`, sig.bytes, sig.mediaType);
  } finally {
    await s.close();
  }
  const v = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', other]);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /the payload signs sha256:[0-9a-f]{64}, not sha256:/);
});

test('two signers writing the same .sig tag at once both end up in it (read, write, read back, retry)', async () => {
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const key = await decryptCosignKey(await readFile(join(dir, 'cosign.key')), 'cosign-pass');
  const otherKey = await decryptCosignKey(await readFile(join(dir, 'other.key')), 'cosign-pass');
  const s1 = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  const s2 = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  const target = parseReference(`${registry.host}/team/app:2.0`);
  try {
    await Promise.all([
      signCosign(s1, target, key, { annotations: { who: 'one' } }),
      signCosign(s2, target, otherKey, { annotations: { who: 'two' } }),
    ]);
  } finally {
    await s1.close();
    await s2.close();
  }
  for (const [pub, who] of [['cosign.pub', 'one'], ['other.pub', 'two']] as const) {
    const v = await cli(['cosign', 'verify', '--key', pub, '--insecure-ignore-tlog', '-a', `who=${who}`, other]);
    assert.equal(v.code, 0, `${pub}: ${v.stderr}`);
  }
});

test('verify without --key is keyless: it needs the identity flags and a trusted root, and a key-signed layer is no keyless signature', async () => {
  const root = join(projectRoot, 'test', 'fixtures', 'cosign-keyless', 'trusted_root.public-good.json');
  const noIdentity = await cli(['cosign', 'verify', '--trusted-root', root, image]);
  assert.equal(noIdentity.code, 2, noIdentity.stderr);
  assert.match(noIdentity.stderr, /--certificate-identity or --certificate-identity-regexp is required/);
  const noRoot = await cli(['cosign', 'verify', '--certificate-identity', 'a@example.com', '--certificate-oidc-issuer', 'https://accounts.google.com', image]);
  assert.notEqual(noRoot.code, 0);
  assert.match(noRoot.stderr, /needs a Sigstore trusted root[\s\S]*--trusted-root FILE/);
  const keySigned = await cli(['cosign', 'verify', '--certificate-identity', 'a@example.com', '--certificate-oidc-issuer', 'https://accounts.google.com', '--trusted-root', root, image]);
  assert.equal(keySigned.code, 1, keySigned.stderr);
  assert.match(keySigned.stderr, /no matching signatures: .*carries no certificate: it is not a keyless signature/);
});

test('a keyless .sig layer recorded from the real cosign verifies with the identity flags against the public-good root; the wrong identity, a tampered certificate annotation and the key-signed layer do not', async () => {
  // test/fixtures/cosign-keyless/NOTES.md: the two layers of a real `.sig` manifest (a KMS-key
  // signature and a keyless one, the same payload), pushed with a config of our own.
  const fixtures = join(projectRoot, 'test', 'fixtures', 'cosign-keyless');
  const recorded = cosign.parseLegacySignatureManifest(await readFile(join(fixtures, 'sig-layer', 'signature-manifest.json')));
  const payload = await readFile(join(fixtures, 'sig-layer', 'payload.json'));
  const digest = 'sha256:5ce2d8cd8e366d76ce012edc346daeb15a5643c26b9b24a2b731e97a99c6de52';
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const s = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  const push = async (repo: string, layers: cosign.Descriptor[]): Promise<void> => {
    const client = s.registryFor(registry.host);
    const first = layers[0] as cosign.Descriptor;
    await client.pushBlob(repo, first, payload);
    const built = cosign.buildLegacySignatureManifest(layers.slice(0, -1), layers[layers.length - 1] as cosign.Descriptor);
    await client.pushBlob(repo, built.config.descriptor, built.config.bytes);
    await client.putManifest(repo, cosign.signatureTag(digest), built.bytes, 'application/vnd.oci.image.manifest.v1+json');
  };
  const [kms, keylessLayer] = recorded.layers.map((l) => l.payload) as [cosign.Descriptor, cosign.Descriptor];
  const tampered: cosign.Descriptor = { ...keylessLayer, annotations: { ...keylessLayer.annotations, [cosign.CERTIFICATE_ANNOTATION]: (keylessLayer.annotations?.[cosign.CERTIFICATE_ANNOTATION] ?? '').replace('MIIC6zCCAnCgAwIBAgIULhop00', 'MIIC6zCCAnCgAwIBAgIULhop01') } };
  try {
    await push('recorded/keyless', [kms, keylessLayer]);
    await push('recorded/tampered', [kms, tampered]);
  } finally {
    await s.close();
  }
  const root = join(fixtures, 'trusted_root.public-good.json');
  const flags = (identity: string): string[] => ['cosign', 'verify', '--trusted-root', root, '--certificate-identity', identity, '--certificate-oidc-issuer', 'https://accounts.google.com'];
  const good = await cli([...flags('cosign@cosign-test-384419.iam.gserviceaccount.com'), '-a', 'key1=value1', `${registry.host}/recorded/keyless@${digest}`]);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stderr, /Existence of the claims in the transparency log was verified offline\n.*The code-signing certificate was verified using trusted certificate authority certificates/s);
  const printed = JSON.parse(good.stdout) as Array<{ critical: { image: { 'docker-manifest-digest': string } }; optional: Record<string, string> }>;
  assert.equal(printed.length, 1);
  assert.equal(printed[0]?.critical.image['docker-manifest-digest'], digest);
  assert.deepEqual(printed[0]?.optional, { key1: 'value1', Subject: 'cosign@cosign-test-384419.iam.gserviceaccount.com', Issuer: 'https://accounts.google.com', '1.3.6.1.4.1.57264.1.1': 'https://accounts.google.com' });
  const wrong = await cli([...flags('someone@example.com'), `${registry.host}/recorded/keyless@${digest}`]);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /no matching signatures: .*identity \(subject alternative name\) is 'cosign@cosign-test-384419/);
  const bad = await cli([...flags('cosign@cosign-test-384419.iam.gserviceaccount.com'), `${registry.host}/recorded/tampered@${digest}`]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /no matching signatures: .*(certificate|transparency-log)/, bad.stderr);
});
