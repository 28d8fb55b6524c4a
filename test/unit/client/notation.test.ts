// verifyNotation against a store that lies: oversized manifests and envelopes are refused from
// their descriptors, before a byte is fetched; a reference digest the store resolves differently
// is refused; every listed signature is bounded by --max-signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf } from '../../../src/core/index.js';
import { verifyNotation, type SignatureStore } from '../../../src/client/notation.js';
import type { Descriptor } from '../../../src/oci/manifest.js';
import { parseTrustPolicy, type TargetArtifact } from '../../../src/sig/index.js';

const SUBJECT: TargetArtifact = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(Buffer.from('subject')), size: 7 };
const POLICY = parseTrustPolicy(JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:t'], trustedIdentities: ['*'] }] }));

function store(listed: Descriptor[], manifests: Record<string, Buffer> = {}): SignatureStore & { reads: string[] } {
  const reads: string[] = [];
  return {
    name: 'fake.example/app',
    manifestForm: 'artifact',
    reads,
    resolve: async () => SUBJECT,
    listSignatures: async (_s, limit) => listed.slice(0, limit),
    readManifest: async (d) => { reads.push(`manifest ${d.digest}`); return manifests[d.digest] ?? Buffer.from('{}'); },
    readBlob: async (d) => { reads.push(`blob ${d.digest}`); return Buffer.alloc(0); },
    pushSignature: async () => { throw new Error('verification never writes'); },
  };
}

const verify = (s: SignatureStore, reference = 'v1', maxSignatures?: number): ReturnType<typeof verifyNotation> => verifyNotation({
  store: s, reference, scope: 'fake.example/app', policy: POLICY, readTrustStores: async () => ({ 'ca:t': [] }), now: new Date('2026-06-01T00:00:00Z'),
  ...(maxSignatures !== undefined ? { maxSignatures } : {}),
});

test('a signature manifest listed as larger than 4 MiB is not fetched', async () => {
  const s = store([{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(Buffer.from('big')), size: 4 * 1024 * 1024 + 1 }]);
  const r = await verify(s);
  assert.equal(r.verified, false);
  assert.match(r.signatures[0]?.error?.message ?? '', /signature manifest too large/);
  assert.deepEqual(s.reads, []);
});

test('an envelope larger than 32 MiB is not fetched', async () => {
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.cncf.notary.signature',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(Buffer.from('{}')), size: 2 },
    layers: [{ mediaType: 'application/jose+json', digest: digestOf(Buffer.from('huge')), size: 32 * 1024 * 1024 + 1 }],
    subject: SUBJECT, annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(['ab'.repeat(32)]) },
  }));
  const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(manifest), size: manifest.length };
  const s = store([desc], { [desc.digest]: manifest });
  const r = await verify(s);
  assert.match(r.signatures[0]?.error?.message ?? '', /signature blob too large/);
  assert.deepEqual(s.reads, [`manifest ${desc.digest}`]);
});

test('a digest reference the store resolves to another digest is refused; --max-signatures bounds the reads', async () => {
  await assert.rejects(verify(store([]), digestOf(Buffer.from('other'))), /does not match the resolved digest/);
  const many = Array.from({ length: 10 }, (_, i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(Buffer.from(`sig ${i}`)), size: 2 }));
  const s = store(many);
  const r = await verify(s, 'v1', 3);
  assert.equal(r.signatures.length, 3);
  assert.equal(s.reads.length, 3);
  assert.match(r.error ?? '', /limit of 3 signatures/);
});
