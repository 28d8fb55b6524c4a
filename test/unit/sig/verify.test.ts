// The verifier's verdict, check by check and level by level, as notation-go's verifier decides
// (verifier/verifier.go; the level table of verifier/trustpolicy/trustpolicy.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as X509 from '../../support/x509-lib.js';
import {
  JWS_ENVELOPE_TYPE, applicablePolicy, parseTrustPolicy, signJws, verifyNotationSignature,
  type NotationVerdict, type TargetArtifact, type TrustStoreContents,
} from '../../../src/sig/index.js';
import { LEAF_SUBJECT, leafExtensions, makeCert, makeChain, testKey, type Chain } from '../../support/x509.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const TARGET: TargetArtifact = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 99 };

function policy(level: string, o: { identities?: string[]; stores?: string[]; override?: Record<string, string>; verifyTimestamp?: string } = {}): ReturnType<typeof applicablePolicy> {
  return applicablePolicy(parseTrustPolicy(JSON.stringify({
    version: '1.0',
    trustPolicies: [{
      name: 'p', registryScopes: ['*'],
      signatureVerification: { level, ...(o.override ? { override: o.override } : {}), ...(o.verifyTimestamp ? { verifyTimestamp: o.verifyTimestamp } : {}) },
      ...(level === 'skip' ? {} : { trustStores: o.stores ?? ['ca:test'], trustedIdentities: o.identities ?? ['*'] }),
    }],
  })), 'registry.example/app');
}

async function verdictFor(chain: Chain, opts: { level?: string; identities?: string[]; stores?: string[]; trust?: TrustStoreContents; now?: Date; expiry?: Date; subject?: TargetArtifact; userMetadata?: Record<string, string>; override?: Record<string, string>; annotations?: Record<string, string> } = {}): Promise<NotationVerdict> {
  const signed = await signJws({ target: { ...TARGET, ...(opts.annotations ? { annotations: opts.annotations } : {}) }, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date('2026-05-01T00:00:00Z'), ...(opts.expiry ? { expiry: opts.expiry } : {}) });
  return verifyNotationSignature({
    subject: opts.subject ?? TARGET, envelope: signed.envelope, envelopeMediaType: JWS_ENVELOPE_TYPE,
    policy: policy(opts.level ?? 'strict', { ...(opts.identities ? { identities: opts.identities } : {}), ...(opts.stores ? { stores: opts.stores } : {}), ...(opts.override ? { override: opts.override } : {}) }),
    trustStores: opts.trust ?? { 'ca:test': [Buffer.from(chain.root.rawData)] },
    now: opts.now ?? NOW,
    ...(opts.userMetadata ? { userMetadata: opts.userMetadata } : {}),
  });
}

const status = (v: NotationVerdict, check: string): string | undefined => v.checks.find((c) => c.check === check)?.status;

test('a good signature passes every check under strict', async () => {
  const v = await verdictFor(await makeChain('ec-256'));
  assert.equal(v.verified, true);
  assert.deepEqual(v.checks.map((c) => [c.check, c.status, c.action]), [
    ['integrity', 'passed', 'enforce'], ['authenticity', 'passed', 'enforce'], ['expiry', 'passed', 'enforce'],
    ['authenticTimestamp', 'passed', 'enforce'], ['revocation', 'passed', 'enforce'], ['targetArtifact', 'passed', 'enforce'],
  ]);
  assert.equal(v.signer?.subject, LEAF_SUBJECT);
});

test('authenticity: a chain without a trusted certificate fails under strict and permissive, is logged under audit', async () => {
  const chain = await makeChain('ec-256');
  const otherRoot = { 'ca:test': [Buffer.from((await makeCert({ subject: 'C=US, ST=WA, O=Other, CN=Other Root', key: await testKey('rsa-3072'), extensions: (lib: typeof X509) => [new lib.BasicConstraintsExtension(true, undefined, true), new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign, true)] })).rawData)] };
  for (const level of ['strict', 'permissive']) {
    const v = await verdictFor(chain, { level, trust: otherRoot });
    assert.equal(v.verified, false);
    assert.equal(v.failure?.check, 'authenticity');
    assert.match(v.failure?.message ?? '', /does not contain any trusted certificate/);
  }
  const audit = await verdictFor(chain, { level: 'audit', trust: otherRoot });
  assert.equal(audit.verified, true);
  assert.deepEqual([status(audit, 'authenticity'), audit.checks.find((c) => c.check === 'authenticity')?.action], ['failed', 'log']);
  // a missing store is an authenticity failure with notation's words
  const missing = await verdictFor(chain, { trust: { 'ca:test': { error: 'the trust store "test" of type "ca" does not exist' } } });
  assert.match(missing.failure?.message ?? '', /does not exist/);
});

test('trusted identities: a subset of the leaf subject matches; another does not; `*` takes any', async () => {
  const chain = await makeChain('ec-256');
  assert.equal((await verdictFor(chain, { identities: ['x509.subject: C=US, ST=WA, O=Vouch Test'] })).verified, true);
  assert.equal((await verdictFor(chain, { identities: ['x509.subject: C=US, S=WA, O=Vouch Test, L=Seattle, CN=signer'] })).verified, true);
  const wrong = await verdictFor(chain, { identities: ['x509.subject: C=US, ST=WA, O=Vouch Test, CN=someone else'] });
  assert.equal(wrong.failure?.check, 'authenticity');
  assert.match(wrong.failure?.message ?? '', /does not match the X\.509 trusted identities/);
  // a leaf subject with an attribute Go prints as `=#` (emailAddress) cannot match, as in notation
  const rootChain = await makeChain('ec-256');
  const emailLeaf = await makeCert({ subject: `${LEAF_SUBJECT}, E=signer@example.com`, key: rootChain.key, issuer: { cert: rootChain.root, key: await testKey('rsa-2048') }, extensions: leafExtensions });
  const withEmail: Chain = { ...rootChain, leaf: emailLeaf, ders: [Buffer.from(emailLeaf.rawData), rootChain.ders[1] as Buffer] };
  const v = await verdictFor(withEmail, { identities: ['x509.subject: C=US, ST=WA, O=Vouch Test'] });
  assert.match(v.failure?.message ?? '', /not supported in x509\.subject identities/);
  assert.equal((await verdictFor(withEmail)).verified, true);
});

test('expiry: enforced under strict, logged under permissive', async () => {
  const chain = await makeChain('ec-256');
  const expiry = new Date('2026-05-02T00:00:00Z');
  const strict = await verdictFor(chain, { expiry });
  assert.equal(strict.failure?.check, 'expiry');
  assert.match(strict.failure?.message ?? '', /digital signature has expired on "2026-05-02T00:00:00.000Z"/);
  const permissive = await verdictFor(chain, { expiry, level: 'permissive' });
  assert.equal(permissive.verified, true);
  assert.equal(status(permissive, 'expiry'), 'failed');
  // not yet expired
  assert.equal((await verdictFor(chain, { expiry, now: new Date('2026-05-01T23:59:59Z') })).verified, true);
});

test('authentic timestamp: without a TSA every certificate must be valid now; a tsa store asks for a timestamp the envelope lacks', async () => {
  const chain = await makeChain('ec-256');
  const later = await verdictFor(chain, { now: new Date('2027-01-02T00:00:00Z') });
  assert.equal(later.failure?.check, 'authenticTimestamp');
  assert.match(later.failure?.message ?? '', /verification time is after certificate .* validity period/);
  const tsa = await verdictFor(chain, { stores: ['ca:test', 'tsa:ts'], trust: { 'ca:test': [Buffer.from(chain.root.rawData)] } });
  assert.equal(tsa.failure?.check, 'authenticTimestamp');
  assert.deepEqual([tsa.failure?.status, tsa.failure?.message], ['failed', 'no timestamp countersignature was found in the signature envelope']);
  assert.equal((await verdictFor(chain, { level: 'permissive', stores: ['ca:test', 'tsa:ts'] })).verified, true);
});

test('revocation: a certificate naming a CRL location is undecided (fail closed under strict), logged or skipped otherwise', async () => {
  const base = await makeChain('ec-256');
  const crlLeaf = await makeCert({
    subject: LEAF_SUBJECT, key: base.key, issuer: { cert: base.root, key: await testKey('rsa-2048') },
    extensions: (lib) => [...leafExtensions(lib), new lib.CRLDistributionPointsExtension(['http://crl.example/root.crl'])],
  });
  const chain: Chain = { ...base, leaf: crlLeaf, ders: [Buffer.from(crlLeaf.rawData), base.ders[1] as Buffer] };
  const strict = await verdictFor(chain);
  assert.deepEqual([strict.failure?.check, strict.failure?.status], ['revocation', 'inconclusive']);
  assert.equal((await verdictFor(chain, { level: 'permissive' })).verified, true);
  const skipped = await verdictFor(chain, { override: { revocation: 'skip' } });
  assert.equal(skipped.verified, true);
  assert.equal(status(skipped, 'revocation'), 'skipped');
});

test('the signed descriptor must be the artifact, and -m metadata must be signed', async () => {
  const chain = await makeChain('ec-256');
  const other = await verdictFor(chain, { subject: { ...TARGET, digest: `sha256:${'c'.repeat(64)}` } });
  assert.equal(other.failure?.check, 'targetArtifact');
  assert.match(other.failure?.message ?? '', /content descriptor mismatch/);
  // even under audit: notation compares descriptors whatever the level
  assert.equal((await verdictFor(chain, { level: 'audit', subject: { ...TARGET, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' } })).verified, false);
  assert.equal((await verdictFor(chain, { annotations: { env: 'prod' }, userMetadata: { env: 'prod' } })).verified, true);
  const meta = await verdictFor(chain, { annotations: { env: 'prod' }, userMetadata: { env: 'dev' } });
  assert.equal(meta.failure?.check, 'userMetadata');
});

test('integrity is enforced at every level; skip verifies nothing', async () => {
  const v = await verifyNotationSignature({ subject: TARGET, envelope: Buffer.from('{"payload":"x"}'), envelopeMediaType: JWS_ENVELOPE_TYPE, policy: policy('audit'), trustStores: {}, now: NOW });
  assert.equal(v.failure?.check, 'integrity');
  const cose = await verifyNotationSignature({ subject: TARGET, envelope: Buffer.from('x'), envelopeMediaType: 'application/cose', policy: policy('strict'), trustStores: {}, now: NOW });
  assert.equal(cose.failure?.check, 'integrity');
  assert.match(cose.failure?.message ?? '', /the COSE envelope is not valid CBOR/);
  const skip = await verifyNotationSignature({ subject: TARGET, envelope: Buffer.from('garbage'), envelopeMediaType: JWS_ENVELOPE_TYPE, policy: policy('skip'), trustStores: {}, now: NOW });
  assert.equal(skip.verified, true);
  assert.ok(skip.checks.every((c) => c.status === 'skipped'));
});

test('a trusted certificate that is neither a CA nor self-signed makes the trust store unusable', async () => {
  const chain = await makeChain('ec-256');
  const v = await verdictFor(chain, { trust: { 'ca:test': [Buffer.from(chain.leaf.rawData)] } });
  assert.equal(v.failure?.check, 'authenticity');
  assert.match(v.failure?.message ?? '', /is not a CA certificate or self-signed signing certificate/);
});
