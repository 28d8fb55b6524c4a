// vouch notation sign / verify in-process on OCI layouts (offline): notation's flags and messages,
// usage errors, and the orchestration rules of notation-go's notation.Verify (every signature
// tried up to --max-signatures, one that passes is enough, an unreadable one does not stop the rest).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from '../../../src/core/index.js';
import { parseGoDuration, parseLayoutReference, parseUserMetadata } from '../../../src/cli/commands/notation.js';
import { blobPath } from '../../../src/oci/layout.js';
import { runCli } from '../../support/cli.js';
import { buildImageLayout, type ImageLayout } from '../../support/image.js';
import { makeChain } from '../../support/x509.js';

let dir: string;
let env: Record<string, string>;
let key: string;
let cert: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-ncli-'));
  const chain = await makeChain('ec-256');
  key = join(dir, 'leaf.key');
  cert = join(dir, 'chain.crt');
  await writeFile(key, chain.key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  await writeFile(cert, chain.leaf.toString('pem') + '\n' + chain.root.toString('pem') + '\n');
  const cfg = join(dir, 'config', 'notation');
  await mkdir(join(cfg, 'truststore', 'x509', 'ca', 'test'), { recursive: true });
  await writeFile(join(cfg, 'truststore', 'x509', 'ca', 'test', 'root.pem'), chain.root.toString('pem'));
  await writeFile(join(cfg, 'trustpolicy.json'), JSON.stringify({ version: '1.0', trustPolicies: [
    { name: 'app', registryScopes: ['local/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Vouch Test'] },
    { name: 'open', registryScopes: ['local/open'], signatureVerification: { level: 'skip' } },
    { name: 'audit', registryScopes: ['local/audit'], signatureVerification: { level: 'audit' }, trustStores: ['ca:absent'], trustedIdentities: ['*'] },
  ] }));
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config') };
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
const image = async (): Promise<ImageLayout> => buildImageLayout(dir, `img${++n}`, 'v1');

test('flag values as notation parses them: Go durations, key=value pairs, DIR:TAG and DIR@DIGEST', () => {
  assert.equal(parseGoDuration('24h'), 86_400_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  for (const bad of ['', '10', '1d', '-1h', '1h junk', '0s']) assert.throws(() => parseGoDuration(bad), /invalid duration|must be positive/);
  assert.deepEqual(parseUserMetadata(['a=b', 'c=d=e', 'a=z']), { a: 'z', c: 'd=e' });
  for (const bad of ['a', '=b', 'a=']) assert.throws(() => parseUserMetadata([bad]), /key-value pair requires "=" as separator/);
  assert.deepEqual(parseLayoutReference('out/lay:v1'), { path: 'out/lay', ref: 'v1' });
  assert.deepEqual(parseLayoutReference(`lay@sha256:${'e'.repeat(64)}`), { path: 'lay', ref: `sha256:${'e'.repeat(64)}` });
  assert.throws(() => parseLayoutReference('just/a/dir'), /missing tag or digest/);
});

test('sign then verify in a layout, by tag and by digest; the tag warning; metadata', async () => {
  const img = await image();
  const signed = await runCli(['notation', 'sign', '--oci-layout', `${img.layout}:v1`, '--key', key, '--cert', cert, '-m', 'env=prod'], env);
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal(signed.stdout, `Successfully signed ${img.layout}@${img.digest}\n`);
  assert.match(signed.stderr, /Always sign the artifact using digest\(@sha256:\.\.\.\) rather than a tag\(:v1\)/);
  const index = JSON.parse(await readFile(join(img.layout, 'index.json'), 'utf8')) as { manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[] };
  assert.equal(index.manifests.length, 2);
  const sig = JSON.parse(await readFile(blobPath(img.layout, index.manifests[1]?.digest as string), 'utf8')) as { config: { mediaType: string }; subject: { digest: string } };
  // in a layout: notation v1.x's form, the one notation ≤ 1.3 can find there
  assert.equal(sig.config.mediaType, 'application/vnd.cncf.notary.signature');
  assert.equal(sig.subject.digest, img.digest);
  const ok = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}@${img.digest}`, '--scope', 'local/app', '-m', 'env=prod'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `Successfully verified signature for ${img.layout}@${img.digest}\n\nThe artifact was signed with the following user metadata.\n\nKEY   VALUE\nenv   prod\n`);
  // audit: authenticity is only logged, and said on stderr as notation says it
  const audit = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`, '--scope', 'local/audit'], env);
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stderr, /^Warning: authenticity was set to "log" and failed with error: the trust store "absent" of type "ca" does not exist/m);
  const skipped = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`, '--scope', 'local/open'], env);
  assert.equal(skipped.stdout, `Trust policy is configured to skip signature verification for ${img.layout}@${img.digest}\n`);
});

test('--signature-format cose: the layer is application/cose, and verify reads it', async () => {
  const img = await image();
  const signed = await runCli(['notation', 'sign', '--oci-layout', `${img.layout}@${img.digest}`, '--key', key, '--cert', cert, '--signature-format', 'cose'], env);
  assert.equal(signed.code, 0, signed.stderr);
  const index = JSON.parse(await readFile(join(img.layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const sig = JSON.parse(await readFile(blobPath(img.layout, index.manifests[1]?.digest as string), 'utf8')) as { layers: { mediaType: string; digest: string }[] };
  assert.equal(sig.layers[0]?.mediaType, 'application/cose');
  assert.equal((await readFile(blobPath(img.layout, sig.layers[0]?.digest as string)))[0], 0xd2, 'a COSE_Sign1_Tagged envelope');
  const ok = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}@${img.digest}`, '--scope', 'local/app', '-o', 'json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { verified: boolean }).verified, true);
});

test('verify: no signature, no applicable statement, usage errors; exit 1 and 2 as notation users expect', async () => {
  const img = await image();
  const none = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`, '--scope', 'local/app'], env);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no signature is associated with "local\/app@sha256:[0-9a-f]{64}", make sure the artifact was signed successfully/);
  const scope = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`, '--scope', 'local/nothing'], env);
  assert.equal(scope.code, 1);
  assert.match(scope.stderr, /has no applicable trust policy statement/);
  const noScope = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`], env);
  assert.equal(noScope.code, 2);
  assert.match(noScope.stderr, /missing \[scope\]/);
  const format = await runCli(['notation', 'sign', '--oci-layout', `${img.layout}:v1`, '--key', key, '--cert', cert, '--signature-format', 'pgp'], env);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /signature format "pgp" not supported/);
  const noKey = await runCli(['notation', 'sign', '--oci-layout', `${img.layout}:v1`], env);
  assert.equal(noKey.code, 2);
  const reserved = await runCli(['notation', 'sign', '--oci-layout', `${img.layout}:v1`, '--key', key, '--cert', cert, '-m', 'io.cncf.notary.x=1'], env);
  assert.match(reserved.stderr, /has reserved prefix io\.cncf\.notary/);
  const noTag = await runCli(['notation', 'verify', '127.0.0.1:1/app'], env);
  assert.equal(noTag.code, 2);
  assert.match(noTag.stderr, /no tag or digest/);
});

/** Adds a signature manifest for `img` holding `envelope` to its layout (as an attacker with write access could). */
async function attach(img: ImageLayout, envelope: Buffer, manifestOverride: Record<string, unknown> = {}): Promise<void> {
  const empty = Buffer.from('{}');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.cncf.notary.signature', digest: digestOf(empty), size: 2 },
    layers: [{ mediaType: 'application/jose+json', digest: digestOf(envelope), size: envelope.length }],
    subject: { mediaType: img.mediaType, digest: img.digest, size: img.size },
    annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(['ab'.repeat(32)]) },
    ...manifestOverride,
  }));
  for (const b of [empty, envelope, manifest]) await writeFile(blobPath(img.layout, digestOf(b)), b);
  const index = JSON.parse(await readFile(join(img.layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
  index.manifests.unshift({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(manifest), size: manifest.length });
  await writeFile(join(img.layout, 'index.json'), JSON.stringify(index));
}

test('verify tries every signature: broken ones before a good one do not stop it; --max-signatures bounds the work', async () => {
  const img = await image();
  assert.equal((await runCli(['notation', 'sign', '--oci-layout', `${img.layout}@${img.digest}`, '--key', key, '--cert', cert], env)).code, 0);
  await attach(img, Buffer.from('{"not":"a jws"}'));
  await attach(img, Buffer.from('x'), { layers: [] });
  const json = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`, '--scope', 'local/app', '-o', 'json'], env);
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as { verified: boolean; signatures: { error?: { message: string }; verdict?: { failure?: { check: string } } }[] };
  assert.equal(r.verified, true);
  assert.equal(r.signatures.length, 3);
  assert.match(r.signatures[0]?.error?.message ?? '', /exactly one signature envelope blob, got 0/);
  assert.equal(r.signatures[1]?.verdict?.failure?.check, 'integrity');
  const limited = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`, '--scope', 'local/app', '--max-signatures', '2'], env);
  assert.equal(limited.code, 1);
  assert.match(limited.stderr, /The configured limit of 2 signatures to verify per artifact exceeded/);
  assert.match(limited.stderr, /integrity failed/);
  const zero = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}:v1`, '--scope', 'local/app', '--max-signatures', '0'], env);
  assert.equal(zero.code, 2);
});

test('a manifest that is not an index.json entry (a platform manifest of an index) is signed and verified by digest', async () => {
  const img = await image();
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: img.mediaType, digest: img.digest, size: img.size, platform: { architecture: 'amd64', os: 'linux' } }] }));
  await writeFile(blobPath(img.layout, digestOf(index)), index);
  await writeFile(join(img.layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: digestOf(index), size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
  const signed = await runCli(['notation', 'sign', '--oci-layout', `${img.layout}@${img.digest}`, '--key', key, '--cert', cert], env);
  assert.equal(signed.code, 0, signed.stderr);
  const ok = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}@${img.digest}`, '--scope', 'local/app', '-o', 'json'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual((JSON.parse(ok.stdout) as { subject: unknown }).subject, { mediaType: img.mediaType, digest: img.digest, size: img.size });
  const absent = await runCli(['notation', 'verify', '--oci-layout', `${img.layout}@sha256:${'0'.repeat(64)}`, '--scope', 'local/app'], env);
  assert.equal(absent.code, 1);
  assert.match(absent.stderr, /not found in the OCI layout/);
});
