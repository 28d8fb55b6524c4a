// Root keys live in root.json as a self-signed certificate (notary tuf/data/keys.go; docker/cli cli/trust/trust.go), made like notary's
// cryptoservice.GenerateCertificate: CN = GUN, 10 × 365 days, ECDSA P-256 with SHA-256,
// KeyUsage {digitalSignature, keyEncipherment} (critical), ExtKeyUsage {codeSigning},
// BasicConstraints CA:FALSE (critical), random serial below 2^128.
// Certificates are assembled with pkijs (loaded on first use: most commands never make one) and
// signed with node:crypto.
import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import type * as Pkijs from 'pkijs';
import { EXT_KEY_USAGE, KEY_USAGE, NAME_ATTRIBUTE_OIDS, OID_BASIC_CONSTRAINTS, OID_EXT_KEY_USAGE, OID_KEY_USAGE, VouchError } from '../core/index.js';
import { generateKey, type PrivateKey } from './key.js';
import { encodePem } from './pem.js';

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
  return createSelfSignedCertificate(key.keyObject, {
    serialNumber: randomBytes(16).toString('hex'), // < 2^128; a 0x00 is added to keep it positive
    subject: [{ CN: [opts.gun] }],
    now: opts.now,
    validityMs: opts.validityMs ?? ROOT_CERT_VALIDITY_MS,
    extensions: [
      keyUsageExtension(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment, true),
      extendedKeyUsageExtension([EXT_KEY_USAGE.codeSigning], false),
      basicConstraintsExtension(false, undefined, true),
    ],
  });
}

/** A name as its RDNs in DER order, `[{ C: ['US'] }, { CN: ['name'] }]`; more than one value makes an RDN multi-valued. */
export type JsonName = readonly Readonly<Record<string, readonly string[]>>[];

/** One certificate extension: its OID, criticality and the DER inside extnValue. */
export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface SelfSignedCertOptions {
  /** hex */
  serialNumber: string;
  /** the subject (and issuer) */
  subject: JsonName;
  /** the clock: notBefore (whole seconds) */
  now: Date;
  validityMs: number;
  extensions: readonly CertificateExtension[];
}

/**
 * PEM of a certificate `privateKey` signs for itself: ECDSA P-256 with SHA-256, or RSA with
 * SHA-256 (PKCS #1 v1.5, Go's x509.CreateCertificate default for RSA keys).
 */
export async function createSelfSignedCertificate(privateKey: KeyObject, opts: SelfSignedCertOptions): Promise<string> {
  if (Number.isNaN(opts.now.getTime())) throw new VouchError('INVALID_ARGUMENT', 'invalid clock value for the certificate');
  const rsa = privateKey.asymmetricKeyType === 'rsa';
  if (!rsa && !(privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'prime256v1')) {
    throw new VouchError('UNSUPPORTED_KEY_TYPE', 'self-signed certificates are made for RSA and ECDSA P-256 keys');
  }
  // Whole seconds: X.509 times have no fractions, and the cert must not start after `now`.
  const notBefore = new Date(Math.floor(opts.now.getTime() / 1000) * 1000);
  const der = await createCertificate({
    serialNumber: opts.serialNumber,
    subject: opts.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + opts.validityMs),
    publicKey: createPublicKey(privateKey),
    signingKey: privateKey,
    extensions: opts.extensions,
  });
  // Same text as Go's pem.EncodeToMemory: 64-column base64 and a trailing newline.
  return encodePem({ type: 'CERTIFICATE', bytes: der });
}

export type CertificateHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface CertificateFields {
  /** hex; leading zero bytes are dropped and a 0x00 is added when the high bit is set (a positive INTEGER) */
  serialNumber: string;
  subject: JsonName;
  /** the issuer's name: a JsonName, or the DER of the issuer certificate's subject; default: the subject */
  issuer?: JsonName | Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** the certified key (public) */
  publicKey: KeyObject;
  /** the issuer's private key (RSA: PKCS #1 v1.5; EC: ECDSA) */
  signingKey: KeyObject;
  /** default SHA-256 */
  hash?: CertificateHash;
  extensions: readonly CertificateExtension[];
}

/** Signature algorithm OIDs (RFC 5758 §3.2, RFC 4055 §5, RFC 3279 §2.2.1/§2.2.3). */
const SIGNATURE_OIDS: Record<'rsa' | 'ec', Record<CertificateHash, string>> = {
  rsa: { 'SHA-1': '1.2.840.113549.1.1.5', 'SHA-256': '1.2.840.113549.1.1.11', 'SHA-384': '1.2.840.113549.1.1.12', 'SHA-512': '1.2.840.113549.1.1.13' },
  ec: { 'SHA-1': '1.2.840.10045.4.1', 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3', 'SHA-512': '1.2.840.10045.4.3.4' },
};

/** The DER of an X.509 v3 certificate with `fields`, signed with `signingKey`. */
export async function createCertificate(fields: CertificateFields): Promise<Buffer> {
  const pkijs = await import('pkijs');
  const type = fields.signingKey.asymmetricKeyType;
  if (fields.signingKey.type !== 'private' || (type !== 'rsa' && type !== 'ec')) {
    throw new VouchError('UNSUPPORTED_KEY_TYPE', 'certificates are signed with RSA or ECDSA private keys');
  }
  const hash = fields.hash ?? 'SHA-256';
  // RSA signature algorithms carry NULL parameters, ECDSA ones none (RFC 4055 §5, RFC 5758 §3.2).
  const algorithm = (): Pkijs.AlgorithmIdentifier => new pkijs.AlgorithmIdentifier({
    algorithmId: SIGNATURE_OIDS[type][hash], ...(type === 'rsa' ? { algorithmParams: new asn1js.Null() } : {}),
  });
  const name = (der: Uint8Array): Pkijs.RelativeDistinguishedNames =>
    new pkijs.RelativeDistinguishedNames({ schema: fromDer(der, 'a certificate name') });
  const subject = encodeName(fields.subject);
  const issuer = fields.issuer === undefined ? subject : fields.issuer instanceof Uint8Array ? fields.issuer : encodeName(fields.issuer);
  const cert = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: positiveInteger(fields.serialNumber) }),
    signature: algorithm(),
    issuer: name(issuer),
    notBefore: x509Time(pkijs, fields.notBefore),
    notAfter: x509Time(pkijs, fields.notAfter),
    subject: name(subject),
    subjectPublicKeyInfo: new pkijs.PublicKeyInfo({ schema: fromDer(fields.publicKey.export({ format: 'der', type: 'spki' }), 'a public key') }),
    extensions: fields.extensions.map((e) => new pkijs.Extension({ extnID: e.oid, critical: e.critical, extnValue: toArrayBuffer(e.value) })),
    signatureAlgorithm: algorithm(),
  });
  const tbs = cert.encodeTBS().toBER();
  // node signs ECDSA as a DER SEQUENCE of r and s, which is what X.509 carries (RFC 5758 §3.2).
  cert.signatureValue = new asn1js.BitString({ valueHex: sign(hash.replace('-', '').toLowerCase(), Buffer.from(tbs), fields.signingKey) });
  return Buffer.from(cert.toSchema(true).toBER());
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5, §5.1.2.4), in whole seconds. */
export function x509Time(pkijs: typeof Pkijs, date: Date): Pkijs.Time {
  if (Number.isNaN(date.getTime())) throw new VouchError('INVALID_ARGUMENT', 'invalid certificate validity date');
  const value = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: value.getUTCFullYear() > 2049 ? 1 : 0, value });
}

function fromDer(der: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  if (parsed.offset === -1) throw new VouchError('INVALID_ARGUMENT', `${what} is not DER: ${parsed.result.error}`);
  return parsed.result;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The minimal two's-complement octets of a positive serial given in hex (RFC 5280 §4.1.2.2). */
export function positiveInteger(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex) || /^0+$/.test(hex)) throw new VouchError('INVALID_ARGUMENT', 'a certificate serial number must be non-zero hex');
  const bytes = Buffer.from(hex, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = bytes.subarray(start);
  return (body[0] as number) > 0x7f ? Buffer.concat([Buffer.from([0]), body]) : body;
}

/** Characters a PrintableString may hold (X.680 §41.4); other values are written as UTF8String. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const IA5_ATTRIBUTES = new Set([NAME_ATTRIBUTE_OIDS.E, NAME_ATTRIBUTE_OIDS.DC]);

/**
 * The DER of a name: attribute types by short name (NAME_ATTRIBUTE_OIDS) or dotted OID; values as
 * PrintableString when they fit, else UTF8String; emailAddress and domainComponent as IA5String
 * (RFC 5280 §4.1.2.6 and appendix A.1).
 */
export function encodeName(name: JsonName): Buffer {
  const rdns = name.map((rdn) => new asn1js.Set({
    value: Object.entries(rdn).flatMap(([type, values]) => values.map((value) => {
      const oid = NAME_ATTRIBUTE_OIDS[type] ?? (/^\d+(?:\.\d+)+$/.test(type) ? type : undefined);
      if (oid === undefined) throw new VouchError('INVALID_ARGUMENT', `unknown name attribute type ${JSON.stringify(type)}`);
      const string = IA5_ATTRIBUTES.has(oid) ? new asn1js.IA5String({ value }) : PRINTABLE.test(value) ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
      return new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), string] });
    })),
  }));
  return Buffer.from(new asn1js.Sequence({ value: rdns }).toBER());
}

const extension = (oid: string, critical: boolean, value: asn1js.AsnType): CertificateExtension =>
  ({ oid, critical, value: new Uint8Array(value.toBER()) });

/** keyUsage with the bits of `usages` (KEY_USAGE), in the fewest octets (RFC 5280 §4.2.1.3); none is an empty BIT STRING. */
export function keyUsageExtension(usages: number, critical = false): CertificateExtension {
  const bits = usages === 0 ? [] : usages.toString(2).split('').reverse(); // bits[n] is bit n, the nth from the left in the BIT STRING
  const octets = new Uint8Array((bits.length + 7) >> 3);
  bits.forEach((b, n) => { if (b === '1') octets[n >> 3] = (octets[n >> 3] as number) | (0x80 >> (n & 7)); });
  return extension(OID_KEY_USAGE, critical, new asn1js.BitString({ valueHex: octets, unusedBits: octets.length * 8 - bits.length }));
}

/** extendedKeyUsage with these purposes (RFC 5280 §4.2.1.12). */
export function extendedKeyUsageExtension(purposes: readonly string[], critical = false): CertificateExtension {
  return extension(OID_EXT_KEY_USAGE, critical, new asn1js.Sequence({ value: purposes.map((p) => new asn1js.ObjectIdentifier({ value: p })) }));
}

/** basicConstraints; cA FALSE is left out as DER requires for a DEFAULT (RFC 5280 §4.2.1.9). */
export function basicConstraintsExtension(ca: boolean, pathLength?: number, critical = false): CertificateExtension {
  return extension(OID_BASIC_CONSTRAINTS, critical, new asn1js.Sequence({
    value: [...(ca ? [new asn1js.Boolean({ value: true })] : []), ...(pathLength !== undefined ? [new asn1js.Integer({ value: pathLength })] : [])],
  }));
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
