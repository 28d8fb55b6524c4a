// cosign's Sigstore bundles, DSSE envelopes and in-toto statements (src/sig/cosign/bundle.ts,
// dsse.ts): what is written has cosign v3's shape, and hostile input (malformed, oversized,
// another digest, another key, a tampered payload, an attestation passed off as a signature) is a
// clear refusal, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import * as cosign from '../../../src/sig/cosign/index.js';
import { isVouchError } from '../../../src/core/index.js';

const { privateKey: key, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const { publicKey: strangerKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
const otherDigest = `sha256:${'ab'.repeat(32)}`;
const verifier = cosign.publicKeyBundleVerifier(publicKey);

function refusal(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isVouchError(err), `a VouchError, not ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

const verify = (bytes: Buffer, opts: { purpose?: 'signature' | 'attestation'; annotations?: Record<string, string>; verifier?: cosign.BundleSignatureVerifier } = {}): cosign.BundleVerdict =>
  cosign.verifyImageBundle({ bundle: cosign.parseBundle(bytes), digest, manifest, verifier: opts.verifier ?? verifier, purpose: opts.purpose ?? 'signature', ...(opts.annotations ? { annotations: opts.annotations } : {}) });

test('a signature bundle has cosign v3\'s shape and verifies with the key: statement, subject annotations, key hint', () => {
  const bytes = cosign.dsseBundle(key, cosign.signStatement(digest, { build: '42' }));
  const json = JSON.parse(bytes.toString('utf8')) as { mediaType: string; verificationMaterial: { publicKey: { hint: string } }; dsseEnvelope: { payload: string; payloadType: string; signatures: Array<Record<string, string>> } };
  assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  assert.equal(json.verificationMaterial.publicKey.hint, createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64'));
  assert.equal(json.dsseEnvelope.payloadType, 'application/vnd.in-toto+json');
  assert.deepEqual(Object.keys(json.dsseEnvelope.signatures[0] ?? {}), ['sig']);
  assert.deepEqual(JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString('utf8')), {
    _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: digest.slice(7) }, annotations: { build: '42' } }],
    predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {},
  });
  const v = verify(bytes, { annotations: { build: '42' } });
  assert.equal(v.verified, true, v.reason);
  assert.deepEqual(JSON.parse(cosign.bundleVerifyOutput('r.example/app', digest, v).toString('utf8')), {
    critical: { identity: { 'docker-reference': 'r.example/app' }, image: { 'docker-manifest-digest': digest }, type: 'https://sigstore.dev/cosign/sign/v1' }, optional: { build: '42' },
  });
});

test('the referrer manifest is the one cosign v3 writes: artifactType, empty config, one layer, subject, annotations', () => {
  const bundle = cosign.dsseBundle(key, cosign.signStatement(digest));
  const built = cosign.bundleReferrerManifest({ subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.byteLength }, bundle, predicateType: cosign.COSIGN_SIGN_PREDICATE_TYPE, now: new Date('2026-01-02T03:04:05.678Z') });
  const m = JSON.parse(built.bytes.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(m), ['schemaVersion', 'mediaType', 'config', 'layers', 'annotations', 'subject', 'artifactType']);
  assert.equal(m.artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  assert.deepEqual(m.config, { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' });
  assert.deepEqual(m.annotations, { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1', 'org.opencontainers.image.created': '2026-01-02T03:04:05Z' });
  assert.deepEqual(m.subject, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.byteLength, digest });
  assert.deepEqual(cosign.bundleLayerOf(built.bytes, digest), built.layer);
  refusal(() => cosign.bundleLayerOf(built.bytes, otherDigest), 'INVALID_METADATA', /names another subject/);
  // a referrer that is not a bundle (an SBOM, a Notation signature) is passed over, never trusted
  const sbom = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: 'application/spdx+json', digest, size: 1 }], subject: { digest } }));
  assert.equal(cosign.bundleLayerOf(sbom, digest), undefined);
});

test('refused: another key, a tampered payload, a statement for another digest, a missing annotation, an attestation taken for a signature', () => {
  const good = cosign.dsseBundle(key, cosign.signStatement(digest, { build: '42' }));
  const wrongKey = verify(good, { verifier: cosign.publicKeyBundleVerifier(strangerKey) });
  assert.equal(wrongKey.verified, false);
  assert.match(wrongKey.reason ?? '', /does not verify with the given public key/);

  const json = JSON.parse(good.toString('utf8')) as { dsseEnvelope: { payload: string } };
  json.dsseEnvelope.payload = Buffer.from(cosign.signStatement(digest, { build: '43' })).toString('base64');
  const tampered = verify(Buffer.from(JSON.stringify(json)));
  assert.equal(tampered.verified, false);
  assert.equal(tampered.checks.signature, 'failed');

  const elsewhere = verify(cosign.dsseBundle(key, cosign.signStatement(otherDigest)));
  assert.equal(elsewhere.verified, false);
  assert.match(elsewhere.reason ?? '', /names no subject with digest sha256:/);

  const annotation = verify(good, { annotations: { build: '43' } });
  assert.equal(annotation.verified, false);
  assert.match(annotation.reason ?? '', /annotation build=43 is not in the signed statement/);

  const att = cosign.dsseBundle(key, cosign.attestationStatement({ type: 'slsaprovenance', predicate: Buffer.from('{"builder":{"id":"ci"}}'), digest, repository: 'r.example/app', now: new Date(0) }));
  const asSignature = verify(att);
  assert.equal(asSignature.verified, false);
  assert.match(asSignature.reason ?? '', /an attestation \(https:\/\/slsa\.dev\/provenance\/v0\.2\), not a signature/);
  assert.equal(verify(att, { purpose: 'attestation' }).verified, true);
});

test('message-signature bundles: read and checked over the image manifest; one for another digest is refused', () => {
  const sig = nodeSign('sha256', manifest, key);
  const make = (d: string): Buffer => Buffer.from(JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: cosign.publicKeyHint(key) } },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(d.slice(7), 'hex').toString('base64') }, signature: sig.toString('base64') },
  }));
  assert.equal(verify(make(digest)).verified, true);
  const other = verify(make(otherDigest));
  assert.equal(other.verified, false);
  assert.match(other.reason ?? '', /over another digest/);
  assert.equal(verify(make(digest), { verifier: cosign.publicKeyBundleVerifier(strangerKey) }).verified, false);
  assert.equal(verify(make(digest), { purpose: 'attestation' }).verified, false);
});

test('malformed and oversized bundles and envelopes are clear errors, never a crash', () => {
  refusal(() => cosign.parseBundle(Buffer.from('not json')), 'INVALID_JSON', /Sigstore bundle is not valid JSON/);
  refusal(() => cosign.parseBundle(Buffer.from('[]')), 'INVALID_SIGNATURE', /not an object/);
  refusal(() => cosign.parseBundle(Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1"}')), 'INVALID_SIGNATURE', /cosign reads bundles v0\.3/);
  const v03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  // @sigstore/bundle throws a TypeError on a payload that is not a string; it must not escape
  refusal(() => cosign.parseBundle(Buffer.from(JSON.stringify({ mediaType: v03, verificationMaterial: { publicKey: {} }, dsseEnvelope: { payload: 7, payloadType: 'x', signatures: [] } }))), 'INVALID_SIGNATURE', /DSSE envelope is malformed/);
  refusal(() => cosign.parseBundle(Buffer.from(JSON.stringify({ mediaType: v03, verificationMaterial: { publicKey: { hint: 'h' } } }))), 'INVALID_SIGNATURE', /Sigstore bundle is malformed/);
  refusal(() => cosign.parseBundle(Buffer.alloc(cosign.MAX_BUNDLE_BYTES + 1, 0x20)), 'TOO_LARGE', /over the limit/);
  const sigs = (n: number): Buffer => Buffer.from(JSON.stringify({ payloadType: 'x', payload: 'e30=', signatures: Array.from({ length: n }, () => ({ sig: 'AA==', keyid: '' })) }));
  refusal(() => cosign.parseEnvelope(sigs(0)), 'INVALID_SIGNATURE', /0 signatures/);
  refusal(() => cosign.parseEnvelope(sigs(17)), 'INVALID_SIGNATURE', /17 signatures/);
  refusal(() => cosign.parseEnvelope(Buffer.from(JSON.stringify({ payloadType: 'x', payload: Buffer.alloc(cosign.MAX_STATEMENT_BYTES + 1).toString('base64'), signatures: [{ sig: 'AA==' }] }))), 'TOO_LARGE', /payload is \d+ bytes, over the limit/);
  refusal(() => cosign.parseStatement(Buffer.from('{"_type":"https://example.com/not-in-toto","predicateType":"x","subject":[]}')), 'INVALID_SIGNATURE', /not an in-toto statement/);
  refusal(() => cosign.parseStatement(Buffer.from('{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"digest":7}]}')), 'INVALID_SIGNATURE', /no digest set/);
});

test('attest statements as cosign makes them: predicate type names, custom wraps the file, spdx is a string, a URI is its own type', () => {
  const make = (type: string, predicate: string): Record<string, unknown> => JSON.parse(cosign.attestationStatement({ type, predicate: Buffer.from(predicate), digest, repository: 'r.example/app', now: new Date('2026-01-02T03:04:05.678Z') }).toString('utf8')) as Record<string, unknown>;
  const custom = make('custom', 'free text');
  assert.equal(custom._type, 'https://in-toto.io/Statement/v0.1');
  assert.equal(custom.predicateType, 'https://cosign.sigstore.dev/attestation/v1');
  assert.deepEqual(custom.predicate, { Data: 'free text', Timestamp: '2026-01-02T03:04:05Z' });
  assert.deepEqual(custom.subject, [{ name: 'r.example/app', digest: { sha256: digest.slice(7) } }]);
  assert.equal(make('spdx', '{"spdxVersion":"SPDX-2.3"}').predicate, '{"spdxVersion":"SPDX-2.3"}');
  assert.deepEqual(make('cyclonedx', '{"bomFormat":"CycloneDX"}').predicate, { bomFormat: 'CycloneDX' });
  assert.equal(make('https://example.com/my/v1', '{"a":1}').predicateType, 'https://example.com/my/v1');
  refusal(() => make('cyclonedx', '[1]'), 'INVALID_ARGUMENT', /must be a JSON object/);
  refusal(() => make('not a type', '{}'), 'INVALID_ARGUMENT', /invalid predicate type: not a type/);
});

test('legacy .att envelopes: cosign\'s field order, signed over the PAE, checked with the key', () => {
  const payload = cosign.attestationStatement({ type: 'custom', predicate: Buffer.from('x'), digest, repository: 'r.example/app', now: new Date(0) });
  const bytes = cosign.legacyEnvelopeBytes(cosign.IN_TOTO_PAYLOAD_TYPE, payload, cosign.signEnvelopePayload(key, cosign.IN_TOTO_PAYLOAD_TYPE, payload));
  assert.match(bytes.toString('utf8'), /^\{"payloadType":"application\/vnd\.in-toto\+json","payload":"[A-Za-z0-9+/=]+","signatures":\[\{"keyid":"","sig":"[A-Za-z0-9+/=]+"\}\]\}$/);
  const env = cosign.parseEnvelope(bytes);
  assert.equal(cosign.envelopeSignedBy(env, publicKey), true);
  assert.equal(cosign.envelopeSignedBy(env, strangerKey), false);
  assert.equal(cosign.envelopeSignedBy({ ...env, payload: Buffer.concat([env.payload, Buffer.from(' ')]) }, publicKey), false);
  assert.equal(cosign.statementClaimsFail(cosign.parseStatement(env.payload), digest), undefined);
  assert.match(cosign.statementClaimsFail(cosign.parseStatement(env.payload), otherDigest) ?? '', /no subject with digest/);
});
