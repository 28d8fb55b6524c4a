// Certificates for the Notation tests, made in-process with @peculiar/x509 so each test can
// set exactly the extension, criticality or validity it is about.
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { x509lib } from '../../src/core/index.js';

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

export interface CertOptions {
  subject: string;
  key: TestKey;
  /** the issuer's certificate and key; absent: self-signed */
  issuer?: { cert: X509.X509Certificate; key: TestKey };
  notBefore?: Date;
  notAfter?: Date;
  /** extension builders, given the library */
  extensions?: (lib: typeof X509) => X509.Extension[];
}

export async function makeCert(o: CertOptions): Promise<X509.X509Certificate> {
  const lib = await x509lib();
  const signer = o.issuer?.key ?? o.key;
  return lib.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(8).toString('hex')}`,
    subject: o.subject,
    issuer: o.issuer ? o.issuer.cert.subject : o.subject,
    notBefore: o.notBefore ?? new Date('2026-01-01T00:00:00Z'),
    notAfter: o.notAfter ?? new Date('2027-01-01T00:00:00Z'),
    signingAlgorithm: { name: signer.alg.name, hash: signer.alg.name === 'ECDSA' ? (signer.alg as { hash: string }).hash : 'SHA-256' },
    publicKey: o.key.pair.publicKey as never,
    signingKey: signer.pair.privateKey as never,
    extensions: o.extensions?.(lib) ?? [],
  });
}

export const caExtensions = (lib: typeof X509): X509.Extension[] => [
  new lib.BasicConstraintsExtension(true, undefined, true),
  new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
];

export const leafExtensions = (lib: typeof X509): X509.Extension[] => [
  new lib.BasicConstraintsExtension(false, undefined, false),
  new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
  new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.codeSigning], false),
];

export const ROOT_SUBJECT = 'C=US, ST=WA, O=Vouch Test, CN=Test Root';
export const LEAF_SUBJECT = 'C=US, ST=WA, L=Seattle, O=Vouch Test, CN=signer';

export interface Chain { root: X509.X509Certificate; leaf: X509.X509Certificate; key: TestKey; ders: Buffer[] }

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
export async function writeSigningChain(dir: string, name: string, o: { leafSubject: string; leafNotAfter: Date; rootNotAfter: Date }): Promise<{ key: string; cert: string; root: X509.X509Certificate }> {
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

/** A CRL signed by `issuer` (its key), listing `entries` (serials in hex; reason default keyCompromise: pkijs cannot read an entry with an empty extension list, which the generator writes without one). */
export async function makeCrl(issuer: { cert: X509.X509Certificate; key: TestKey }, entries: { serial: string; reason?: number; invalidity?: Date; revokedAt?: Date }[], o: { thisUpdate?: Date; nextUpdate?: Date | null } = {}): Promise<Buffer> {
  const lib = await x509lib();
  const crl = await lib.X509CrlGenerator.create({
    issuer: issuer.cert.subject,
    thisUpdate: o.thisUpdate ?? new Date('2026-01-01T00:00:00Z'),
    ...(o.nextUpdate === null ? {} : { nextUpdate: o.nextUpdate ?? new Date('2027-06-01T00:00:00Z') }),
    signingAlgorithm: { name: issuer.key.alg.name, hash: issuer.key.alg.name === 'ECDSA' ? (issuer.key.alg as { hash: string }).hash : 'SHA-256' } as never,
    signingKey: issuer.key.pair.privateKey as never,
    entries: entries.map((e) => ({ serialNumber: e.serial, revocationDate: e.revokedAt ?? new Date('2026-02-01T00:00:00Z'), reason: e.reason ?? 1, ...(e.invalidity ? { invalidity: e.invalidity } : {}) })),
  });
  return Buffer.from(crl.rawData);
}
