// Public key files as docker uses them: `docker trust key generate` writes NAME.pub (PUBLIC KEY
// PEM with `role: NAME`); `docker trust signer add --key` reads PUBLIC KEY or CERTIFICATE PEM.
import { X509Certificate, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { VouchError, MIN_RSA_BITS, publicKeyObject, type PublicKeyData } from '../core/index.js';
import { canonicalPublicKey } from '../tuf/keyid.js';
import { publicKeyData, type PrivateKey } from './key.js';
import { oid, parseDer, seq } from './der.js';
import { decodePem, encodePem } from './pem.js';

/** PUBLIC KEY PEM (DER SPKI) with a `role: NAME` header, byte-for-byte what docker writes. */
export function encodePublicKeyFile(key: PublicKeyData | PrivateKey, name?: string): string {
  const data = 'barePublicKey' in key ? key.barePublicKey : canonicalPublicKey(key);
  const spki = publicKeyObject(data).export({ format: 'der', type: 'spki' });
  return encodePem({ type: 'PUBLIC KEY', headers: name ? { role: name } : {}, bytes: spki });
}

export interface DecodePublicKeyOptions {
  /** When given, a certificate must be valid at this time (notary's check on signer add). */
  now?: Date;
}

/**
 * TUF public key from a PUBLIC KEY PEM (ecdsa, rsa; ed25519 as raw bytes) or a CERTIFICATE PEM
 * (ecdsa-x509/rsa-x509 holding the certificate PEM as notary re-encodes it).
 */
export function decodePublicKeyFile(text: string | Uint8Array, opts: DecodePublicKeyOptions = {}): PublicKeyData {
  const block = decodePem(text, 'public key file');
  switch (block.type) {
    case 'PUBLIC KEY': {
      let k;
      try {
        k = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
      } catch (err) {
        throw new VouchError('INVALID_KEY', 'the PUBLIC KEY does not parse', { cause: err });
      }
      const data = publicKeyData(k);
      if (data.keytype === 'rsa') checkRsaBits(k.asymmetricKeyDetails?.modulusLength);
      return data;
    }
    case 'CERTIFICATE': {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(block.bytes);
      } catch (err) {
        throw new VouchError('INVALID_CERTIFICATE', 'the certificate does not parse', { cause: err });
      }
      validateCertificate(cert, opts.now);
      const type = cert.publicKey.asymmetricKeyType;
      if (type !== 'ec' && type !== 'rsa') throw new VouchError('UNSUPPORTED_KEY_TYPE', `certificates with ${type} keys are not supported`);
      const pem = encodePem({ type: 'CERTIFICATE', bytes: cert.raw });
      return { keytype: type === 'ec' ? 'ecdsa-x509' : 'rsa-x509', public: Buffer.from(pem, 'utf8') };
    }
    default:
      throw new VouchError('INVALID_KEY', `unsupported PEM block type ${block.type}, expected CERTIFICATE or PUBLIC KEY`);
  }
}

function checkRsaBits(bits: number | undefined): void {
  if ((bits ?? 0) < MIN_RSA_BITS) throw new VouchError('WEAK_KEY', `RSA key has ${bits ?? 0} bits; at least ${MIN_RSA_BITS} are required`);
}

/** notary's ValidateCertificate: sane window, no SHA-1, RSA ≥ 2048, and (with a clock) not expired. */
function validateCertificate(cert: X509Certificate, now?: Date): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (from.getTime() > to.getTime()) throw new VouchError('INVALID_CERTIFICATE', 'certificate validity window is invalid');
  const sigAlg = sigAlgorithmName(cert);
  if (/sha1/i.test(sigAlg)) throw new VouchError('INVALID_CERTIFICATE', `certificate uses the SHA-1 signature algorithm ${sigAlg}`);
  if (cert.publicKey.asymmetricKeyType === 'rsa') checkRsaBits(cert.publicKey.asymmetricKeyDetails?.modulusLength);
  if (now !== undefined) {
    const tomorrow = now.getTime() + 24 * 60 * 60 * 1000; // one day of leeway for notBefore, as notary
    if (from.getTime() > tomorrow || now.getTime() > to.getTime()) {
      throw new VouchError('EXPIRED', `certificate is not valid at ${now.toISOString()} (valid ${from.toISOString()} to ${to.toISOString()})`);
    }
  }
}

const SHA1_SIGNATURES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
};

/** Certificate.signatureAlgorithm (node has no accessor for it). */
function sigAlgorithmName(cert: X509Certificate): string {
  const top = seq(parseDer(cert.raw, 'certificate'), 'certificate', 3);
  const id = oid(seq(top[1], 'certificate signature algorithm', 1)[0], 'certificate signature algorithm');
  return SHA1_SIGNATURES[id] ?? id;
}

export async function readPublicKeyFile(path: string, opts: DecodePublicKeyOptions = {}): Promise<PublicKeyData> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    throw new VouchError('FILE_NOT_FOUND', `cannot read public key file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return decodePublicKeyFile(text, opts);
}
