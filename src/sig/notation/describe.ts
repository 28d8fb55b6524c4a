// What `notation inspect` shows of one signature envelope (notation cmd/notation/inspect.go):
// the envelope's media type, the signature algorithm in the plugin protocol's names, the signed
// attributes (signing scheme, signing time, expiry, extended protected headers), the user-defined
// attributes (the signed descriptor's annotations), the unsigned attributes (signing agent,
// timestamp countersignature), the certificate chain and the signed artifact. The envelope is
// read, not verified: inspect shows what a signature claims.
import { Tag } from 'cbor2';
import { sha256 } from '../../core/index.js';
import { parseCertificates, type Certificate } from './certs.js';
import { goDistinguishedName } from './dn.js';
import { readEnvelope } from './format.js';
import type { TargetArtifact } from './jws.js';
import { signingAlgorithmName } from './plugin.js';
import { readTimestampToken } from './timestamp.js';

/** A time and the UTC offset (minutes) it was written with, so it prints as the signer wrote it. */
export interface ShownTime { date: Date; offsetMinutes: number }

export interface DescribedCertificate {
  /** lowercase hex SHA-256 of the DER */
  sha256Fingerprint: string;
  /** the subject and issuer as Go prints them (pkix.Name.String) */
  issuedTo: string;
  issuedBy: string;
  expiry: ShownTime;
}

export interface DescribedTimestamp {
  timestamp?: ShownTime;
  certificates?: DescribedCertificate[];
  error?: string;
}

export interface DescribedSignature {
  /** the envelope's media type */
  mediaType: string;
  signatureAlgorithm: string;
  /** the payload's content type (`cty`, COSE label 3) */
  contentType: string;
  signingScheme: string;
  signingTime: ShownTime;
  expiry?: ShownTime;
  /** protected headers that are not the Notary ones, as text (Go's fmt.Sprint of the JSON value) */
  extendedAttributes: Record<string, string>;
  /** the signed descriptor's annotations (absent when it has none) */
  userDefinedAttributes?: Record<string, string>;
  signingAgent?: string;
  timestamp?: DescribedTimestamp;
  certificates: DescribedCertificate[];
  signedArtifact: { mediaType: string; digest: string; size: number };
}

/** The offset of an RFC 3339 time as written (`Z` is 0). */
function offsetOf(text: string | undefined): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(text ?? '');
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

const utc = (date: Date): ShownTime => ({ date, offsetMinutes: 0 });

/** Go's fmt.Sprint of a decoded JSON value, for the values notation prints as attributes. */
function goSprint(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goSprint).join(' ')}]`;
  // COSE attribute values (cbor2): byte strings, maps with any label, tags
  if (v instanceof Uint8Array) return `[${Array.from(v).join(' ')}]`;
  if (v instanceof Map) return `map[${[...v].map(([k, x]) => `${goSprint(k)}:${goSprint(x)}`).sort().join(' ')}]`;
  if (v instanceof Tag) return goSprint(v.contents);
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${goSprint((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

function describeCertificate(cert: { der: Buffer; issuerDer: Uint8Array | ArrayBuffer; subjectDer: Uint8Array | ArrayBuffer; notAfter: Date }): DescribedCertificate {
  return {
    sha256Fingerprint: sha256(cert.der).toString('hex'),
    issuedTo: goDistinguishedName(cert.subjectDer),
    issuedBy: goDistinguishedName(cert.issuerDer),
    expiry: utc(cert.notAfter),
  };
}

function describeChainCertificate(c: Certificate): DescribedCertificate {
  return describeCertificate({ der: c.der, subjectDer: c.subjectDer, issuerDer: c.issuerDer, notAfter: c.notAfter });
}

/**
 * The RFC 3161 countersignature over the signature, as inspect shows it: the token's time and
 * certificates, once its message imprint is the hash of the signature; otherwise why not. The
 * TSA's signature is not verified here (timestamp.ts readTimestampToken).
 */
async function describeTimestamp(token: Buffer, signature: Buffer): Promise<DescribedTimestamp> {
  try {
    const { time, certificates } = readTimestampToken(token, signature);
    const certs = certificates.length > 0 ? await parseCertificates(certificates, 'the timestamp token\'s certificates') : [];
    return { timestamp: utc(time), certificates: certs.map(describeChainCertificate) };
  } catch (err) {
    return { error: `failed to parse timestamp countersignature: ${(err as Error).message}` };
  }
}

/** Describes a Notation signature envelope; throws (INVALID_SIGNATURE, …) naming why it cannot be read. */
export async function describeNotationEnvelope(bytes: Uint8Array, mediaType: string): Promise<DescribedSignature> {
  const env = await readEnvelope(mediaType, bytes);
  const h = env.header;
  const target: TargetArtifact = env.target;
  const out: DescribedSignature = {
    mediaType,
    signatureAlgorithm: signingAlgorithmName(h.alg),
    contentType: h.cty,
    signingScheme: h.signingScheme,
    signingTime: { date: h.signingTime, offsetMinutes: offsetOf(h.timeText?.signingTime) },
    ...(h.expiry ? { expiry: { date: h.expiry, offsetMinutes: offsetOf(h.timeText?.expiry) } } : {}),
    extendedAttributes: Object.fromEntries(Object.entries(h.extended).map(([k, v]) => [k, goSprint(v)])),
    ...(target.annotations && Object.keys(target.annotations).length > 0 ? { userDefinedAttributes: target.annotations } : {}),
    ...(env.signingAgent ? { signingAgent: env.signingAgent } : {}),
    certificates: env.chain.map(describeChainCertificate),
    signedArtifact: { mediaType: target.mediaType, digest: target.digest, size: target.size },
  };
  if (env.timestampToken) out.timestamp = await describeTimestamp(env.timestampToken, env.signature);
  return out;
}
