// The plugin protocol's answers, read by the pure module (src/sig/notation/plugin.ts): SemVer
// precedence for verificationPluginMinVersion, and answers outside the contract refused by name;
// a plugin key signing through the shared envelope code (src/sig/notation/jws.ts prepareSigning).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareSemver, isSemver, parseDescribeKey, parseGenerateEnvelope, parseGenerateSignature, parsePluginError, parsePluginMetadata, parseVerifySignature,
  signEnvelope, signPrimitive, verifyEnvelope, type KeySpec, type PluginRawSigner,
} from '../../../src/sig/index.js';
import { makeChain } from '../../support/x509.js';

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const EC256 = { type: 'ec', size: 256, alg: 'ES256', hash: 'sha256' } as const;

test('SemVer: validity and precedence as semver.org §11 orders it', () => {
  for (const v of ['1.0.0', 'v1.2.3', '1.0.0-alpha.1', '1.0.0+build.5']) assert.ok(isSemver(v), v);
  for (const v of ['1.0', '01.0.0', '1.0.0-', 'latest', '']) assert.ok(!isSemver(v), v);
  const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.10.0', '2.0.0'];
  for (let i = 0; i + 1 < ordered.length; i++) {
    assert.equal(compareSemver(ordered[i] as string, ordered[i + 1] as string), -1, `${ordered[i]} < ${ordered[i + 1]}`);
    assert.equal(compareSemver(ordered[i + 1] as string, ordered[i] as string), 1);
  }
  assert.equal(compareSemver('v1.2.3', '1.2.3+meta'), 0);
});

test('metadata: every field, the directory\'s name, contract 1.0', () => {
  const md = { name: 'p', description: 'd', version: '1.0.0', url: 'u', supportedContractVersions: ['1.0'], capabilities: ['SIGNATURE_GENERATOR.RAW'] };
  assert.deepEqual(parsePluginMetadata('p', json(md)), md);
  assert.throws(() => parsePluginMetadata('p', json({ ...md, url: '' })), /no valid "url"/);
  assert.throws(() => parsePluginMetadata('p', json({ ...md, capabilities: [] })), /no valid "capabilities"/);
  assert.throws(() => parsePluginMetadata('q', json(md)), /must be "notation-p" instead of "notation-q"/);
  assert.throws(() => parsePluginMetadata('p', json({ ...md, supportedContractVersions: ['2.0'] })), /contract version "1\.0" is not in the list/);
  assert.throws(() => parsePluginMetadata('p', Buffer.from('[1]')), /JSON that is not an object/);
});

test('describe-key, generate-signature, generate-envelope and verify-signature answers outside the contract are refused', () => {
  assert.equal(parseDescribeKey('p', 'k', json({ keyId: 'k', keySpec: 'EC-256' })).alg, 'ES256');
  assert.throws(() => parseDescribeKey('p', 'k', json({ keyId: 'other', keySpec: 'EC-256' })), /keyID in describeKey response "other" does not match request "k"/);
  assert.throws(() => parseDescribeKey('p', 'k', json({ keyId: 'k', keySpec: 'RSA-1024' })), /key spec "RSA-1024", which is not one of/);
  const sig = { keyId: 'k', signature: 'AAAA', signingAlgorithm: 'ECDSA-SHA-256', certificateChain: ['AAAA'] };
  assert.equal(parseGenerateSignature('p', 'k', EC256, json(sig)).chain.length, 1);
  assert.throws(() => parseGenerateSignature('p', 'k', EC256, json({ ...sig, signingAlgorithm: 'RSASSA-PSS-SHA-256' })), /signed with "RSASSA-PSS-SHA-256", but key k is EC-256/);
  assert.throws(() => parseGenerateSignature('p', 'k', EC256, json({ ...sig, signature: 'not base64!' })), /"signature" that is not standard base64/);
  assert.throws(() => parseGenerateSignature('p', 'k', EC256, json({ ...sig, certificateChain: [] })), /no "certificateChain"/);
  const env = { signatureEnvelope: 'AAAA', signatureEnvelopeType: 'application/jose+json', annotations: { a: 'b' } };
  assert.deepEqual(parseGenerateEnvelope('p', 'application/jose+json', 10, json(env)).annotations, { a: 'b' });
  assert.throws(() => parseGenerateEnvelope('p', 'application/cose', 10, json(env)), /does not match request "application\/cose"/);
  assert.throws(() => parseGenerateEnvelope('p', 'application/jose+json', 2, json(env)), /over the limit of 2/);
  assert.throws(() => parseGenerateEnvelope('p', 'application/jose+json', 10, json({ ...env, annotations: { a: 1 } })), /"annotations" that is not a map of strings/);
  const TI = 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY';
  assert.equal(parseVerifySignature('p', [TI], [], json({ verificationResults: { [TI]: { success: true } }, processedAttributes: [] })).get(TI)?.success, true);
  assert.throws(() => parseVerifySignature('p', [TI], [], json({ verificationResults: {}, processedAttributes: [] })), /failed to verify "SIGNATURE_VERIFIER\.TRUSTED_IDENTITY"/);
  assert.throws(() => parseVerifySignature('p', [TI], [], json({ verificationResults: { [TI]: { success: false } }, processedAttributes: [] })), /failed .* result without a reason/);
  assert.throws(() => parseVerifySignature('p', [TI], ['x'], json({ verificationResults: { [TI]: { success: true } }, processedAttributes: ['x', 'y'] })), /naming attributes it was not given: y/);
});

test('the error answer on stderr: code and message, control characters removed', () => {
  assert.deepEqual(parsePluginError(json({ errorCode: 'ACCESS_DENIED', errorMessage: 'no\u001b[31m' })), { code: 'ACCESS_DENIED', message: 'no [31m' });
  assert.equal(parsePluginError(Buffer.from('panic: x')), undefined);
});

test('a plugin key signs through the shared envelope code, JWS and COSE alike; what it returns is checked', async () => {
  const chain = await makeChain('ec-256');
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 10 };
  const signingTime = new Date('2026-06-01T00:00:00Z');
  const signer = (o: { spec?: KeySpec; tamper?: boolean; chain?: Buffer[] } = {}): PluginRawSigner => ({
    plugin: 'p', keyId: 'k', keySpec: o.spec ?? EC256,
    sign: async (data) => {
      const signature = signPrimitive('ES256', chain.key.privateKey, data);
      if (o.tamper) signature[3] = (signature[3] as number) ^ 1;
      return { signature, chain: o.chain ?? chain.ders };
    },
  });
  for (const format of ['jws', 'cose'] as const) {
    let stamped: Buffer | undefined;
    const signed = await signEnvelope(format, { target, signer: signer(), signingTime, signingAgent: 'vouch p/1.0.0', timestamp: async (s) => { stamped = s; return Buffer.from([0x30, 0x00]); } });
    const env = await verifyEnvelope(signed.mediaType, signed.envelope);
    assert.equal(env.format, format);
    assert.deepEqual(env.target, target);
    assert.equal(env.signingAgent, 'vouch p/1.0.0');
    assert.deepEqual(stamped, env.signature, `${format}: the timestamp hook gets the plugin's signature`);
    assert.deepEqual(signed.chain.map((c) => c.der), chain.ders);
    await assert.rejects(signEnvelope(format, { target, signer: signer({ tamper: true }), signingTime }), /plugin p: the signature does not verify with the signing certificate's key/);
    await assert.rejects(signEnvelope(format, { target, signer: signer({ spec: { type: 'ec', size: 384, alg: 'ES384', hash: 'sha384' } }), signingTime }), /plugin p: describe-key said key k is EC-384, but the signing certificate's key is EC-256/);
    await assert.rejects(signEnvelope(format, { target, signer: signer({ chain: chain.ders.slice(0, 1) }), signingTime }), /plugin p: the certificate chain does not meet the Notary Project certificate requirements/);
    await assert.rejects(signEnvelope(format, { target, signer: signer(), signingTime: new Date('2000-01-01T00:00:00Z') }), /plugin p: the certificate chain does not meet the Notary Project certificate requirements/);
  }
});
