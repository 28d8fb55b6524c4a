// The one shape every Notation signature envelope is read into, whatever its format (JWS,
// `application/jose+json`; COSE, `application/cose`), as notation-core-go's
// signature.EnvelopeContent is: the signed attributes, the payload, the certificate chain, the
// signature bytes and the unsigned attributes (signing agent, RFC 3161 timestamp token). The
// verifier and the timestamp code work on this shape only, never on a format.
import type { KeyObject } from 'node:crypto';
import type { Certificate, HashName, KeySpec } from './certs.js';
import type { ProtectedHeader, TargetArtifact } from './jws.js';

export type SignatureFormat = 'jws' | 'cose';

export interface NotationEnvelope {
  format: SignatureFormat;
  /** the signed attributes: alg, cty, crit, signing scheme, signing time, expiry, extended attributes */
  header: ProtectedHeader;
  /** the signed payload as received */
  payloadBytes: Buffer;
  /** the payload's targetArtifact */
  target: TargetArtifact;
  /** leaf first, as the envelope lists it (JWS x5c, COSE x5chain) */
  chain: Certificate[];
  /**
   * The signature value: the bytes an RFC 3161 timestamp token is computed over (notation-core-go
   * timestamps the JWS signature's decoded bytes, and COSE_Sign1's signature field).
   */
  signature: Buffer;
  signingAgent?: string;
  /** `io.cncf.notary.timestampSignature`: a DER RFC 3161 TimeStampToken (CMS SignedData), unverified */
  timestampToken?: Buffer;
}

/**
 * A key a Notation plugin holds (capability SIGNATURE_GENERATOR.RAW, notation-go signer/plugin.go):
 * its spec is known before signing (describe-key), its chain only with the signature
 * (generate-signature). The envelope code builds the envelope around what `sign` returns and trusts
 * none of it: the leaf's key must be the described one, the chain must follow the code-signing
 * rules at the signing time, and the finished envelope must verify.
 */
export interface PluginRawSigner {
  /** the plugin's name and the key's id, for messages */
  plugin: string;
  keyId: string;
  /** what describe-key said */
  keySpec: KeySpec;
  /** signs `data` (the envelope's signing input) with the key's algorithm: the raw signature and the chain (DER, leaf first) */
  sign(data: Buffer): Promise<{ signature: Buffer; chain: readonly Uint8Array[] }>;
}

/** A private key with its chain (DER, leaf first, ending in the root), or a plugin's key. */
export type EnvelopeSigningKey = { privateKey: KeyObject; chain: readonly Uint8Array[] } | { signer: PluginRawSigner };

/** The arguments of signing, for either format. */
export type EnvelopeSignOptions = EnvelopeSigningKey & {
  target: TargetArtifact;
  signingTime: Date;
  expiry?: Date;
  signingAgent?: string;
  /** an RFC 3161 timestamp of the signature value, embedded as `io.cncf.notary.timestampSignature` */
  timestamp?: Timestamper;
};

/**
 * Returns the checked DER RFC 3161 timestamp token over the signature value (the bytes the token's
 * messageImprint hashes, with the signing key's hash: notation-core-go timestampJWS and its COSE
 * counterpart), for either format (client/tsa.ts makes one).
 */
export type Timestamper = (signature: Buffer, hash: HashName) => Promise<Buffer>;

export interface SignedEnvelope {
  envelope: Buffer;
  /** the envelope's media type, the signature manifest's layer type */
  mediaType: string;
  chain: Certificate[];
  /** SHA-256 of each certificate, leaf first, lowercase hex */
  thumbprints: string[];
  signingTime: Date;
}
