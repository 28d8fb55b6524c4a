// OCSP (RFC 6960) for the revocation check, as notation-core-go v1.3
// revocation/internal/ocsp/ocsp.go asks it: a request with a SHA-1 CertID (the identifier RFC
// 6960 §4.1.1 and Go's x/crypto/ocsp use), a response that must be `successful`, basic, signed by
// the issuer or a responder it delegated (pkijs BasicOCSPResponse.verify), about this certificate,
// with a nextUpdate that has not passed; good, revoked, or unknown. Pure: the caller sends the
// request (client/ocsp.ts).
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID_AUTHORITY_INFO_ACCESS } from '../../core/index.js';
import { extension, type Certificate } from './certs.js';

/** notation-core-go ocspMaxResponseSize. */
export const MAX_OCSP_RESPONSE_BYTES = 20480;

/** Sends a DER OCSP request to a responder URL and returns the DER answer; throws when it cannot. */
export type OcspQuery = (url: string, request: Uint8Array) => Promise<Uint8Array>;

const OID_OCSP = '1.3.6.1.5.5.7.48.1';
const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_INVALIDITY_DATE = '2.5.29.24';

/** The OCSP responder URLs of a certificate's authorityInfoAccess (Go's cert.OCSPServer). */
export function ocspUrls(cert: Certificate): string[] {
  const ext = extension(cert, OID_AUTHORITY_INFO_ACCESS);
  const parsed = ext?.parsedValue as pkijs.InfoAccess | undefined;
  return (parsed?.accessDescriptions ?? [])
    .filter((d) => d.accessMethod === OID_OCSP && d.accessLocation.type === 6 && typeof d.accessLocation.value === 'string')
    .map((d) => d.accessLocation.value as string);
}

/** A DER OCSPRequest for `cert` (SHA-1 CertID, no nonce, as x/crypto/ocsp CreateRequest). */
export async function makeOcspRequest(cert: Certificate, issuer: Certificate): Promise<Buffer> {
  const req = new pkijs.OCSPRequest();
  await req.createForCertificate(cert.pkijs, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer.pkijs });
  return Buffer.from(req.toSchema(true).toBER(false));
}

export type OcspStatus = 'good' | 'revoked' | 'unknown';

/**
 * The status an OCSP answer gives `cert`; throws (the server's result is then unknown, and the
 * CRLs are tried) when the answer is not a successful, signed, current answer about `cert`.
 */
export async function ocspStatus(answer: Uint8Array, cert: Certificate, issuer: Certificate, now: Date, signingTime?: Date): Promise<OcspStatus> {
  if (answer.byteLength >= MAX_OCSP_RESPONSE_BYTES) throw new Error(`OCSP response is over the limit of ${MAX_OCSP_RESPONSE_BYTES} bytes`);
  const asn = asn1js.fromBER(new Uint8Array(answer.buffer, answer.byteOffset, answer.byteLength));
  if (asn.offset === -1 || asn.result.error || asn.offset !== answer.byteLength) throw new Error('OCSP response is not DER');
  const resp = new pkijs.OCSPResponse({ schema: asn.result });
  const status = resp.responseStatus.valueBlock.valueDec;
  if (status !== 0) throw new Error(`OCSP response status ${status} (${['successful', 'malformed', 'internal error', 'try later', '', 'signature required', 'unauthorized'][status] ?? 'unknown'})`);
  if (!resp.responseBytes || resp.responseBytes.responseType !== OID_OCSP_BASIC) throw new Error('OCSP response is not a basic response');
  const inner = asn1js.fromBER(resp.responseBytes.response.valueBlock.valueHexView);
  if (inner.offset === -1 || inner.result.error) throw new Error('OCSP basic response is not DER');
  const basic = new pkijs.BasicOCSPResponse({ schema: inner.result });
  const issuerPki = issuer.pkijs;
  // Go's x/crypto/ocsp accepts an answer without certificates as signed by the issuer itself;
  // pkijs looks for the signer among the attached ones, so the issuer is offered there.
  if (!basic.certs || basic.certs.length === 0) basic.certs = [issuerPki];
  let verified = false;
  // the issuer answers for its own certificates (it is already part of the verified chain); a
  // delegated responder must chain to it with id-kp-OCSPSigning
  try { verified = await basic.verify({ trustedCerts: [issuerPki], issuerCerts: [issuerPki], trustedResponders: [issuerPki] }); } catch (err) {
    throw new Error(`OCSP response signature does not verify: ${(err as Error).message}`);
  }
  if (!verified) throw new Error('OCSP response is not signed by the issuer or a responder it delegated');
  const certPki = cert.pkijs;
  const { isForCertificate, status: certStatus } = await basic.getCertificateStatus(certPki, issuerPki);
  if (!isForCertificate) throw new Error('OCSP response is not about this certificate');
  const serial = certPki.serialNumber.toBigInt();
  const single = basic.tbsResponseData.responses.find((r) => r.certID.serialNumber.toBigInt() === serial);
  if (!single?.nextUpdate || now > single.nextUpdate) throw new Error('expired OCSP response');
  if (certStatus === 0) return 'good';
  if (certStatus === 1) {
    const invalidity = single.singleExtensions?.find((e) => e.extnID === OID_INVALIDITY_DATE);
    if (invalidity && signingTime) {
      const v = asn1js.fromBER(invalidity.extnValue.valueBlock.valueHexView).result;
      if (v instanceof asn1js.GeneralizedTime && signingTime < v.toDate()) return 'good';
    }
    return 'revoked';
  }
  return 'unknown';
}
