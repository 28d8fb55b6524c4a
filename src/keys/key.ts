// A private signing key as vouch holds it: the node KeyObject, its TUF public key and IDs, and a
// Signer for the metadata editor. The secret never leaves through toString, JSON or util.inspect.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { VouchError, parseCertificateBundle, signBytes, type PublicKeyData, type SignatureMethod } from '../core/index.js';
import { canonicalKeyId, keyId } from '../tuf/keyid.js';
import type { Signer } from '../tuf/signer.js';

export type KeyAlgorithm = 'ecdsa' | 'ed25519' | 'rsa';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa', 'ed25519', 'rsa'];
/** Notary never generates RSA; when vouch does, it uses 3072 bits. */
export const DEFAULT_RSA_BITS = 3072;

export function algorithmOf(k: KeyObject): KeyAlgorithm {
  switch (k.asymmetricKeyType) {
    case 'ec': return 'ecdsa';
    case 'ed25519': return 'ed25519';
    case 'rsa': return 'rsa';
    default: throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported key type ${k.asymmetricKeyType ?? 'unknown'} (expected ECDSA, Ed25519 or RSA)`);
  }
}

/** The TUF public key of a bare key: DER SPKI for ecdsa/rsa, the raw 32 bytes for ed25519. */
export function publicKeyData(k: KeyObject): PublicKeyData {
  // createPublicKey derives the public half of a private KeyObject.
  const pub = k.type === 'private' ? createPublicKey(k) : k;
  const algorithm = algorithmOf(pub);
  if (algorithm === 'ed25519') {
    const x = pub.export({ format: 'jwk' }).x;
    if (typeof x !== 'string') throw new VouchError('INVALID_KEY', 'ed25519 key has no public value');
    return { keytype: 'ed25519', public: Buffer.from(x, 'base64url') };
  }
  return { keytype: algorithm, public: pub.export({ format: 'der', type: 'spki' }) };
}

export class PrivateKey {
  readonly algorithm: KeyAlgorithm;
  /** TUF public key as listed in metadata: ecdsa-x509 (cert PEM) when a certificate is attached. */
  readonly publicKey: PublicKeyData;
  /** TUF key ID of `publicKey` (the x509 ID for certificate keys). */
  readonly keyId: string;
  /** ID of the bare key: private key file name, `notary key list`, signer IDs. */
  readonly canonicalKeyId: string;
  /** PEM of the certificate (root keys), exactly as it goes into root.json. */
  readonly certificate: string | undefined;
  // An ES private field: invisible to JSON, Object.keys and util.inspect.
  readonly #key: KeyObject;

  constructor(keyObject: KeyObject, certificate?: string) {
    if (keyObject.type !== 'private') throw new VouchError('INVALID_KEY', 'a private key is required');
    this.algorithm = algorithmOf(keyObject);
    if (this.algorithm === 'ecdsa') {
      const curve = keyObject.asymmetricKeyDetails?.namedCurve;
      if (curve !== 'prime256v1' && curve !== 'secp384r1' && curve !== 'secp521r1') {
        throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported EC curve ${curve ?? 'unknown'}`);
      }
    }
    this.#key = keyObject;
    const bare = publicKeyData(keyObject);
    if (certificate !== undefined) {
      if (this.algorithm === 'ed25519') throw new VouchError('INVALID_CERTIFICATE', 'ed25519 keys cannot carry an x509 certificate in notary');
      const leaf = parseCertificateBundle(certificate)[0];
      const certSpki = leaf?.publicKey.export({ format: 'der', type: 'spki' });
      if (certSpki === undefined || !certSpki.equals(Buffer.from(bare.public))) {
        throw new VouchError('INVALID_CERTIFICATE', 'the certificate is not for this private key');
      }
      this.certificate = certificate;
      this.publicKey = { keytype: this.algorithm === 'ecdsa' ? 'ecdsa-x509' : 'rsa-x509', public: Buffer.from(certificate, 'utf8') };
    } else {
      this.certificate = undefined;
      this.publicKey = bare;
    }
    this.keyId = keyId(this.publicKey);
    this.canonicalKeyId = canonicalKeyId(this.publicKey);
    Object.freeze(this);
  }

  /** The node private KeyObject (for callers that need raw crypto). */
  get keyObject(): KeyObject {
    return this.#key;
  }

  /** The bare public key (ecdsa/rsa/ed25519), whatever certificate is attached. */
  get barePublicKey(): PublicKeyData {
    return publicKeyData(this.#key);
  }

  /** The same key with a certificate attached (ecdsa-x509 / rsa-x509 public key). */
  withCertificate(certificatePem: string): PrivateKey {
    return new PrivateKey(this.#key, certificatePem);
  }

  /** The same key without its certificate. */
  withoutCertificate(): PrivateKey {
    return this.certificate === undefined ? this : new PrivateKey(this.#key);
  }

  sign(data: Uint8Array): { method: SignatureMethod; sig: Buffer } {
    return signBytes(this.#key, data);
  }

  /** A Signer (src/tuf/signer.ts) whose keyId is this key's TUF ID (x509 ID for root certificates). */
  signer(): Signer {
    const key = this.#key;
    return { keyId: this.keyId, publicKey: this.publicKey, sign: (data: Uint8Array) => signBytes(key, data) };
  }

  toString(): string {
    return `PrivateKey(${this.algorithm}${this.certificate ? ' x509' : ''} ${this.canonicalKeyId})`;
  }

  toJSON(): Record<string, unknown> {
    return { algorithm: this.algorithm, keyId: this.keyId, canonicalKeyId: this.canonicalKeyId, x509: this.certificate !== undefined };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export interface GenerateOptions {
  /** RSA modulus size (default 3072). */
  rsaBits?: number;
}

/** A new key: ECDSA P-256 (the default, as docker and notary), Ed25519, or RSA. */
export function generateKey(algorithm: KeyAlgorithm = 'ecdsa', opts: GenerateOptions = {}): PrivateKey {
  switch (algorithm) {
    case 'ecdsa':
      return new PrivateKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    case 'ed25519':
      return new PrivateKey(generateKeyPairSync('ed25519').privateKey);
    case 'rsa': {
      const bits = opts.rsaBits ?? DEFAULT_RSA_BITS;
      if (!Number.isSafeInteger(bits) || bits < 2048) throw new VouchError('WEAK_KEY', `RSA keys need at least 2048 bits, not ${bits}`);
      return new PrivateKey(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey);
    }
    default:
      throw new VouchError('UNSUPPORTED_KEY_TYPE', `cannot generate a ${String(algorithm)} key (ecdsa, ed25519 or rsa)`);
  }
}
