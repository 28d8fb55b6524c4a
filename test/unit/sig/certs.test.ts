// notation-core-go's code-signing chain rules (x509/codesigning_cert_validations.go), each with the
// certificate that breaks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type * as X509 from '../../support/x509-lib.js';
import { isVouchError } from '../../../src/core/index.js';
import { parseCertificates, validateCodeSigningChain } from '../../../src/sig/index.js';
import { LEAF_SUBJECT, ROOT_SUBJECT, caExtensions, leafExtensions, makeCert, makeChain, testKey } from '../../support/x509.js';

async function check(ders: Buffer[], signingTime?: Date): Promise<void> {
  validateCodeSigningChain(await parseCertificates(ders), signingTime);
}

async function refused(ders: Buffer[], pattern: RegExp, signingTime?: Date): Promise<void> {
  await assert.rejects(check(ders, signingTime), (err: unknown) => {
    assert.ok(isVouchError(err, 'INVALID_CERTIFICATE'), String(err));
    assert.match(err.message, pattern);
    return true;
  });
}

const der = (c: X509.X509Certificate): Buffer => Buffer.from(c.rawData);

/** root → leaf with the leaf's extensions replaced. */
async function leafWith(ext: (lib: typeof X509) => X509.Extension[]): Promise<Buffer[]> {
  const chain = await makeChain('ec-256', { extensions: ext });
  return chain.ders;
}

test('a well-formed chain passes; so does a lone self-signed certificate that satisfies the leaf rules', async () => {
  await check((await makeChain('ec-256')).ders, new Date('2026-06-01T00:00:00Z'));
  const key = await testKey('ec-256');
  await check([der(await makeCert({ subject: LEAF_SUBJECT, key, extensions: leafExtensions }))]);
});

test('leaf rules: keyUsage present, critical, digitalSignature only; no CA; no forbidden EKU', async () => {
  await refused(await leafWith(() => []), /key usage extension must be present/);
  await refused(await leafWith((lib) => [new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, false)]), /key usage extension must be marked critical/);
  await refused(await leafWith((lib) => [new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyEncipherment, true)]), /must have the bit positions for "Digital Signature" set/);
  await refused(await leafWith((lib) => [new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature | lib.KeyUsageFlags.keyEncipherment | lib.KeyUsageFlags.keyCertSign, true)]),
    /must be "Digital Signature" only, but found "KeyEncipherment", "CertSign"/);
  await refused(await leafWith((lib) => [new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true), new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.codeSigning, lib.ExtendedKeyUsage.serverAuth])]),
    /extended key usage must not contain ServerAuth eku/);
  await refused(await leafWith((lib) => [new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true), new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.timeStamping])]),
    /must not contain Timestamping eku/);
  await refused(await leafWith((lib) => [new lib.BasicConstraintsExtension(true, undefined, true), new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true)]),
    /the ca field must be set to false/);
});

test('a typical self-signed CA certificate alone is not a signing certificate', async () => {
  const key = await testKey('rsa-2048');
  await refused([der(await makeCert({ subject: ROOT_SUBJECT, key, extensions: caExtensions }))], /invalid self-signed certificate.*the ca field must be set to false/);
});

test('CA rules: basicConstraints cA, keyCertSign, pathLen', async () => {
  const rootKey = await testKey('rsa-2048');
  const leafKey = await testKey('ec-256');
  const rootNoCertSign = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: (lib) => [new lib.BasicConstraintsExtension(true, undefined, true), new lib.KeyUsagesExtension(lib.KeyUsageFlags.cRLSign, true)] });
  const leaf1 = await makeCert({ subject: LEAF_SUBJECT, key: leafKey, issuer: { cert: rootNoCertSign, key: rootKey }, extensions: leafExtensions });
  await refused([der(leaf1), der(rootNoCertSign)], /key usage must have the bit positions for key cert sign set/);
  // root with pathLen 0 above an intermediate
  const root0 = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: (lib) => [new lib.BasicConstraintsExtension(true, 0, true), new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign, true)] });
  const interKey = await testKey('ec-384');
  const inter = await makeCert({ subject: 'C=US, ST=WA, O=Vouch Test, CN=Intermediate', key: interKey, issuer: { cert: root0, key: rootKey }, extensions: caExtensions });
  const leaf2 = await makeCert({ subject: LEAF_SUBJECT, key: leafKey, issuer: { cert: inter, key: interKey }, extensions: leafExtensions });
  await refused([der(leaf2), der(inter), der(root0)], /expected path length of 1 but certificate has path length 0/);
  // the same chain under a root without a pathLen passes
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions });
  const inter2 = await makeCert({ subject: 'C=US, ST=WA, O=Vouch Test, CN=Intermediate', key: interKey, issuer: { cert: root, key: rootKey }, extensions: caExtensions });
  const leaf3 = await makeCert({ subject: LEAF_SUBJECT, key: leafKey, issuer: { cert: inter2, key: interKey }, extensions: leafExtensions });
  await check([der(leaf3), der(inter2), der(root)]);
  // an intermediate that is not a CA cannot issue
  const notCa = await makeCert({ subject: 'C=US, ST=WA, O=Vouch Test, CN=Not a CA', key: interKey, issuer: { cert: root, key: rootKey }, extensions: leafExtensions });
  const leaf4 = await makeCert({ subject: LEAF_SUBJECT, key: leafKey, issuer: { cert: notCa, key: interKey }, extensions: leafExtensions });
  await refused([der(leaf4), der(notCa), der(root)], /is not issued by/);
});

test('order and completeness: ends in a self-signed root, each certificate issued by the next, none unrelated', async () => {
  const chain = await makeChain('ec-256');
  await refused([chain.ders[0] as Buffer], /invalid self-signed certificate/);
  await refused([chain.ders[1] as Buffer, chain.ders[0] as Buffer], /leaf certificate with subject .* is self-signed|is not issued by|not self-signed/);
  const other = await makeChain('ec-384', { key: await testKey('ec-384', true) });
  const otherRootKey = await testKey('rsa-3072');
  const otherRoot = await makeCert({ subject: 'C=US, ST=WA, O=Other, CN=Other Root', key: otherRootKey, extensions: caExtensions });
  await refused([other.ders[0] as Buffer, der(otherRoot)], /is not issued by/);
});

test('with a signing time, every certificate must be valid then', async () => {
  const chain = await makeChain('ec-256');
  await refused(chain.ders, /was invalid at signing time of 2025-12-31T23:59:59.000Z/, new Date('2025-12-31T23:59:59Z'));
  await refused(chain.ders, /was invalid at signing time/, new Date('2027-01-01T00:00:01Z'));
});

test('an extension the rules read that does not parse fails the parse, naming the certificate and the extension', async () => {
  for (const [oid, value, what] of [['2.5.29.15', '0400', 'key usage'], ['2.5.29.19', '30060201010101ff', 'basic constraints'], ['2.5.29.19', '30020400', 'basic constraints'], ['2.5.29.37', '3003020100', 'extended key usage']] as const) {
    const ders = await leafWith((lib) => [...leafExtensions(lib).filter((e) => e.oid !== oid), { oid, critical: true, value: Buffer.from(value, 'hex') }]);
    await assert.rejects(parseCertificates(ders), (err: unknown) => {
      assert.ok(isVouchError(err, 'INVALID_CERTIFICATE'), String(err));
      assert.match(err.message, new RegExp(`certificate #1 does not parse: the ${what} extension does not parse`));
      return true;
    });
  }
});

test('a certificate signed over MD5 is not issued by its issuer, though the signature verifies (Go\'s InsecureAlgorithmError)', async () => {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions });
  const leaf = await makeCert({ subject: LEAF_SUBJECT, key: await testKey('ec-256'), issuer: { cert: root, key: rootKey }, extensions: leafExtensions });
  // the same TBS, re-signed by the root with md5WithRSAEncryption (RFC 3279 §2.2.1)
  const cert = pkijs.Certificate.fromBER(leaf.der);
  const md5 = (): pkijs.AlgorithmIdentifier => new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.4', algorithmParams: new asn1js.Null() });
  cert.signature = md5();
  cert.signatureAlgorithm = md5();
  const tbs = Buffer.from(new asn1js.Sequence({ value: (cert.toSchema(true).valueBlock.value[0] as asn1js.Sequence).valueBlock.value }).toBER());
  cert.signatureValue = new asn1js.BitString({ valueHex: sign('md5', tbs, rootKey.privateKey) });
  const md5Leaf = Buffer.from(cert.toSchema(true).toBER());
  const [parsedLeaf, parsedRoot] = await parseCertificates([md5Leaf, der(root)]);
  assert.equal(parsedLeaf?.node.verify(parsedRoot!.node.publicKey), true, 'OpenSSL verifies the MD5 signature');
  await refused([md5Leaf, der(root)], /is not issued by "C=US, ST=WA, O=Vouch Test, CN=Test Root"/);
  await check([der(leaf), der(root)]);
});
