// Blob signatures in the pure layer: trustpolicy.blob.json validated as notation-go's
// BlobDocument.Validate (verifier/trustpolicy/blob.go), the statement that applies (--policy-name
// or the global one), and the verifier's blob comparison (verifier.go VerifyBlob: the digest of the
// signature's hash, the media type only when given).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isVouchError } from '../../../src/core/index.js';
import {
  COSE_ENVELOPE_TYPE, JWS_ENVELOPE_TYPE, applicableBlobPolicy, parseBlobTrustPolicy, signEnvelope, verifyNotationSignature,
  type BlobSubject, type HashName,
} from '../../../src/sig/index.js';
import { makeChain, type Kind } from '../../support/x509.js';

const statement = (o: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'p', signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'], ...o });
const doc = (statements: unknown[], version: unknown = '1.0'): string => JSON.stringify({ version, trustPolicies: statements });

function refuses(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(isVouchError(err), String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

test('trustpolicy.blob.json: notation\'s rules and messages', () => {
  const ok = parseBlobTrustPolicy(doc([statement({ globalPolicy: true }), statement({ name: 'q', signatureVerification: { level: 'skip' }, trustStores: [], trustedIdentities: [] })]));
  assert.deepEqual(ok.trustPolicies.map((s) => [s.name, s.globalPolicy]), [['p', true], ['q', false]]);
  refuses(() => parseBlobTrustPolicy(doc([statement()], '')), /blob trust policy document has empty version/);
  refuses(() => parseBlobTrustPolicy(doc([statement()], '2.0')), /blob trust policy document uses unsupported version "2\.0"/);
  refuses(() => parseBlobTrustPolicy(doc([])), /blob trust policy document can not have zero trust policy statements/);
  refuses(() => parseBlobTrustPolicy(doc([statement(), statement()])), /multiple blob trust policy statements use the same name "p"/);
  refuses(() => parseBlobTrustPolicy(doc([statement({ globalPolicy: true }), statement({ name: 'q', globalPolicy: true })])), /multiple blob trust policy statements have globalPolicy set to true/);
  refuses(() => parseBlobTrustPolicy(doc([statement({ globalPolicy: true, signatureVerification: { level: 'skip' }, trustStores: [], trustedIdentities: [] })])), /global blob trust policy statement cannot have verification level set to skip/);
  refuses(() => parseBlobTrustPolicy(doc([statement({ name: '' })])), /blob trust policy: a trust policy statement is missing a name/);
  refuses(() => parseBlobTrustPolicy(doc([statement({ trustStores: [] })])), /blob trust policy: trust policy statement "p" is either missing trust stores or trusted identities/);
  refuses(() => parseBlobTrustPolicy(doc([statement({ trustStores: ['x509:test'] })])), /unsupported trust store type "x509"/);
  refuses(() => parseBlobTrustPolicy(doc([statement({ signatureVerification: { level: 'lenient' } })])), /invalid signature verification level "lenient"/);
  refuses(() => parseBlobTrustPolicy(doc([statement({ globalPolicy: 'yes' })])), /malformed trust policy/);
  refuses(() => parseBlobTrustPolicy('{"version":'), /malformed trust policy/);
});

test('the statement that applies: --policy-name, else the global one', () => {
  const d = parseBlobTrustPolicy(doc([statement({ name: 'global', globalPolicy: true }), statement({ name: 'audit', signatureVerification: { level: 'audit' } })]));
  assert.equal(applicableBlobPolicy(d).name, 'global');
  assert.equal(applicableBlobPolicy(d, 'audit').level, 'audit');
  refuses(() => applicableBlobPolicy(d, 'nope'), /no applicable blob trust policy with name "nope"/);
  refuses(() => applicableBlobPolicy(d, ' '), /policy name cannot be empty/);
  refuses(() => applicableBlobPolicy(parseBlobTrustPolicy(doc([statement()]))), /no global blob trust policy/);
});

const BLOB = Buffer.from('a file to sign\n');
const digests = (b: Buffer): Record<HashName, string> => Object.fromEntries((['sha256', 'sha384', 'sha512'] as const).map((h) => [h, `${h}:${createHash(h).update(b).digest('hex')}`])) as Record<HashName, string>;

for (const [kind, hash] of [['ec-384', 'sha384'], ['rsa-4096', 'sha512'], ['ec-256', 'sha256']] as [Kind, HashName][]) {
  test(`a blob signed with ${kind} names its ${hash} digest; the verifier compares that one`, async () => {
    const chain = await makeChain(kind);
    const policy = applicableBlobPolicy(parseBlobTrustPolicy(doc([statement({ globalPolicy: true })])));
    const trustStores = { 'ca:test': [Buffer.from(chain.root.rawData)] };
    for (const format of ['jws', 'cose'] as const) {
      const signed = await signEnvelope(format, { target: { mediaType: 'text/plain', digest: digests(BLOB)[hash], size: BLOB.length }, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date('2026-05-01T00:00:00Z') });
      const run = (subject: BlobSubject): ReturnType<typeof verifyNotationSignature> => verifyNotationSignature({
        subject, envelope: signed.envelope, envelopeMediaType: format === 'jws' ? JWS_ENVELOPE_TYPE : COSE_ENVELOPE_TYPE, policy, trustStores, now: new Date('2026-06-01T00:00:00Z'),
      });
      assert.equal((await run({ blob: true, size: BLOB.length, digests: digests(BLOB) })).verified, true, `${format}: no --media-type: not compared`);
      assert.equal((await run({ blob: true, size: BLOB.length, digests: digests(BLOB), mediaType: 'text/plain' })).verified, true);
      const otherType = await run({ blob: true, size: BLOB.length, digests: digests(BLOB), mediaType: 'application/octet-stream' });
      assert.equal(otherType.failure?.check, 'targetArtifact');
      const tampered = Buffer.concat([BLOB, Buffer.from('!')]);
      const bad = await run({ blob: true, size: tampered.length, digests: digests(tampered) });
      assert.equal(bad.failure?.check, 'targetArtifact');
      assert.match(bad.failure?.message ?? '', /integrity check failed\. signature does not match the given blob/);
    }
  });
}
