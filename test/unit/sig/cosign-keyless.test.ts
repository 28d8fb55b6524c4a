// Keyless verification on bundles recorded from the real Sigstore tooling (test/fixtures/cosign-keyless/NOTES.md):
// the public-good trusted root, a v0.3 and a v0.1 bundle, a Rekor v2 bundle with an RFC 3161 timestamp,
// and the recorded negatives; then tamperings of the recorded bundle done here (dropped log entry,
// bounds), and cosign's older `.sig` layer form of the same signature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { isVouchError } from '../../../src/core/index.js';
import { cosign } from '../../../src/sig/index.js';
import * as cosignBlob from '../../../src/sig/cosign/blob.js';
import * as keyless from '../../../src/sig/cosign/keyless.js';
import * as trustroot from '../../../src/sig/cosign/trustroot.js';
import { projectRoot } from '../../support/paths.js';

const F = join(projectRoot, 'test', 'fixtures', 'cosign-keyless');
const read = (p: string): Buffer => readFileSync(join(F, p));
const publicGood = trustroot.parseTrustedRoot(read('trusted_root.public-good.json'));
const artifact = read('conformance/a.txt');
const IDENTITY = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const policy: keyless.IdentityPolicy = { identity: IDENTITY, issuer: ISSUER };
const now = new Date('2026-01-01T00:00:00Z');

const bundleJson = (name: string): Record<string, unknown> => JSON.parse(read(`conformance/${name}/bundle.sigstore.json`).toString('utf8')) as Record<string, unknown>;
const verify = (json: unknown, opts: { root?: trustroot.LoadedTrustedRoot; policy?: keyless.IdentityPolicy; data?: Buffer; ignoreTlog?: boolean } = {}): keyless.SigstoreVerified =>
  keyless.verifySigstoreBundle(keyless.parseSigstoreBundle(Buffer.from(JSON.stringify(json))), opts.data ?? artifact,
    { kind: 'keyless', trustedRoot: opts.root ?? publicGood, policy: opts.policy ?? policy }, { now, ...(opts.ignoreTlog ? { ignoreTlog: true } : {}) });
const rejects = (fn: () => unknown, code: string, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => isVouchError(err) && err.code === code && message.test(err.message));
};

test('recorded v0.3 and v0.1 bundles verify against the public-good trusted root: chain, SCT, SET and inclusion proof, identity, GitHub claims', () => {
  for (const name of ['happy-path-v0.3', 'happy-path-v0.1']) {
    const r = verify(bundleJson(name), { policy: { ...policy, github: { repository: 'sigstore-conformance/extremely-dangerous-public-oidc-beacon', trigger: 'workflow_dispatch', ref: 'refs/heads/main', name: 'Extremely dangerous OIDC beacon' } } });
    assert.equal(r.kind, 'certificate');
    assert.equal(r.tlogEntries, 1);
    assert.equal(r.identity?.subject, IDENTITY);
    assert.equal(r.identity?.issuer, ISSUER);
    assert.ok(r.signedAt !== undefined && r.signedAt.getTime() < now.getTime(), name);
  }
  const r = verify(bundleJson('happy-path-v0.3'), { policy: { identityRegexp: '^https://github\\.com/sigstore-conformance/', issuerRegexp: 'githubusercontent' } });
  assert.equal(r.identity?.github.sha, 'c7b3dfb335f051e1c86bda4c716fac97df62ad81');
  // the one entry point takes the bundle as bytes, JSON or parsed
  const trust: keyless.SigstoreTrust = { kind: 'keyless', trustedRoot: publicGood, policy };
  const bytes = read('conformance/happy-path-v0.3/bundle.sigstore.json');
  for (const bundle of [bytes, bundleJson('happy-path-v0.3') as never, keyless.parseSigstoreBundle(bytes)]) {
    assert.equal(keyless.verifySigstore({ kind: 'bundle', bundle, artifact }, trust, { now }).identity?.subject, IDENTITY);
  }
});

test('the certificate validity is checked at the RFC 3161 timestamp of a Rekor v2 bundle (no integrated time)', () => {
  const root = trustroot.parseTrustedRoot(read('conformance/rekor2-happy-path/trusted_root.json'));
  const r = verify(bundleJson('rekor2-happy-path'), { root });
  assert.equal(r.rfc3161Timestamps, 1);
  assert.equal(r.signedAt?.toISOString(), '2025-06-12T12:02:20.000Z');
  // The same bundle against a root without its timestamp authority: no verified time, refused.
  const json = JSON.parse(read('conformance/rekor2-happy-path/trusted_root.json').toString('utf8')) as Record<string, unknown>;
  const noTsa = trustroot.parseTrustedRoot(Buffer.from(JSON.stringify({ ...json, timestampAuthorities: [] })));
  rejects(() => verify(bundleJson('rekor2-happy-path'), { root: noTsa }), 'INVALID_CERTIFICATE', /TIMESTAMP_ERROR|timestamp/);
});

test('wrong identity, wrong issuer, wrong GitHub claim: IDENTITY_MISMATCH naming the certificate\'s value', () => {
  const b = bundleJson('happy-path-v0.3');
  rejects(() => verify(b, { policy: { identity: 'https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main', issuer: ISSUER } }), 'IDENTITY_MISMATCH', /identity .*extremely-dangerous/);
  rejects(() => verify(b, { policy: { identityRegexp: '^https://github\\.com/evil/', issuer: ISSUER } }), 'IDENTITY_MISMATCH', /match of/);
  rejects(() => verify(b, { policy: { identity: IDENTITY, issuer: 'https://accounts.google.com' } }), 'IDENTITY_MISMATCH', /OIDC issuer is 'https:\/\/token\.actions/);
  rejects(() => verify(b, { policy: { identity: IDENTITY, issuerRegexp: '^https://gitlab' } }), 'IDENTITY_MISMATCH', /OIDC issuer/);
  rejects(() => verify(b, { policy: { ...policy, github: { sha: '0000000000000000000000000000000000000000' } } }), 'IDENTITY_MISMATCH', /GitHub workflow sha .*c7b3dfb/);
  rejects(() => verify(b, { policy: { ...policy, github: { trigger: 'push' } } }), 'IDENTITY_MISMATCH', /trigger .*workflow_dispatch/);
  assert.throws(() => keyless.checkIdentityPolicy({ issuer: ISSUER }), /--certificate-identity or --certificate-identity-regexp is required/);
  assert.throws(() => keyless.checkIdentityPolicy({ identity: IDENTITY }), /--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required/);
  assert.throws(() => keyless.checkIdentityPolicy({ identityRegexp: '(', issuer: ISSUER }), /not a regular expression/);
});

test('recorded negatives: tampered signature, SET, inclusion proof; a root without the CA; a CA outside its validity', () => {
  rejects(() => verify(bundleJson('signature-mismatch_fail')), 'INVALID_SIGNATURE', /transparency-log entry|signature/);
  rejects(() => verify(bundleJson('set-invalid-signature_fail')), 'INVALID_SIGNATURE', /TLOG_INCLUSION_PROMISE_ERROR/);
  rejects(() => verify(bundleJson('inclusion-proof-corrupted-hash_fail')), 'INVALID_SIGNATURE', /TLOG_INCLUSION_PROOF_ERROR/);
  rejects(() => verify(bundleJson('bundle-from-wrong-instance_fail')), 'INVALID_CERTIFICATE', /certificate chain/);
  rejects(() => verify(bundleJson('happy-path-v0.3'), { root: trustroot.parseTrustedRoot(read('trusted_root.staging.json')) }), 'INVALID_CERTIFICATE', /certificate chain/);
  const expiredRoot = trustroot.parseTrustedRoot(read('conformance/intoto-expired-certificate_fail/trusted_root.json'));
  rejects(() => verify(bundleJson('intoto-expired-certificate_fail'), { root: expiredRoot, data: read('conformance/intoto-expired-certificate_fail/artifact') }), 'INVALID_CERTIFICATE', /certificate chain/);
  // a tampered artifact: the signature no longer verifies
  rejects(() => verify(bundleJson('happy-path-v0.3'), { data: Buffer.from('not a.txt\n') }), 'INVALID_SIGNATURE', /./);
});

test('an expired certificate without a log time or timestamp is refused, and so is --insecure-ignore-tlog without a timestamp', () => {
  const b = bundleJson('happy-path-v0.3') as { verificationMaterial: Record<string, unknown> };
  const noLog = { ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [] } };
  rejects(() => verify(noLog), 'INVALID_CERTIFICATE', /was valid from 2024-03-19T17:26:26.000Z to 2024-03-19T17:36:26.000Z, and no transparency-log entry or RFC 3161 timestamp/);
  rejects(() => verify(b, { ignoreTlog: true }), 'INVALID_CERTIFICATE', /no transparency-log entry or RFC 3161 timestamp/);
});

test('hostile bundles: too many log entries, proof hashes, chain certificates; malformed JSON; oversize trusted root', () => {
  const b = bundleJson('happy-path-v0.3') as { verificationMaterial: { tlogEntries: Record<string, unknown>[] } };
  const entry = b.verificationMaterial.tlogEntries[0] as { inclusionProof: Record<string, unknown> };
  const many = { ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: Array.from({ length: 9 }, () => entry) } };
  rejects(() => verify(many), 'TOO_LARGE', /9 transparency-log entries/);
  const longProof = { ...b, verificationMaterial: { ...b.verificationMaterial, tlogEntries: [{ ...entry, inclusionProof: { ...entry.inclusionProof, hashes: Array.from({ length: 65 }, () => 'AAAA') } }] } };
  rejects(() => verify(longProof), 'TOO_LARGE', /inclusion proof of 65 hashes/);
  const cert = (bundleJson('happy-path-v0.1') as { verificationMaterial: { x509CertificateChain: { certificates: unknown[] } } }).verificationMaterial.x509CertificateChain.certificates[0];
  const v01 = bundleJson('happy-path-v0.1') as { verificationMaterial: Record<string, unknown> };
  const longChain = { ...v01, verificationMaterial: { ...v01.verificationMaterial, x509CertificateChain: { certificates: Array.from({ length: 11 }, () => cert) } } };
  rejects(() => verify(longChain), 'TOO_LARGE', /11 certificates/);
  rejects(() => keyless.parseSigstoreBundle(Buffer.from('{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"')), 'INVALID_JSON', /not valid JSON/);
  rejects(() => keyless.parseSigstoreBundle(Buffer.from('{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": {}}')), 'INVALID_SIGNATURE', /not a valid Sigstore bundle/);
  rejects(() => keyless.parseSigstoreBundle(Buffer.alloc(keyless.MAX_BUNDLE_BYTES + 1, 0x20)), 'TOO_LARGE', /over the limit/);
  rejects(() => trustroot.parseTrustedRoot(Buffer.alloc(trustroot.MAX_TRUSTED_ROOT_BYTES + 1, 0x20)), 'TOO_LARGE', /over the limit/);
  rejects(() => trustroot.parseTrustedRoot(Buffer.from('{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"baseUrl":"x"}]}')), 'INVALID_METADATA', /publicKey/);
  assert.match(trustroot.missingTrustedRoot().hint ?? '', /trusted-root.*root-signing/s);
});

/** The recorded v0.1 bundle's signature, certificate and Rekor entry in cosign's `.sig` layer annotations. */
function legacyLayerOf(name: string): { layer: cosign.LegacySignatureLayer; payload: Buffer } {
  const b = bundleJson(name) as {
    messageSignature: { signature: string };
    verificationMaterial: { x509CertificateChain: { certificates: { rawBytes: string }[] }; tlogEntries: { logIndex: string; logId: { keyId: string }; integratedTime: string; inclusionPromise: { signedEntryTimestamp: string }; canonicalizedBody: string }[] };
  };
  const pem = (der: string): string => `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  const [leaf, ...chain] = b.verificationMaterial.x509CertificateChain.certificates.map((c) => pem(c.rawBytes));
  const e = b.verificationMaterial.tlogEntries[0];
  assert.ok(leaf !== undefined && e !== undefined);
  const rekor = { SignedEntryTimestamp: e.inclusionPromise.signedEntryTimestamp, Payload: { body: e.canonicalizedBody, integratedTime: Number(e.integratedTime), logIndex: Number(e.logIndex), logID: Buffer.from(e.logId.keyId, 'base64').toString('hex') } };
  const layer: cosign.LegacySignatureLayer = {
    payload: { mediaType: cosign.SIMPLE_SIGNING_MEDIA_TYPE, digest: 'sha256:00', size: artifact.byteLength },
    signature: Buffer.from(b.messageSignature.signature, 'base64'), certificate: leaf,
    ...(chain.length > 0 ? { chain: chain.join('') } : {}), bundle: JSON.stringify(rekor),
  };
  return { layer, payload: artifact };
}

test("cosign's older form (certificate, chain and Rekor bundle annotations) converts to a bundle that verifies, and fails as the bundle does", () => {
  const { layer, payload } = legacyLayerOf('happy-path-v0.1');
  const trust: keyless.SigstoreTrust = { kind: 'keyless', trustedRoot: publicGood, policy };
  // a.txt is not a simple-signing payload: the signature, certificate and SET pass, the claims fail
  const v = keyless.verifyLegacyLayer({ layer, payload, digest: 'sha256:aa', trust, now });
  assert.deepEqual(v.checks, { signature: 'passed', claims: 'failed', tlog: 'passed' });
  assert.equal(v.signer?.subject, IDENTITY);
  const tamperedSet = { ...layer, bundle: (layer.bundle ?? '').replace(/"SignedEntryTimestamp":"M/, '"SignedEntryTimestamp":"N') };
  assert.match(keyless.verifyLegacyLayer({ layer: tamperedSet, payload, digest: 'sha256:aa', trust, now }).reason ?? '', /TLOG_INCLUSION_PROMISE_ERROR|transparency-log/);
  const noRekor: cosign.LegacySignatureLayer = { payload: layer.payload, signature: layer.signature, ...(layer.certificate ? { certificate: layer.certificate } : {}) };
  assert.match(keyless.verifyLegacyLayer({ layer: noRekor, payload, digest: 'sha256:aa', trust, now }).reason ?? '', /no transparency-log entry or RFC 3161 timestamp/);
  const wrongId = keyless.verifyLegacyLayer({ layer, payload, digest: 'sha256:aa', trust: { ...trust, policy: { identity: 'x', issuer: ISSUER } }, now });
  assert.equal(wrongId.verified, false);
  assert.match(wrongId.reason ?? '', /identity/);
  assert.match(keyless.verifyLegacyLayer({ layer: { ...layer, bundle: '{"SignedEntryTimestamp": 1}' }, payload, digest: 'sha256:aa', trust, now }).reason ?? '', /Rekor bundle .* malformed/);
  // the older blob bundle file of cosign (base64Signature, cert, rekorBundle) reads into the same parts
  const file = Buffer.from(JSON.stringify({ base64Signature: layer.signature.toString('base64'), cert: Buffer.from(layer.certificate ?? '').toString('base64'), rekorBundle: JSON.parse(layer.bundle ?? '{}') as unknown }));
  const parsed = cosignBlob.parseBlobBundle(file);
  assert.equal(parsed.format, 'legacy');
  if (parsed.format !== 'legacy') return;
  const r = keyless.verifySigstoreBundle(cosignBlob.legacyBlobToBundle(parsed, artifact), artifact, trust, { now });
  assert.equal(r.identity?.subject, IDENTITY);
  const viaEntry = keyless.verifySigstore({ kind: 'legacy', parts: { signature: layer.signature, payload, certificate: layer.certificate ?? '', rekorBundle: layer.bundle ?? '' } }, trust, { now });
  assert.equal(viaEntry.tlogEntries, 1);
});

test('key-based Sigstore bundles (sign-blob --new-bundle-format) verify with the key only, through the same function', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('blob\n');
  const sig = cosign.signPayload(privateKey, data);
  const bundle = keyless.parseSigstoreBundle(cosignBlob.newBlobBundle(data, sig, privateKey));
  const r = keyless.verifySigstoreBundle(bundle, data, { kind: 'key', key: publicKey }, { now, ignoreTlog: true });
  assert.equal(r.kind, 'key');
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  rejects(() => keyless.verifySigstoreBundle(bundle, data, { kind: 'key', key: other }, { now, ignoreTlog: true }), 'INVALID_SIGNATURE', /SIGNATURE_ERROR/);
  rejects(() => keyless.verifySigstoreBundle(bundle, Buffer.from('other\n'), { kind: 'key', key: publicKey }, { now, ignoreTlog: true }), 'INVALID_SIGNATURE', /./);
  rejects(() => keyless.verifySigstoreBundle(bundle, data, { kind: 'keyless', trustedRoot: publicGood, policy }, { now, ignoreTlog: true }), 'INVALID_SIGNATURE', /signed with a key, not a certificate/);
});

test("cosign's RFC 3161 timestamp annotation counts as the signing time (the recorded Rekor v2 bundle's timestamp, log ignored)", () => {
  const b = bundleJson('rekor2-happy-path') as {
    messageSignature: { signature: string };
    verificationMaterial: { certificate: { rawBytes: string }; timestampVerificationData: { rfc3161Timestamps: { signedTimestamp: string }[] } };
  };
  const root = trustroot.parseTrustedRoot(read('conformance/rekor2-happy-path/trusted_root.json'));
  const pem = `-----BEGIN CERTIFICATE-----\n${b.verificationMaterial.certificate.rawBytes.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  const ts = b.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]?.signedTimestamp ?? '';
  const parts = { signature: Buffer.from(b.messageSignature.signature, 'base64'), payload: artifact, certificate: pem };
  const trust: keyless.SigstoreTrust = { kind: 'keyless', trustedRoot: root, policy };
  const r = keyless.verifySigstoreBundle(keyless.legacyPartsToBundle({ ...parts, rfc3161Timestamp: JSON.stringify({ SignedRFC3161Timestamp: ts }) }, 'layer'), artifact, trust, { now, ignoreTlog: true });
  assert.equal(r.signedAt?.toISOString(), '2025-06-12T12:02:20.000Z');
  rejects(() => keyless.verifySigstoreBundle(keyless.legacyPartsToBundle(parts, 'layer'), artifact, trust, { now, ignoreTlog: true }), 'INVALID_CERTIFICATE', /no transparency-log entry or RFC 3161 timestamp/);
  rejects(() => keyless.legacyPartsToBundle({ ...parts, rfc3161Timestamp: '{"other": 1}' }, 'layer'), 'INVALID_SIGNATURE', /no SignedRFC3161Timestamp/);
});

test('hostile .sig annotations: a chain of 11 certificates, an oversize certificate, a certificate that is not one, a Rekor bundle with a bad logID', () => {
  const { layer, payload } = legacyLayerOf('happy-path-v0.1');
  const parts = { signature: layer.signature, payload, certificate: layer.certificate ?? '' };
  rejects(() => keyless.legacyPartsToBundle({ ...parts, chain: (layer.certificate ?? '').repeat(10) }, 'layer'), 'TOO_LARGE', /11 certificates/);
  rejects(() => keyless.legacyPartsToBundle({ ...parts, certificate: 'A'.repeat(700 * 1024) }, 'layer'), 'TOO_LARGE', /certificate of layer is over/);
  rejects(() => keyless.legacyPartsToBundle({ ...parts, certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, 'layer'), 'INVALID_CERTIFICATE', /does not parse/);
  const rekor = JSON.parse(layer.bundle ?? '{}') as { Payload: Record<string, unknown> };
  rejects(() => keyless.legacyPartsToBundle({ ...parts, rekorBundle: { ...rekor, Payload: { ...rekor.Payload, logID: 'zz' } } as never }, 'layer'), 'INVALID_SIGNATURE', /logID is not a SHA-256/);
  rejects(() => keyless.legacyPartsToBundle({ ...parts, rekorBundle: { ...rekor, Payload: { ...rekor.Payload, integratedTime: -1 } } as never }, 'layer'), 'INVALID_SIGNATURE', /integratedTime/);
});

test("the certificate's SCTs must come from a CT log of the trusted root", () => {
  const json = JSON.parse(read('trusted_root.public-good.json').toString('utf8')) as Record<string, unknown>;
  const noCtlogs = trustroot.parseTrustedRoot(Buffer.from(JSON.stringify({ ...json, ctlogs: [] })));
  rejects(() => verify(bundleJson('happy-path-v0.3'), { root: noCtlogs }), 'INVALID_CERTIFICATE', /SCT verification failed/);
});

test('a recorded bundle of an unknown version (99.9) is refused', () => {
  rejects(() => verify(bundleJson('bundle-unknown-version_fail')), 'INVALID_SIGNATURE', /unknown or unsupported mediaType/);
});

test('garbage in any field of a recorded bundle is a VouchError, never a crash', () => {
  const garbage: [path: (string | number)[], value: unknown][] = [
    [['verificationMaterial', 'certificate', 'rawBytes'], 'AAAA'],
    [['verificationMaterial', 'certificate'], { rawBytes: 12 }],
    [['verificationMaterial', 'tlogEntries', 0, 'canonicalizedBody'], Buffer.from('{"kind":').toString('base64')],
    [['verificationMaterial', 'tlogEntries', 0, 'inclusionProof', 'checkpoint', 'envelope'], 'not a checkpoint'],
    [['verificationMaterial', 'tlogEntries', 0, 'inclusionProof', 'logIndex'], '-5'],
    [['verificationMaterial', 'tlogEntries', 0, 'integratedTime'], 'soon'],
    [['verificationMaterial', 'tlogEntries', 0, 'logId'], null],
    [['verificationMaterial', 'timestampVerificationData'], { rfc3161Timestamps: [{ signedTimestamp: 'AAAA' }] }],
    [['messageSignature', 'signature'], ''],
    [['messageSignature'], undefined],
    [['mediaType'], 'application/vnd.dev.sigstore.bundle.v9.9+json'],
  ];
  for (const [i, [path, value]] of garbage.entries()) {
    const b = bundleJson('happy-path-v0.3');
    let at: Record<string | number, unknown> = b;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path[path.length - 1] as string | number] = value;
    assert.throws(() => verify(b), (err: unknown) => isVouchError(err), `mutation ${i}: ${path.join('.')}`);
  }
});
