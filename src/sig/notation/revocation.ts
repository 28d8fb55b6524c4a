// Revocation of a certificate chain by OCSP (ocsp.ts) and CRL, as notation-core-go v1.3
// revocation/revocation.go and revocation/internal/crl/crl.go decide it: OCSP first where a
// certificate names a responder, its CRLs when OCSP cannot decide; every certificate but the root that names CRL
// distribution points is looked up in each of their CRLs (fetched by the caller: the network, a
// cache, or the cache only), each CRL signed by the certificate's issuer, not expired, without
// unknown critical extensions; a serial listed with a reason other than removeFromCRL is revoked
// (certificateHold included), unless an invalidity date after the authentic signing time says
// otherwise. Any CRL that cannot be fetched or trusted makes the status unknown. The results
// combine as notation-go verifier.go revocationFinalResult does. Pure: fetching is the caller's.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KEY_USAGE, OID_CRL_DISTRIBUTION_POINTS, VouchError } from '../../core/index.js';
import { basicConstraints, extension, keyUsage, type Certificate } from './certs.js';
import { makeOcspRequest, ocspStatus, ocspUrls, type OcspQuery } from './ocsp.js';

/** notation-core-go revocation/crl/fetcher.go maxCRLSize. */
export const MAX_CRL_BYTES = 32 * 1024 * 1024;

/** The bytes of the CRL at `url` (from the network or a cache); throws when it cannot get them. */
export type CrlFetcher = (url: string) => Promise<Uint8Array>;

/** Where revocation information comes from; a missing source makes the certificates that need it unknown. */
export interface RevocationSources {
  fetchCrl?: CrlFetcher;
  queryOcsp?: OcspQuery;
}

export type CertRevocationStatus = 'ok' | 'revoked' | 'unknown' | 'nonRevokable';

export interface CertRevocationResult {
  status: CertRevocationStatus;
  /** why the status is unknown (or which CRL revoked it) */
  detail?: string;
}

export interface ChainRevocationResult {
  status: 'ok' | 'revoked' | 'unknown';
  /** the certificate that is revoked, or whose status is unknown */
  subject?: string;
  detail?: string;
  perCertificate: CertRevocationResult[];
}

const OID_FRESHEST_CRL = '2.5.29.46';
const OID_IDP = '2.5.29.28';
const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_REASON = '2.5.29.21';
const OID_INVALIDITY_DATE = '2.5.29.24';
const REASON_CERTIFICATE_HOLD = 6;
const REASON_REMOVE_FROM_CRL = 8;
/** More distribution point URLs than this in one certificate: unknown, not a fetch loop (notation has no limit; real certificates name 1–2). */
export const MAX_CRL_URLS = 8;
/** A CRL issued this far ahead of our clock is refused: a clock or CRL server that is wrong. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const INSECURE_SIGNATURES = new Set(['1.2.840.113549.1.1.5', '1.2.840.113549.1.1.4', '1.2.840.10045.4.1', '1.2.840.10040.4.3']);

/** The http(s)/other URIs of the full names of a certificate's CRL distribution points (Go's cert.CRLDistributionPoints). */
export function crlDistributionPoints(cert: Certificate): string[] {
  const ext = extension(cert, OID_CRL_DISTRIBUTION_POINTS);
  if (!ext) return [];
  const parsed = ext.parsedValue as pkijs.CRLDistributionPoints | undefined;
  if (!parsed) throw new VouchError('INVALID_CERTIFICATE', `certificate "${cert.subject}" has a malformed CRL distribution points extension`);
  const urls: string[] = [];
  for (const dp of parsed.distributionPoints) {
    const names = dp.distributionPoint;
    if (!Array.isArray(names)) continue;
    for (const n of names) if (n.type === 6 && typeof n.value === 'string') urls.push(n.value);
  }
  return urls;
}

/** Does the certificate name a CRL or an OCSP location? */
export function namesRevocationInfo(cert: Certificate): boolean {
  return crlDistributionPoints(cert).length > 0 || ocspUrls(cert).length > 0;
}

export interface ParsedCrl {
  crl: pkijs.CertificateRevocationList;
  thisUpdate: Date;
  nextUpdate?: Date;
}

/** A DER CRL, bounded, parsed by pkijs. */
export function parseCrl(bytes: Uint8Array, what = 'the CRL'): ParsedCrl {
  if (bytes.byteLength >= MAX_CRL_BYTES) throw new VouchError('TOO_LARGE', `CRL size exceeds the limit: ${MAX_CRL_BYTES}`);
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const asn = asn1js.fromBER(view);
  if (asn.offset === -1 || asn.result.error || asn.offset !== bytes.byteLength) throw new VouchError('INVALID_CERTIFICATE', `${what} is not a DER CRL`);
  let crl: pkijs.CertificateRevocationList;
  try { crl = new pkijs.CertificateRevocationList({ schema: asn.result }); } catch (err) {
    throw new VouchError('INVALID_CERTIFICATE', `${what} does not parse: ${(err as Error).message}`);
  }
  const nextUpdate = crl.nextUpdate?.value;
  return { crl, thisUpdate: crl.thisUpdate.value, ...(nextUpdate ? { nextUpdate } : {}) };
}

/** One extension's value as a single ASN.1 value. */
function extensionValue(ext: pkijs.Extension): asn1js.AsnType {
  const asn = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
  if (asn.offset === -1 || asn.result.error) throw new Error(`malformed extension ${ext.extnID}`);
  return asn.result;
}

/** notation-core-go validateCRL: signed by the issuer (a CA allowed to sign CRLs), current, no unknown critical extension. */
async function validateCrl(parsed: ParsedCrl, issuer: Certificate, now: Date): Promise<void> {
  const { crl } = parsed;
  if (!basicConstraints(issuer)?.ca) throw new Error(`CRL is not signed by CA ${issuer.subject}: the issuer is not a CA`);
  const ku = keyUsage(issuer);
  if (ku && (ku.usages & KEY_USAGE.cRLSign) === 0) throw new Error(`CRL is not signed by CA ${issuer.subject}: the issuer's key usage does not allow CRL signing`);
  if (INSECURE_SIGNATURES.has(crl.signatureAlgorithm.algorithmId)) throw new Error(`CRL is not signed by CA ${issuer.subject}: insecure signature algorithm ${crl.signatureAlgorithm.algorithmId}`);
  let ok = false;
  try { ok = await crl.verify({ issuerCertificate: issuer.pkijs }); } catch { ok = false; }
  if (!ok) throw new Error(`CRL is not signed by CA ${issuer.subject}: the signature does not verify`);
  if (!parsed.nextUpdate) throw new Error('CRL NextUpdate is not set');
  if (now > parsed.nextUpdate) throw new Error(`expired CRL. Current time ${now.toISOString()} is after CRL NextUpdate ${parsed.nextUpdate.toISOString()}`);
  if (parsed.thisUpdate.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) throw new Error(`CRL is not yet valid: ThisUpdate ${parsed.thisUpdate.toISOString()} is after the current time ${now.toISOString()}`);
  for (const ext of crl.crlExtensions?.extensions ?? []) {
    if (ext.extnID === OID_DELTA_CRL_INDICATOR || ext.extnID === OID_FRESHEST_CRL) throw new Error('delta CRLs are not supported by vouch');
    if (ext.extnID === OID_IDP) continue; // the scope: every distribution point is checked anyway
    if (ext.critical) throw new Error(`unsupported critical extension found in CRL: ${ext.extnID}`);
  }
}

const serialOf = (cert: Certificate): bigint => BigInt(`0x${cert.node.serialNumber}`);

/** notation-core-go checkRevocation: the certificate's status in one validated CRL. */
function lookUp(cert: Certificate, { crl }: ParsedCrl, signingTime: Date | undefined): 'ok' | 'revoked' {
  const serial = serialOf(cert);
  let latestTemporary: { reason: number; at: Date } | undefined;
  for (const entry of crl.revokedCertificates ?? []) {
    if (entry.userCertificate.toBigInt() !== serial) continue;
    let reason: number | undefined;
    let invalidity: Date | undefined;
    for (const ext of entry.crlEntryExtensions?.extensions ?? []) {
      if (ext.extnID === OID_REASON) {
        const v = extensionValue(ext);
        if (!(v instanceof asn1js.Enumerated)) throw new Error('malformed CRL reason code');
        reason = v.valueBlock.valueDec;
      } else if (ext.extnID === OID_INVALIDITY_DATE) {
        const v = extensionValue(ext);
        if (!(v instanceof asn1js.GeneralizedTime)) throw new Error('failed to parse invalidity date');
        invalidity = v.toDate();
      } else if (ext.critical) {
        throw new Error(`unsupported critical extension found in CRL: ${ext.extnID}`);
      }
    }
    if (signingTime && invalidity && signingTime < invalidity) return 'ok';
    if (reason === REASON_CERTIFICATE_HOLD || reason === REASON_REMOVE_FROM_CRL) {
      const at = entry.revocationDate.value;
      if (!latestTemporary || latestTemporary.at < at) latestTemporary = { reason, at };
      continue;
    }
    return 'revoked';
  }
  return latestTemporary?.reason === REASON_CERTIFICATE_HOLD ? 'revoked' : 'ok';
}

/** notation-core-go ocsp.CertCheckStatus: the first responder that answers good, revoked or unknown decides. */
async function checkByOcsp(cert: Certificate, issuer: Certificate, urls: readonly string[], query: OcspQuery | undefined, now: Date, signingTime: Date | undefined): Promise<CertRevocationResult> {
  if (!query) return { status: 'unknown', detail: 'no OCSP client was given' };
  if (urls.length > MAX_CRL_URLS) return { status: 'unknown', detail: `the certificate names ${urls.length} OCSP responders, more than the limit of ${MAX_CRL_URLS}` };
  let last: CertRevocationResult = { status: 'unknown' };
  for (const url of urls) {
    if (!/^http:/i.test(url)) { last = { status: 'unknown', detail: `OCSPServer protocol of ${url} is not supported` }; continue; }
    let status;
    try { status = await ocspStatus(await query(url, await makeOcspRequest(cert, issuer)), cert, issuer, now, signingTime); } catch (err) {
      last = { status: 'unknown', detail: `OCSP check at ${url} failed: ${(err as Error).message}` };
      continue;
    }
    if (status === 'good') return { status: 'ok' };
    if (status === 'revoked') return { status: 'revoked', detail: `revoked according to the OCSP responder ${url}` };
    return { status: 'unknown', detail: `the OCSP responder ${url} does not know the certificate` };
  }
  return last;
}

/** notation-core-go crl.CertCheckStatus: every distribution point's CRL. */
async function checkByCrl(cert: Certificate, issuer: Certificate, urls: readonly string[], fetch: CrlFetcher | undefined, now: Date, signingTime: Date | undefined): Promise<CertRevocationResult> {
  if (!fetch) return { status: 'unknown', detail: 'no CRL source was given' };
  if (urls.length > MAX_CRL_URLS) return { status: 'unknown', detail: `the certificate names ${urls.length} CRL locations, more than the limit of ${MAX_CRL_URLS}` };
  if (extension(cert, OID_FRESHEST_CRL)) return { status: 'unknown', detail: 'freshest CRL from certificate extension is not supported' };
  for (const url of urls) {
    let parsed: ParsedCrl;
    try { parsed = parseCrl(await fetch(url), `the CRL from ${url}`); } catch (err) {
      return { status: 'unknown', detail: `failed to download CRL from ${url}: ${(err as Error).message}` };
    }
    try { await validateCrl(parsed, issuer, now); } catch (err) {
      return { status: 'unknown', detail: `failed to validate CRL from ${url}: ${(err as Error).message}` };
    }
    let status: 'ok' | 'revoked';
    try { status = lookUp(cert, parsed, signingTime); } catch (err) {
      return { status: 'unknown', detail: `failed to check revocation status from ${url}: ${(err as Error).message}` };
    }
    if (status === 'revoked') return { status: 'revoked', detail: `listed in the CRL from ${url}` };
  }
  return { status: 'ok' };
}

/**
 * notation-core-go revocation.ValidateContext for one certificate and its issuer: OCSP when the
 * certificate names a responder, falling back to its CRLs when OCSP leaves the status unknown;
 * CRLs alone otherwise; non-revokable when it names neither.
 */
async function checkCertificate(cert: Certificate, issuer: Certificate, sources: RevocationSources, now: Date, signingTime: Date | undefined): Promise<CertRevocationResult> {
  let crlUrls: string[];
  let ocsp: string[];
  try { crlUrls = crlDistributionPoints(cert); ocsp = ocspUrls(cert); } catch (err) { return { status: 'unknown', detail: (err as Error).message }; }
  if (ocsp.length > 0) {
    const r = await checkByOcsp(cert, issuer, ocsp, sources.queryOcsp, now, signingTime);
    if (r.status !== 'unknown' || crlUrls.length === 0) return r;
    const fallback = await checkByCrl(cert, issuer, crlUrls, sources.fetchCrl, now, signingTime);
    return fallback.status === 'unknown' ? { status: 'unknown', detail: [r.detail, fallback.detail].filter(Boolean).join('; then ') } : fallback;
  }
  if (crlUrls.length === 0) return { status: 'nonRevokable' };
  return checkByCrl(cert, issuer, crlUrls, sources.fetchCrl, now, signingTime);
}

/**
 * The revocation status of a chain (leaf first, ending in the root), as notation-go's verifier
 * sums it up: revoked if any certificate is, ok if every one is ok or names no revocation
 * location, unknown otherwise (naming the certificate nearest the leaf).
 */
export async function checkChainRevocation(chain: readonly Certificate[], sources: RevocationSources, now: Date, signingTime?: Date): Promise<ChainRevocationResult> {
  const perCertificate: CertRevocationResult[] = [];
  for (const [i, cert] of chain.entries()) {
    const issuer = chain[i + 1];
    perCertificate.push(issuer ? await checkCertificate(cert, issuer, sources, now, signingTime) : { status: 'nonRevokable' });
  }
  const revoked = perCertificate.findIndex((r) => r.status === 'revoked');
  if (revoked >= 0) {
    const r = perCertificate[revoked] as CertRevocationResult;
    return { status: 'revoked', subject: (chain[revoked] as Certificate).subject, ...(r.detail ? { detail: r.detail } : {}), perCertificate };
  }
  const unknown = perCertificate.findIndex((r) => r.status === 'unknown');
  if (unknown >= 0) {
    const r = perCertificate[unknown] as CertRevocationResult;
    return { status: 'unknown', subject: (chain[unknown] as Certificate).subject, ...(r.detail ? { detail: r.detail } : {}), perCertificate };
  }
  return { status: 'ok', perCertificate };
}
