// What a legacy cosign signature says about itself without a key (vouch status, the dashboard):
// the signer (certificate subject, Fulcio identity and OIDC issuer, or key-signed), the chain,
// the structural checks (payload names the image, the certificate's key verifies the signature, the
// chain links), the time a Rekor bundle or RFC 3161 timestamp carries, and hostile input as a
// problem, never a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { cosign, inspectLegacySignature, KEY_SIGNED } from '../../../src/sig/index.js';
import { LEAF_SUBJECT, ROOT_SUBJECT, caExtensions, makeCert, makeChain, testKey } from '../../support/x509.js';

const DIGEST = `sha256:${'a1'.repeat(32)}`;
const OTHER = `sha256:${'b2'.repeat(32)}`;

/** One `.sig` layer as parseLegacySignatureManifest reads it, signed with `key` over a payload for `digest`. */
function layerFor(key: Parameters<typeof cosign.signPayload>[0], digest: string, annotations: Record<string, string> = {}): { layer: cosign.LegacySignatureLayer; payload: Buffer } {
  const payload = cosign.simpleSigningPayload('registry.example/team/app', digest);
  const desc = cosign.signatureLayer(payload, cosign.signPayload(key, payload));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ ...desc, annotations: { ...desc.annotations, ...annotations } }] }));
  return { layer: cosign.parseLegacySignatureManifest(manifest).layers[0] as cosign.LegacySignatureLayer, payload };
}

test('a key-signed signature: signer "key-signed", the payload checked, the signature itself reported as not checked', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const f = await inspectLegacySignature({ ...layerFor(privateKey, DIGEST), digest: DIGEST });
  assert.equal(f.signer, KEY_SIGNED);
  assert.deepEqual(f.chain, []);
  assert.equal(f.problem, undefined);
  assert.match(f.unverified ?? '', /checked only with the signer's public key/);
  const moved = await inspectLegacySignature({ ...layerFor(privateKey, OTHER), digest: DIGEST });
  assert.match(moved.problem ?? '', /the payload signs sha256:b2.*, not sha256:a1/);
});

test('a certificate and chain: the subject is the signer, the chain is reported, and a bad signature or a broken chain is a problem', async () => {
  const chain = await makeChain('ec-256');
  const annotations = { [cosign.CERTIFICATE_ANNOTATION]: chain.leaf.toString('pem'), [cosign.CHAIN_ANNOTATION]: chain.root.toString('pem') };
  const good = await inspectLegacySignature({ ...layerFor(chain.key.privateKey, DIGEST, annotations), digest: DIGEST });
  assert.equal(good.problem, undefined);
  assert.equal(good.signer, LEAF_SUBJECT);
  assert.deepEqual(good.chain.map((c) => [c.subject, c.notAfter.toISOString()]), [[LEAF_SUBJECT, chain.leaf.notAfter.toISOString()], [ROOT_SUBJECT, chain.root.notAfter.toISOString()]]);
  assert.equal(good.timeSource, undefined);
  assert.match(good.unverified ?? '', /trust the certificate's issuer is not judged here/);

  const { privateKey: stranger } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const wrongKey = await inspectLegacySignature({ ...layerFor(stranger, DIGEST, annotations), digest: DIGEST });
  assert.match(wrongKey.problem ?? '', /does not verify with its certificate's key/);

  // a chain naming a root that did not issue the leaf
  const otherRoot = await makeCert({ subject: ROOT_SUBJECT, key: await testKey('ec-384'), extensions: caExtensions });
  const broken = await inspectLegacySignature({ ...layerFor(chain.key.privateKey, DIGEST, { ...annotations, [cosign.CHAIN_ANNOTATION]: otherRoot.toString('pem') }), digest: DIGEST });
  assert.match(broken.problem ?? '', /certificate #1 of the chain is not issued by certificate #2/);

  const garbage = await inspectLegacySignature({ ...layerFor(chain.key.privateKey, DIGEST, { [cosign.CERTIFICATE_ANNOTATION]: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), digest: DIGEST });
  assert.match(garbage.problem ?? '', /^INVALID_CERTIFICATE: /);
});

test('a Rekor bundle or an RFC 3161 timestamp: the certificates are checked at that time (their expiry breaks nothing), the log time is read', async () => {
  const chain = await makeChain('ec-256');
  const cert = { [cosign.CERTIFICATE_ANNOTATION]: chain.leaf.toString('pem') };
  const bundle = JSON.stringify({ SignedEntryTimestamp: 'AAAA', Payload: { body: 'e30=', integratedTime: 1767225600, logIndex: 1, logID: 'ab' } });
  const logged = await inspectLegacySignature({ ...layerFor(chain.key.privateKey, DIGEST, { ...cert, [cosign.BUNDLE_ANNOTATION]: bundle }), digest: DIGEST });
  assert.equal(logged.timeSource, 'transparency log');
  assert.equal(logged.signingTime?.toISOString(), '2026-01-01T00:00:00.000Z');
  const stamped = await inspectLegacySignature({ ...layerFor(chain.key.privateKey, DIGEST, { ...cert, [cosign.RFC3161_ANNOTATION]: '{"SignedRFC3161Timestamp":"AAAA"}' }), digest: DIGEST });
  assert.equal(stamped.timeSource, 'timestamp');
  const notJson = await inspectLegacySignature({ ...layerFor(chain.key.privateKey, DIGEST, { ...cert, [cosign.BUNDLE_ANNOTATION]: '{not json' }), digest: DIGEST });
  assert.equal(notJson.timeSource, 'transparency log');
  assert.equal(notJson.signingTime, undefined);
});

test('a Fulcio certificate (empty subject): the signer is its SAN identity and OIDC issuer', async () => {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions });
  const leafKey = await testKey('ec-256');
  const issuer = Buffer.from(new asn1js.Utf8String({ value: 'https://accounts.example.com' }).toBER());
  const leaf = await makeCert({
    subject: '', key: leafKey, issuer: { cert: root, key: rootKey },
    extensions: () => [
      // subjectAltName (2.5.29.17) with an rfc822Name, and Fulcio's issuer (v2) extension
      { oid: '2.5.29.17', critical: true, value: new Uint8Array(new pkijs.AltName({ altNames: [new pkijs.GeneralName({ type: 1, value: 'alice@example.com' })] }).toSchema().toBER()) },
      { oid: '1.3.6.1.4.1.57264.1.8', critical: false, value: new Uint8Array(issuer) },
    ],
  });
  const f = await inspectLegacySignature({ ...layerFor(leafKey.privateKey, DIGEST, { [cosign.CERTIFICATE_ANNOTATION]: leaf.toString('pem') }), digest: DIGEST });
  assert.equal(f.problem, undefined);
  assert.equal(f.signer, 'alice@example.com (OIDC issuer https://accounts.example.com)');
});
