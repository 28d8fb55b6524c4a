import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import {
  canonicalBytes, fromBase64, fromHex, isVouchError, parseDigest, signBytes, toBase64, verifySignature, bytesEqual, digestOf, type PublicKeyData,
} from '../../../src/core/index.js';
import { keyId } from '../../../src/tuf/keyid.js';

// notary tuf/data/timestamp.go: a real timestamp signed by notary-server's ed25519 key.
const TIMESTAMP_SIGNED = {
  _type: 'Timestamp',
  expires: '2026-12-09T13:14:28.202677652Z',
  meta: { snapshot: { hashes: { sha256: 'wAlhDl2iXFBMW8lbZOtjRRsLMGgH5cOsXYB517ysOEU=', sha512: 'O54WeTB64Gs3S+b8POIilH1THE04fa3CZKdTjH5qtBccmcIAnQQxsEtFAWLz0HcFdCNG7QqzIyEf1Jm1XHLuiQ==' }, length: 682 } },
  version: 1,
};
const TIMESTAMP_KEY: PublicKeyData = { keytype: 'ed25519', public: fromBase64('nZ7BipqFr3YcRjc/RNcGHzt6WdZKYju/8Nob756V6JE=') };
const TIMESTAMP_SIG = fromBase64('ebxRilm+N0eQ9BxFTRJdWlH54k0iBT744naEwTqF9JIMV6Vv0QOOsFCHpe+E4E5m82j0L93nxUOH2ZDtjyifBA==');

test('the real notary timestamp signature verifies over canonical bytes (notary tuf/data/timestamp.go)', () => {
  assert.equal(verifySignature(TIMESTAMP_KEY, 'eddsa', TIMESTAMP_SIG, canonicalBytes(TIMESTAMP_SIGNED)), true);
  assert.equal(verifySignature(TIMESTAMP_KEY, 'EdDSA', TIMESTAMP_SIG, canonicalBytes(TIMESTAMP_SIGNED)), true, 'method is case-insensitive');
  const tampered = { ...TIMESTAMP_SIGNED, version: 2 };
  assert.equal(verifySignature(TIMESTAMP_KEY, 'eddsa', TIMESTAMP_SIG, canonicalBytes(tampered)), false);
});

test('key ID vectors from notary tuf/data/keys.go', () => {
  assert.equal(keyId(TIMESTAMP_KEY), 'c1e562b7f240b7dcaabe69e778df9000211cbc5bb40d1acf353d444df5c8a558');
  const ecdsa: PublicKeyData = { keytype: 'ecdsa', public: fromBase64('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7MlvkNoTmUFZFtndYG2b/dewsviVS6ostUqqtpLmWW2QlNSkm4+LtpUnIjKPRuyHjJACX/A2zBiPQcf/1yTkKg==') };
  assert.equal(keyId(ecdsa), '52d15188b9f7fe0ad27361033cbeeb4df6f8ece0d9aa9dfd4c20f18b57bc9a0a');
});

function spki(k: ReturnType<typeof generateKeyPairSync>['publicKey']): Buffer {
  return k.export({ format: 'der', type: 'spki' });
}

test('sign and verify round trip for ECDSA P-256, Ed25519 and RSA-PSS', () => {
  const data = Buffer.from('{"a":1}');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cases: [typeof ec, PublicKeyData, string][] = [
    [ec, { keytype: 'ecdsa', public: spki(ec.publicKey) }, 'ecdsa'],
    [ed, { keytype: 'ed25519', public: Buffer.from(ed.publicKey.export({ format: 'jwk' }).x as string, 'base64url') }, 'eddsa'],
    [rsa, { keytype: 'rsa', public: spki(rsa.publicKey) }, 'rsapss'],
  ];
  for (const [pair, pub, method] of cases) {
    const { method: m, sig } = signBytes(pair.privateKey, data);
    assert.equal(m, method);
    assert.equal(verifySignature(pub, m, sig, data), true, method);
    assert.equal(verifySignature(pub, m, sig, Buffer.from('{"a":2}')), false, method);
  }
});

test('ECDSA signatures must be raw r‖s: DER is refused', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('payload');
  const der = nodeSign('sha256', data, ec.privateKey);
  assert.equal(verifySignature({ keytype: 'ecdsa', public: spki(ec.publicKey) }, 'ecdsa', der, data), false);
});

test('the key type, not the signature method, picks the algorithm', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('payload');
  const { sig } = signBytes(ec.privateKey, data);
  const pub: PublicKeyData = { keytype: 'ecdsa', public: spki(ec.publicKey) };
  for (const method of ['eddsa', 'rsapss', 'none', '']) {
    assert.throws(() => verifySignature(pub, method, sig, data), (e) => isVouchError(e, 'METHOD_MISMATCH'), method);
  }
});

test('RSA keys under 2048 bits are refused', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const data = Buffer.from('payload');
  const { method, sig } = signBytes(rsa.privateKey, data);
  assert.throws(() => verifySignature({ keytype: 'rsa', public: spki(rsa.publicKey) }, method, sig, data), (e) => isVouchError(e, 'WEAK_KEY'));
});

test('a key whose bytes do not match its declared type is refused', () => {
  const ed = generateKeyPairSync('ed25519');
  assert.throws(() => verifySignature({ keytype: 'ecdsa', public: spki(ed.publicKey) }, 'ecdsa', Buffer.alloc(64), Buffer.from('x')), (e) => isVouchError(e, 'INVALID_KEY'));
  assert.throws(() => verifySignature({ keytype: 'ed25519', public: Buffer.alloc(31) }, 'eddsa', Buffer.alloc(64), Buffer.from('x')), (e) => isVouchError(e, 'INVALID_KEY'));
});

test('P-256 keys verify; a point off the curve is refused at import', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('payload');
  const { method, sig } = signBytes(ec.privateKey, data);
  const pub = spki(ec.publicKey);
  assert.equal(pub.length, 91);
  assert.equal(verifySignature({ keytype: 'ecdsa', public: pub }, method, sig, data), true);
  assert.equal(verifySignature({ keytype: 'ecdsa', public: pub }, method, sig, Buffer.from('other')), false);
  const offCurve = Buffer.from(pub);
  offCurve[90] = (offCurve[90] as number) ^ 1;
  assert.throws(() => verifySignature({ keytype: 'ecdsa', public: offCurve }, method, sig, data), (e) => isVouchError(e, 'INVALID_KEY'));
  // a P-384 key verifies too
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const s384 = signBytes(p384.privateKey, data);
  assert.equal(verifySignature({ keytype: 'ecdsa', public: spki(p384.publicKey) }, s384.method, s384.sig, data), true);
});

test('strict base64 and hex, digests, constant-time compare', () => {
  assert.throws(() => fromBase64('abc'), (e) => isVouchError(e, 'INVALID_ENCODING'));
  assert.throws(() => fromBase64('ab!='), (e) => isVouchError(e, 'INVALID_ENCODING'));
  assert.equal(toBase64(fromBase64('AAEC')), 'AAEC');
  assert.throws(() => fromHex('abc'), (e) => isVouchError(e, 'INVALID_ENCODING'));
  assert.equal(digestOf(Buffer.from('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.deepEqual(parseDigest('sha256:' + 'a'.repeat(64)), { algorithm: 'sha256', hex: 'a'.repeat(64) });
  for (const bad of ['sha256:' + 'a'.repeat(63), 'md5:abcd', 'sha256:' + 'A'.repeat(64), 'sha256' + 'a'.repeat(64)]) {
    assert.throws(() => parseDigest(bad), (e) => isVouchError(e, 'INVALID_ARGUMENT'), bad);
  }
  assert.equal(bytesEqual(Buffer.from([1, 2]), Buffer.from([1, 2])), true);
  assert.equal(bytesEqual(Buffer.from([1, 2]), Buffer.from([1])), false);
});
