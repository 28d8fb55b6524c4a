// Generated keys: TUF public key forms, key IDs, the Signer, and that no secret leaks when a key
// is printed, inspected or serialized.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { verifySignature } from '../../../src/core/index.js';
import { canonicalKeyId, keyId } from '../../../src/tuf/keyid.js';
import { generateKey, PrivateKey, encodePrivateKeyFile, type KeyAlgorithm } from '../../../src/keys/index.js';

const cases: [KeyAlgorithm, string, number][] = [
  ['ecdsa', 'ecdsa', 91], // DER SPKI of a P-256 key
  ['ed25519', 'ed25519', 32], // raw public key
  ['rsa', 'rsa', 422], // DER SPKI of a 3072-bit key
];

for (const [alg, keytype, publicLength] of cases) {
  test(`generateKey(${alg}): ${keytype} public key of ${publicLength} bytes, IDs, working Signer`, async () => {
    const key = generateKey(alg);
    assert.equal(key.algorithm, alg);
    assert.equal(key.publicKey.keytype, keytype);
    assert.equal(key.publicKey.public.byteLength, publicLength);
    assert.equal(key.keyId, keyId(key.publicKey));
    assert.equal(key.canonicalKeyId, key.keyId, 'a bare key has one ID');
    const signer = key.signer();
    assert.equal(signer.keyId, key.keyId);
    const data = Buffer.from('{"signed":1}');
    const { method, sig } = await signer.sign(data);
    assert.equal(method, { ecdsa: 'ecdsa', ed25519: 'eddsa', rsa: 'rsapss' }[alg]);
    assert.equal(verifySignature(signer.publicKey, method, sig, data), true);
    assert.equal(verifySignature(signer.publicKey, method, sig, Buffer.from('{"signed":2}')), false);
  });
}

test('RSA keys default to 3072 bits and refuse fewer than 2048', () => {
  assert.equal(generateKey('rsa').keyObject.asymmetricKeyDetails?.modulusLength, 3072);
  assert.throws(() => generateKey('rsa', { rsaBits: 1024 }), (e: unknown) => (e as { code?: string }).code === 'WEAK_KEY');
  assert.equal(generateKey().algorithm, 'ecdsa', 'ECDSA is the default');
});

test('toString, JSON and util.inspect show IDs but never the private key or a passphrase', () => {
  const key = generateKey('ed25519');
  const jwk = key.keyObject.export({ format: 'jwk' });
  const seedB64 = Buffer.from(String(jwk.d), 'base64url').toString('base64');
  const secrets = [String(jwk.d), seedB64, Buffer.from(String(jwk.d), 'base64url').toString('hex')];
  const shown = [String(key), `${key}`, JSON.stringify(key), inspect(key), inspect({ key }, { depth: 5, showHidden: true }), JSON.stringify({ key })];
  for (const s of shown) {
    assert.ok(s.includes(key.canonicalKeyId), s);
    for (const secret of secrets) assert.ok(!s.includes(secret), 'secret leaked');
  }
  assert.deepEqual(Object.keys(key).sort(), ['algorithm', 'canonicalKeyId', 'certificate', 'keyId', 'publicKey']);
  // A file written with a passphrase does not contain it in any form.
  const pem = encodePrivateKeyFile(key, { role: 'root', passphrase: 'hunter2-hunter2' });
  assert.ok(!pem.includes('hunter2'));
});

test('a PrivateKey needs a private KeyObject of a supported type and curve', () => {
  const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
  assert.throws(() => new PrivateKey(createPublicKey(generateKey().keyObject)), code('INVALID_KEY'));
  assert.throws(() => new PrivateKey(generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey), code('UNSUPPORTED_KEY_TYPE'));
  assert.throws(() => new PrivateKey(generateKeyPairSync('x25519').privateKey), code('UNSUPPORTED_KEY_TYPE'));
  assert.equal(new PrivateKey(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey).publicKey.keytype, 'ecdsa');
});

test('withCertificate rejects a certificate for another key; canonical ID stays the bare key ID', async () => {
  const { generateRootKey } = await import('../../../src/keys/index.js');
  const root = await generateRootKey({ gun: 'example.com/a', now: new Date('2026-01-01T00:00:00Z') });
  const other = generateKey();
  assert.throws(() => other.withCertificate(root.certificate as string), (e: unknown) => (e as { code?: string }).code === 'INVALID_CERTIFICATE');
  assert.equal(root.canonicalKeyId, canonicalKeyId(root.publicKey));
  assert.equal(root.withoutCertificate().keyId, root.canonicalKeyId);
  assert.throws(() => generateKey('ed25519').withCertificate(root.certificate as string), (e: unknown) => (e as { code?: string }).code === 'INVALID_CERTIFICATE');
});
