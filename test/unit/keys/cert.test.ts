// Root key certificates, checked field by field against what notary 0.7 makes (notary tuf/data/keys.go; docker/cli cli/trust/trust.go),
// and the certificate builder against what @peculiar/x509 made and what openssl reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import { EXT_KEY_USAGE, KEY_USAGE, verifySignature } from '../../../src/core/index.js';
import { canonicalKeyId, keyId } from '../../../src/tuf/keyid.js';
import { createRootCertificate, decodePem, encodePem, generateKey, generateRootKey, ROOT_CERT_VALIDITY_MS } from '../../../src/keys/index.js';
import { basicConstraintsExtension, createCertificate, createSelfSignedCertificate, extendedKeyUsageExtension, keyUsageExtension, type JsonName } from '../../../src/keys/cert.js';
import { fixture } from '../../support/paths.js';
import { read } from './_fixtures.js';

const NOW = new Date('2026-11-25T13:25:53.750Z');
const GUN = '127.0.0.1:5000/demo/app';

function extensions(certDer: Buffer): Map<string, { critical: boolean; value: Uint8Array }> {
  const cert = asn1js.fromBER(new Uint8Array(certDer)).result as asn1js.Sequence;
  const tbs = cert.valueBlock.value[0] as asn1js.Sequence;
  const explicit = tbs.valueBlock.value.find((n) => n.idBlock.tagClass === 3 && n.idBlock.tagNumber === 3) as asn1js.Constructed;
  const list = (explicit.valueBlock.value[0] as asn1js.Sequence).valueBlock.value as asn1js.Sequence[];
  const out = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const ext of list) {
    const parts = ext.valueBlock.value;
    const id = (parts[0] as asn1js.ObjectIdentifier).valueBlock.toString();
    const critical = parts.length === 3 && (parts[1] as asn1js.Boolean).valueBlock.value;
    out.set(id, { critical, value: (parts[parts.length - 1] as asn1js.OctetString).valueBlock.valueHexView });
  }
  return out;
}

test('root certificate: CN = GUN, self-signed ECDSA-SHA256, 3650 days from now (whole seconds)', async () => {
  const root = await generateRootKey({ gun: GUN, now: NOW });
  const cert = new X509Certificate(root.certificate as string);
  assert.equal(cert.subject, `CN=${GUN}`);
  assert.equal(cert.issuer, `CN=${GUN}`);
  assert.equal(new Date(cert.validFrom).toISOString(), '2026-11-25T13:25:53.000Z');
  assert.equal(new Date(cert.validTo).toISOString(), '2036-11-22T13:25:53.000Z'); // as notary: 10 × 365 days
  assert.equal(ROOT_CERT_VALIDITY_MS, 3650 * 86400_000);
  assert.equal(cert.verify(cert.publicKey), true);
  assert.equal(cert.ca, false);
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.match(cert.toLegacyObject().serialNumber, /^[0-9A-F]+$/);
  // Positive and below 2^128: at most 16 significant bytes.
  assert.ok(cert.serialNumber.replace(/^0+/, '').length <= 32);
  assert.ok(root.certificate?.endsWith('-----END CERTIFICATE-----\n'));
  assert.match(root.certificate as string, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END/);
});

test('root certificate extensions: KeyUsage critical {digitalSignature, keyEncipherment}, EKU codeSigning, BasicConstraints critical CA:FALSE', async () => {
  const root = await generateRootKey({ gun: GUN, now: NOW });
  const ext = extensions(decodePem(root.certificate as string).bytes);
  assert.deepEqual([...ext.keys()], ['2.5.29.15', '2.5.29.37', '2.5.29.19']);
  assert.equal(ext.get('2.5.29.15')?.critical, true);
  assert.deepEqual(Buffer.from(ext.get('2.5.29.15')!.value).toString('hex'), '030205a0');
  assert.equal(ext.get('2.5.29.37')?.critical, false);
  assert.deepEqual(Buffer.from(ext.get('2.5.29.37')!.value).toString('hex'), '300a06082b06010505070303');
  assert.equal(ext.get('2.5.29.19')?.critical, true);
  assert.deepEqual(Buffer.from(ext.get('2.5.29.19')!.value).toString('hex'), '3000');
});

test('same layout as a root certificate notary made (fixture ecdsa-remote-full-root-cert.pem)', async () => {
  // Root v1 key of test/fixtures/notary/ecdsa-remote/repos/full (see test/fixtures/keys/NOTES.md).
  const recordedGun = '127.0.0.1:5000/fixtures/full';
  const pem = read('notary-0.7.0', 'ecdsa-remote-full-root-cert.pem');
  const recorded = JSON.parse(readFileSync(fixture('notary', 'ecdsa-remote', 'repos', 'full', 'tuf', '1.root.json'), 'utf8')) as
    { signed: { keys: Record<string, { keyval: { public: string } }>; roles: { root: { keyids: string[] } } } };
  assert.equal(Buffer.from(recorded.signed.keys[recorded.signed.roles.root.keyids[0]!]!.keyval.public, 'base64').toString('utf8'), pem, 'the fixture is the recorded root key');
  const notaryDer = decodePem(pem).bytes;
  const theirs = new X509Certificate(notaryDer);
  assert.equal(theirs.subject, `CN=${recordedGun}`);
  const ours = await generateRootKey({ gun: recordedGun, now: new Date(theirs.validFrom) });
  assert.deepEqual([...extensions(decodePem(ours.certificate as string).bytes).entries()].map(([k, v]) => [k, v.critical, Buffer.from(v.value).toString('hex')]),
    [...extensions(notaryDer).entries()].map(([k, v]) => [k, v.critical, Buffer.from(v.value).toString('hex')]));
  const mine = new X509Certificate(ours.certificate as string);
  assert.equal(mine.subject, theirs.subject);
  assert.equal(mine.issuer, theirs.issuer);
  assert.equal(mine.validFrom, theirs.validFrom);
  assert.equal(mine.validTo, theirs.validTo);
  assert.equal(mine.publicKey.asymmetricKeyDetails?.namedCurve, theirs.publicKey.asymmetricKeyDetails?.namedCurve);
  assert.equal(theirs.verify(theirs.publicKey), true, 'notary self-signs the root certificate');
});

test('root key: ecdsa-x509 public key, x509 key ID for the Signer, canonical ID for the file', async () => {
  const bare = generateKey();
  const root = await generateRootKey({ gun: GUN, now: NOW, key: bare });
  assert.equal(root.publicKey.keytype, 'ecdsa-x509');
  assert.equal(Buffer.from(root.publicKey.public).toString('utf8'), root.certificate);
  assert.equal(root.keyId, keyId(root.publicKey));
  assert.notEqual(root.keyId, root.canonicalKeyId);
  assert.equal(root.canonicalKeyId, bare.keyId);
  assert.equal(root.canonicalKeyId, canonicalKeyId(root.publicKey));
  const signer = root.signer();
  assert.equal(signer.keyId, root.keyId);
  const data = Buffer.from('root bytes');
  const { method, sig } = await signer.sign(data);
  assert.equal(verifySignature(signer.publicKey, method, sig, data), true);
});

test('root certificates only for ECDSA P-256 keys and a sane GUN and clock', async () => {
  const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
  await assert.rejects(createRootCertificate(generateKey('ed25519'), { gun: GUN, now: NOW }), code('UNSUPPORTED_KEY_TYPE'));
  await assert.rejects(createRootCertificate(generateKey(), { gun: '', now: NOW }), code('INVALID_ARGUMENT'));
  await assert.rejects(createRootCertificate(generateKey(), { gun: GUN, now: new Date(Number.NaN) }), code('INVALID_ARGUMENT'));
});

test('two root certificates for one key differ in serial number', async () => {
  const key = generateKey();
  const a = new X509Certificate((await generateRootKey({ gun: GUN, now: NOW, key })).certificate as string);
  const b = new X509Certificate((await generateRootKey({ gun: GUN, now: NOW, key })).certificate as string);
  assert.notEqual(a.serialNumber, b.serialNumber);
});

// The certificates @peculiar/x509 made before vouch moved to pkijs (test/fixtures/x509/NOTES.md), made again.
const x509Fixture = (name: string): string => readFileSync(fixture('x509', name), 'utf8');
const fixtureKey = (name: string): KeyObject => createPrivateKey(x509Fixture(name));
/** The TBSCertificate's bytes: all but the signature, which ECDSA randomises. */
const tbsOf = (pem: string): string => {
  const cert = asn1js.fromBER(new Uint8Array(decodePem(pem).bytes)).result as asn1js.Sequence;
  return Buffer.from((cert.valueBlock.value[0] as asn1js.Sequence).valueBeforeDecodeView).toString('hex');
};
const GENERATE_TEST_SUBJECT: JsonName = [{ C: ['US'] }, { ST: ['WA'] }, { L: ['Seattle'] }, { O: ['Notary'] }, { CN: ['wabbit-networks.io'] }];

test('certificates are the bytes @peculiar/x509 made: generate-test and an issued CA whole (RSA), a root certificate\'s TBS (ECDSA)', async () => {
  const rsa = fixtureKey('rsa-2048.key');
  const generateTest = await createSelfSignedCertificate(rsa, {
    serialNumber: '01a1b2c3d4e5f60708', subject: GENERATE_TEST_SUBJECT, now: new Date('2026-12-02T11:30:00.999Z'), validityMs: 86_400_000,
    extensions: [keyUsageExtension(KEY_USAGE.digitalSignature, true), extendedKeyUsageExtension([EXT_KEY_USAGE.codeSigning], false)],
  });
  assert.equal(generateTest, x509Fixture('generate-test.pem'));

  const issued = await createCertificate({
    serialNumber: '00ff', subject: [{ C: ['DE'], O: ['Zürich Ops'] }, { DC: ['example'] }, { E: ['ca@example.com'] }, { CN: ['Issuing CA * 1'] }],
    issuer: [{ CN: ['Root CA'] }], notBefore: new Date('2040-01-01T00:00:00Z'), notAfter: new Date('2051-01-01T00:00:00Z'),
    publicKey: createPublicKey(rsa), signingKey: rsa,
    extensions: [
      basicConstraintsExtension(true, 2, true), keyUsageExtension(KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign | KEY_USAGE.decipherOnly, true),
      extendedKeyUsageExtension([EXT_KEY_USAGE.timeStamping, EXT_KEY_USAGE.serverAuth], true),
    ],
  });
  assert.equal(encodePem({ type: 'CERTIFICATE', bytes: issued }), x509Fixture('issued-ca.pem'));

  const root = await createSelfSignedCertificate(fixtureKey('ec-p256.key'), {
    serialNumber: 'f1e2d3c4b5a697887766554433221100', subject: [{ CN: ['registry.example:5000/org/app_1'] }], now: new Date('2026-11-25T13:25:53Z'),
    validityMs: ROOT_CERT_VALIDITY_MS,
    extensions: [keyUsageExtension(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment, true), extendedKeyUsageExtension([EXT_KEY_USAGE.codeSigning], false), basicConstraintsExtension(false, undefined, true)],
  });
  assert.equal(tbsOf(root), tbsOf(x509Fixture('root.pem')));
  assert.equal(new X509Certificate(root).verify(createPublicKey(fixtureKey('ec-p256.key'))), true);
});

test('a root certificate as openssl reads it: v3, ecdsa-with-SHA256, CN = GUN, ten years, the three extensions', async () => {
  const root = await generateRootKey({ gun: GUN, now: NOW });
  const text = execFileSync('openssl', ['x509', '-noout', '-text', '-certopt', 'no_serial,no_pubkey,no_sigdump'], { input: root.certificate, encoding: 'utf8' });
  assert.equal(text, [
    'Certificate:',
    '    Data:',
    '        Version: 3 (0x2)',
    '        Signature Algorithm: ecdsa-with-SHA256',
    `        Issuer: CN = ${GUN}`,
    '        Validity',
    '            Not Before: Nov 25 13:25:53 2026 GMT',
    '            Not After : Nov 22 13:25:53 2036 GMT',
    `        Subject: CN = ${GUN}`,
    '        X509v3 extensions:',
    '            X509v3 Key Usage: critical',
    '                Digital Signature, Key Encipherment',
    '            X509v3 Extended Key Usage: ',
    '                Code Signing',
    '            X509v3 Basic Constraints: critical',
    '                CA:FALSE',
    '',
  ].join('\n'));
  const serial = execFileSync('openssl', ['x509', '-noout', '-serial'], { input: root.certificate, encoding: 'utf8' });
  assert.match(serial, /^serial=[0-9A-F]{2,32}\n$/);
});

test('certificate fields that cannot be encoded are refused: a zero or odd serial, an unknown attribute type, an Ed25519 signing key', async () => {
  const rsa = fixtureKey('rsa-2048.key');
  const base = { subject: [{ CN: ['x'] }], notBefore: NOW, notAfter: new Date(NOW.getTime() + 1000), publicKey: createPublicKey(rsa), signingKey: rsa, extensions: [] };
  const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
  for (const serialNumber of ['00', '0000', '1', 'xyz']) await assert.rejects(createCertificate({ ...base, serialNumber }), code('INVALID_ARGUMENT'), serialNumber);
  await assert.rejects(createCertificate({ ...base, serialNumber: '01', subject: [{ XX: ['x'] }] }), code('INVALID_ARGUMENT'));
  await assert.rejects(createCertificate({ ...base, serialNumber: '01', signingKey: generateKeyPairSync('ed25519').privateKey }), code('UNSUPPORTED_KEY_TYPE'));
});
