// cosign.key and cosign.pub as cosign reads and writes them (sigstore/cosign pkg/cosign/keys.go,
// go-securesystemslib encrypted/encrypted.go): round trips for every key type cosign makes, the
// older PEM type, and refusals for a wrong password, untrusted scrypt parameters and malformed files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { isVouchError } from '../../../src/core/index.js';
import {
  COSIGN_PRIVATE_KEY_PEM, SCRYPT_PARAMS, SIGSTORE_PRIVATE_KEY_PEM,
  cosignPublicKeyPem, decryptCosignKey, encryptCosignKey, parseCosignPublicKey,
} from '../../../src/keys/cosign.js';
import { decodePem, encodePem } from '../../../src/keys/pem.js';

const keys = {
  'ecdsa P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  'ecdsa P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
  'rsa 2048': generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ed25519: generateKeyPairSync('ed25519').privateKey,
};

test('every key type round-trips through cosign.key and cosign.pub, and signs what the public key verifies', async () => {
  for (const [name, key] of Object.entries(keys)) {
    const pem = await encryptCosignKey(key, 'correct horse');
    assert.equal(decodePem(pem).type, SIGSTORE_PRIVATE_KEY_PEM, name);
    const back = await decryptCosignKey(pem, 'correct horse');
    const pub = parseCosignPublicKey(cosignPublicKeyPem(back));
    const data = Buffer.from(`payload for ${name}`);
    const hash = name === 'ed25519' ? null : 'sha256';
    assert.ok(verify(hash, data, pub, sign(hash, data, back)), name);
  }
});

test('the older ENCRYPTED COSIGN PRIVATE KEY type and all three scrypt sets are read; an empty password works as in cosign', async () => {
  const key = keys['ecdsa P-256'];
  for (const params of Object.values(SCRYPT_PARAMS)) {
    const pem = decodePem(await encryptCosignKey(key, '', params));
    const older = encodePem({ type: COSIGN_PRIVATE_KEY_PEM, bytes: pem.bytes });
    const back = await decryptCosignKey(older, '');
    assert.deepEqual(back.export({ format: 'jwk' }), key.export({ format: 'jwk' }));
  }
});

test('a wrong password, scrypt parameters outside the three sets, a bad nonce or a foreign PEM block are refused clearly', async () => {
  const pem = await encryptCosignKey(keys['ecdsa P-256'], 'right');
  await assert.rejects(decryptCosignKey(pem, 'wrong'), (e: unknown) => isVouchError(e, 'BAD_PASSPHRASE') && /decryption failed/.test(e.message));

  const body = JSON.parse(decodePem(pem).bytes.toString('utf8')) as { kdf: { params: { N: number } }; cipher: { nonce: string } };
  const rewrite = (change: (b: typeof body) => void): string => {
    const copy = JSON.parse(JSON.stringify(body)) as typeof body;
    change(copy);
    return encodePem({ type: SIGSTORE_PRIVATE_KEY_PEM, bytes: Buffer.from(JSON.stringify(copy)) });
  };
  // a key file must not choose how much memory or time the derivation takes
  await assert.rejects(decryptCosignKey(rewrite((b) => { b.kdf.params.N = 1 << 24; }), 'right'), /unsupported scrypt parameters N=16777216/);
  await assert.rejects(decryptCosignKey(rewrite((b) => { b.kdf.params.N = 1024; }), 'right'), /unsupported scrypt parameters/);
  await assert.rejects(decryptCosignKey(rewrite((b) => { b.cipher.nonce = Buffer.alloc(12).toString('base64'); }), 'right'), /12-byte nonce/);
  await assert.rejects(decryptCosignKey(encodePem({ type: 'PRIVATE KEY', bytes: Buffer.from('x') }), 'right'), /not 'ENCRYPTED SIGSTORE PRIVATE KEY'/);
  await assert.rejects(decryptCosignKey(encodePem({ type: SIGSTORE_PRIVATE_KEY_PEM, bytes: Buffer.from('[1]') }), 'right'), /no kdf and cipher/);
  await assert.rejects(decryptCosignKey('x'.repeat(70 * 1024), 'right'), (e: unknown) => isVouchError(e, 'TOO_LARGE'));
  assert.throws(() => parseCosignPublicKey(encodePem({ type: 'PUBLIC KEY', bytes: Buffer.from('junk') })), /not a valid SubjectPublicKeyInfo/);
  assert.throws(() => parseCosignPublicKey(pem), /not 'PUBLIC KEY'/);
});
