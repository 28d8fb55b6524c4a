// Public key files (docker's NAME.pub, PUBLIC KEY and CERTIFICATE PEM) and the PEM codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { canonicalKeyId, keyId } from '../../../src/tuf/keyid.js';
import {
  decodePem, decodePemBlocks, decodePrivateKeyFile, decodePublicKeyFile, encodePem, encodePublicKeyFile, generateKey, generateRootKey, PrivateKey,
} from '../../../src/keys/index.js';
import { DOCKER_PASS, OPENSSL_PASS, keyFiles, read } from './_fixtures.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

for (const v of ['docker-28.2.2', 'docker-20.10']) {
  test(`${v}: alice.pub is exactly what vouch writes for the same key`, () => {
    const key = decodePrivateKeyFile(read(v, keyFiles(v)[0]!), DOCKER_PASS);
    assert.equal(encodePublicKeyFile(key, 'alice'), read(v, 'alice.pub'));
    const pub = decodePublicKeyFile(read(v, 'alice.pub'));
    assert.equal(pub.keytype, 'ecdsa');
    assert.equal(keyId(pub), key.canonicalKeyId);
  });
}

test('CERTIFICATE PEM → ecdsa-x509 whose canonical ID is the bare key ID (OpenSSL cert and vouch root cert)', async () => {
  const sslKey = decodePrivateKeyFile(read('openssl', 'ec-pbes2-aes256-sha256.pem'), OPENSSL_PASS);
  const certKey = decodePublicKeyFile(read('openssl', 'ec-cert.pem'));
  assert.equal(certKey.keytype, 'ecdsa-x509');
  assert.equal(canonicalKeyId(certKey), sslKey.canonicalKeyId);
  assert.match(Buffer.from(certKey.public).toString('utf8'), /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  const root = await generateRootKey({ gun: 'a/b', now: new Date() });
  const fromFile = decodePublicKeyFile(root.certificate as string);
  assert.deepEqual(fromFile, root.publicKey, 'same PEM text, so same x509 key ID');
  assert.equal(keyId(fromFile), root.keyId);
});

test('certificate validity is checked against a given clock (one day of leeway before notBefore)', async () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const root = await generateRootKey({ gun: 'a/b', now });
  const pem = root.certificate as string;
  assert.equal(decodePublicKeyFile(pem, { now }).keytype, 'ecdsa-x509');
  assert.equal(decodePublicKeyFile(pem, { now: new Date('2026-05-31T01:00:00Z') }).keytype, 'ecdsa-x509');
  assert.throws(() => decodePublicKeyFile(pem, { now: new Date('2026-05-30T00:00:00Z') }), code('EXPIRED'));
  assert.throws(() => decodePublicKeyFile(pem, { now: new Date('2036-06-01T00:00:00Z') }), code('EXPIRED'));
});

test('PUBLIC KEY for ed25519 and rsa; weak RSA and other PEM types are refused', () => {
  const ed = generateKey('ed25519');
  assert.deepEqual(decodePublicKeyFile(encodePublicKeyFile(ed)), ed.publicKey);
  const rsa = generateKey('rsa', { rsaBits: 2048 });
  assert.deepEqual(decodePublicKeyFile(encodePublicKeyFile(rsa.publicKey, 'r')), rsa.publicKey);
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
  assert.throws(() => decodePublicKeyFile(encodePem({ type: 'PUBLIC KEY', bytes: weak })), code('WEAK_KEY'));
  assert.throws(() => decodePublicKeyFile(read('openssl', 'ec-plain-pkcs8.pem')), code('INVALID_KEY'));
  assert.throws(() => decodePublicKeyFile(encodePem({ type: 'PUBLIC KEY', bytes: Buffer.from('junk') })), code('INVALID_KEY'));
});

test('encodePublicKeyFile of an x509 key writes the bare key', async () => {
  const root = await generateRootKey({ gun: 'a/b', now: new Date() });
  const pub = decodePublicKeyFile(encodePublicKeyFile(root.publicKey, 'root'));
  assert.equal(keyId(pub), root.canonicalKeyId);
  assert.ok(new PrivateKey(root.keyObject).keyId === root.canonicalKeyId);
});

test('PEM codec: Go layout (Proc-Type first, sorted headers, blank line, 64 columns), several blocks, bad base64', () => {
  const bytes = Buffer.alloc(100, 7);
  const text = encodePem({ type: 'X', headers: { role: 'r', gun: 'g', 'Proc-Type': '4,ENCRYPTED', 'DEK-Info': 'AES-128-CBC,00' }, bytes });
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(0, 6), ['-----BEGIN X-----', 'Proc-Type: 4,ENCRYPTED', 'DEK-Info: AES-128-CBC,00', 'gun: g', 'role: r', '']);
  assert.equal(lines[6]?.length, 64);
  const block = decodePem(`junk before\n${text}junk after\n${encodePem({ type: 'Y', bytes: Buffer.from('hi') })}`);
  assert.deepEqual(block.bytes, bytes);
  assert.equal(block.headers.gun, 'g');
  assert.equal(decodePemBlocks(text + encodePem({ type: 'Y', bytes: Buffer.from('hi') })).length, 2);
  assert.equal(encodePem({ type: 'Z', bytes: Buffer.from('hi') }), '-----BEGIN Z-----\naGk=\n-----END Z-----\n');
  assert.throws(() => decodePem('-----BEGIN Z-----\na*Gk=\n-----END Z-----\n'), code('INVALID_ENCODING'));
  assert.throws(() => encodePem({ type: 'Z', headers: { role: 'a\nb' }, bytes }), code('INVALID_ARGUMENT'));
});
