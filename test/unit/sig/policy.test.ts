// Trust policies and trusted identities as notation-go reads them (verifier/trustpolicy,
// internal/pkix on go-ldap's ParseDN), and the signature manifests of both forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf, isVouchError } from '../../../src/core/index.js';
import {
  LEVELS, MAX_SIGNATURE_MANIFEST_BYTES, applicablePolicy, buildSignatureManifest, isSubsetDn, parseDistinguishedName, parseSignatureManifest, parseTrustPolicy, resolveLevel,
} from '../../../src/sig/index.js';

const refuses = (fn: () => unknown, pattern: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isVouchError(err), String(err));
    assert.match(err.message, pattern);
    return true;
  });
};

test('distinguished names: RFC 4514 as go-ldap parses it, with notation\'s own rules', () => {
  assert.deepEqual(parseDistinguishedName('C=US, ST=WA, O=Acme\\, Inc., CN= builder '), { C: 'US', ST: 'WA', O: 'Acme, Inc.', CN: 'builder' });
  assert.deepEqual(parseDistinguishedName('C=US;S=WA;O=x\\20'), { C: 'US', ST: 'WA', O: 'x ' });
  assert.deepEqual(parseDistinguishedName('C=US,ST=WA,O=caf\\c3\\a9'), { C: 'US', ST: 'WA', O: 'café' });
  refuses(() => parseDistinguishedName('C=US, ST=WA, O=Acme+OU=x'), /multi-valued RDN/);
  refuses(() => parseDistinguishedName('C=US, ST=WA, O=a, O=b'), /duplicate RDN attribute for "O"/);
  refuses(() => parseDistinguishedName('C=US, O=Acme'), /no mandatory RDN attribute for "ST"/);
  refuses(() => parseDistinguishedName('C=US, ST=WA, O=#0403414243'), /containing "=#"/);
  refuses(() => parseDistinguishedName('C=US, ST=WA, O'), /incomplete type, value pair/);
  refuses(() => parseDistinguishedName('C=US, ST=WA, O=a\\'), /corrupted escaped character/);
  assert.equal(isSubsetDn({ C: 'US', O: 'A' }, { C: 'US', O: 'A', CN: 'x' }), true);
  assert.equal(isSubsetDn({ C: 'US', O: 'A', CN: 'y' }, { C: 'US', O: 'A', CN: 'x' }), false);
});

const doc = (statements: unknown[]): string => JSON.stringify({ version: '1.0', trustPolicies: statements });
const stmt = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'p', registryScopes: ['registry.example/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['*'], ...o,
});

test('trust policy documents: every structural rule, with notation\'s message', () => {
  parseTrustPolicy(doc([stmt(), stmt({ name: 'g', registryScopes: ['*'] })]));
  const cases: [string, RegExp][] = [
    [JSON.stringify({ trustPolicies: [stmt()] }), /empty version/],
    [JSON.stringify({ version: '2.0', trustPolicies: [stmt()] }), /unsupported version "2.0"/],
    [doc([]), /zero trust policy statements/],
    [doc([stmt(), stmt({ registryScopes: ['registry.example/b'] })]), /multiple trust policy statements use the same name "p"/],
    [doc([stmt({ name: '' })]), /missing a name/],
    [doc([stmt({ signatureVerification: { level: 'paranoid' } })]), /invalid signature verification level "paranoid"/],
    [doc([stmt({ signatureVerification: { level: 'skip' } })]), /set to skip signature verification but configured with trust stores/],
    [doc([stmt({ trustStores: [] })]), /missing trust stores or trusted identities/],
    [doc([stmt({ trustStores: ['acme'] })]), /malformed trust store value "acme"/],
    [doc([stmt({ trustStores: ['x509:acme'] })]), /unsupported trust store type "x509"/],
    [doc([stmt({ trustStores: ['ca:a/b'] })]), /unsupported trust store name "a\/b"/],
    [doc([stmt({ trustedIdentities: ['*', 'x509.subject: C=US, ST=WA, O=A'] })]), /wildcard identity cannot be used in conjunction/],
    [doc([stmt({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=A', 'x509.subject: C=US, ST=WA, O=A, CN=b'] })]), /overlapping x509 trustedIdentities/],
    [doc([stmt({ trustedIdentities: ['x509.subject:'] })]), /without an identity value/],
    [doc([stmt({ trustedIdentities: ['nocolon'] })]), /missing separator/],
    [doc([stmt({ registryScopes: [] })]), /zero registry scopes/],
    [doc([stmt({ registryScopes: ['*', 'registry.example/app'] })]), /wildcard scope cannot be used in conjunction/],
    [doc([stmt({ registryScopes: ['registry.example/*'] })]), /with wild card\(s\) is not valid/],
    [doc([stmt({ registryScopes: ['alpine'] })]), /registry scope "alpine" is not valid/],
    [doc([stmt(), stmt({ name: 'q' })]), /registry scope "registry.example\/app" is present in multiple trust policy statements/],
    [doc([stmt({ signatureVerification: { level: 'strict', override: { integrity: 'log' } } })]), /"integrity" verification can not be overridden/],
    [doc([stmt({ signatureVerification: { level: 'strict', override: { expiry: 'skip' } } })]), /"expiry" verification can not be skipped/],
    [doc([stmt({ signatureVerification: { level: 'skip', override: { expiry: 'log' } } })]), /can't be used to customize/],
    [doc([stmt({ signatureVerification: { level: 'strict', verifyTimestamp: 'never' } })]), /verifyTimestamp must be "always" or "afterCertExpiry"/],
    ['{not json', /malformed trust policy/],
  ];
  for (const [text, pattern] of cases) refuses(() => parseTrustPolicy(text), pattern);
});

test('levels: notation\'s table, and overrides on top', () => {
  assert.deepEqual(LEVELS.permissive, { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' });
  assert.deepEqual(LEVELS.audit, { integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' });
  assert.deepEqual(resolveLevel({ level: 'strict', override: { revocation: 'skip', expiry: 'log' } }), {
    level: 'custom', actions: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'log', revocation: 'skip' },
  });
});

test('scope selection: the statement naming the repository wins over `*`; none applies → refused', () => {
  const d = parseTrustPolicy(doc([stmt({ name: 'app' }), stmt({ name: 'global', registryScopes: ['*'], signatureVerification: { level: 'audit' } })]));
  assert.equal(applicablePolicy(d, 'registry.example/app').name, 'app');
  assert.equal(applicablePolicy(d, 'registry.example/other').name, 'global');
  const only = parseTrustPolicy(doc([stmt()]));
  refuses(() => applicablePolicy(only, 'registry.example/other'), /has no applicable trust policy statement/);
  refuses(() => applicablePolicy(only, 'not a scope'), /is not valid/);
  const skip = parseTrustPolicy(doc([stmt({ signatureVerification: { level: 'skip' }, trustStores: [], trustedIdentities: [] })]));
  assert.equal(applicablePolicy(skip, 'registry.example/app').level, 'skip');
});

const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'d'.repeat(64)}`, size: 10 };
const ENVELOPE = Buffer.from('{"payload":""}');
const THUMBS = ['AB'.repeat(32)];

test('signature manifests: the OCI 1.1 form and notation v1.x\'s form, both read', () => {
  const artifact = buildSignatureManifest({ subject: SUBJECT, envelope: ENVELOPE, thumbprints: THUMBS, created: new Date('2026-06-01T12:00:00.5Z') });
  const m = JSON.parse(artifact.bytes.toString()) as Record<string, unknown>;
  assert.equal(m.artifactType, 'application/vnd.cncf.notary.signature');
  assert.deepEqual(m.config, { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 });
  assert.deepEqual(m.annotations, { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(THUMBS), 'org.opencontainers.image.created': '2026-06-01T12:00:00Z' });
  assert.equal(artifact.descriptor.digest, digestOf(artifact.bytes));
  const read = parseSignatureManifest(artifact.bytes);
  assert.deepEqual([read.form, read.envelope.digest, read.subject.digest, read.thumbprints], ['artifact', digestOf(ENVELOPE), SUBJECT.digest, ['ab'.repeat(32)]]);
  const image = buildSignatureManifest({ subject: SUBJECT, envelope: ENVELOPE, thumbprints: THUMBS, created: new Date(0), form: 'image' });
  const im = JSON.parse(image.bytes.toString()) as { artifactType?: string; config: { mediaType: string } };
  assert.equal(im.artifactType, undefined);
  assert.equal(im.config.mediaType, 'application/vnd.cncf.notary.signature');
  assert.equal(parseSignatureManifest(image.bytes).form, 'image');
});

test('signature manifests: what is refused', () => {
  const base = JSON.parse(buildSignatureManifest({ subject: SUBJECT, envelope: ENVELOPE, thumbprints: THUMBS, created: new Date(0) }).bytes.toString()) as Record<string, unknown>;
  const bytes = (o: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ ...base, ...o }));
  const layer = (base.layers as unknown[])[0] as Record<string, unknown>;
  refuses(() => parseSignatureManifest(bytes({ layers: [layer, layer] })), /exactly one signature envelope blob, got 2/);
  assert.equal(parseSignatureManifest(bytes({ layers: [{ ...layer, mediaType: 'application/cose' }] })).envelope.mediaType, 'application/cose');
  refuses(() => parseSignatureManifest(bytes({ layers: [{ ...layer, mediaType: 'application/pgp-signature' }] })), /media type "application\/pgp-signature" is not supported/);
  refuses(() => parseSignatureManifest(bytes({ layers: [{ ...layer, size: 32 * 1024 * 1024 + 1 }] })), /signature blob too large/);
  refuses(() => parseSignatureManifest(bytes({ artifactType: 'application/spdx+json' })), /not a Notation signature/);
  refuses(() => parseSignatureManifest(bytes({ annotations: {} })), /the required annotation io\.cncf\.notary\.x509chain\.thumbprint#S256 is missing/);
  refuses(() => parseSignatureManifest(bytes({ subject: undefined })), /subject is not a descriptor/);
  refuses(() => parseSignatureManifest(Buffer.alloc(MAX_SIGNATURE_MANIFEST_BYTES + 1, 0x20)), /over the limit of 4194304/);
});
