// What a legacy cosign signature says about itself, for `vouch status` and the dashboard, without a
// key or a trusted root: who signed (the certificate's subject, or its Fulcio identity and OIDC
// issuer; "key-signed" when it carries no certificate), its certificate chain and when that chain
// stops verifying, and the structural checks that need no trust decision (the payload names this
// image; a certificate's key verifies the signature; each certificate is issued by the next). Whether
// to trust the signer is `vouch cosign verify`'s question (sigstore/cosign pkg/cosign/verify.go).
// Pure: the time is the caller's.
import * as asn1js from 'asn1js';
import { VouchError, isJsonObject, isVouchError, parseCertificateBundle, parseJson } from '../../core/index.js';
import { extension, isIssuedBy, parseCertificates, thumbprint, type Certificate } from '../notation/certs.js';
import { MAX_CHAIN_LENGTH } from '../notation/constants.js';
import type { ChainCertificate } from '../notation/verify.js';
import { parseSimpleSigningPayload, payloadSignatureValid, type LegacySignatureLayer } from './legacy.js';

/** Fulcio's OIDC issuer extensions (sigstore/fulcio docs/oid-info.md): 1.1 holds the raw string, 1.8 a DER UTF8String. */
const OID_FULCIO_ISSUER = '1.3.6.1.4.1.57264.1.1';
const OID_FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const MAX_BUNDLE_ANNOTATION_BYTES = 64 * 1024;

/** The signer shown for a signature without a certificate: its key is not named anywhere in it. */
export const KEY_SIGNED = 'key-signed';

export interface CosignSignatureFacts {
  /** the certificate's subject, or its identity (SAN) and OIDC issuer; `key-signed` without a certificate */
  signer: string;
  /** leaf first; empty for a key-signed signature */
  chain: ChainCertificate[];
  /** the transparency-log time the signature's Rekor bundle claims (not verified here) */
  signingTime?: Date;
  /**
   * cosign checks the certificates at a time the signature carries (the Rekor bundle's log time or
   * an RFC 3161 timestamp) instead of now, so their expiry does not break it
   */
  timeSource?: 'transparency log' | 'timestamp';
  /** what could not be checked without a key */
  unverified?: string;
  /** why it does not verify structurally; absent when it does */
  problem?: string;
}

function fulcioIssuer(cert: Certificate): string | undefined {
  const v2 = extension(cert, OID_FULCIO_ISSUER_V2);
  if (v2 !== undefined) {
    const parsed = asn1js.fromBER(v2.extnValue.valueBlock.valueHexView);
    return parsed.offset !== -1 && parsed.result instanceof asn1js.Utf8String ? parsed.result.valueBlock.value : undefined;
  }
  const v1 = extension(cert, OID_FULCIO_ISSUER);
  return v1 === undefined ? undefined : Buffer.from(v1.extnValue.valueBlock.valueHexView).toString('utf8');
}

/** `CN=…, O=…`; a Fulcio certificate has an empty subject: its identity is the SAN (email, URI), with the OIDC issuer. */
function signerOf(cert: Certificate): string {
  const issuer = fulcioIssuer(cert);
  const san = cert.node.subjectAltName?.split(', ')[0]?.replace(/^(email|URI|DNS|IP Address):/, '');
  const who = cert.subject !== '' ? cert.subject : san ?? 'a certificate without subject or SAN';
  return issuer === undefined ? who : `${who} (OIDC issuer ${issuer})`;
}

function logTime(bundle: string | undefined): Date | undefined {
  if (bundle === undefined || bundle.length > MAX_BUNDLE_ANNOTATION_BYTES) return undefined;
  try {
    const v = parseJson(Buffer.from(bundle), { maxBytes: MAX_BUNDLE_ANNOTATION_BYTES, what: 'Rekor bundle' });
    const t = isJsonObject(v) && isJsonObject(v.Payload) ? v.Payload.integratedTime : undefined;
    return typeof t === 'number' && Number.isSafeInteger(t) && t > 0 ? new Date(t * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Inspects one layer of a `.sig` manifest whose payload bytes (already checked against the layer's
 * digest) are `payload`, for the image at `digest`.
 */
export async function inspectLegacySignature(opts: { layer: LegacySignatureLayer; payload: Uint8Array; digest: string }): Promise<CosignSignatureFacts> {
  const { layer } = opts;
  const timeSource = layer.bundle !== undefined ? 'transparency log' as const : layer.rfc3161Timestamp !== undefined ? 'timestamp' as const : undefined;
  const signingTime = logTime(layer.bundle);
  const base = { ...(timeSource ? { timeSource } : {}), ...(signingTime ? { signingTime } : {}) };
  let chain: Certificate[] = [];
  if (layer.certificate !== undefined) {
    try {
      const pems = [...parseCertificateBundle(layer.certificate), ...(layer.chain !== undefined ? parseCertificateBundle(layer.chain) : [])];
      if (pems.length > MAX_CHAIN_LENGTH) throw new VouchError('INVALID_CERTIFICATE', `the certificate chain has ${pems.length} certificates, more than the limit of ${MAX_CHAIN_LENGTH}`);
      chain = await parseCertificates(pems.map((c) => c.raw), 'the cosign certificate chain');
    } catch (err) {
      if (!isVouchError(err)) throw err;
      return { ...base, signer: 'a certificate that does not parse', chain: [], problem: `${err.code}: ${err.message}` };
    }
  }
  const facts: CosignSignatureFacts = {
    ...base,
    signer: chain[0] === undefined ? KEY_SIGNED : signerOf(chain[0]),
    chain: chain.map((c) => ({ subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, thumbprint: thumbprint(c) })),
  };
  try {
    const claims = parseSimpleSigningPayload(opts.payload);
    if (claims.digest !== opts.digest) return { ...facts, problem: `INVALID_SIGNATURE: the payload signs ${claims.digest}, not ${opts.digest}` };
  } catch (err) {
    if (!isVouchError(err)) throw err;
    return { ...facts, problem: `${err.code}: ${err.message}` };
  }
  const leaf = chain[0];
  if (leaf === undefined) {
    return { ...facts, unverified: 'no certificate: the signature is checked only with the signer\'s public key (vouch cosign verify --key, or a policy)' };
  }
  if (!payloadSignatureValid(leaf.node.publicKey, opts.payload, layer.signature)) {
    return { ...facts, problem: 'INVALID_SIGNATURE: the signature does not verify with its certificate\'s key' };
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!isIssuedBy(chain[i] as Certificate, chain[i + 1] as Certificate)) {
      return { ...facts, problem: `INVALID_CERTIFICATE: certificate #${i + 1} of the chain is not issued by certificate #${i + 2}` };
    }
  }
  return { ...facts, unverified: 'whether to trust the certificate\'s issuer is not judged here (a trusted root and an identity decide that in vouch cosign verify)' };
}
