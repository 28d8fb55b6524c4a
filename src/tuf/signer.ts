// What the repository editor needs to sign: a key ID, its public key and a sign function.
// Private key material stays behind this interface (keys module for clients, storage for the server).
import type { PublicKeyData, SignatureMethod } from '../core/index.js';

export interface Signer {
  /** TUF key ID of `publicKey` as it is listed in metadata (x509 ID for certificate keys). */
  readonly keyId: string;
  readonly publicKey: PublicKeyData;
  sign(data: Uint8Array): { method: SignatureMethod; sig: Uint8Array } | Promise<{ method: SignatureMethod; sig: Uint8Array }>;
}
