// Root keys live in root.json as a self-signed certificate (notary tuf/data/keys.go; docker/cli cli/trust/trust.go), made like notary's
// cryptoservice.GenerateCertificate: CN = GUN, 10 × 365 days, ECDSA P-256 with SHA-256,
// KeyUsage {digitalSignature, keyEncipherment} (critical), ExtKeyUsage {codeSigning},
// BasicConstraints CA:FALSE (critical), random serial below 2^128.
import { randomBytes, webcrypto } from 'node:crypto';
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
  if (Number.isNaN(opts.now.getTime())) throw new VouchError('INVALID_ARGUMENT', 'invalid clock value for the root certificate');
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', key.keyObject.export({ format: 'der', type: 'pkcs8' }), alg, false, ['sign']);
  const publicKey = await subtle.importKey('spki', Buffer.from(key.barePublicKey.public), alg, true, ['verify']);
  // Whole seconds: X.509 times have no fractions, and the cert must not start after `now`.
  const notBefore = new Date(Math.floor(opts.now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + (opts.validityMs ?? ROOT_CERT_VALIDITY_MS));
  const x509 = await x509lib();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex'), // < 2^128; the library adds a 0x00 to keep it positive
    name: [{ CN: [opts.gun] }],
    notBefore,
    notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys: { privateKey, publicKey } as unknown as KeyPair,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
      new x509.BasicConstraintsExtension(false, undefined, true),
    ],
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
