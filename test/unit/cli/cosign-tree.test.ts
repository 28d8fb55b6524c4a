// vouch cosign triangulate | tree against the embedded registry: the names cosign prints (Docker
// Hub as index.docker.io, $COSIGN_REPOSITORY), the tree of legacy tags and OCI referrers (a
// bundle named by its predicate type), cosign v2's view without referrers, cosign's text for an
// image with nothing attached, and what is refused. The byte-for-byte comparison with the real
// cosign is test/interop/cosign-tree.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import { runRegistry, type RunningRegistry } from '../../../src/registry/index.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { digestOf } from '../../../src/core/index.js';
import { MAX_TREE_REFERRERS, attachmentName, goRepositoryName, readCosignTree } from '../../../src/client/cosign-tree.js';
import { Session } from '../../../src/client/session.js';
import { TrustDir } from '../../../src/keys/trustdir.js';
import { parseReference } from '../../../src/oci/reference.js';
import { runCli } from '../../support/cli.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

let registry: RunningRegistry;
let client: RegistryClient;
let dir: string;
let env: Record<string, string>;
let image: string;
let digest: string;
let hex: string;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY_CONFIG = Buffer.from('{}');

/** A one-layer image manifest (as cosign writes attachments and bundles), its blobs pushed to `repo`. */
async function pushArtifact(repo: string, content: string, extra: Record<string, unknown> = {}): Promise<{ bytes: Buffer; layer: string }> {
  const layer = Buffer.from(content);
  const layerDesc = { mediaType: 'application/octet-stream', digest: digestOf(layer), size: layer.byteLength };
  const configDesc = { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(EMPTY_CONFIG), size: EMPTY_CONFIG.byteLength };
  await client.pushBlob(repo, layerDesc, layer);
  await client.pushBlob(repo, configDesc, EMPTY_CONFIG);
  return { bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc, layers: [layerDesc], ...extra })), layer: layerDesc.digest };
}

before(async () => {
  dir = await tempDir('vouch-cosign-tree-');
  registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  client = new RegistryClient({ registry: registry.host, scheme: 'http' });
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: 'tree-pass' };
  await writeDemoImage(join(dir, 'img'), '1.0', 'cosign tree\n');
  image = `${registry.host}/team/app:1.0`;
  for (const ref of [image, `${registry.host}/team/bare:1.0`]) {
    const r = await runCli(['push', ref, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust'], env, dir);
    assert.equal(r.code, 0, r.stderr);
  }
  digest = (await client.getManifest('team/app', '1.0')).digest;
  hex = digest.slice('sha256:'.length);
  assert.equal((await runCli(['cosign', 'generate-key-pair'], env, dir)).code, 0);
});

after(async () => {
  await client?.close();
  await registry?.close();
  await removeTempDirs();
});

const cli = (args: string[], extra: Record<string, string> = {}): ReturnType<typeof runCli> => runCli(args, { ...env, ...extra }, dir);

test('names as go-containerregistry prints them: Docker Hub is index.docker.io; the digest reference uses @', () => {
  assert.equal(goRepositoryName('docker.io', 'library/alpine'), 'index.docker.io/library/alpine');
  assert.equal(goRepositoryName('127.0.0.1:5000', 'team/app'), '127.0.0.1:5000/team/app');
  const d = `sha256:${'ab'.repeat(32)}`;
  const at = { registry: 'docker.io', repository: 'library/alpine' };
  assert.equal(attachmentName(at, d, 'signature'), `index.docker.io/library/alpine:sha256-${'ab'.repeat(32)}.sig`);
  assert.equal(attachmentName(at, d, 'attestation'), `index.docker.io/library/alpine:sha256-${'ab'.repeat(32)}.att`);
  assert.equal(attachmentName(at, d, 'sbom'), `index.docker.io/library/alpine:sha256-${'ab'.repeat(32)}.sbom`);
  assert.equal(attachmentName(at, d, 'digest'), `index.docker.io/library/alpine@sha256:${'ab'.repeat(32)}`);
});

test('triangulate: each type, from a tag (resolved) or a digest, and $COSIGN_REPOSITORY; sbom warns as cosign does', async () => {
  const base = `${registry.host}/team/app`;
  for (const [type, want] of [['signature', `${base}:sha256-${hex}.sig`], ['attestation', `${base}:sha256-${hex}.att`], ['sbom', `${base}:sha256-${hex}.sbom`], ['digest', `${base}@${digest}`]] as const) {
    const r = await cli(['cosign', 'triangulate', '--type', type, image]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${want}\n`);
    assert.equal(r.stderr.includes('SBOM attachments are deprecated'), type === 'sbom');
  }
  const byDigest = await cli(['cosign', 'triangulate', `${base}@${digest}`]);
  assert.equal(byDigest.stdout, `${base}:sha256-${hex}.sig\n`);
  const moved = await cli(['cosign', 'triangulate', image], { COSIGN_REPOSITORY: `${registry.host}/elsewhere/sigs` });
  assert.equal(moved.stdout, `${registry.host}/elsewhere/sigs:sha256-${hex}.sig\n`);
});

test('triangulate refuses an unknown type, and an image the registry does not have', async () => {
  const bad = await cli(['cosign', 'triangulate', '--type', 'sboms', image]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown attachment type sboms/);
  const missing = await cli(['cosign', 'triangulate', `${registry.host}/team/app:nope`]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
});

test("tree: nothing attached is cosign's text, without a final newline", async () => {
  const r = await cli(['cosign', 'tree', `${registry.host}/team/bare:1.0`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `📦 Supply Chain Security Related artifacts for an image: ${registry.host}/team/bare:1.0\nNo Supply Chain Security Related Artifacts found for image ${registry.host}/team/bare:1.0,\n start creating one with simply running$ cosign sign <img>`);
});

test('tree: attestations, signatures and referrers (a bundle under its predicate type), in a fixed order; v2 mode leaves referrers out', async () => {
  const signed = await cli(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', '--new-bundle-format=false', image]);
  assert.equal(signed.code, 0, signed.stderr);
  const sigLayer = (await client.getManifest('team/app', `sha256-${hex}.sig`)).manifest;
  assert.equal(sigLayer.kind, 'manifest');
  const sigDigest = sigLayer.kind === 'manifest' ? sigLayer.layers[0]?.digest : '';
  const att = await pushArtifact('team/app', '{"payloadType":"application/vnd.in-toto+json"}');
  await client.putManifest('team/app', `sha256-${hex}.att`, att.bytes, OCI_MANIFEST);
  const subject = { mediaType: OCI_MANIFEST, digest, size: (await client.getManifest('team/app', digest)).size };
  const bundle = await pushArtifact('team/app', '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}', {
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', subject, annotations: { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' },
  });
  const bundleDigest = (await client.pushReferrer('team/app', bundle.bytes, OCI_MANIFEST)).digest;
  const head = `📦 Supply Chain Security Related artifacts for an image: ${image}\n`;
  const legacy = `└── 💾 Attestations for an image tag: ${registry.host}/team/app:sha256-${hex}.att\n   └── 🍒 ${att.layer}\n`
    + `└── 🔐 Signatures for an image tag: ${registry.host}/team/app:sha256-${hex}.sig\n   └── 🍒 ${sigDigest}\n`;
  const v3 = await cli(['cosign', 'tree', image]);
  assert.equal(v3.code, 0, v3.stderr);
  assert.equal(v3.stdout, `${head}${legacy}└── 🔗 https://sigstore.dev/cosign/sign/v1 artifacts via OCI referrer: ${registry.host}/team/app@${bundleDigest}\n   └── 🍒 ${bundle.layer}\n`);
  const v2 = await cli(['cosign', 'tree', '--experimental-oci11=false', image]);
  assert.equal(v2.stdout, `${head}${legacy}`);
  const mode = await cli(['cosign', 'tree', '--experimental-oci11=false', '--registry-referrers-mode', 'oci-1-1', image]);
  assert.equal(mode.stdout, v3.stdout);
});

test('tree: a second signature layer is drawn with ├──; $COSIGN_REPOSITORY is where the tags are read', async () => {
  const elsewhere = { COSIGN_REPOSITORY: `${registry.host}/elsewhere/sigs` };
  const none = await cli(['cosign', 'tree', image], elsewhere);
  assert.match(none.stdout, /No Supply Chain Security Related Artifacts found/);
  for (const k of ['cosign', 'other']) {
    if (k === 'other') assert.equal((await cli(['cosign', 'generate-key-pair', '--output-key-prefix', 'other'])).code, 0);
    assert.equal((await cli(['cosign', 'sign', '--key', `${k}.key`, '--tlog-upload=false', '--new-bundle-format=false', image], elsewhere)).code, 0);
  }
  const r = await cli(['cosign', 'tree', image], elsewhere);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[1], `└── 🔐 Signatures for an image tag: ${registry.host}/elsewhere/sigs:sha256-${hex}.sig`);
  assert.match(lines[2] ?? '', /^ {3}├── 🍒 sha256:[0-9a-f]{64}$/);
  assert.match(lines[3] ?? '', /^ {3}└── 🍒 sha256:[0-9a-f]{64}$/);
  assert.equal(lines.length, 5);
});

test('tree refuses a .sig tag that is an index, and an image the registry does not have (after the first line, as cosign)', async () => {
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
  await client.putManifest('team/bare', `sha256-${(await client.getManifest('team/bare', '1.0')).digest.slice(7)}.sig`, index, 'application/vnd.oci.image.index.v1+json');
  const r = await cli(['cosign', 'tree', `${registry.host}/team/bare:1.0`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is an index, not the image manifest cosign keeps its attachments in/);
  const missing = await cli(['cosign', 'tree', `${registry.host}/team/app:nope`]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, `📦 Supply Chain Security Related artifacts for an image: ${registry.host}/team/app:nope\n`);
});

test('tree reads a bounded number of referrers of an image (1000 by default), and says that it left the rest out', async () => {
  assert.equal(MAX_TREE_REFERRERS, 1000);
  const repo = 'team/crowded';
  const r0 = await cli(['push', `${registry.host}/${repo}:1.0`, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust']);
  assert.equal(r0.code, 0, r0.stderr);
  const image = await client.getManifest(repo, '1.0');
  const subject = { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size };
  const base = await pushArtifact(repo, 'one of many referrers');
  const template = JSON.parse(base.bytes.toString()) as Record<string, unknown>;
  for (let i = 0; i < 4; i++) {
    const bytes = Buffer.from(JSON.stringify({ ...template, artifactType: 'application/vnd.example.crowd', subject, annotations: { n: String(i) } }));
    await client.pushReferrer(repo, bytes, OCI_MANIFEST);
  }
  const s = new Session({ env, trustDir: new TrustDir(join(dir, 'trust')), now: () => new Date() });
  try {
    const tree = await readCosignTree(s, parseReference(`${registry.host}/${repo}:1.0`), { referrers: true, maxReferrers: 3 });
    assert.equal(tree.branches.filter((b) => b.kind === 'referrer').length, 3);
    assert.match(tree.warnings.join('\n'), /more than 3 referrers of sha256:[0-9a-f]{64}: only the first 3 are shown/);
    const all = await readCosignTree(s, parseReference(`${registry.host}/${repo}:1.0`), { referrers: true });
    assert.equal(all.branches.length, 4);
    assert.deepEqual(all.warnings, []);
  } finally {
    await s.close();
  }
});
