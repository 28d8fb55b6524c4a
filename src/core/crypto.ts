// Signature primitives over node:crypto, in the encodings notary uses (notary tuf/data/keys.go; notary tuf/signed/verifiers.go).
// The algorithm is chosen by the trusted key's type; a signature's `method` must agree with it,
// so an attacker cannot steer verification by naming another method.
import { X509Certificate, createPublicKey, sign as nodeSign, verify as nodeVerify, constants, type KeyObject } from 'node:crypto';
import { VouchError } from './errors.js';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa' | 'ecdsa-x509' | 'rsa-x509';
export const KEY_TYPES: readonly KeyType[] = ['ed25519', 'ecdsa', 'rsa', 'ecdsa-x509', 'rsa-x509'];
export type SignatureMethod = 'eddsa' | 'ecdsa' | 'rsapss' | 'rsapkcs1v15';

export function isKeyType(s: string): s is KeyType {
  return (KEY_TYPES as readonly string[]).includes(s);
}

/** Methods accepted for each key type (lower-case; matching is case-insensitive as in notary). */
const METHODS: Record<KeyType, readonly SignatureMethod[]> = {
  ed25519: ['eddsa'],
  ecdsa: ['ecdsa'],
  'ecdsa-x509': ['ecdsa'],
  rsa: ['rsapss', 'rsapkcs1v15'],
  'rsa-x509': ['rsapss', 'rsapkcs1v15'],
};

export const MIN_RSA_BITS = 2048;

/** The public half of a TUF key: `public` holds the bytes that appear base64-encoded in `keyval.public`. */
export interface PublicKeyData {
  readonly keytype: KeyType;
  readonly public: Uint8Array;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits a PEM bundle into certificates, leaf first (notary's order). */
export function parseCertificateBundle(pem: string | Uint8Array): X509Certificate[] {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new VouchError('INVALID_CERTIFICATE', 'no PEM certificate found');
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new VouchError('INVALID_CERTIFICATE', `certificate does not parse: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** Turns TUF public key data into a node KeyObject (the certificate's key for x509 types). */
export function publicKeyObject(key: PublicKeyData): KeyObject {
  const bytes = Buffer.from(key.public);
  try {
    switch (key.keytype) {
      case 'ed25519':
        if (bytes.length !== 32) throw new VouchError('INVALID_KEY', `ed25519 public key must be 32 bytes, got ${bytes.length}`);
        return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
      case 'ecdsa':
      case 'rsa': {
        const k = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
        checkKeyFamily(k, key.keytype === 'ecdsa' ? 'ec' : 'rsa', key.keytype);
        return k;
      }
      case 'ecdsa-x509':
      case 'rsa-x509': {
        const leaf = parseCertificateBundle(bytes)[0] as X509Certificate;
        const k = leaf.publicKey;
        checkKeyFamily(k, key.keytype === 'ecdsa-x509' ? 'ec' : 'rsa', key.keytype);
        return k;
      }
    }
  } catch (err) {
    if (err instanceof VouchError) throw err;
    throw new VouchError('INVALID_KEY', `${key.keytype} public key does not parse: ${(err as Error).message}`, { cause: err });
  }
}

function checkKeyFamily(k: KeyObject, want: 'ec' | 'rsa', keytype: KeyType): void {
  const got = k.asymmetricKeyType;
  if (want === 'rsa' ? got !== 'rsa' && got !== 'rsa-pss' : got !== 'ec') {
    throw new VouchError('INVALID_KEY', `key of type ${keytype} holds a ${got} key`);
  }
}

/** Field size in bytes of an EC key's curve (P-256 → 32). */
function ecFieldBytes(k: KeyObject): number {
  const curve = k.asymmetricKeyDetails?.namedCurve;
  switch (curve) {
    case 'prime256v1': case 'P-256': return 32;
    case 'secp384r1': case 'P-384': return 48;
    case 'secp521r1': case 'P-521': return 66;
    default: throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported EC curve ${curve ?? 'unknown'}`);
  }
}

/**
 * Verifies `sig` over `data` with the trusted key. Returns false for a signature that does not
 * verify; throws for a method that does not belong to the key type or a key that is too weak.
 */
export function verifySignature(key: PublicKeyData | { keytype: KeyType; object: KeyObject }, method: string, sig: Uint8Array, data: Uint8Array): boolean {
  const m = method.toLowerCase() as SignatureMethod;
  if (!METHODS[key.keytype].includes(m)) {
    throw new VouchError('METHOD_MISMATCH', `signature method '${method}' is not valid for a ${key.keytype} key`, { details: { method, keytype: key.keytype } });
  }
  const k = 'object' in key ? key.object : publicKeyObject(key);
  switch (m) {
    case 'eddsa':
      return sig.byteLength === 64 && nodeVerify(null, data, k, sig);
    case 'ecdsa':
      // Raw r‖s of exactly twice the field size; DER signatures are refused as notary does.
      if (sig.byteLength !== 2 * ecFieldBytes(k)) return false;
      return nodeVerify('sha256', data, { key: k, dsaEncoding: 'ieee-p1363' }, sig);
    case 'rsapss':
    case 'rsapkcs1v15': {
      const bits = k.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) throw new VouchError('WEAK_KEY', `RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`);
      return m === 'rsapss'
        ? nodeVerify('sha256', data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
        : nodeVerify('sha256', data, { key: k, padding: constants.RSA_PKCS1_PADDING }, sig);
    }
  }
}

/** The signature method notary writes for a private key of this kind. */
export function methodFor(privateKey: KeyObject): SignatureMethod {
  switch (privateKey.asymmetricKeyType) {
    case 'ed25519': return 'eddsa';
    case 'ec': return 'ecdsa';
    case 'rsa': case 'rsa-pss': return 'rsapss';
    default: throw new VouchError('UNSUPPORTED_KEY_TYPE', `cannot sign with a ${privateKey.asymmetricKeyType} key`);
  }
}

/** Signs `data` as notary does: Ed25519, ECDSA-SHA256 raw r‖s, or RSA-PSS-SHA256 (salt 32). */
export function signBytes(privateKey: KeyObject, data: Uint8Array): { method: SignatureMethod; sig: Buffer } {
  const method = methodFor(privateKey);
  switch (method) {
    case 'eddsa': return { method, sig: nodeSign(null, data, privateKey) };
    case 'ecdsa': return { method, sig: nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }) };
    default: return { method, sig: nodeSign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }) };
  }
}
