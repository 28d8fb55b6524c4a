// Private key files: vouch's output in each key type, notary's and docker's real files, and the
// standard OpenSSL forms (fixtures in test/fixtures/keys, see NOTES.md there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import { verifySignature } from '../../../src/core/index.js';
import {
  decodePem, decodePrivateKeyFile, decryptPkcs8, encodePrivateKeyFile, generateKey, keyFileAttributes, toNotaryPkcs8,
  fromPkcs8, type KeyAlgorithm,
} from '../../../src/keys/index.js';
import { DOCKER_PASS, OPENSSL_PASS, keyFiles, notaryKeyList, notaryPassFor, read } from './_fixtures.js';

const ALGS: KeyAlgorithm[] = ['ecdsa', 'ed25519', 'rsa'];
const rsaOpts = { rsaBits: 2048 }; // 3072 is the default; 2048 keeps the test quick

const isBadPassphrase = (e: unknown): boolean => (e as { code?: string }).code === 'BAD_PASSPHRASE';

for (const alg of ALGS) {
  test(`round trip: ${alg} key, encrypted with role and gun headers`, () => {
    const key = generateKey(alg, rsaOpts);
    const pem = encodePrivateKeyFile(key, { role: 'targets', gun: 'example.com/org/app', passphrase: 'pass-1234' });
    assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\ngun: example.com\/org\/app\nrole: targets\n\n/);
    const back = decodePrivateKeyFile(pem, 'pass-1234');
    assert.equal(back.algorithm, alg);
    assert.equal(back.canonicalKeyId, key.canonicalKeyId);
    assert.deepEqual(Buffer.from(back.publicKey.public), Buffer.from(key.publicKey.public));
    const data = Buffer.from('signed bytes');
    const { method, sig } = back.sign(data);
    assert.equal(verifySignature(key.publicKey, method, sig, data), true);
    assert.throws(() => decodePrivateKeyFile(pem, 'pass-12345'), isBadPassphrase);
  });

  test(`round trip: ${alg} key, unencrypted PRIVATE KEY for an empty passphrase`, () => {
    const key = generateKey(alg, rsaOpts);
    const pem = encodePrivateKeyFile(key, { role: 'targets/releases', passphrase: '' });
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\nrole: targets\/releases\n\n/);
    assert.equal(decodePrivateKeyFile(pem).canonicalKeyId, key.canonicalKeyId);
    assert.deepEqual(keyFileAttributes(pem), { type: 'PRIVATE KEY', role: 'targets/releases', gun: undefined, encrypted: false });
  });
}

test('gun header only for targets, snapshot and timestamp keys', () => {
  const key = generateKey();
  for (const [role, hasGun] of [['root', false], ['targets', true], ['snapshot', true], ['timestamp', true], ['targets/releases', false], ['alice', false]] as const) {
    const pem = encodePrivateKeyFile(key, { role, gun: 'g/h', passphrase: 'x' });
    assert.equal(keyFileAttributes(pem).gun, hasGun ? 'g/h' : undefined, role);
    assert.equal(keyFileAttributes(pem).role, role);
  }
});

test('encrypted output uses exactly notary parameters: PBES2, PBKDF2 8-byte salt, 2048 iterations, no PRF/keyLength, AES-256-CBC', () => {
  const pem = encodePrivateKeyFile(generateKey(), { role: 'root', passphrase: 'p' });
  const der = decodePem(pem).bytes;
  const top = asn1js.fromBER(new Uint8Array(der)).result as asn1js.Sequence;
  const [alg, data] = top.valueBlock.value as [asn1js.Sequence, asn1js.OctetString];
  const [pbes2, params] = alg.valueBlock.value as [asn1js.ObjectIdentifier, asn1js.Sequence];
  assert.equal(pbes2.valueBlock.toString(), '1.2.840.113549.1.5.13');
  const [kdf, enc] = params.valueBlock.value as [asn1js.Sequence, asn1js.Sequence];
  const [kdfOid, kdfParams] = kdf.valueBlock.value as [asn1js.ObjectIdentifier, asn1js.Sequence];
  assert.equal(kdfOid.valueBlock.toString(), '1.2.840.113549.1.5.12');
  const kp = kdfParams.valueBlock.value;
  assert.equal(kp.length, 2, 'only salt and iteration count');
  assert.equal((kp[0] as asn1js.OctetString).valueBlock.valueHexView.byteLength, 8);
  assert.equal((kp[1] as asn1js.Integer).valueBlock.valueDec, 2048);
  const [encOid, iv] = enc.valueBlock.value as [asn1js.ObjectIdentifier, asn1js.OctetString];
  assert.equal(encOid.valueBlock.toString(), '2.16.840.1.101.3.4.1.42');
  assert.equal(iv.valueBlock.valueHexView.byteLength, 16);
  assert.equal(data.valueBlock.valueHexView.byteLength % 16, 0);
  // Same size as notary's ECDSA files (238-byte DER: "MIHu…").
  assert.equal(der.length, 241);
});

test('inner PrivateKeyInfo quirks: ECDSA version 1 + SEC1, RSA without NULL, Ed25519 OID 11591 with 96 bytes', () => {
  const parse = (alg: KeyAlgorithm) => {
    const k = generateKey(alg, rsaOpts);
    const seq = asn1js.fromBER(new Uint8Array(toNotaryPkcs8(k.keyObject))).result as asn1js.Sequence;
    const [v, a, o] = seq.valueBlock.value as [asn1js.Integer, asn1js.Sequence, asn1js.OctetString];
    return { k, version: v.valueBlock.valueDec, alg: a.valueBlock.value as asn1js.AsnType[], octets: Buffer.from(o.valueBlock.valueHexView) };
  };
  const ec = parse('ecdsa');
  assert.equal(ec.version, 1);
  assert.equal((ec.alg[1] as asn1js.ObjectIdentifier).valueBlock.toString(), '1.2.840.10045.3.1.7');
  assert.deepEqual(ec.octets, ec.k.keyObject.export({ format: 'der', type: 'sec1' }));
  const rsa = parse('rsa');
  assert.equal(rsa.version, 0);
  assert.equal(rsa.alg.length, 1, 'no NULL parameter');
  assert.deepEqual(rsa.octets, rsa.k.keyObject.export({ format: 'der', type: 'pkcs1' }));
  const ed = parse('ed25519');
  assert.equal(ed.version, 0);
  assert.equal((ed.alg[0] as asn1js.ObjectIdentifier).valueBlock.toString(), '1.3.6.1.4.1.11591.15.1');
  assert.equal(ed.octets.length, 96);
  const pub = Buffer.from(ed.k.publicKey.public);
  assert.deepEqual(ed.octets.subarray(0, 32), pub);
  assert.deepEqual(ed.octets.subarray(64), pub);
});

test('notary 0.7.0 files: each decrypts with its role passphrase, is named by its canonical ID, and has the listed role/gun', () => {
  const listed = notaryKeyList();
  assert.equal(listed.length, 6);
  const files = keyFiles('notary-0.7.0');
  assert.equal(files.length, 6);
  const algs = new Set<string>();
  for (const f of files) {
    const text = read('notary-0.7.0', f);
    const attrs = keyFileAttributes(text);
    const row = listed.find((r) => `${r.id}.key` === f);
    assert.ok(row, `${f} is in notary key list`);
    assert.equal(attrs.role, row.role);
    assert.equal(attrs.gun, row.gun);
    assert.equal(attrs.encrypted, true);
    const key = decodePrivateKeyFile(text, notaryPassFor(row.role));
    assert.equal(key.canonicalKeyId, row.id);
    algs.add(key.algorithm);
    assert.throws(() => decodePrivateKeyFile(text, 'not-the-passphrase'), isBadPassphrase);
  }
  assert.deepEqual([...algs].sort(), ['ecdsa', 'ed25519', 'rsa']);
});

test('notary 0.7.0 files: re-encoding the key gives notary\'s PrivateKeyInfo byte for byte', () => {
  for (const f of keyFiles('notary-0.7.0')) {
    const text = read('notary-0.7.0', f);
    const block = decodePem(text);
    const inner = decryptPkcs8(block.bytes, notaryPassFor(block.headers.role ?? ''));
    const key = fromPkcs8(inner);
    assert.deepEqual(toNotaryPkcs8(key), inner, f);
  }
});

for (const v of ['docker-28.2.2', 'docker-20.10']) {
  test(`${v} trust key generate: private key decrypts, matches alice.pub, role alice without gun`, () => {
    const [f] = keyFiles(v);
    assert.ok(f);
    const text = read(v, f);
    assert.deepEqual(keyFileAttributes(text), { type: 'ENCRYPTED PRIVATE KEY', role: 'alice', gun: undefined, encrypted: true });
    const key = decodePrivateKeyFile(text, DOCKER_PASS);
    assert.equal(`${key.canonicalKeyId}.key`, f);
    // OpenSSL refuses PEM headers, so decode the block first.
    const pub = createPublicKey({ key: decodePem(read(v, 'alice.pub')).bytes, format: 'der', type: 'spki' });
    const sig = key.sign(Buffer.from('x'));
    assert.equal(verify('sha256', Buffer.from('x'), { key: pub, dsaEncoding: 'ieee-p1363' }, sig.sig), true);
  });
}

test('OpenSSL forms of one EC key all load to the same key', () => {
  const ids = new Set<string>();
  for (const [file, pass] of [
    ['ec-pbes2-aes256-sha256.pem', OPENSSL_PASS],
    ['ec-pbes2-aes128-sha512.pem', OPENSSL_PASS],
    ['ec-plain-pkcs8.pem', undefined],
    ['ec-legacy-aes128.pem', OPENSSL_PASS],
  ] as const) {
    const key = decodePrivateKeyFile(read('openssl', file), pass);
    assert.equal(key.algorithm, 'ecdsa', file);
    ids.add(key.canonicalKeyId);
    if (pass) assert.throws(() => decodePrivateKeyFile(read('openssl', file), 'wrong'), isBadPassphrase, file);
  }
  assert.equal(ids.size, 1);
});

test('OpenSSL RFC 8410 Ed25519 (encrypted and plain) and RSA (legacy DES3 and PBES2 DES3)', () => {
  const ed1 = decodePrivateKeyFile(read('openssl', 'ed25519-rfc8410-pbes2.pem'), OPENSSL_PASS);
  const ed2 = decodePrivateKeyFile(read('openssl', 'ed25519-rfc8410-plain.pem'));
  assert.equal(ed1.algorithm, 'ed25519');
  assert.equal(ed1.keyId, ed2.keyId);
  const r1 = decodePrivateKeyFile(read('openssl', 'rsa-legacy-des3.pem'), OPENSSL_PASS);
  const r2 = decodePrivateKeyFile(read('openssl', 'rsa-pbes2-des3.pem'), OPENSSL_PASS);
  assert.equal(r1.algorithm, 'rsa');
  assert.equal(r1.keyId, r2.keyId);
  assert.throws(() => decodePrivateKeyFile(read('openssl', 'rsa-legacy-des3.pem'), 'wrong'), isBadPassphrase);
});

test('an encrypted file without a passphrase is NO_PASSPHRASE; non-key PEM is INVALID_KEY', () => {
  assert.throws(() => decodePrivateKeyFile(read('openssl', 'ec-pbes2-aes256-sha256.pem')), (e: unknown) => (e as { code?: string }).code === 'NO_PASSPHRASE');
  assert.throws(() => decodePrivateKeyFile(read('openssl', 'ec.pub')), (e: unknown) => (e as { code?: string }).code === 'INVALID_KEY');
  assert.throws(() => decodePrivateKeyFile('no pem here'), (e: unknown) => (e as { code?: string }).code === 'INVALID_ENCODING');
});

test('a corrupted notary Ed25519 body (public half swapped) is refused', () => {
  const k = generateKey('ed25519');
  const der = toNotaryPkcs8(k.keyObject);
  const other = generateKey('ed25519');
  const bad = Buffer.from(der);
  // The last 32 bytes are the trailing copy of the public key.
  Buffer.from(other.publicKey.public).copy(bad, bad.length - 32);
  assert.throws(() => fromPkcs8(bad), (e: unknown) => (e as { code?: string }).code === 'INVALID_KEY');
});

test('node/OpenSSL-encrypted PKCS#8 (PBES2 with hmacWithSHA256, AES-128/256) decodes', () => {
  for (const alg of ALGS) {
    const key = generateKey(alg, rsaOpts);
    for (const cipher of ['aes-256-cbc', 'aes-128-cbc']) {
      const pem = key.keyObject.export({ type: 'pkcs8', format: 'pem', cipher, passphrase: 'node-pass' }) as string;
      assert.equal(decodePrivateKeyFile(pem, 'node-pass').keyId, key.keyId, `${alg} ${cipher}`);
      assert.throws(() => decodePrivateKeyFile(pem, 'nope'), isBadPassphrase);
    }
  }
});

test('unsupported encryption parameters are refused with clear codes', () => {
  const mk = (kdfParams: asn1js.AsnType[], cipherOid = '2.16.840.1.101.3.4.1.42', ivLen = 16, top = '1.2.840.113549.1.5.13') => {
    const seq = (...value: asn1js.AsnType[]) => new asn1js.Sequence({ value });
    const id = (value: string) => new asn1js.ObjectIdentifier({ value });
    const der = seq(
      seq(id(top), seq(seq(id('1.2.840.113549.1.5.12'), seq(...kdfParams)), seq(id(cipherOid), new asn1js.OctetString({ valueHex: new Uint8Array(ivLen) })))),
      new asn1js.OctetString({ valueHex: new Uint8Array(32) }),
    ).toBER();
    return Buffer.from(der);
  };
  const salt = new asn1js.OctetString({ valueHex: new Uint8Array(8) });
  const iter = (n: number) => new asn1js.Integer({ value: n });
  const c = (x: string) => (e: unknown) => (e as { code?: string }).code === x;
  assert.throws(() => decryptPkcs8(mk([salt, iter(2048)], '1.2.3.4'), 'p'), c('UNSUPPORTED_KEY_TYPE'));
  assert.throws(() => decryptPkcs8(mk([salt, iter(2048), new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.2.5' })] })]), 'p'), c('UNSUPPORTED_KEY_TYPE'));
  assert.throws(() => decryptPkcs8(mk([salt, iter(2048), new asn1js.Integer({ value: 16 })]), 'p'), c('INVALID_KEY'), 'keyLength must match AES-256');
  assert.throws(() => decryptPkcs8(mk([salt, iter(100_000_000)]), 'p'), c('INVALID_KEY'), 'iteration bound');
  assert.throws(() => decryptPkcs8(mk([salt, iter(2048)], undefined, 8), 'p'), c('INVALID_KEY'), 'IV size');
  assert.throws(() => decryptPkcs8(mk([salt, iter(2048)], undefined, 16, '1.2.840.113549.1.5.3'), 'p'), c('UNSUPPORTED_KEY_TYPE'), 'PBES1');
  assert.throws(() => decryptPkcs8(mk([salt, iter(2048), new asn1js.Integer({ value: 32 })]), 'p'), isBadPassphrase, 'valid parameters, garbage data');
  assert.throws(() => decryptPkcs8(Buffer.from('30030201', 'hex'), 'p'), c('INVALID_KEY'));
});
