// vouch cosign with Sigstore bundles as OCI referrers (cosign v3's default) and attestations
// (bundle and legacy .att) against the embedded registry, and what a hostile registry can put among
// an image's referrers: a bundle for another image, a referrer that is not a bundle, a malformed
// bundle, a .att layer that is not an envelope.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import { runRegistry, type RunningRegistry } from '../../../src/registry/index.js';
import { createContext } from '../../../src/cli/context.js';
import { Session } from '../../../src/client/session.js';
import { digestOf } from '../../../src/core/index.js';
import { verifyCosign, verifyCosignAttestations } from '../../../src/client/cosign.js';
import { parseTrustedRoot } from '../../../src/sig/cosign/trustroot.js';
import { parseReference } from '../../../src/oci/reference.js';
import * as cosign from '../../../src/sig/cosign/index.js';
import type { RegistryClient } from '../../../src/oci/client.js';
import { runCli } from '../../support/cli.js';
import { projectRoot } from '../../support/paths.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

let registry: RunningRegistry;
let dir: string;
let env: Record<string, string>;
const images: Record<'one' | 'two' | 'three', string> = { one: '', two: '', three: '' };

before(async () => {
  dir = await tempDir('vouch-cosign-bundle-');
  registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: 'cosign-pass' };
  for (const [name, tag] of [['one', '1.0'], ['two', '2.0'], ['three', '3.0']] as const) {
    await writeDemoImage(join(dir, name), tag, `cosign bundle ${name}\n`);
    images[name] = `${registry.host}/team/app:${tag}`;
    const r = await runCli(['push', images[name], '--from', `oci:${join(dir, name)}`, '--disable-content-trust'], env, dir);
    assert.equal(r.code, 0, r.stderr);
  }
  for (const prefix of ['cosign', 'other']) assert.equal((await runCli(['cosign', 'generate-key-pair', '--output-key-prefix', prefix], env, dir)).code, 0);
  await writeFile(join(dir, 'slsa.json'), '{"builder":{"id":"https://ci.example/builder"},"buildType":"https://ci.example/build"}');
  await writeFile(join(dir, 'bom.json'), '{"bomFormat":"CycloneDX","specVersion":"1.5"}');
});

after(async () => {
  await registry?.close();
  await removeTempDirs();
});

const cli = (args: string[]): ReturnType<typeof runCli> => runCli(args, env, dir);
const verifyArgs = (pub: string, image: string, ...more: string[]): string[] => ['cosign', 'verify', '--key', pub, '--insecure-ignore-tlog', ...more, image];

async function withRegistry<T>(fn: (client: RegistryClient) => Promise<T>): Promise<T> {
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const s = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  try { return await fn(s.registryFor(registry.host)); } finally { await s.close(); }
}

test('sign writes a bundle referring to the image by default (no .sig tag); verify reads it, --new-bundle-format=false does not', async () => {
  const signed = await cli(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', '-a', 'build=7', images.one]);
  assert.equal(signed.code, 0, signed.stderr);
  await withRegistry(async (client) => {
    const { digest } = await client.getManifest('team/app', '1.0');
    const refs = await client.listReferrers('team/app', digest);
    assert.equal(refs.length, 1);
    assert.equal(refs[0]?.artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(refs[0]?.annotations?.['dev.sigstore.bundle.predicateType'], 'https://sigstore.dev/cosign/sign/v1');
    assert.equal((await client.listTags('team/app')).some((t) => t.endsWith('.sig')), false);
  });
  const v = await cli(verifyArgs('cosign.pub', images.one, '-a', 'build=7'));
  assert.equal(v.code, 0, v.stderr);
  const out = JSON.parse(v.stdout) as Array<{ critical: { type: string; identity: { 'docker-reference': string }; image: { 'docker-manifest-digest': string } }; optional: Record<string, string> }>;
  assert.equal(out.length, 1);
  assert.equal(out[0]?.critical.type, 'https://sigstore.dev/cosign/sign/v1');
  assert.deepEqual(out[0]?.optional, { build: '7' });
  assert.equal(out[0]?.critical.identity['docker-reference'], images.one, 'the reference as typed, as cosign v3 prints it');
  assert.equal((await cli(verifyArgs('other.pub', images.one))).code, 1);
  const missing = await cli(verifyArgs('cosign.pub', images.one, '-a', 'build=8'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /annotation build=8 is not in the signed statement/);
  assert.equal((await cli(verifyArgs('cosign.pub', images.one, '--new-bundle-format=false'))).code, 1);
});

test('attest, both formats: verify-attestation prints the envelopes of the asked type; an attestation is not a signature', async () => {
  for (const format of ['--new-bundle-format=true', '--new-bundle-format=false']) {
    const r = await cli(['cosign', 'attest', '--key', 'cosign.key', '--tlog-upload=false', format, '--predicate', 'slsa.json', '--type', 'slsaprovenance', images.two]);
    assert.equal(r.code, 0, r.stderr);
  }
  await withRegistry(async (client) => {
    const { digest } = await client.getManifest('team/app', '2.0');
    const att = await client.getManifest('team/app', cosign.signatureTag(digest, 'att'));
    const layers = (JSON.parse(att.bytes.toString('utf8')) as { layers: Array<{ mediaType: string; annotations: Record<string, string> }> }).layers;
    assert.equal(layers.length, 1);
    assert.equal(layers[0]?.mediaType, 'application/vnd.dsse.envelope.v1+json');
    assert.deepEqual(layers[0]?.annotations, { 'dev.cosignproject.cosign/signature': '', predicateType: 'https://slsa.dev/provenance/v0.2' });
  });
  const v = await cli(['cosign', 'verify-attestation', '--key', 'cosign.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance', images.two]);
  assert.equal(v.code, 0, v.stderr);
  const lines = v.stdout.trim().split('\n');
  assert.equal(lines.length, 2, 'the .att envelope and the bundle\'s');
  for (const line of lines) {
    const env = JSON.parse(line) as { payloadType: string; payload: string };
    assert.equal(env.payloadType, 'application/vnd.in-toto+json');
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { predicateType: string; predicate: { builder: { id: string } } };
    assert.equal(st.predicateType, 'https://slsa.dev/provenance/v0.2');
    assert.equal(st.predicate.builder.id, 'https://ci.example/builder');
  }
  const legacyOnly = await cli(['cosign', 'verify-attestation', '--key', 'cosign.pub', '--insecure-ignore-tlog', '--new-bundle-format=false', '--type', 'slsaprovenance', images.two]);
  assert.equal(legacyOnly.stdout.trim().split('\n').length, 1);
  // cosign's default --type is custom: the provenance does not match it
  const custom = await cli(['cosign', 'verify-attestation', '--key', 'cosign.pub', '--insecure-ignore-tlog', images.two]);
  assert.equal(custom.code, 1);
  assert.match(custom.stderr, /none of the attestations matched the predicate type: custom, found: https:\/\/slsa\.dev\/provenance\/v0\.2/);
  assert.equal((await cli(['cosign', 'verify-attestation', '--key', 'other.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance', images.two])).code, 1);
  // the image has attestations only: no signature verifies
  const sig = await cli(verifyArgs('cosign.pub', images.two));
  assert.equal(sig.code, 1);
  assert.match(sig.stderr, /an attestation \(https:\/\/slsa\.dev\/provenance\/v0\.2\), not a signature/);
});

test('hostile referrers: a bundle moved from another image, a malformed bundle, a non-bundle referrer, a .att layer that is not an envelope', async () => {
  assert.equal((await cli(['cosign', 'attest', '--key', 'cosign.key', '--tlog-upload=false', '--predicate', 'bom.json', '--type', 'cyclonedx', images.three])).code, 0);
  await withRegistry(async (client) => {
    const one = await client.getManifest('team/app', '1.0');
    const three = await client.getManifest('team/app', '3.0');
    const subject = { mediaType: three.mediaType, digest: three.digest, size: three.size };
    const push = async (bundle: Buffer): Promise<void> => {
      const built = cosign.bundleReferrerManifest({ subject, bundle, predicateType: cosign.COSIGN_SIGN_PREDICATE_TYPE, now: new Date() });
      await client.pushBlob('team/app', built.config, cosign.EMPTY_CONFIG);
      await client.pushBlob('team/app', built.layer, bundle);
      await client.pushReferrer('team/app', built.bytes, 'application/vnd.oci.image.manifest.v1+json');
    };
    // image one's signature bundle, re-attached to image three
    const oneRef = (await client.listReferrers('team/app', one.digest))[0];
    const oneManifest = JSON.parse((await client.getManifest('team/app', oneRef?.digest ?? '')).bytes.toString('utf8')) as { layers: Array<{ digest: string; size: number }> };
    const moved = await client.readBlob('team/app', { digest: oneManifest.layers[0]?.digest ?? '', size: oneManifest.layers[0]?.size ?? 0 });
    await push(moved);
    await push(Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":7}}'));
    // an SBOM referrer: not a bundle, passed over
    const sbom = Buffer.from('{"spdxVersion":"SPDX-2.3"}');
    const sbomLayer = { mediaType: 'application/spdx+json', digest: digestOf(sbom), size: sbom.byteLength };
    await client.pushBlob('team/app', sbomLayer, sbom);
    await client.pushBlob('team/app', { digest: digestOf(cosign.EMPTY_CONFIG), size: 2 }, cosign.EMPTY_CONFIG);
    await client.pushReferrer('team/app', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/spdx+json', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(cosign.EMPTY_CONFIG), size: 2 }, layers: [sbomLayer], subject })), 'application/vnd.oci.image.manifest.v1+json');
    // a .att layer that is not an envelope, beside nothing else
    const junk = Buffer.from('not an envelope');
    const junkLayer = { mediaType: 'application/vnd.dsse.envelope.v1+json', digest: digestOf(junk), size: junk.byteLength, annotations: { 'dev.cosignproject.cosign/signature': '', predicateType: 'https://cyclonedx.org/bom' } };
    await client.pushBlob('team/app', junkLayer, junk);
    const built = cosign.buildLegacySignatureManifest([], junkLayer);
    await client.pushBlob('team/app', built.config.descriptor, built.config.bytes);
    await client.putManifest('team/app', cosign.signatureTag(three.digest, 'att'), built.bytes, 'application/vnd.oci.image.manifest.v1+json');
  });
  const v = await cli(verifyArgs('cosign.pub', images.three));
  assert.equal(v.code, 1);
  assert.match(v.stderr, /the statement names no subject with digest sha256:/);
  assert.match(v.stderr, /Sigstore bundle is malformed|DSSE envelope is malformed/);
  // the good attestation still verifies beside the junk; the junk is reported, never trusted
  const a = await cli(['cosign', 'verify-attestation', '--key', 'cosign.pub', '--insecure-ignore-tlog', '--type', 'cyclonedx', images.three]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout.trim().split('\n').length, 1);
  const legacyOnly = await cli(['cosign', 'verify-attestation', '--key', 'cosign.pub', '--insecure-ignore-tlog', '--new-bundle-format=false', '--type', 'cyclonedx', images.three]);
  assert.equal(legacyOnly.code, 1);
  assert.match(legacyOnly.stderr, /attestation envelope is not valid JSON/);
});

test(`at most ${cosign.MAX_REFERRERS} referrers of a digest are read: a registry listing more gets the rest ignored, not a longer walk`, async () => {
  // a registry whose referrers list names one referrer (not a bundle) MAX_REFERRERS + 500 times
  const image = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}');
  const imageDigest = digestOf(image);
  const referrer = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(cosign.EMPTY_CONFIG), size: 2 }, layers: [{ mediaType: 'application/spdx+json', digest: imageDigest, size: 1 }], subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: imageDigest, size: image.byteLength } }));
  const listed = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(referrer), size: referrer.byteLength, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
  let referrerFetches = 0;
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const send = (body: Buffer, type: string): void => { res.writeHead(200, { 'content-type': type, 'content-length': body.byteLength, 'docker-content-digest': digestOf(body) }); res.end(body); };
    if (url === '/v2/') return send(Buffer.from('{}'), 'application/json');
    if (url.startsWith('/v2/flood/referrers/')) return send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: Array.from({ length: cosign.MAX_REFERRERS + 500 }, () => listed) })), 'application/vnd.oci.image.index.v1+json');
    if (url === '/v2/flood/manifests/1.0' || url === `/v2/flood/manifests/${imageDigest}`) return send(image, 'application/vnd.oci.image.manifest.v1+json');
    if (url === `/v2/flood/manifests/${listed.digest}`) { referrerFetches++; return send(referrer, 'application/vnd.oci.image.manifest.v1+json'); }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const s = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  try {
    const r = await verifyCosign(s, parseReference(`${host}/flood:1.0`), createPublicKey(await readFile(join(dir, 'cosign.pub'))), { formats: ['bundle'] });
    assert.equal(r.verified.length, 0);
  } finally {
    await s.close();
    await new Promise((ok) => server.close(ok));
  }
  assert.equal(referrerFetches, cosign.MAX_REFERRERS);
});

/**
 * The conformance suite's keyless DSSE bundle (test/fixtures/cosign-keyless/NOTES.md), as a referrer
 * of an image. It is v0.2 and cosign reads v0.3 bundles from registries: its leaf moves from
 * x509CertificateChain to certificate, as v0.3 spells it; nothing signed changes. Its in-toto subject
 * is the conformance suite's d.txt, which is no image manifest, so no recorded keyless bundle can
 * name an image: the keyless signature check passes and the subject check then refuses it.
 */
const keylessFixture = join(projectRoot, 'test', 'fixtures', 'cosign-keyless', 'conformance', 'intoto-with-custom-trust-root');
const CONFORMANCE_SIGNER = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';

test('keyless: verify and verify-attestation without --key check referrer bundles with keyless verifySigstore (trusted root, identity flags)', async () => {
  const json = JSON.parse(await readFile(join(keylessFixture, 'bundle.sigstore.json'), 'utf8')) as { mediaType: string; verificationMaterial: { certificate?: unknown; x509CertificateChain?: { certificates: unknown[] } } };
  json.mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  json.verificationMaterial.certificate = json.verificationMaterial.x509CertificateChain?.certificates[0];
  delete json.verificationMaterial.x509CertificateChain;
  const bundle = Buffer.from(JSON.stringify(json));
  const image = `${registry.host}/team/keyless:1.0`;
  await writeDemoImage(join(dir, 'keyless'), '1.0', 'cosign keyless referrer\n');
  assert.equal((await cli(['push', image, '--from', `oci:${join(dir, 'keyless')}`, '--disable-content-trust'])).code, 0);
  const digest = await withRegistry(async (client) => {
    const m = await client.getManifest('team/keyless', '1.0');
    const built = cosign.bundleReferrerManifest({ subject: { mediaType: m.mediaType, digest: m.digest, size: m.size }, bundle, predicateType: 'https://slsa.dev/provenance/v1', now: new Date() });
    await client.pushBlob('team/keyless', built.config, cosign.EMPTY_CONFIG);
    await client.pushBlob('team/keyless', built.layer, bundle);
    await client.pushReferrer('team/keyless', built.bytes, 'application/vnd.oci.image.manifest.v1+json');
    return m.digest;
  });
  const trust = ['--trusted-root', join(keylessFixture, 'trusted_root.json'), '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com'];

  // the right identity: the certificate chain, SCT, Rekor entry and identity verified; then the claims refuse
  const att = await cli(['cosign', 'verify-attestation', ...trust, '--certificate-identity', CONFORMANCE_SIGNER, '--type', 'slsaprovenance1', image]);
  assert.equal(att.code, 1);
  assert.match(att.stderr, new RegExp(`the statement names no subject with digest ${digest}`));
  const sig = await cli(['cosign', 'verify', ...trust, '--certificate-identity', CONFORMANCE_SIGNER, image]);
  assert.equal(sig.code, 1);
  assert.match(sig.stderr, /an attestation \(https:\/\/slsa\.dev\/provenance\/v1\), not a signature/);

  // the client's outcome: the keyless signature passed and names the certificate's identity
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const s = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  try {
    const trustedRoot = parseTrustedRoot(await readFile(join(keylessFixture, 'trusted_root.json')), { what: 'trusted_root.json' });
    const r = await verifyCosignAttestations(s, parseReference(image), { trust: { kind: 'keyless', trustedRoot, policy: { identity: CONFORMANCE_SIGNER, issuer: 'https://token.actions.githubusercontent.com' } }, now: new Date() }, { type: 'slsaprovenance1' });
    assert.equal(r.outcomes.length, 1);
    assert.equal(r.outcomes[0]?.format, 'bundle');
    assert.equal(r.outcomes[0]?.verdict.checks?.signature, 'passed');
    assert.equal(r.outcomes[0]?.verdict.checks?.claims, 'failed');
    assert.equal(r.outcomes[0]?.verdict.signer?.subject, CONFORMANCE_SIGNER);
  } finally {
    await s.close();
  }

  // another identity, or the key-based path: the signature check itself refuses
  const wrong = await cli(['cosign', 'verify-attestation', ...trust, '--certificate-identity', 'https://github.com/someone/else', '--type', 'slsaprovenance1', image]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /the certificate's identity \(subject alternative name\) is '.*extremely-dangerous-oidc-beacon.*', not 'https:\/\/github.com\/someone\/else'/);
  const keyed = await cli(['cosign', 'verify-attestation', '--key', 'cosign.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance1', image]);
  assert.equal(keyed.code, 1);
  assert.match(keyed.stderr, /carries a certificate, not a key hint/);
  const noRoot = await cli(['cosign', 'verify', '--certificate-identity', CONFORMANCE_SIGNER, '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com', image]);
  assert.equal(noRoot.code, 1);
  assert.match(noRoot.stderr, /needs a Sigstore trusted root/);
});
