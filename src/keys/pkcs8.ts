// PKCS#8 as notary 0.7 writes it (tuf/utils/pkcs8.go, notary tuf/utils/pkcs8.go), plus the standard forms OpenSSL
// and RFC 8410 produce. DER is built and parsed with asn1js; crypto is node:crypto.
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';
import { VouchError } from '../core/index.js';
import { algorithmOf, publicKeyData } from './key.js';
import { int, isInt, isNull, mkInt, mkOctets, mkOid, mkSeq, octets, oid, parseDer, parseDerPrefix, seq, toDer } from './der.js';

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  /** What notary writes for Ed25519 (not RFC 8410's 1.3.101.112). */
  ed25519Notary: '1.3.6.1.4.1.11591.15.1',
  ed25519: '1.3.101.112',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
} as const;

const CURVE_OIDS: Record<string, string> = {
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
};

const PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

/** notary's fixed parameters: 8-byte salt, 2048 iterations, implicit HMAC-SHA1, AES-256-CBC. */
export const NOTARY_PBKDF2_ITERATIONS = 2048;
const MAX_ITERATIONS = 10_000_000;

/** PrivateKeyInfo DER exactly as notary writes it, quirks included (notary tuf/utils/pkcs8.go). */
export function toNotaryPkcs8(key: KeyObject): Buffer {
  switch (algorithmOf(key)) {
    case 'ecdsa': {
      const curve = CURVE_OIDS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (curve === undefined) throw new VouchError('UNSUPPORTED_KEY_TYPE', 'unsupported EC curve');
      // Version 1 and the full SEC1 ECPrivateKey (curve and public key inside), as Go's notary does.
      return toDer(mkSeq(mkInt(1), mkSeq(mkOid(OID.ecPublicKey), mkOid(curve)), mkOctets(key.export({ format: 'der', type: 'sec1' }))));
    }
    case 'rsa':
      // No NULL parameter after rsaEncryption: notary marshals the algorithm as a bare OID list.
      return toDer(mkSeq(mkInt(0), mkSeq(mkOid(OID.rsaEncryption)), mkOctets(key.export({ format: 'der', type: 'pkcs1' }))));
    case 'ed25519': {
      // 96 bytes: public ‖ Go's 64-byte private key (seed ‖ public), not wrapped in another OCTET STRING.
      const jwk = key.export({ format: 'jwk' });
      const seed = Buffer.from(String(jwk.d), 'base64url');
      const pub = Buffer.from(String(jwk.x), 'base64url');
      return toDer(mkSeq(mkInt(0), mkSeq(mkOid(OID.ed25519Notary)), mkOctets(Buffer.concat([pub, seed, pub]))));
    }
  }
}

/** Reads a PrivateKeyInfo: notary's quirky forms and standard PKCS#8 (OpenSSL, RFC 8410). */
export function fromPkcs8(der: Uint8Array): KeyObject {
  // Decrypted data may carry junk after the value when padding was not checked; Go ignores it too.
  const { node, length } = parseDerPrefix(der, 'PKCS#8 PrivateKeyInfo');
  const exact = Buffer.from(der.buffer, der.byteOffset, length);
  const items = seq(node, 'PKCS#8 PrivateKeyInfo', 3);
  const version = int(items[0], 'PKCS#8 version');
  if (version > 1) throw new VouchError('INVALID_KEY', `PKCS#8 version ${version} is not supported`);
  const alg = seq(items[1], 'PKCS#8 algorithm', 1);
  const algOid = oid(alg[0], 'PKCS#8 algorithm');
  const inner = octets(items[2], 'PKCS#8 private key');
  let key: KeyObject;
  switch (algOid) {
    case OID.ed25519Notary:
      key = ed25519FromNotary(inner);
      break;
    case OID.ed25519:
      key = nodeKey(exact, 'pkcs8', 'Ed25519 PKCS#8');
      break;
    case OID.ecPublicKey:
      // OpenSSL takes the whole structure (version 1 included); SEC1 with the curve inside is the fallback.
      key = tryNode(exact, 'pkcs8') ?? nodeKey(inner, 'sec1', 'EC private key');
      break;
    case OID.rsaEncryption:
      if (alg.length > 1 && !isNull(alg[1])) throw new VouchError('INVALID_KEY', 'RSA PKCS#8 algorithm has unexpected parameters');
      key = tryNode(exact, 'pkcs8') ?? nodeKey(inner, 'pkcs1', 'RSA private key');
      break;
    default:
      throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported private key algorithm ${algOid}`);
  }
  const want = algOid === OID.ecPublicKey ? 'ecdsa' : algOid === OID.rsaEncryption ? 'rsa' : 'ed25519';
  if (algorithmOf(key) !== want) throw new VouchError('INVALID_KEY', `PKCS#8 algorithm ${algOid} holds a ${key.asymmetricKeyType} key`);
  return key;
}

function tryNode(der: Buffer, type: 'pkcs8'): KeyObject | undefined {
  try {
    return createPrivateKey({ key: der, format: 'der', type });
  } catch {
    return undefined;
  }
}

function nodeKey(der: Buffer, type: 'pkcs8' | 'sec1' | 'pkcs1', what: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type });
  } catch (err) {
    throw new VouchError('INVALID_KEY', `${what} does not parse`, { cause: err });
  }
}

/** notary's 96-byte Ed25519 private key: public(32) ‖ seed(32) ‖ public(32). */
export function ed25519FromNotary(bytes: Uint8Array): KeyObject {
  if (bytes.byteLength !== 96) throw new VouchError('INVALID_KEY', `malformed ed25519 private key: ${bytes.byteLength} bytes, expected 96`);
  const b = Buffer.from(bytes);
  const pub = b.subarray(0, 32);
  const seed = b.subarray(32, 64);
  const key = nodeKeyFromJwk(seed, pub);
  const derived = Buffer.from(publicKeyData(key).public);
  if (!derived.equals(pub) || !derived.equals(b.subarray(64, 96))) {
    throw new VouchError('INVALID_KEY', 'ed25519 private key does not match its public key');
  }
  return key;
}

function nodeKeyFromJwk(seed: Buffer, pub: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: pub.toString('base64url') }, format: 'jwk' });
  } catch (err) {
    throw new VouchError('INVALID_KEY', 'ed25519 private key does not parse', { cause: err });
  }
}

/** EncryptedPrivateKeyInfo with notary's exact parameters (readable by notary, docker and OpenSSL). */
export function encryptPkcs8(plain: Uint8Array, passphrase: string): Buffer {
  if (passphrase === '') throw new VouchError('INVALID_ARGUMENT', 'an empty passphrase cannot encrypt a key');
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, NOTARY_PBKDF2_ITERATIONS, 32, 'sha1');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  // PBKDF2-params without keyLength and without prf (HMAC-SHA1 is the DEFAULT), as notary writes them.
  const kdf = mkSeq(mkOid(OID.pbkdf2), mkSeq(mkOctets(salt), mkInt(NOTARY_PBKDF2_ITERATIONS)));
  const enc = mkSeq(mkOid(OID.aes256cbc), mkOctets(iv));
  return toDer(mkSeq(mkSeq(mkOid(OID.pbes2), mkSeq(kdf, enc)), mkOctets(data)));
}

/** The passphrase did not decrypt the key: BAD_PASSPHRASE. */
export function wrongPassphrase(cause?: unknown): VouchError {
  return new VouchError('BAD_PASSPHRASE', 'wrong passphrase: the private key could not be decrypted', { cause });
}

/** Decrypts a PBES2/PBKDF2 EncryptedPrivateKeyInfo (any PRF and CBC cipher node supports) to the PrivateKeyInfo. */
export function decryptPkcs8(der: Uint8Array, passphrase: string): Buffer {
  const top = seq(parseDer(der, 'EncryptedPrivateKeyInfo'), 'EncryptedPrivateKeyInfo', 2);
  const alg = seq(top[0], 'encryption algorithm', 2);
  const algOid = oid(alg[0], 'encryption algorithm');
  if (algOid !== OID.pbes2) throw new VouchError('UNSUPPORTED_KEY_TYPE', `only PBES2-encrypted PKCS#8 keys are supported (got ${algOid})`);
  const [kdfAlg, encAlg] = seq(alg[1], 'PBES2 parameters', 2);
  const kdf = seq(kdfAlg, 'PBES2 key derivation', 2);
  if (oid(kdf[0], 'PBES2 key derivation') !== OID.pbkdf2) throw new VouchError('UNSUPPORTED_KEY_TYPE', 'only PBKDF2 key derivation is supported');
  const params = seq(kdf[1], 'PBKDF2 parameters', 2);
  const salt = octets(params[0], 'PBKDF2 salt');
  const iterations = int(params[1], 'PBKDF2 iteration count');
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new VouchError('INVALID_KEY', `PBKDF2 iteration count ${iterations} is out of range`);
  let keyLength: number | undefined;
  let prf = 'sha1';
  for (const extra of params.slice(2)) {
    if (isInt(extra)) {
      keyLength = int(extra, 'PBKDF2 key length');
    } else {
      const prfOid = oid(seq(extra, 'PBKDF2 prf', 1)[0], 'PBKDF2 prf');
      const hash = PRFS[prfOid];
      if (hash === undefined) throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported PBKDF2 PRF ${prfOid}`);
      prf = hash;
    }
  }
  const enc = seq(encAlg, 'PBES2 encryption scheme', 2);
  const encOid = oid(enc[0], 'PBES2 encryption scheme');
  const cipher = CIPHERS[encOid];
  if (cipher === undefined) throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported PKCS#8 cipher ${encOid}`);
  const iv = octets(enc[1], 'cipher IV');
  if (iv.length !== cipher.ivLength) throw new VouchError('INVALID_KEY', `cipher IV must be ${cipher.ivLength} bytes`);
  if (keyLength !== undefined && keyLength !== cipher.keyLength) throw new VouchError('INVALID_KEY', 'PBKDF2 key length does not match the cipher');
  const data = octets(top[1], 'encrypted key');
  const key = pbkdf2Sync(passphrase, salt, iterations, cipher.keyLength, prf);
  let plain: Buffer;
  try {
    const d = createDecipheriv(cipher.name, key, iv);
    plain = Buffer.concat([d.update(data), d.final()]);
  } catch (err) {
    // A wrong key shows up as bad PKCS#7 padding (almost always).
    throw wrongPassphrase(err);
  }
  return plain;
}

/** OpenSSL's EVP_BytesToKey(MD5, 1 round), the key derivation of legacy PEM `DEK-Info` encryption. */
function evpBytesToKey(passphrase: string, salt: Buffer, keyLength: number): Buffer {
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let total = 0;
  while (total < keyLength) {
    prev = createHash('md5').update(prev).update(passphrase, 'utf8').update(salt).digest();
    out.push(prev);
    total += prev.length;
  }
  return Buffer.concat(out).subarray(0, keyLength);
}

const DEK_CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  'DES-CBC': { name: 'des-cbc', keyLength: 8, ivLength: 8 },
  'DES-EDE3-CBC': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  'AES-128-CBC': { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  'AES-192-CBC': { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  'AES-256-CBC': { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
};

/** Decrypts a legacy PEM body encrypted with `Proc-Type: 4,ENCRYPTED` and `DEK-Info: ALG,IV`. */
export function decryptLegacyPem(dekInfo: string, body: Uint8Array, passphrase: string): Buffer {
  const [algName, ivHex] = dekInfo.split(',').map((s) => s.trim());
  const alg = DEK_CIPHERS[(algName ?? '').toUpperCase()];
  if (alg === undefined) throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported DEK-Info cipher ${algName ?? ''}`);
  if (ivHex === undefined || !/^[0-9a-fA-F]+$/.test(ivHex) || ivHex.length !== alg.ivLength * 2) {
    throw new VouchError('INVALID_KEY', 'DEK-Info has an invalid IV');
  }
  const iv = Buffer.from(ivHex, 'hex');
  const key = evpBytesToKey(passphrase, iv.subarray(0, 8), alg.keyLength);
  try {
    const d = createDecipheriv(alg.name, key, iv);
    return Buffer.concat([d.update(body), d.final()]);
  } catch (err) {
    if (err instanceof Error && /unsupported|not supported|Unknown cipher/i.test(err.message)) {
      throw new VouchError('UNSUPPORTED_KEY_TYPE', `cipher ${algName ?? ''} is not available in this Node.js build`, { cause: err });
    }
    throw wrongPassphrase(err);
  }
}
