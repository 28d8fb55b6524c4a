// Root keys live in root.json as a self-signed certificate (notary tuf/data/keys.go; docker/cli cli/trust/trust.go), made like notary's
// cryptoservice.GenerateCertificate: CN = GUN, 10 × 365 days, ECDSA P-256 with SHA-256,
// KeyUsage {digitalSignature, keyEncipherment} (critical), ExtKeyUsage {codeSigning},
// BasicConstraints CA:FALSE (critical), random serial below 2^128.
import { createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { VouchError, x509lib } from '../core/index.js';
import { generateKey, type PrivateKey } from './key.js';

type KeyPair = Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

/** notary.Year * 10: ten years of 365 days (so a cert made on Nov 25 2026 ends on Nov 22 2036). */
export const ROOT_CERT_VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;

export interface RootCertOptions {
  gun: string;
  /** The clock: notBefore. */
  now: Date;
  /** Validity in milliseconds (default 10 × 365 days). */
  validityMs?: number;
}

/** PEM of a self-signed notary root certificate for `key` (an ECDSA P-256 key). */
export async function createRootCertificate(key: PrivateKey, opts: RootCertOptions): Promise<string> {
  if (key.algorithm !== 'ecdsa' || key.keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new VouchError('UNSUPPORTED_KEY_TYPE', 'root certificates are made for ECDSA P-256 keys');
  }
  if (opts.gun === '' || /[\0\r\n]/.test(opts.gun)) throw new VouchError('INVALID_ARGUMENT', 'the GUN for a root certificate must be a non-empty single line');
  const x509 = await x509lib();
  return createSelfSignedCertificate(key.keyObject, {
    serialNumber: randomBytes(16).toString('hex'), // < 2^128; the library adds a 0x00 to keep it positive
    subject: [{ CN: [opts.gun] }],
    now: opts.now,
    validityMs: opts.validityMs ?? ROOT_CERT_VALIDITY_MS,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
      new x509.BasicConstraintsExtension(false, undefined, true),
    ],
  });
}

export interface SelfSignedCertOptions {
  /** hex */
  serialNumber: string;
  /** the subject (and issuer), in DER order: `[{ C: ['US'] }, { CN: ['name'] }]` */
  subject: X509.JsonName;
  /** the clock: notBefore (whole seconds) */
  now: Date;
  validityMs: number;
  extensions: X509.Extension[];
}

/**
 * PEM of a certificate `privateKey` signs for itself: ECDSA P-256 with SHA-256, or RSA with
 * SHA-256 (PKCS #1 v1.5, Go's x509.CreateCertificate default for RSA keys).
 */
export async function createSelfSignedCertificate(privateKey: KeyObject, opts: SelfSignedCertOptions): Promise<string> {
  if (Number.isNaN(opts.now.getTime())) throw new VouchError('INVALID_ARGUMENT', 'invalid clock value for the certificate');
  let alg: { name: string; hash?: string; namedCurve?: string };
  if (privateKey.asymmetricKeyType === 'rsa') alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  else if (privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') alg = { name: 'ECDSA', namedCurve: 'P-256' };
  else throw new VouchError('UNSUPPORTED_KEY_TYPE', 'self-signed certificates are made for RSA and ECDSA P-256 keys');
  const subtle = webcrypto.subtle;
  const signing = await subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), alg, false, ['sign']);
  const publicKey = await subtle.importKey('spki', createPublicKey(privateKey).export({ format: 'der', type: 'spki' }), alg, true, ['verify']);
  // Whole seconds: X.509 times have no fractions, and the cert must not start after `now`.
  const notBefore = new Date(Math.floor(opts.now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + opts.validityMs);
  const x509 = await x509lib();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: opts.serialNumber,
    name: opts.subject,
    notBefore,
    notAfter,
    signingAlgorithm: { name: alg.name, hash: 'SHA-256' },
    keys: { privateKey: signing, publicKey } as unknown as KeyPair,
    extensions: opts.extensions,
  });
  // Same text as Go's pem.EncodeToMemory: 64-column base64 and a trailing newline.
  const pem = cert.toString('pem').replace(/\r\n/g, '\n');
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

export interface RootKeyOptions {
  gun: string;
  now: Date;
  /** Reuse this key (docker shares one root key across repositories); default: a new ECDSA P-256 key. */
  key?: PrivateKey;
}

/** A root key with its certificate: publicKey is `ecdsa-x509`, keyId the x509 ID, canonicalKeyId the file name. */
export async function generateRootKey(opts: RootKeyOptions): Promise<PrivateKey> {
  const bare = (opts.key ?? generateKey('ecdsa')).withoutCertificate();
  return bare.withCertificate(await createRootCertificate(bare, { gun: opts.gun, now: opts.now }));
}
