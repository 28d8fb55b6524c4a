// Certificates of a Notation signature: parsing (node:crypto for keys and signatures, pkijs for
// the fields node does not expose: names as DER, typed extensions and their criticality, the
// signature algorithm) and the code-signing chain rules of notation-core-go
// x509/codesigning_cert_validations.go and x509/helper.go, in their words.
import { X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EXT_KEY_USAGE, KEY_USAGE, OID_BASIC_CONSTRAINTS, OID_EXT_KEY_USAGE, OID_KEY_USAGE, VouchError, sha256 } from '../../core/index.js';
import { MAX_CHAIN_LENGTH } from './constants.js';
import { nameText } from './dn.js';

export interface Certificate {
  readonly der: Buffer;
  readonly node: NodeCertificate;
  readonly pkijs: pkijs.Certificate;
  /** for messages: the subject as dn.ts nameText prints it (`C=US, ST=WA, O=…, CN=…`) */
  readonly subject: string;
  readonly issuer: string;
  /** the names exactly as encoded in the certificate (Go's RawSubject, RawIssuer) */
  readonly subjectDer: Buffer;
  readonly issuerDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly basicConstraints?: { readonly critical: boolean; readonly ca: boolean; readonly pathLength?: number };
  readonly keyUsage?: { readonly critical: boolean; readonly usages: number };
  readonly extKeyUsage?: { readonly critical: boolean; readonly usages: readonly string[] };
  /** the digest of the certificate's signature (SHA-256, …), undefined for an algorithm not listed in SIGNATURE_HASHES */
  readonly signatureHash?: string;
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
 * chains and trust stores again and again, and parsing is most of a verification's cost. Bounded;
 * the oldest entry goes first.
 */
const parsedCertificates = new Map<string, Certificate>();
const MAX_PARSED_CERTIFICATES = 512;

/** Parses DER certificates (leaf first); a malformed one is an error naming its position. */
export async function parseCertificates(ders: readonly Uint8Array[], what = 'certificate chain'): Promise<Certificate[]> {
  if (ders.length === 0) throw new VouchError('INVALID_CERTIFICATE', `${what} is empty`);
  if (ders.length > MAX_CHAIN_LENGTH) throw new VouchError('INVALID_CERTIFICATE', `${what} has ${ders.length} certificates, more than the limit of ${MAX_CHAIN_LENGTH}`);
  return Promise.resolve(ders.map((d, i) => parseCertificate(d, `${what}: certificate #${i + 1}`)));
}

/** One DER certificate (remembered, see parsedCertificates); a malformed one is INVALID_CERTIFICATE naming `what`. */
export function parseCertificate(d: Uint8Array, what = 'certificate'): Certificate {
  const der = Buffer.from(d);
  const key = der.toString('base64');
  const known = parsedCertificates.get(key);
  if (known) return known;
  try {
    const cert = readCertificate(der);
    if (parsedCertificates.size >= MAX_PARSED_CERTIFICATES) parsedCertificates.delete(parsedCertificates.keys().next().value as string);
    parsedCertificates.set(key, cert);
    return cert;
  } catch (err) {
    throw new VouchError('INVALID_CERTIFICATE', `${what} does not parse: ${(err as Error).message}`, { cause: err });
  }
}

function readCertificate(der: Buffer): Certificate {
  const node = new NodeCertificate(der);
  const parsed = pkijs.Certificate.fromBER(der);
  const subjectDer = Buffer.from(parsed.subject.valueBeforeDecode);
  const issuerDer = Buffer.from(parsed.issuer.valueBeforeDecode);
  const extensions = parsed.extensions ?? [];
  const find = (oid: string): pkijs.Extension | undefined => extensions.find((e) => e.extnID === oid);
  const bc = find(OID_BASIC_CONSTRAINTS);
  const ku = find(OID_KEY_USAGE);
  const eku = find(OID_EXT_KEY_USAGE);
  const signatureHash = SIGNATURE_HASHES[parsed.signatureAlgorithm.algorithmId] ?? (parsed.signatureAlgorithm.algorithmId === OID_RSA_PSS ? pssHash(parsed.signatureAlgorithm) : undefined);
  return Object.freeze({
    der, node, pkijs: parsed,
    subject: nameText(subjectDer), issuer: nameText(issuerDer), subjectDer, issuerDer,
    notBefore: parsed.notBefore.value, notAfter: parsed.notAfter.value,
    ...(bc ? { basicConstraints: { critical: bc.critical, ...readBasicConstraints(bc) } } : {}),
    ...(ku ? { keyUsage: { critical: ku.critical, usages: readKeyUsage(ku) } } : {}),
    ...(eku ? { extKeyUsage: { critical: eku.critical, usages: readExtKeyUsage(eku) } } : {}),
    ...(signatureHash ? { signatureHash } : {}),
  });
}

/** The DER inside an extension's extnValue, which must be one whole element. */
function extensionValue(e: pkijs.Extension, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(e.extnValue.valueBlock.valueHexView);
  if (parsed.offset !== e.extnValue.valueBlock.valueHexView.byteLength) throw new Error(`the ${what} extension does not parse`);
  return parsed.result;
}

function readBasicConstraints(e: pkijs.Extension): { ca: boolean; pathLength?: number } {
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
  const parts = extensionValue(e, 'basic constraints');
  const values = parts instanceof asn1js.Sequence ? parts.valueBlock.value : [];
  const ca = values[0] instanceof asn1js.Boolean ? values[0] : undefined;
  const len = values[ca ? 1 : 0];
  if (!(parts instanceof asn1js.Sequence) || values.length > (ca ? 1 : 0) + 1 || (len !== undefined && !(len instanceof asn1js.Integer))) {
    throw new Error('the basic constraints extension does not parse');
  }
  return { ca: ca?.valueBlock.value ?? false, ...(len instanceof asn1js.Integer ? { pathLength: len.valueBlock.valueDec } : {}) };
}

/** bit n of the BIT STRING as 1 << n, for the nine named bits (Go's x509 parseKeyUsageExtension). */
function readKeyUsage(e: pkijs.Extension): number {
  const bits = extensionValue(e, 'key usage');
  if (!(bits instanceof asn1js.BitString)) throw new Error('the key usage extension does not parse');
  const octets = bits.valueBlock.valueHexView;
  const length = octets.byteLength * 8 - bits.valueBlock.unusedBits;
  let usages = 0;
  for (let n = 0; n < 9 && n < length; n++) if (((octets[n >> 3] as number) & (0x80 >> (n & 7))) !== 0) usages |= 1 << n;
  return usages;
}

function readExtKeyUsage(e: pkijs.Extension): string[] {
  const purposes = extensionValue(e, 'extended key usage');
  const values = purposes instanceof asn1js.Sequence ? purposes.valueBlock.value : undefined;
  if (!values?.every((v) => v instanceof asn1js.ObjectIdentifier)) throw new Error('the extended key usage extension does not parse');
  return values.map((v) => (v as asn1js.ObjectIdentifier).valueBlock.toString());
}

const OID_RSA_PSS = '1.2.840.113549.1.1.10';
/** The digests of signature algorithms by OID (RFC 3279 §2.2, RFC 4055 §5, RFC 5758 §3.2). */
const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'MD2', '1.2.840.113549.1.1.4': 'MD5', '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.11': 'SHA-256', '1.2.840.113549.1.1.12': 'SHA-384', '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.10045.4.1': 'SHA-1', '1.2.840.10045.4.3.2': 'SHA-256', '1.2.840.10045.4.3.3': 'SHA-384', '1.2.840.10045.4.3.4': 'SHA-512',
  '1.2.840.10040.4.3': 'SHA-1', '1.3.14.3.2.29': 'SHA-1',
};

/** RSASSA-PSS names its digest in the parameters; absent, it is SHA-1 (RFC 4055 §3.1). */
function pssHash(alg: pkijs.AlgorithmIdentifier): string | undefined {
  try {
    const params = new pkijs.RSASSAPSSParams({ schema: alg.algorithmParams });
    return DIGEST_NAMES[params.hashAlgorithm.algorithmId];
  } catch {
    return undefined;
  }
}
const DIGEST_NAMES: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1', '2.16.840.1.101.3.4.2.1': 'SHA-256', '2.16.840.1.101.3.4.2.2': 'SHA-384', '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

/** lowercase hex SHA-256 of the DER, as the thumbprint annotation lists them */
export function thumbprint(cert: Certificate): string {
  return sha256(cert.der).toString('hex');
}

/** EKUs a code-signing leaf must not carry (validateCodeSigningExtendedKeyUsage). */
const EXCLUDED_EKUS: Record<string, string> = {
  [EXT_KEY_USAGE.serverAuth]: 'ServerAuth', [EXT_KEY_USAGE.clientAuth]: 'ClientAuth', [EXT_KEY_USAGE.emailProtection]: 'EmailProtection',
  [EXT_KEY_USAGE.timeStamping]: 'Timestamping', [EXT_KEY_USAGE.ocspSigning]: 'OCSPSigning',
};
/** Go's crypto/x509 refuses signatures over these digests (InsecureAlgorithmError). */
const INSECURE_HASHES = new Set(['SHA-1', 'MD5', 'MD2']);

const invalid = (msg: string): VouchError => new VouchError('INVALID_CERTIFICATE', msg);

/** The extension with this OID, as pkijs parsed it (the first, if a certificate repeats one). */
export function extension(cert: Certificate, oid: string): pkijs.Extension | undefined {
  return cert.pkijs.extensions?.find((e) => e.extnID === oid);
}

export function basicConstraints(cert: Certificate): { ca: boolean; pathLength?: number } | undefined {
  const bc = cert.basicConstraints;
  return bc ? { ca: bc.ca, ...(bc.pathLength !== undefined ? { pathLength: bc.pathLength } : {}) } : undefined;
}

export function keyUsage(cert: Certificate): { critical: boolean; usages: number } | undefined {
  return cert.keyUsage ? { ...cert.keyUsage } : undefined;
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
  if (cert.signatureHash !== undefined && INSECURE_HASHES.has(cert.signatureHash)) return false;
  let ok = false;
  try { ok = cert.node.verify(issuer.node.publicKey); } catch { ok = false; }
  return ok && issuer.subjectDer.equals(cert.issuerDer);
}

function checkSelfSignature(cert: Certificate): boolean {
  try { return cert.node.verify(cert.node.publicKey); } catch { return false; }
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

/** RFC 3161 §2.3, notation-core-go validateTimestampingExtendedKeyUsage: exactly timeStamping, critical. */
export function checkTimestampingEku(cert: Certificate): void {
  const eku = cert.extKeyUsage;
  const usages = eku?.usages ?? [];
  if (usages.length !== 1 || usages[0] !== EXT_KEY_USAGE.timeStamping) throw invalid(`timestamp signing certificate with subject "${cert.subject}" must have and only have Timestamping as extended key usage`);
  if (!eku?.critical) throw invalid(`timestamp signing certificate with subject "${cert.subject}" must have extended key usage extension marked as critical`);
}

function checkLeaf(cert: Certificate, purpose: ChainPurpose): void {
  if (basicConstraints(cert)?.ca) throw invalid(`certificate with subject "${cert.subject}": if the basic constraints extension is present, the ca field must be set to false`);
  const { usages } = checkKeyUsagePresent(cert, purpose);
  if ((usages & KEY_USAGE.digitalSignature) === 0) throw invalid(`the certificate with subject "${cert.subject}" is invalid. The key usage must have the bit positions for "Digital Signature" set`);
  const bad = (Object.entries({ KeyEncipherment: KEY_USAGE.keyEncipherment, DataEncipherment: KEY_USAGE.dataEncipherment, KeyAgreement: KEY_USAGE.keyAgreement, CertSign: KEY_USAGE.keyCertSign, CRLSign: KEY_USAGE.cRLSign, EncipherOnly: KEY_USAGE.encipherOnly, DecipherOnly: KEY_USAGE.decipherOnly }))
    .filter(([, bit]) => (usages & bit) !== 0).map(([name]) => `"${name}"`);
  if (bad.length > 0) throw invalid(`the certificate with subject "${cert.subject}" is invalid. The key usage must be "Digital Signature" only, but found ${bad.join(', ')}`);
  if (purpose === 'timestamping') checkTimestampingEku(cert);
  else {
    for (const usage of cert.extKeyUsage?.usages ?? []) {
      const name = EXCLUDED_EKUS[usage];
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
  if ((usages & KEY_USAGE.keyCertSign) === 0) throw invalid(`certificate with subject "${cert.subject}": key usage must have the bit positions for key cert sign set`);
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
    if (!cert.subjectDer.equals(cert.issuerDer)) throw invalid(`invalid self-signed certificate. subject: "${cert.subject}". Error: issuer(${cert.issuer}) and subject(${cert.subject}) are not the same`);
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
