// RFC 3161 timestamps of Notation signatures, envelope-agnostic: a request over the signature
// value, the checks of a TSA's response, and the verification of a timestamp token over the
// signature value, as notation-core-go (internal/timestamp/timestamp.go, signature/jws/envelope.go
// timestampJWS) and tspclient-go v1.0.0 (request.go, response.go, token.go, timestamp.go) do them.
// Parsing through pkijs/asn1js; signatures through pkijs (CMS) and node:crypto (certificates).
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EXT_KEY_USAGE, VouchError } from '../../core/index.js';
import { checkTimestampingEku, isIssuedBy, parseCertificates, validateTimestampingChain, type Certificate, type HashName } from './certs.js';
import { MAX_CHAIN_LENGTH } from './constants.js';

/** tspclient-go http.go maxBodyLength: a TSA's response is at most 1 MiB. */
export const MAX_TIMESTAMP_RESPONSE_BYTES = 1024 * 1024;
/** A token is stored in the envelope; nothing bigger than a response can be one. */
export const MAX_TIMESTAMP_TOKEN_BYTES = MAX_TIMESTAMP_RESPONSE_BYTES;
export const TIMESTAMP_QUERY_TYPE = 'application/timestamp-query';
export const TIMESTAMP_REPLY_TYPE = 'application/timestamp-reply';

const HASH_OIDS: Record<HashName, string> = { sha256: '2.16.840.1.101.3.4.2.1', sha384: '2.16.840.1.101.3.4.2.2', sha512: '2.16.840.1.101.3.4.2.3' };
const HASH_BY_OID: Record<string, HashName> = Object.fromEntries(Object.entries(HASH_OIDS).map(([k, v]) => [v, k as HashName]));
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
/** ETSI EN 319 422 baseline policy: no accuracy means one second (tspclient-go token.go). */
const OID_BASELINE_POLICY = '0.4.0.2023.1.1';

const bad = (msg: string): VouchError => new VouchError('INVALID_SIGNATURE', msg);

function digest(hash: HashName, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

/** DER (or BER) that must be exactly one ASN.1 value. */
function decode(bytes: Uint8Array, what: string): asn1js.AsnType {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parsed = asn1js.fromBER(view);
  if (parsed.offset === -1 || parsed.result.error) throw bad(`${what} is not valid ASN.1: ${parsed.result.error || 'cannot decode'}`);
  if (parsed.offset !== bytes.byteLength) throw bad(`${what} has trailing data after its ASN.1 value`);
  return parsed.result;
}

function positiveIntegerHex(i: asn1js.Integer): string {
  return i.toBigInt().toString(16);
}

export interface TimestampRequest {
  /** the DER TimeStampReq, POSTed as application/timestamp-query */
  der: Buffer;
  hash: HashName;
  /** the digest of the content (the message imprint) */
  imprint: Buffer;
  /** the nonce, as lowercase hex of its integer value */
  nonce: string;
}

/**
 * A TimeStampReq (RFC 3161 §2.4.1) over `content`, as tspclient-go NewRequest makes it: version 1,
 * the imprint with NULL hash parameters, a positive nonce below 2^159 from `nonceBytes` (20 random
 * bytes from the caller), certReq true.
 */
export function makeTimestampRequest(content: Uint8Array, hash: HashName, nonceBytes: Uint8Array): TimestampRequest {
  if (content.byteLength === 0) throw new VouchError('INVALID_ARGUMENT', 'content to be time stamped cannot be empty');
  if (nonceBytes.byteLength !== 20) throw new VouchError('INVALID_ARGUMENT', 'the timestamp nonce takes 20 random bytes');
  const nonce = Buffer.from(nonceBytes);
  nonce[0] = (nonce[0] as number) & 0x3f; // below 2^158: positive, and no leading zero byte needed
  if (nonce[0] === 0) nonce[0] = 1;
  const imprint = digest(hash, content);
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hash], algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
    }),
    nonce: new asn1js.Integer({ valueHex: nonce }),
    certReq: true,
  });
  const nonceInt = new asn1js.Integer({ valueHex: nonce });
  return { der: Buffer.from(req.toSchema().toBER(false)), hash, imprint, nonce: positiveIntegerHex(nonceInt) };
}

interface ParsedToken {
  signed: pkijs.SignedData;
  info: pkijs.TSTInfo;
  /** the certificates the token carries, DER */
  certificates: Buffer[];
}

/** tspclient-go ParseSignedToken: a CMS SignedData whose content is a TSTInfo. */
function parseToken(token: Uint8Array): ParsedToken {
  if (token.byteLength > MAX_TIMESTAMP_TOKEN_BYTES) throw bad(`the timestamp token is ${token.byteLength} bytes, over the limit of ${MAX_TIMESTAMP_TOKEN_BYTES}`);
  let signed: pkijs.SignedData;
  let info: pkijs.TSTInfo;
  const certificates: Buffer[] = [];
  try {
    const ci = new pkijs.ContentInfo({ schema: decode(token, 'the timestamp token') });
    if (ci.contentType !== OID_SIGNED_DATA) throw bad(`the timestamp token is not CMS SignedData (content type ${ci.contentType})`);
    signed = new pkijs.SignedData({ schema: ci.content });
    if (signed.encapContentInfo.eContentType !== OID_TST_INFO) throw bad(`unexpected content type: ${signed.encapContentInfo.eContentType}. Expected to be id-ct-TSTInfo (${OID_TST_INFO})`);
    const content = signed.encapContentInfo.eContent;
    if (!content) throw bad('the timestamp token has no TSTInfo');
    info = pkijs.TSTInfo.fromBER(content.getValue());
    for (const c of signed.certificates ?? []) {
      if (!(c instanceof pkijs.Certificate)) continue;
      if (certificates.length >= MAX_CHAIN_LENGTH) throw bad(`the timestamp token carries more than ${MAX_CHAIN_LENGTH} certificates`);
      certificates.push(Buffer.from(c.toSchema().toBER(false)));
    }
  } catch (err) {
    if (err instanceof VouchError) throw err;
    throw bad(`the timestamp token does not parse: ${(err as Error).message}`);
  }
  if (info.version !== 1) throw bad(`timestamp token info version must be 1, but got ${info.version}`);
  return { signed, info, certificates };
}

/** The hash and digest of a TSTInfo's message imprint; only SHA-256/384/512 are accepted. */
function imprintOf(info: pkijs.TSTInfo): { hash: HashName; digest: Buffer } {
  const oid = info.messageImprint.hashAlgorithm.algorithmId;
  const hash = HASH_BY_OID[oid];
  if (!hash) throw bad(`unrecognized hash algorithm: ${oid}`);
  const params = info.messageImprint.hashAlgorithm.algorithmParams as asn1js.AsnType | undefined;
  if (params !== undefined && !(params instanceof asn1js.Null)) throw bad('the timestamp\'s hash algorithm has unexpected parameters');
  return { hash, digest: Buffer.from(info.messageImprint.hashedMessage.getValue()) };
}

/** A signed attribute's single value, or undefined. */
function signedAttribute(si: pkijs.SignerInfo, oid: string): asn1js.AsnType | undefined {
  const attrs = (si.signedAttrs?.attributes ?? []).filter((a) => a.type === oid);
  if (attrs.length > 1) throw bad(`the timestamp's signer has the attribute ${oid} more than once`);
  const values = attrs[0]?.values ?? [];
  if (attrs.length === 1 && values.length !== 1) throw bad(`the timestamp's signed attribute ${oid} must have one value`);
  return values[0];
}

/**
 * The TSA's signing certificate named by the signingCertificateV2 attribute (RFC 5816), whose hash
 * must match (tspclient-go SignedToken.SigningCertificate).
 */
async function signingCertificate(si: pkijs.SignerInfo, certs: readonly Certificate[]): Promise<Certificate> {
  const attr = signedAttribute(si, OID_SIGNING_CERTIFICATE_V2);
  if (!attr) throw bad('failed to get SigningCertificateV2 from signed attributes');
  const list = attr instanceof asn1js.Sequence ? attr.valueBlock.value[0] : undefined;
  const first = list instanceof asn1js.Sequence ? list.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) throw bad('signingCertificateV2 does not contain any certificate');
  let fields = first.valueBlock.value;
  let hash: HashName = 'sha256'; // RFC 5035: the default hash of ESSCertIDv2
  if (fields[0] instanceof asn1js.Sequence) {
    const alg = new pkijs.AlgorithmIdentifier({ schema: fields[0] });
    const h = HASH_BY_OID[alg.algorithmId];
    if (!h) throw bad('unsupported certificate hash algorithm in SigningCertificateV2 attribute');
    hash = h;
    fields = fields.slice(1);
  }
  if (!(fields[0] instanceof asn1js.OctetString)) throw bad('signingCertificateV2 has no certificate hash');
  const certHash = Buffer.from(fields[0].getValue());
  let candidates = [...certs];
  if (fields[1] !== undefined) {
    const issuerSerial = new pkijs.IssuerSerial({ schema: fields[1] });
    const name = issuerSerial.issuer.names.find((n) => n.type === 4);
    if (!name) throw bad('issuer name is missing in IssuerSerial');
    const issuerDer = Buffer.from((name.value as pkijs.RelativeDistinguishedNames).toSchema().toBER(false));
    const serial = positiveIntegerHex(issuerSerial.serialNumber);
    candidates = candidates.filter((c) => c.issuerDer.equals(issuerDer) && BigInt(`0x${c.node.serialNumber}`).toString(16) === serial);
  } else {
    const sid = si.sid as pkijs.IssuerAndSerialNumber;
    if (!(sid instanceof pkijs.IssuerAndSerialNumber)) throw bad('the timestamp\'s signer is not named by issuer and serial number');
    const issuerDer = Buffer.from(sid.issuer.toSchema().toBER(false));
    const serial = positiveIntegerHex(sid.serialNumber);
    candidates = candidates.filter((c) => c.issuerDer.equals(issuerDer) && BigInt(`0x${c.node.serialNumber}`).toString(16) === serial);
  }
  const cert = candidates[0];
  if (!cert) throw bad('signing certificate not found in the timestamp token');
  if (!digest(hash, cert.der).equals(certHash)) throw bad('signing certificate hash does not match CertHash in signed attribute');
  return cert;
}

/** Go's ExtKeyUsage chain rule (x509 Verify with KeyUsages): each certificate that has EKUs allows timeStamping. */
function allowsTimestamping(cert: Certificate): boolean {
  if (!cert.extKeyUsage) return true;
  const usages = cert.extKeyUsage.usages;
  return usages.includes(EXT_KEY_USAGE.timeStamping) || usages.includes(EXT_KEY_USAGE.any);
}

const validAt = (c: Certificate, at: Date): boolean => at >= c.notBefore && at <= c.notAfter;

/**
 * A path from `leaf` to a trusted certificate through the token's certificates (Go's
 * x509.Certificate.Verify with Roots = the trusted certificates, at `at`), leaf first.
 */
function buildPath(leaf: Certificate, pool: readonly Certificate[], trusted: readonly Certificate[], at: Date): Certificate[] {
  const isTrusted = (c: Certificate): boolean => trusted.some((t) => t.der.equals(c.der));
  let reason = `certificate signed by unknown authority (no path from "${leaf.subject}" to a trusted TSA certificate)`;
  const walk = (path: Certificate[]): Certificate[] | undefined => {
    const last = path[path.length - 1] as Certificate;
    if (!validAt(last, at)) {
      reason = `certificate "${last.subject}" is not valid at ${at.toISOString()} (valid from ${last.notBefore.toISOString()} to ${last.notAfter.toISOString()})`;
      return undefined;
    }
    if (!allowsTimestamping(last)) {
      reason = `certificate "${last.subject}" specifies an incompatible key usage (no timeStamping extended key usage)`;
      return undefined;
    }
    if (isTrusted(last)) return path;
    if (path.length >= MAX_CHAIN_LENGTH) return undefined;
    for (const next of [...trusted, ...pool]) {
      if (path.some((p) => p.der.equals(next.der))) continue;
      if (!isIssuedBy(last, next)) continue;
      const found = walk([...path, next]);
      if (found) return found;
    }
    return undefined;
  };
  const path = walk([leaf]);
  if (!path) throw bad(reason);
  return path;
}

export interface VerifiedTimestamp {
  /** the TSA's genTime */
  time: Date;
  /** the TSTInfo's accuracy (ms): the time is within [time - accuracy, time + accuracy] */
  accuracyMs: number;
  /** the TSA's chain, leaf first, ending in the trusted certificate */
  tsaChain: Certificate[];
}

/**
 * Verifies a timestamp token over `content` (the signature value), as notation-go's
 * verifyTimestamp does it with tspclient-go: the TSTInfo's imprint is the digest of `content`, the
 * token's signer (named by signingCertificateV2) signed it, the signer chains to one of `trusted`
 * at the timestamp's time (or `at`), every certificate on the way allowing timeStamping, and the
 * signer's EKU is exactly timeStamping, critical. Throws INVALID_SIGNATURE saying which step failed.
 */
/** A token whose message imprint is the digest of `content`, and its time (`mismatch`: the words for another content). */
function tokenOver(token: Uint8Array, content: Uint8Array, mismatch: string): ParsedToken & { time: Date } {
  const parsed = parseToken(token);
  const imprint = imprintOf(parsed.info);
  if (!digest(imprint.hash, content).equals(imprint.digest)) throw bad(mismatch);
  const time = parsed.info.genTime;
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw bad('the timestamp has no valid genTime');
  return { ...parsed, time };
}

/**
 * What a token claims, as `notation inspect` reads it (tspclient-go ParseSignedToken, Info and
 * Validate against the signature): its time and the certificates it carries (DER), once its
 * message imprint is the digest of `content`. The TSA's signature is not verified.
 */
export function readTimestampToken(token: Uint8Array, content: Uint8Array): { time: Date; certificates: Buffer[] } {
  const { time, certificates } = tokenOver(token, content, 'mismatched message');
  return { time, certificates };
}

export async function verifyTimestampToken(token: Uint8Array, content: Uint8Array, trusted: readonly Certificate[], at?: Date): Promise<VerifiedTimestamp> {
  const { signed, info, certificates, time } = tokenOver(token, content, 'failed to get timestamp from timestamp countersignature with error: mismatched message');
  let accuracyMs = 0;
  const acc = info.accuracy;
  if (acc && (acc.seconds || acc.millis || acc.micros)) accuracyMs = (acc.seconds ?? 0) * 1000 + (acc.millis ?? 0) + (acc.micros ?? 0) / 1000;
  else if (info.policy === OID_BASELINE_POLICY) accuracyMs = 1000;
  if (trusted.length === 0) throw bad('no trusted TSA certificate found in trust store');
  const tokenCerts = certificates.length > 0 ? await parseCertificates(certificates, 'the timestamp token\'s certificates') : [];
  const when = at ?? time;
  let lastErr = bad('signerInfo not found');
  for (const [i, si] of signed.signerInfos.entries()) {
    if (i >= 4) break;
    try {
      if (si.version !== 1) throw bad(`invalid signer info version: only version 1 is supported; got ${si.version}`);
      const cert = await signingCertificate(si, tokenCerts);
      const path = buildPath(cert, tokenCerts, trusted, when);
      const contentType = signedAttribute(si, OID_CONTENT_TYPE);
      if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== OID_TST_INFO) throw bad('the timestamp\'s content-type attribute is not id-ct-TSTInfo');
      const signingTime = signedAttribute(si, OID_SIGNING_TIME);
      if (signingTime !== undefined) {
        const t = signingTime instanceof asn1js.UTCTime || signingTime instanceof asn1js.GeneralizedTime ? signingTime.toDate() : undefined;
        if (!t || path.some((c) => !validAt(c, t))) throw bad(`signing time, ${t?.toISOString() ?? 'malformed'}, is outside certificate's validity period`);
      }
      const data = new Uint8Array(content).buffer;
      let result: pkijs.SignedDataVerifyResult;
      try {
        result = await signed.verify({ signer: i, data, checkChain: false, extendedMode: true });
      } catch (err) {
        throw bad((err as { message?: string }).message ?? String(err));
      }
      if (result.signatureVerified !== true) throw bad('the timestamp token\'s signature does not verify with the TSA\'s key');
      const signer = result.signerCertificate ? Buffer.from(result.signerCertificate.toSchema().toBER(false)) : undefined;
      if (!signer?.equals(cert.der)) throw bad('the timestamp token\'s signer is not the certificate its signingCertificateV2 names');
      // tspclient-go SignedToken.Verify: the signer's EKU is timeStamping only, and critical
      try { checkTimestampingEku(cert); } catch (err) { throw bad((err as Error).message); }
      return { time, accuracyMs, tsaChain: path };
    } catch (err) {
      if (!(err instanceof VouchError)) throw err;
      lastErr = err;
    }
  }
  throw bad(`failed to verify the timestamp countersignature with error: ${lastErr.message}`);
}

/**
 * Checks a TSA's answer to `req` (tspclient-go Response.Validate and notation-core-go
 * internal/timestamp.Timestamp): status granted, the token's TSTInfo echoes the imprint and the
 * nonce, the token is signed by a certificate it carries, that chains to `root` now with a
 * timestamping chain. Returns the token's bytes as received (what goes in the envelope) and its time.
 */
export async function checkTimestampResponse(response: Uint8Array, req: TimestampRequest, content: Uint8Array, root: Certificate, now: Date): Promise<{ token: Buffer; timestamp: VerifiedTimestamp }> {
  if (response.byteLength > MAX_TIMESTAMP_RESPONSE_BYTES) throw bad(`the timestamp response is ${response.byteLength} bytes, over the limit of ${MAX_TIMESTAMP_RESPONSE_BYTES}`);
  const tree = decode(response, 'the timestamp response');
  let resp: pkijs.TimeStampResp;
  try { resp = new pkijs.TimeStampResp({ schema: tree }); } catch (err) {
    throw bad(`the timestamp response does not parse: ${(err as Error).message}`);
  }
  const status = resp.status.status;
  if (status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) {
    const text = (resp.status.statusStrings ?? []).map((s) => s.valueBlock.value).join('; ');
    throw bad(`the TSA refused the timestamp request: status ${status}${text ? ` (${text})` : ''}`);
  }
  const tokenNode = tree instanceof asn1js.Sequence ? tree.valueBlock.value[1] : undefined;
  if (!tokenNode || !resp.timeStampToken) throw bad('the timestamp response has no timestamp token');
  const token = Buffer.from(tokenNode.valueBeforeDecodeView);
  const { info } = parseToken(token);
  const imprint = imprintOf(info);
  if (imprint.hash !== req.hash || !imprint.digest.equals(req.imprint)) throw bad('message imprint in the timestamp response does not match the request');
  const nonce = info.nonce ? positiveIntegerHex(info.nonce) : undefined;
  if (nonce !== req.nonce) throw bad(`nonce in response ${nonce ?? '(none)'} does not match nonce in request ${req.nonce}`);
  const timestamp = await verifyTimestampToken(token, content, [root], now);
  try { validateTimestampingChain(timestamp.tsaChain); } catch (err) {
    throw bad(`the TSA's certificate chain is invalid: ${(err as Error).message}`);
  }
  return { token, timestamp };
}
