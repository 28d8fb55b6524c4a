// Asking an RFC 3161 TSA for a timestamp of a signature value, as `notation sign --timestamp-url`
// does (notation cmd/notation/sign.go, tspclient-go http.go): one POST of the TimeStampReq
// through vouch's HTTP client (its deadlines; the answer at most 1 MiB), an answer with status 200
// and content type application/timestamp-reply, and the token checked against the request and the
// TSA root the signer named before it goes in the envelope.
import { randomBytes } from 'node:crypto';
import { VouchError } from '../core/index.js';
import type { HttpTransport } from '../http/index.js';
import {
  MAX_TIMESTAMP_RESPONSE_BYTES, TIMESTAMP_QUERY_TYPE, TIMESTAMP_REPLY_TYPE, checkChainRevocation, checkTimestampResponse, makeTimestampRequest, parseCertificateFile, parseCertificates,
  type Certificate, type RevocationSources, type Timestamper,
} from '../sig/index.js';

/** notation's check of --timestamp-url: http or https, with a host. */
export function checkTsaUrl(url: string): URL {
  let u: URL;
  try { u = new URL(url); } catch { throw new VouchError('INVALID_ARGUMENT', `timestamping: invalid TSA url "${url}"`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new VouchError('INVALID_ARGUMENT', `endpoint "${url}": scheme must be http or https, but got "${u.protocol.replace(':', '')}"`);
  if (u.host === '') throw new VouchError('INVALID_ARGUMENT', `endpoint "${url}": host cannot be empty`);
  return u;
}

/** --timestamp-root-cert: exactly one self-signed root certificate, PEM or DER (notation's rules and words). */
export async function readTsaRoot(bytes: Uint8Array, path: string): Promise<Certificate> {
  const ders = parseCertificateFile(bytes, path);
  if (ders.length === 0) throw new VouchError('INVALID_CERTIFICATE', `cannot find any certificate from "${path}". Expecting single x509 root certificate in PEM or DER format from the file`);
  if (ders.length > 1) throw new VouchError('INVALID_CERTIFICATE', `found more than one certificates from "${path}". Expecting single x509 root certificate in PEM or DER format from the file`);
  const [cert] = await parseCertificates(ders, path) as [Certificate];
  let selfSigned = false;
  try { selfSigned = cert.node.verify(cert.node.publicKey) && cert.node.subject === cert.node.issuer; } catch { selfSigned = false; }
  if (!selfSigned) throw new VouchError('INVALID_CERTIFICATE', `certificate from "${path}" is not a root certificate. Expecting single x509 root certificate in PEM or DER format from the file`);
  return cert;
}

export interface TsaOptions {
  transport: HttpTransport;
  url: string;
  root: Certificate;
  now: () => Date;
  /** the TSA chain's revocation check after timestamping (notation's TSARevocationValidator) */
  revocation?: RevocationSources;
}

/** A Timestamper for signJws (and any envelope): the checked token over the signature value. */
export function tsaTimestamper(opts: TsaOptions): Timestamper {
  checkTsaUrl(opts.url);
  return async (signature, hash) => {
    const req = makeTimestampRequest(signature, hash, randomBytes(20));
    const res = await opts.transport.request('POST', opts.url, { headers: { 'content-type': TIMESTAMP_QUERY_TYPE }, body: req.der, maxBytes: MAX_TIMESTAMP_RESPONSE_BYTES });
    if (res.status !== 200) throw new VouchError('NETWORK', `timestamp: POST "${opts.url}": response bad status: ${res.status}`, { hint: 'check --timestamp-url: the TSA did not answer the request' });
    const type = (res.headers['content-type'] ?? '').split(';')[0]?.trim();
    if (type !== TIMESTAMP_REPLY_TYPE) throw new VouchError('INVALID_SIGNATURE', `timestamp: POST "${opts.url}": unexpected response content type: ${res.headers['content-type'] ?? '(none)'}`);
    const { token, timestamp } = await checkTimestampResponse(res.body, req, signature, opts.root, opts.now()).catch((err: unknown) => {
      throw err instanceof VouchError ? new VouchError(err.code, `timestamp: ${err.message}`, { hint: 'the TSA\'s answer was refused; check --timestamp-url and --timestamp-root-cert' }) : err;
    });
    const rr = await checkChainRevocation(timestamp.tsaChain, opts.revocation ?? {}, opts.now());
    if (rr.status === 'revoked') throw new VouchError('INVALID_CERTIFICATE', `timestamp: timestamping certificate with subject "${rr.subject ?? ''}" is revoked`);
    if (rr.status === 'unknown') throw new VouchError('INVALID_CERTIFICATE', `timestamp: timestamping certificate with subject "${rr.subject ?? ''}" revocation status is unknown${rr.detail ? ` (${rr.detail})` : ''}`);
    return token;
  };
}
