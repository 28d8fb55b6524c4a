// Root certificates and trust pinning (notary tuf/data/keys.go, notary server/handlers/validation.go, notary trustpinning/trustpin.go; notary
// trustpinning/certs.go ValidateRoot). node's X509Certificate parses and verifies chains; asn1js
// reads what node does not expose (the signature algorithm, exact validity dates, the subject CN).
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { VouchError, MIN_RSA_BITS, parseCertificateBundle, type PublicKeyData } from '../core/index.js';
import { keyId } from './keyid.js';
import { verifySignatures, type KeyRole, type RejectedSignature } from './verify.js';
import type { Metadata, Root } from './metadata.js';
import { EXPIRY_WARNING_MS } from './time.js';

const DAY_MS = 24 * 60 * 60 * 1000;

// Digests notary refuses in certificate signatures (SHA-1; MD2/MD5 Go cannot verify at all).
const WEAK_HASHES = new Set(['SHA-1', 'MD5', 'MD2']);

export interface CertificateCheck {
  gun: string;
  now: Date;
  /** false for the previous root during rotation: its certificates may have expired. */
  checkExpiry: boolean;
}

/** A root key's certificate bundle split into the leaf and the intermediates. */
export interface CertificateChain {
  readonly leaf: X509Certificate;
  readonly intermediates: readonly X509Certificate[];
}

/** The certificate bundle of an x509 key (leaf first, then CA intermediates). */
export function certificateChain(key: PublicKeyData): CertificateChain {
  if (key.keytype !== 'ecdsa-x509' && key.keytype !== 'rsa-x509') {
    throw new VouchError('INVALID_CERTIFICATE', `a ${key.keytype} key is not a certificate; root keys must be x509`);
  }
  const certs = parseCertificateBundle(key.public);
  const [leaf, ...intermediates] = certs as [X509Certificate, ...X509Certificate[]];
  if (leaf.ca) throw new VouchError('INVALID_CERTIFICATE', 'the first certificate of the bundle is a CA, not a leaf');
  if (intermediates.some((c) => !c.ca)) throw new VouchError('INVALID_CERTIFICATE', 'the bundle holds more than one leaf certificate');
  return { leaf, intermediates };
}

interface CertDetails {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly cn: string | undefined;
  readonly hash: string | undefined;
}

// Signature algorithm OIDs → the digest they use (RSASSA-PSS names its digest in parameters).
const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.10045.4.1': 'SHA-1', '1.2.840.10045.4.3.1': 'SHA-224', '1.2.840.10045.4.3.2': 'SHA-256', '1.2.840.10045.4.3.3': 'SHA-384', '1.2.840.10045.4.3.4': 'SHA-512',
  '1.2.840.113549.1.1.2': 'MD2', '1.2.840.113549.1.1.4': 'MD5', '1.2.840.113549.1.1.5': 'SHA-1', '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.113549.1.1.11': 'SHA-256', '1.2.840.113549.1.1.12': 'SHA-384', '1.2.840.113549.1.1.13': 'SHA-512',
};
const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1', '2.16.840.1.101.3.4.2.4': 'SHA-224', '2.16.840.1.101.3.4.2.1': 'SHA-256', '2.16.840.1.101.3.4.2.2': 'SHA-384', '2.16.840.1.101.3.4.2.3': 'SHA-512',
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_CN = '2.5.4.3';

const seqItems = (n: unknown): asn1js.AsnType[] | undefined => (n instanceof asn1js.Sequence || n instanceof asn1js.Set ? n.valueBlock.value : undefined);
const oidOf = (n: unknown): string | undefined => (n instanceof asn1js.ObjectIdentifier ? n.valueBlock.toString() : undefined);

function signatureHash(alg: asn1js.AsnType[] | undefined): string | undefined {
  const oid = oidOf(alg?.[0]);
  if (oid === undefined) return undefined;
  if (oid !== RSASSA_PSS) return SIGNATURE_HASHES[oid];
  // RSASSA-PSS-params: [0] hashAlgorithm (default SHA-1)
  const params = seqItems(alg?.[1]) ?? [];
  const tagged = params.find((p) => p.idBlock.tagClass === 3 && p.idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
  const hashAlg = seqItems(tagged?.valueBlock.value[0]);
  const h = oidOf(hashAlg?.[0]);
  return h === undefined ? 'SHA-1' : HASH_OIDS[h];
}

function asnTime(n: unknown): Date | undefined {
  return n instanceof asn1js.UTCTime || n instanceof asn1js.GeneralizedTime ? n.toDate() : undefined;
}

function commonNames(subject: asn1js.AsnType[] | undefined): string[] {
  const out: string[] = [];
  for (const rdn of subject ?? []) {
    for (const atv of seqItems(rdn) ?? []) {
      const [type, value] = seqItems(atv) ?? [];
      if (oidOf(type) !== OID_CN || value === undefined) continue;
      const v = (value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
      if (typeof v === 'string') out.push(v);
    }
  }
  return out;
}

function details(cert: X509Certificate): CertDetails {
  const bad = (why: string): VouchError => new VouchError('INVALID_CERTIFICATE', `certificate does not parse: ${why}`);
  const parsed = asn1js.fromBER(new Uint8Array(cert.raw));
  if (parsed.offset === -1) throw bad(parsed.result.error || 'invalid DER');
  const [tbs, sigAlg] = seqItems(parsed.result) ?? [];
  const fields = seqItems(tbs);
  if (fields === undefined) throw bad('no TBSCertificate');
  // An explicit [0] version comes first when present.
  const i = fields[0]?.idBlock.tagClass === 3 ? 1 : 0;
  const validity = seqItems(fields[i + 3]);
  const notBefore = asnTime(validity?.[0]);
  const notAfter = asnTime(validity?.[1]);
  if (notBefore === undefined || notAfter === undefined) throw bad('no validity period');
  const cns = commonNames(seqItems(fields[i + 4]));
  return { notBefore, notAfter, cn: cns.length === 1 ? cns[0] : undefined, hash: signatureHash(seqItems(sigAlg)) };
}

/** The subject CN, if there is exactly one. */
/** The validity period the certificate states (read with asn1js, as every other field here). */
export function certificateValidity(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  const d = details(cert);
  return { notBefore: d.notBefore, notAfter: d.notAfter };
}

export function commonName(cert: X509Certificate): string | undefined {
  return details(cert).cn;
}

/** CN == GUN, or CN = `prefix*` and the GUN starts with prefix. */
export function commonNameMatches(cn: string, gun: string): boolean {
  return cn === gun || (cn.endsWith('*') && gun.startsWith(cn.slice(0, -1)));
}

/** notary ValidateCertificate: dates, no SHA-1, RSA ≥ 2048, and (when asked) the validity window. Returns warnings. */
export function checkCertificate(cert: X509Certificate, now: Date, checkExpiry: boolean): string[] {
  const { notBefore, notAfter, cn: name, hash } = details(cert);
  const cn = name ?? '';
  if (notBefore.getTime() > notAfter.getTime()) throw new VouchError('INVALID_CERTIFICATE', `certificate ${cn} starts after it ends`);
  if (hash === undefined) throw new VouchError('INVALID_CERTIFICATE', `certificate ${cn} has an unsupported signature algorithm`);
  if (WEAK_HASHES.has(hash)) throw new VouchError('INVALID_CERTIFICATE', `certificate ${cn} is signed with ${hash}`);
  const pk = cert.publicKey;
  if ((pk.asymmetricKeyType === 'rsa' || pk.asymmetricKeyType === 'rsa-pss') && (pk.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw new VouchError('WEAK_KEY', `certificate ${cn} has an RSA key under ${MIN_RSA_BITS} bits`);
  }
  if (!checkExpiry) return [];
  // One day of leeway for clocks behind the signer's.
  if (notBefore.getTime() > now.getTime() + DAY_MS) throw new VouchError('INVALID_CERTIFICATE', `certificate ${cn} is not valid before ${notBefore.toISOString()}`);
  if (notAfter.getTime() < now.getTime()) {
    throw new VouchError('EXPIRED', `certificate ${cn} expired at ${notAfter.toISOString()}`, { details: { expires: notAfter.toISOString() } });
  }
  return notAfter.getTime() - now.getTime() < EXPIRY_WARNING_MS ? [`certificate ${cn} expires soon, at ${notAfter.toISOString()}`] : [];
}

/** Checks one root key as a leaf certificate for `gun`; returns its chain and warnings. */
export function checkRootCertificate(key: PublicKeyData, opts: CertificateCheck): CertificateChain & { warnings: string[] } {
  const chain = certificateChain(key);
  const cn = commonName(chain.leaf);
  if (cn === undefined || !commonNameMatches(cn, opts.gun)) {
    throw new VouchError('INVALID_CERTIFICATE', `root certificate CN '${cn ?? ''}' does not match the GUN '${opts.gun}'`, { details: { cn: cn ?? null, gun: opts.gun } });
  }
  return { ...chain, warnings: checkCertificate(chain.leaf, opts.now, opts.checkExpiry) };
}

export interface RootCertificates {
  /** Root-role key ID → chain, for the keys that are valid leaf certificates for the GUN. */
  readonly valid: ReadonlyMap<string, CertificateChain>;
  readonly rejected: readonly RejectedSignature[];
  readonly warnings: readonly string[];
}

/** notary validRootLeafCerts: the root role's keys that are valid leaf certificates; none → INVALID_CERTIFICATE. */
export function validRootCertificates(root: Root, opts: CertificateCheck): RootCertificates {
  const valid = new Map<string, CertificateChain>();
  const rejected: RejectedSignature[] = [];
  const warnings: string[] = [];
  for (const id of root.roles.root.keyids) {
    const key = root.keys.get(id);
    if (key === undefined) continue;
    try {
      const c = checkRootCertificate(key, opts);
      valid.set(id, c);
      warnings.push(...c.warnings);
    } catch (err) {
      if (!(err instanceof VouchError)) throw err;
      rejected.push({ keyid: id, reason: `${err.code}: ${err.message}` });
    }
  }
  if (valid.size === 0) {
    throw new VouchError('INVALID_CERTIFICATE', `could not validate the path to a trusted root: unable to retrieve valid leaf certificates (${rejected.map((r) => r.reason).join('; ') || 'no root keys'})`, {
      details: { rejected },
    });
  }
  return { valid, rejected, warnings };
}

/** `trust_pinning` of the notary client config, with CA bundles given as PEM text (the caller reads the files). */
export interface TrustPinning {
  /** GUN or `prefix*` → allowed root certificate key IDs (x509 TUF IDs). */
  certs?: Readonly<Record<string, readonly string[]>>;
  /** GUN prefix → PEM bundle of CA certificates. */
  ca?: Readonly<Record<string, string>>;
  /** Refuse trust on first use when no pin applies. */
  disableTofu?: boolean;
}

type PinCheck = (keyid: string, chain: CertificateChain) => boolean;

function longestPrefix(keys: Iterable<string>, matches: (k: string) => boolean): string | undefined {
  let best: string | undefined;
  for (const k of keys) if (matches(k) && (best === undefined || k.length > best.length)) best = k;
  return best;
}

/** notary NewTrustPinChecker: certs (exact, then longest wildcard), then CA by longest prefix, then TOFU. */
function trustPinCheck(pinning: TrustPinning, gun: string, now: Date, firstBootstrap: boolean): PinCheck {
  const certs = pinning.certs ?? {};
  const certKey = Object.hasOwn(certs, gun) ? gun : longestPrefix(Object.keys(certs), (k) => k.endsWith('*') && gun.startsWith(k.slice(0, -1)));
  if (certKey !== undefined) {
    const ids = new Set(certs[certKey]);
    return (keyid) => ids.has(keyid);
  }
  const cas = pinning.ca ?? {};
  const caKey = longestPrefix(Object.keys(cas), (k) => gun.startsWith(k));
  if (caKey !== undefined) {
    const pool = parseCertificateBundle(cas[caKey] ?? '');
    for (const ca of pool) checkCertificate(ca, now, true);
    return (_keyid, chain) => chainsTo(chain, pool, now);
  }
  if (!pinning.disableTofu || !firstBootstrap) return () => true;
  throw new VouchError('TRUST_PINNING', `no trust pinning applies to ${gun} and trust on first use is disabled`, { details: { gun } });
}

const MAX_CHAIN = 8;

function timeValid(c: X509Certificate, now: Date): boolean {
  const { notBefore, notAfter } = details(c);
  return notBefore.getTime() <= now.getTime() && now.getTime() <= notAfter.getTime();
}

function chainsTo(chain: CertificateChain, pool: readonly X509Certificate[], now: Date): boolean {
  let cur = chain.leaf;
  for (let i = 0; i < MAX_CHAIN; i++) {
    const issuedBy = (c: X509Certificate): boolean => c.ca && timeValid(c, now) && cur.checkIssued(c) && cur.verify(c.publicKey);
    if (pool.some(issuedBy)) return true;
    const next = chain.intermediates.find(issuedBy);
    if (next === undefined) return false;
    cur = next;
  }
  return false;
}

export interface RootValidation {
  gun: string;
  now: Date;
  /** The currently trusted root; a new root must also satisfy its root role (rotation). */
  previous?: Metadata<Root> | undefined;
  pinning?: TrustPinning | undefined;
}

/**
 * notary ValidateRoot: (1) with a previous root, the new root must carry a threshold of signatures
 * by the previous root's valid leaf certificates (expiry ignored) → ROOT_ROTATION_FAILED;
 * (2) the new root's root keys must be valid leaf certificates for the GUN (expiry checked);
 * (3) they are filtered by trust pinning → TRUST_PINNING; (4) the new root must carry a threshold
 * of its own root keys' signatures. The root's own `expires` is not checked here.
 */
export function validateRoot(root: Metadata<Root>, opts: RootValidation): { warnings: string[] } {
  const warnings: string[] = [];
  if (opts.previous !== undefined) {
    const prev = opts.previous.signed;
    let prevCerts: RootCertificates;
    try {
      prevCerts = validRootCertificates(prev, { gun: opts.gun, now: opts.now, checkExpiry: false });
      verifySignatures(root, certKeyRole('root (previous)', prev, prevCerts.valid, prev.roles.root.threshold));
    } catch (err) {
      if (!(err instanceof VouchError)) throw err;
      throw new VouchError('ROOT_ROTATION_FAILED', `root rotation failed: the new root (version ${root.signed.version}) is not signed by the trusted root's keys: ${err.message}`, {
        cause: err, details: { role: 'root', signedBy: 'previous', version: root.signed.version, trustedVersion: prev.version },
      });
    }
  }
  const own = validRootCertificates(root.signed, { gun: opts.gun, now: opts.now, checkExpiry: true });
  warnings.push(...own.warnings);
  const pin = trustPinCheck(opts.pinning ?? {}, opts.gun, opts.now, opts.previous === undefined);
  const pinned = new Map([...own.valid].filter(([id, chain]) => pin(id, chain)));
  if (pinned.size === 0) {
    throw new VouchError('TRUST_PINNING', `unable to match any root certificate of ${opts.gun} to the trust pinning configuration`, { details: { gun: opts.gun } });
  }
  verifySignatures(root, certKeyRole('root', root.signed, pinned, root.signed.roles.root.threshold));
  return { warnings };
}

function certKeyRole(name: string, root: Root, certs: ReadonlyMap<string, CertificateChain>, threshold: number): KeyRole {
  return { name, keyids: [...certs.keys()], keys: root.keys, threshold };
}

/** The x509 key ID of a certificate bundle PEM (what trust pinning `certs` lists). */
export function certificateKeyId(pem: string, keytype: 'ecdsa-x509' | 'rsa-x509' = 'ecdsa-x509'): string {
  return keyId({ keytype, public: Buffer.from(pem, 'utf8') });
}
