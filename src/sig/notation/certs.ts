// Certificates of a Notation signature: parsing (node:crypto for keys and signatures,
// @peculiar/x509 for the typed extensions and their criticality) and the code-signing chain rules
// of notation-core-go x509/codesigning_cert_validations.go and x509/helper.go, in their words.
import { X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { VouchError, sha256, x509lib } from '../../core/index.js';
import { MAX_CHAIN_LENGTH } from './constants.js';

export interface Certificate {
  readonly der: Buffer;
  readonly node: NodeCertificate;
  readonly lib: X509.X509Certificate;
  /** for messages: the subject as @peculiar/x509 prints it */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export type JwsAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';
export type HashName = 'sha256' | 'sha384' | 'sha512';

/** The signature algorithm a key must use (notation-core-go internal/algorithm: KeySpec.SignatureAlgorithm). */
export interface KeySpec { readonly type: 'rsa' | 'ec'; readonly size: number; readonly alg: JwsAlgorithm; readonly hash: HashName }

const RSA_SPECS: Record<number, KeySpec> = {
  2048: { type: 'rsa', size: 2048, alg: 'PS256', hash: 'sha256' },
  3072: { type: 'rsa', size: 3072, alg: 'PS384', hash: 'sha384' },
  4096: { type: 'rsa', size: 4096, alg: 'PS512', hash: 'sha512' },
};
const EC_SPECS: Record<string, KeySpec> = {
  prime256v1: { type: 'ec', size: 256, alg: 'ES256', hash: 'sha256' },
  secp384r1: { type: 'ec', size: 384, alg: 'ES384', hash: 'sha384' },
  secp521r1: { type: 'ec', size: 521, alg: 'ES512', hash: 'sha512' },
};

/** The hash an algorithm signs with (notation-core-go signature.Algorithm.Hash): PS256/ES256 → sha256, …. */
export function hashOfAlgorithm(alg: JwsAlgorithm): HashName {
  return `sha${alg.slice(2)}` as HashName;
}

/** RSA 2048/3072/4096 or EC P-256/384/521, nothing else (notation-core-go internal/algorithm ExtractKeySpec). */
export function keySpecOf(key: KeyObject): KeySpec {
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    const spec = RSA_SPECS[bits];
    if (!spec) throw new VouchError('UNSUPPORTED_KEY_TYPE', `rsa key size ${bits} bits is not supported`, { hint: 'Notation signs with RSA 2048, 3072 or 4096, or ECDSA P-256, P-384 or P-521' });
    return spec;
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    const spec = EC_SPECS[curve];
    if (!spec) throw new VouchError('UNSUPPORTED_KEY_TYPE', `ecdsa curve ${curve || 'unknown'} is not supported`, { hint: 'Notation signs with ECDSA P-256, P-384 or P-521, or RSA 2048, 3072 or 4096' });
    return spec;
  }
  throw new VouchError('UNSUPPORTED_KEY_TYPE', `unsupported public key type ${key.asymmetricKeyType ?? 'unknown'}`, { hint: 'Notation signs with RSA (PS256/384/512) or ECDSA (ES256/384/512) keys' });
}

/**
 * Certificates already parsed, by their DER: verifying many artifacts in one process meets the same
 * chains and trust stores again and again, and parsing (with the extensions @peculiar/x509 decodes
 * lazily, once per object) is most of a verification's cost. Bounded; the oldest entry goes first.
 */
const parsedCertificates = new Map<string, Certificate>();
const MAX_PARSED_CERTIFICATES = 512;

/** Parses DER certificates (leaf first); a malformed one is an error naming its position. */
export async function parseCertificates(ders: readonly Uint8Array[], what = 'certificate chain'): Promise<Certificate[]> {
  if (ders.length === 0) throw new VouchError('INVALID_CERTIFICATE', `${what} is empty`);
  if (ders.length > MAX_CHAIN_LENGTH) throw new VouchError('INVALID_CERTIFICATE', `${what} has ${ders.length} certificates, more than the limit of ${MAX_CHAIN_LENGTH}`);
  const lib = await x509lib();
  return ders.map((d, i) => {
    const der = Buffer.from(d);
    const key = der.toString('base64');
    const known = parsedCertificates.get(key);
    if (known) return known;
    try {
      const node = new NodeCertificate(der);
      const parsed = new lib.X509Certificate(der);
      const cert: Certificate = Object.freeze({ der, node, lib: parsed, subject: parsed.subject, notBefore: parsed.notBefore, notAfter: parsed.notAfter });
      if (parsedCertificates.size >= MAX_PARSED_CERTIFICATES) parsedCertificates.delete(parsedCertificates.keys().next().value as string);
      parsedCertificates.set(key, cert);
      return cert;
    } catch (err) {
      throw new VouchError('INVALID_CERTIFICATE', `${what}: certificate #${i + 1} does not parse: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** lowercase hex SHA-256 of the DER, as the thumbprint annotation lists them */
export function thumbprint(cert: Certificate): string {
  return sha256(cert.der).toString('hex');
}

const OID_KEY_USAGE = '2.5.29.15';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_EXT_KEY_USAGE = '2.5.29.37';
export const KU = { digitalSignature: 1, keyEncipherment: 4, dataEncipherment: 8, keyAgreement: 16, keyCertSign: 32, cRLSign: 64, encipherOnly: 128, decipherOnly: 256 };
/** EKUs a code-signing leaf must not carry (validateCodeSigningExtendedKeyUsage). */
const EXCLUDED_EKUS: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'ServerAuth', '1.3.6.1.5.5.7.3.2': 'ClientAuth', '1.3.6.1.5.5.7.3.4': 'EmailProtection',
  '1.3.6.1.5.5.7.3.8': 'Timestamping', '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};
/** Go's crypto/x509 refuses signatures over these digests (InsecureAlgorithmError). */
const INSECURE_HASHES = new Set(['SHA-1', 'MD5', 'MD2']);

const invalid = (msg: string): VouchError => new VouchError('INVALID_CERTIFICATE', msg);

export function extension(cert: Certificate, oid: string): X509.Extension | undefined {
  return cert.lib.extensions.find((e) => e.type === oid);
}

export function basicConstraints(cert: Certificate): { ca: boolean; pathLength?: number } | undefined {
  const e = extension(cert, OID_BASIC_CONSTRAINTS) as (X509.BasicConstraintsExtension | undefined);
  return e ? { ca: e.ca, ...(e.pathLength !== undefined ? { pathLength: e.pathLength } : {}) } : undefined;
}

export function keyUsage(cert: Certificate): { critical: boolean; usages: number } | undefined {
  const e = extension(cert, OID_KEY_USAGE) as (X509.KeyUsagesExtension | undefined);
  return e ? { critical: e.critical, usages: e.usages } : undefined;
}

/** isIssuedBy answers for parsed certificates (which are shared, see parseCertificates): a signature check each is costly. */
const issuedBy = new WeakMap<Certificate, WeakMap<Certificate, boolean>>();

/** The signature over `cert` verifies with `issuer`'s key, with an acceptable digest, and the names chain. */
export function isIssuedBy(cert: Certificate, issuer: Certificate): boolean {
  let known = issuedBy.get(cert);
  if (!known) { known = new WeakMap(); issuedBy.set(cert, known); }
  let answer = known.get(issuer);
  if (answer === undefined) { answer = checkIssuedBy(cert, issuer); known.set(issuer, answer); }
  return answer;
}

function checkIssuedBy(cert: Certificate, issuer: Certificate): boolean {
  // Go's CheckSignatureFrom: the parent must be a CA.
  if (!basicConstraints(issuer)?.ca) return false;
  let hash: string | undefined;
  try { hash = (cert.lib.signatureAlgorithm as { hash?: { name?: string } }).hash?.name; } catch { hash = undefined; }
  if (hash !== undefined && INSECURE_HASHES.has(hash.toUpperCase())) return false;
  let ok = false;
  try { ok = cert.node.verify(issuer.node.publicKey); } catch { ok = false; }
  return ok && Buffer.from(issuer.lib.subjectName.toArrayBuffer()).equals(Buffer.from(cert.lib.issuerName.toArrayBuffer()));
}

function checkSelfSignature(cert: Certificate): boolean {
  try { return cert.node.verify(cert.node.publicKey); } catch { return false; }
}

function sameName(a: X509.Name, b: X509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()));
}

function checkSigningTime(cert: Certificate, signingTime: Date | undefined): void {
  if (signingTime === undefined) return;
  if (signingTime < cert.notBefore || signingTime > cert.notAfter) {
    throw invalid(`certificate with subject "${cert.subject}" was invalid at signing time of ${signingTime.toISOString()}. Certificate is valid from [${cert.notBefore.toISOString()}] to [${cert.notAfter.toISOString()}]`);
  }
}

/** What a chain is for: code signing (the signature's chain) or timestamping (a TSA's chain). */
export type ChainPurpose = 'codeSigning' | 'timestamping';

/** Code signing wants keyUsage critical; timestamping only present (validateTimestampingKeyUsagePresent). */
function checkKeyUsagePresent(cert: Certificate, purpose: ChainPurpose): { usages: number } {
  const ku = keyUsage(cert);
  if (!ku) throw invalid(`certificate with subject "${cert.subject}": key usage extension must be present`);
  if (!ku.critical && purpose === 'codeSigning') throw invalid(`certificate with subject "${cert.subject}": key usage extension must be marked critical`);
  return ku;
}

const OID_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

/** RFC 3161 §2.3, notation-core-go validateTimestampingExtendedKeyUsage: exactly timeStamping, critical. */
export function checkTimestampingEku(cert: Certificate): void {
  const eku = extension(cert, OID_EXT_KEY_USAGE) as (X509.ExtendedKeyUsageExtension | undefined);
  const usages = (eku?.usages ?? []).map(String);
  if (usages.length !== 1 || usages[0] !== OID_TIME_STAMPING) throw invalid(`timestamp signing certificate with subject "${cert.subject}" must have and only have Timestamping as extended key usage`);
  if (!eku?.critical) throw invalid(`timestamp signing certificate with subject "${cert.subject}" must have extended key usage extension marked as critical`);
}

function checkLeaf(cert: Certificate, purpose: ChainPurpose): void {
  if (basicConstraints(cert)?.ca) throw invalid(`certificate with subject "${cert.subject}": if the basic constraints extension is present, the ca field must be set to false`);
  const { usages } = checkKeyUsagePresent(cert, purpose);
  if ((usages & KU.digitalSignature) === 0) throw invalid(`the certificate with subject "${cert.subject}" is invalid. The key usage must have the bit positions for "Digital Signature" set`);
  const bad = (Object.entries({ KeyEncipherment: KU.keyEncipherment, DataEncipherment: KU.dataEncipherment, KeyAgreement: KU.keyAgreement, CertSign: KU.keyCertSign, CRLSign: KU.cRLSign, EncipherOnly: KU.encipherOnly, DecipherOnly: KU.decipherOnly }))
    .filter(([, bit]) => (usages & bit) !== 0).map(([name]) => `"${name}"`);
  if (bad.length > 0) throw invalid(`the certificate with subject "${cert.subject}" is invalid. The key usage must be "Digital Signature" only, but found ${bad.join(', ')}`);
  if (purpose === 'timestamping') checkTimestampingEku(cert);
  else {
    const eku = extension(cert, OID_EXT_KEY_USAGE) as (X509.ExtendedKeyUsageExtension | undefined);
    for (const usage of eku?.usages ?? []) {
      const name = EXCLUDED_EKUS[String(usage)];
      if (name) throw invalid(`certificate with subject "${cert.subject}": extended key usage must not contain ${name} eku`);
    }
  }
  try { keySpecOf(cert.node.publicKey); } catch (err) {
    throw invalid(`certificate with subject "${cert.subject}": ${(err as Error).message}`);
  }
}

function checkCa(cert: Certificate, expectedPathLen: number, purpose: ChainPurpose): void {
  const bc = basicConstraints(cert);
  if (!bc?.ca) throw invalid(`certificate with subject "${cert.subject}": ca field in basic constraints must be present, critical, and set to true`);
  if (bc.pathLength !== undefined && bc.pathLength < expectedPathLen) {
    throw invalid(`certificate with subject "${cert.subject}": expected path length of ${expectedPathLen} but certificate has path length ${bc.pathLength} instead`);
  }
  const { usages } = checkKeyUsagePresent(cert, purpose);
  if ((usages & KU.keyCertSign) === 0) throw invalid(`certificate with subject "${cert.subject}": key usage must have the bit positions for key cert sign set`);
}

/**
 * notation-core-go ValidateCodeSigningCertChain: leaf first, ordered, ending in a self-signed root;
 * the leaf rules (critical keyUsage with digitalSignature only, no CA, no server/client/email/
 * timestamping/OCSP EKU, a supported key) and the CA rules (cA, pathLen, keyCertSign). A chain of
 * one self-signed certificate must satisfy the leaf rules. With `signingTime`, every certificate
 * must be valid then (checked when signing; verification leaves time to the policy checks).
 */
export function validateCodeSigningChain(chain: readonly Certificate[], signingTime?: Date): void {
  validateChain(chain, 'codeSigning', signingTime);
}

/**
 * notation-core-go ValidateTimestampingCertChain: the same chain shape, a leaf with keyUsage
 * (digitalSignature only) and exactly one, critical, timeStamping EKU; CAs with keyCertSign.
 */
export function validateTimestampingChain(chain: readonly Certificate[]): void {
  validateChain(chain, 'timestamping');
}

function validateChain(chain: readonly Certificate[], purpose: ChainPurpose, signingTime?: Date): void {
  if (chain.length === 0) throw invalid('certificate chain must contain at least one certificate');
  if (chain.length === 1) {
    const cert = chain[0] as Certificate;
    if (!checkSelfSignature(cert)) throw invalid(`invalid self-signed certificate. subject: "${cert.subject}". Error: the signature does not verify with its own key`);
    if (!sameName(cert.lib.subjectName, cert.lib.issuerName)) throw invalid(`invalid self-signed certificate. subject: "${cert.subject}". Error: issuer(${cert.lib.issuer}) and subject(${cert.subject}) are not the same`);
    checkSigningTime(cert, signingTime);
    try { checkLeaf(cert, purpose); } catch (err) { throw invalid(`invalid self-signed certificate. Error: ${(err as Error).message}`); }
    return;
  }
  chain.forEach((cert, i) => {
    checkSigningTime(cert, signingTime);
    if (i === chain.length - 1) {
      if (!isIssuedBy(cert, cert)) throw invalid(`root certificate with subject "${cert.subject}" is not self-signed. Certificate chain must end with a valid self-signed root certificate`);
    } else {
      if (isIssuedBy(cert, cert)) {
        throw invalid(i === 0
          ? `leaf certificate with subject "${cert.subject}" is self-signed. Certificate chain must not contain self-signed leaf certificate`
          : `intermediate certificate with subject "${cert.subject}" is self-signed. Certificate chain must not contain self-signed intermediate certificate`);
      }
      const parent = chain[i + 1] as Certificate;
      if (!isIssuedBy(cert, parent)) throw invalid(`certificate with subject "${cert.subject}" is not issued by "${parent.subject}"`);
    }
    if (i === 0) checkLeaf(cert, purpose);
    else checkCa(cert, i - 1, purpose);
  });
}
