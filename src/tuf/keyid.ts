// Key IDs (notary tuf/data/keys.go). The TUF ID is sha256 over the canonical public key JSON; for x509 keys
// the "canonical" ID is the TUF ID of the bare SPKI key inside the leaf certificate. Metadata uses
// TUF IDs; private key file names and signer listings use canonical IDs.
import { canonicalBytes, parseCertificateBundle, sha256, toBase64, type KeyType, type PublicKeyData } from '../core/index.js';

/** `{"keytype":…,"keyval":{"private":null,"public":…}}` as it appears inside metadata. */
export interface TufKeyJson {
  keytype: KeyType;
  keyval: { private: null; public: string };
}

export function tufKeyJson(key: PublicKeyData): TufKeyJson {
  return { keytype: key.keytype, keyval: { private: null, public: toBase64(key.public) } };
}

/** The key ID used in metadata (`keys`, `keyids`, `signatures[].keyid`). */
export function keyId(key: PublicKeyData): string {
  return sha256(canonicalBytes(tufKeyJson(key))).toString('hex');
}

/** The bare key behind an x509 key (the leaf certificate's SPKI); other keys are returned as they are. */
export function canonicalPublicKey(key: PublicKeyData): PublicKeyData {
  if (key.keytype !== 'ecdsa-x509' && key.keytype !== 'rsa-x509') return key;
  const leaf = parseCertificateBundle(key.public)[0]!;
  const spki = leaf.publicKey.export({ format: 'der', type: 'spki' });
  return { keytype: key.keytype === 'ecdsa-x509' ? 'ecdsa' : 'rsa', public: spki };
}

/** The canonical key ID: private key file names, `notary key list`, docker signer key IDs. */
export function canonicalKeyId(key: PublicKeyData): string {
  return keyId(canonicalPublicKey(key));
}
