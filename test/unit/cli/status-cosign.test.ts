// vouch status reads the cosign signatures (legacy .sig) of each tag's digest, next to DCT and
// Notation: a key-signed signature is reported with its payload checked and its signature not
// (no key), a certificate's expiry is what breaks first, a certificate checked at a Rekor bundle's
// time does not expire for the signature, a payload for another image does not verify, and the
// repository's .sig tags are not taken for images. Against an in-process vouch server and registry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import type { RepoStatus } from '../../../src/client/status.js';
import { RegistryClient } from '../../../src/oci/client.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { cosign } from '../../../src/sig/index.js';
import { OCI_MANIFEST } from '../../../src/oci/mediatypes.js';
import { LEAF_SUBJECT, caExtensions, leafExtensions, makeCert, testKey } from '../../support/x509.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser, startLocalStack } from '../client/helpers.js';

const DAY_MS = 86_400_000;
let server: RunningServer;
let registry: RunningRegistry;
let client: RegistryClient;
let owner: VouchUser;
let dir: string;

before(async () => {
  dir = await tempDir('vouch-status-cosign-');
  ({ server, registry } = await startLocalStack(dir));
  client = new RegistryClient({ registry: registry.host, scheme: 'http' });
  owner = await vouchUser(server.url, { env: { COSIGN_PASSWORD: 'status' } });
  await owner.ok(['cosign', 'generate-key-pair']);
  await writeDemoImage(join(dir, 'v1'), '1.0', 'status cosign v1\n');
  await writeDemoImage(join(dir, 'v2'), '2.0', 'status cosign v2\n');
});

after(async () => {
  await client?.close();
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

const parse = (stdout: string): RepoStatus[] => JSON.parse(stdout) as RepoStatus[];

/** Appends a layer signed by `key` (with `annotations`) to the image's .sig manifest, as cosign sign --certificate does. */
async function addSignature(repo: string, digest: string, key: Parameters<typeof cosign.signPayload>[0], annotations: Record<string, string>, signs = digest): Promise<void> {
  const payload = cosign.simpleSigningPayload(`${registry.host}/${repo}`, signs);
  const base = cosign.signatureLayer(payload, cosign.signPayload(key, payload));
  const layer = { ...base, annotations: { ...base.annotations, ...annotations } };
  const tag = cosign.signatureTag(digest);
  let existing: cosign.Descriptor[] = [];
  try {
    const { layers, foreign } = cosign.parseLegacySignatureManifest((await client.getManifest(repo, tag)).bytes);
    existing = [...layers.map((l) => l.payload), ...foreign];
  } catch { existing = []; }
  const built = cosign.buildLegacySignatureManifest(existing, layer);
  await client.pushBlob(repo, layer, payload);
  await client.pushBlob(repo, built.config.descriptor, built.config.bytes);
  await client.putManifest(repo, tag, built.bytes, OCI_MANIFEST);
}

async function signingChain(leafDays: number): Promise<{ key: Awaited<ReturnType<typeof testKey>>; cert: string; chain: string; leafExpires: Date }> {
  const rootKey = await testKey('rsa-2048');
  const notBefore = new Date(Date.now() - DAY_MS);
  const root = await makeCert({ subject: 'C=US, O=Vouch Test, CN=cosign status root', key: rootKey, notBefore, notAfter: new Date(Date.now() + 3000 * DAY_MS), extensions: caExtensions });
  const key = await testKey('ec-256', true);
  const leafExpires = new Date(Math.floor((Date.now() + leafDays * DAY_MS) / 1000) * 1000);
  const leaf = await makeCert({ subject: LEAF_SUBJECT, key, issuer: { cert: root, key: rootKey }, notBefore, notAfter: leafExpires, extensions: leafExtensions });
  return { key, cert: leaf.toString('pem'), chain: root.toString('pem'), leafExpires };
}

test('a DCT-signed repository: each tag\'s digest is looked up for cosign signatures; key-signed ones are reported unverified, a certificate expiring in 10 days breaks first', async () => {
  const alice = await vouchUser(server.url);
  await alice.ok(['trust', 'key', 'generate', 'alice', '--dir', alice.dir]);
  const repo = 'team/dct';
  const name = `${registry.host}/${repo}`;
  await owner.ok(['trust', 'signer', 'add', '--key', join(alice.dir, 'alice.pub'), 'alice', name]);
  await owner.ok(['push', `${name}:1.0`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
  await alice.ok(['trust', 'sign', `${name}:1.0`]);
  await owner.ok(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', '--new-bundle-format=false', `${name}:1.0`]);
  const digest = (await client.getManifest(repo, '1.0')).digest;
  const { key, cert, chain, leafExpires } = await signingChain(10);
  await addSignature(repo, digest, key.privateKey, { [cosign.CERTIFICATE_ANNOTATION]: cert, [cosign.CHAIN_ANNOTATION]: chain });

  const r = await owner.run(['status', name, '--json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const [st] = parse(r.stdout);
  assert.equal(st?.state, 'expiring');
  assert.equal(st?.firstToBreak?.name, 'cosign leaf certificate "signer"');
  assert.equal(st?.firstToBreak?.expires, leafExpires.toISOString());
  assert.deepEqual(st?.signers.map((s) => [s.kind, s.name, s.tags]), [['dct', 'alice', 1], ['cosign', LEAF_SUBJECT, 1], ['cosign', 'key-signed', 1]]);
  const sigs = st?.images[0]?.signatures ?? [];
  assert.deepEqual(sigs.map((s) => [s.kind, s.signer, s.verifies, s.certificates.length]), [['cosign', 'key-signed', true, 0], ['cosign', LEAF_SUBJECT, true, 2]]);
  assert.match(sigs[0]?.unverified ?? '', /no certificate/);
  assert.equal(sigs[1]?.validUntil, leafExpires.toISOString());

  const text = await owner.run(['status', name]);
  assert.match(text.stdout, /first to break: cosign leaf certificate "signer" expires \S+ \(in (9|10)d\); its cosign signer must renew the certificate and sign again/);
  assert.match(text.stdout, /cosign sha256:[0-9a-f]{64}: signs this image \(payload checked\), ok\n {6}signer: key-signed \(unverified\)\n {6}not checked: no certificate/);
});

test('without DCT: the .sig tags are not images; a certificate checked at its Rekor bundle\'s time has expired and breaks nothing; a payload for another image does not verify', async () => {
  const repo = 'team/nodct';
  const name = `${registry.host}/${repo}`;
  await owner.ok(['push', `${name}:1.0`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
  await owner.ok(['push', `${name}:2.0`, '--from', `oci:${join(dir, 'v2')}`, '--disable-content-trust']);
  const one = (await client.getManifest(repo, '1.0')).digest;
  const two = (await client.getManifest(repo, '2.0')).digest;
  const expired = await signingChain(-2);
  const bundle = JSON.stringify({ SignedEntryTimestamp: 'AAAA', Payload: { body: 'e30=', integratedTime: Math.floor((Date.now() - 5 * DAY_MS) / 1000), logIndex: 7, logID: 'ab' } });
  await addSignature(repo, one, expired.key.privateKey, { [cosign.CERTIFICATE_ANNOTATION]: expired.cert, [cosign.CHAIN_ANNOTATION]: expired.chain, [cosign.BUNDLE_ANNOTATION]: bundle });

  const r = await owner.run(['status', name, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [st] = parse(r.stdout);
  assert.equal(st?.state, 'ok');
  // 1.0 and 2.0 only: the sha256-<hex>.sig tag is cosign's, not an image
  assert.deepEqual(st?.images.map((i) => i.tags), [['1.0'], ['2.0']]);
  const sig = st?.images[0]?.signatures[0];
  assert.equal(sig?.timeSource, 'transparency log');
  assert.equal(sig?.certificates[0]?.state, 'expired');
  assert.equal(sig?.validUntil, undefined);
  assert.deepEqual(st?.items, []);

  // 2.0's .sig holds a payload that names 1.0's digest
  const { privateKey } = await testKey('ec-256', true);
  await addSignature(repo, two, privateKey, {}, one);
  const moved = await owner.run(['status', `${name}:2.0`, '--json']);
  assert.equal(moved.code, 2, moved.stdout);
  const bad = parse(moved.stdout)[0]?.images[0]?.signatures[0];
  assert.equal(bad?.verifies, false);
  assert.match(bad?.problem ?? '', new RegExp(`the payload signs ${one}, not ${two}`));
});

test('an image without any OCI signature says so, naming both kinds', async () => {
  const name = `${registry.host}/team/none`;
  await owner.ok(['push', `${name}:1.0`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
  const r = await owner.run(['status', `${name}:1.0`]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /has no Notation or cosign signature/);
});

test('at most 10 cosign signatures of an image are read; status says more are attached', async () => {
  const repo = 'team/many';
  const name = `${registry.host}/${repo}`;
  await owner.ok(['push', `${name}:1.0`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
  const digest = (await client.getManifest(repo, '1.0')).digest;
  const { privateKey } = await testKey('ec-256');
  for (let i = 0; i < 11; i++) await addSignature(repo, digest, privateKey, { n: String(i) });
  const r = await owner.run(['status', `${name}:1.0`, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const img = parse(r.stdout)[0]?.images[0];
  assert.equal(img?.signatures.length, 10);
  assert.equal(img?.more, true);
  assert.match((await owner.run(['status', `${name}:1.0`])).stdout, /10 signatures \(more are attached; only these were read\)/);
});
