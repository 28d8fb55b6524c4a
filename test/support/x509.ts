// Certificates for the Notation tests, made in-process with src/keys/cert.ts (pkijs) so each test
// can set exactly the extension, criticality or validity it is about.
import { KeyObject, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createCertificate, positiveInteger, x509Time, type CertificateHash, type JsonName } from '../../src/keys/cert.js';
import * as lib from './x509-lib.js';

export type Kind = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ec-256' | 'ec-384' | 'ec-521' | 'rsa-1024';

export interface TestKey { kind: Kind; pair: webcrypto.CryptoKeyPair; privateKey: KeyObject; alg: { name: string; hash?: string } }

const cache = new Map<Kind, Promise<TestKey>>();

/** One key per kind for the whole run (key generation is the slow part). */
export function testKey(kind: Kind, fresh = false): Promise<TestKey> {
  const make = async (): Promise<TestKey> => {
    const [family, size] = kind.split('-') as [string, string];
    const alg = family === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: Number(size), publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: `P-${size}`, hash: ({ 256: 'SHA-256', 384: 'SHA-384', 521: 'SHA-512' } as Record<string, string>)[size] as string };
    const pair = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair;
    return { kind, pair, privateKey: KeyObject.from(pair.privateKey), alg };
  };
  if (fresh) return make();
  let k = cache.get(kind);
  if (!k) { k = make(); cache.set(kind, k); }
  return k;
}

/** RSA keys sign with SHA-256, EC keys with their curve's hash. */
const hashOf = (key: TestKey): CertificateHash => (key.alg.name === 'ECDSA' ? key.alg.hash as CertificateHash : 'SHA-256');

/** `C=US, ST=WA, O=Org, CN=name` (no escapes): the name with one attribute per RDN, in this order; '' is the empty name (a Fulcio leaf's). */
export function parseSubject(subject: string): JsonName {
  if (subject === '') return [];
  return subject.split(/,\s*/).map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`test subject ${JSON.stringify(subject)}: ${JSON.stringify(part)} is not TYPE=VALUE`);
    return { [part.slice(0, eq)]: [part.slice(eq + 1)] };
  });
}

export interface CertOptions {
  subject: string;
  key: TestKey;
  /** the issuer's certificate and key; absent: self-signed */
  issuer?: { cert: lib.X509Certificate; key: TestKey };
  notBefore?: Date;
  notAfter?: Date;
  /** extension builders, given the builders of x509-lib.ts */
  extensions?: (x509: typeof lib) => lib.Extension[];
}

export async function makeCert(o: CertOptions): Promise<lib.X509Certificate> {
  const signer = o.issuer?.key ?? o.key;
  const der = await createCertificate({
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    subject: parseSubject(o.subject),
    ...(o.issuer ? { issuer: o.issuer.cert.subjectDer } : {}),
    notBefore: o.notBefore ?? new Date('2026-01-01T00:00:00Z'),
    notAfter: o.notAfter ?? new Date('2027-01-01T00:00:00Z'),
    publicKey: createPublicKey(o.key.privateKey),
    signingKey: signer.privateKey,
    hash: hashOf(signer),
    extensions: o.extensions?.(lib) ?? [],
  });
  return new lib.X509Certificate(der);
}

export const caExtensions = (x509: typeof lib): lib.Extension[] => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];

export const leafExtensions = (x509: typeof lib): lib.Extension[] => [
  new x509.BasicConstraintsExtension(false, undefined, false),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning], false),
];

export const ROOT_SUBJECT = 'C=US, ST=WA, O=Vouch Test, CN=Test Root';
export const LEAF_SUBJECT = 'C=US, ST=WA, L=Seattle, O=Vouch Test, CN=signer';

export interface Chain { root: lib.X509Certificate; leaf: lib.X509Certificate; key: TestKey; ders: Buffer[] }

/** root (RSA 2048) → leaf of `kind`, both valid through 2026. */
export async function makeChain(kind: Kind = 'ec-256', leaf: Partial<CertOptions> = {}): Promise<Chain> {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions });
  const key = leaf.key ?? await testKey(kind);
  const cert = await makeCert({ subject: LEAF_SUBJECT, key, issuer: { cert: root, key: rootKey }, extensions: leafExtensions, ...leaf });
  return { root, leaf: cert, key, ders: [Buffer.from(cert.rawData), Buffer.from(root.rawData)] };
}

/**
 * A signing key and its chain (leaf, then a root), valid from a day ago until the given dates,
 * written as `dir/NAME.key` (PKCS#8 PEM) and `dir/NAME.crt` (leaf + root PEM) for `vouch notation sign --key --cert`.
 */
export async function writeSigningChain(dir: string, name: string, o: { leafSubject: string; leafNotAfter: Date; rootNotAfter: Date }): Promise<{ key: string; cert: string; root: lib.X509Certificate }> {
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const notBefore = new Date(Date.now() - 86_400_000);
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, notBefore, notAfter: o.rootNotAfter, extensions: caExtensions });
  const leafKey = await testKey('ec-256');
  const leaf = await makeCert({ subject: o.leafSubject, key: leafKey, issuer: { cert: root, key: rootKey }, notBefore, notAfter: o.leafNotAfter, extensions: leafExtensions });
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await writeFile(key, leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(cert, `${leaf.toString('pem')}\n${root.toString('pem')}\n`);
  return { key, cert, root };
}

const OID_CRL_REASON = '2.5.29.21';
const OID_INVALIDITY_DATE = '2.5.29.24';
const crlTime = (value: Date): pkijs.Time => x509Time(pkijs, value);

/** A v2 CRL signed by `issuer` (its key), listing `entries` (serials in hex; reason default keyCompromise, reason 0 written as no reason). */
export async function makeCrl(issuer: { cert: lib.X509Certificate; key: TestKey }, entries: { serial: string; reason?: number; invalidity?: Date; revokedAt?: Date }[], o: { thisUpdate?: Date; nextUpdate?: Date | null } = {}): Promise<Buffer> {
  const ext = (extnID: string, value: asn1js.AsnType): pkijs.Extension => new pkijs.Extension({ extnID, extnValue: value.toBER() });
  const revoked = entries.map((e) => {
    const reason = e.reason ?? 1;
    const extensions = [
      ...(reason ? [ext(OID_CRL_REASON, new asn1js.Enumerated({ value: reason }))] : []),
      ...(e.invalidity ? [ext(OID_INVALIDITY_DATE, new asn1js.GeneralizedTime({ valueDate: e.invalidity }))] : []),
    ];
    return new pkijs.RevokedCertificate({
      userCertificate: new asn1js.Integer({ valueHex: positiveInteger(e.serial.length % 2 === 0 ? e.serial : `0${e.serial}`) }),
      revocationDate: crlTime(e.revokedAt ?? new Date('2026-02-01T00:00:00Z')),
      ...(extensions.length > 0 ? { crlEntryExtensions: new pkijs.Extensions({ extensions }) } : {}),
    });
  });
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    issuer: new pkijs.RelativeDistinguishedNames({ schema: asn1js.fromBER(Uint8Array.from(issuer.cert.subjectDer).buffer).result }),
    thisUpdate: crlTime(o.thisUpdate ?? new Date('2026-01-01T00:00:00Z')),
    ...(o.nextUpdate === null ? {} : { nextUpdate: crlTime(o.nextUpdate ?? new Date('2027-06-01T00:00:00Z')) }),
    ...(revoked.length > 0 ? { revokedCertificates: revoked } : {}),
  });
  await crl.sign(issuer.key.pair.privateKey, hashOf(issuer.key)); // pkijs with node's webcrypto
  return Buffer.from(crl.toSchema(true).toBER());
}
