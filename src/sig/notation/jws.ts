// The Notation JWS envelope (application/jose+json): flattened JWS JSON serialization with the
// Notary protected headers, the x5c chain in the unprotected header, and the payload
// {"targetArtifact": descriptor}. Written as notation-core-go signature/jws writes it (header and
// payload keys sorted as Go marshals maps, base64url without padding for the three JWS parts,
// standard base64 for x5c); read as it reads it, every rule with its message.
import { constants, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { VouchError, fromBase64, isBase64, isJsonObject, parseJson, type JsonObject } from '../../core/index.js';
import { hashOfAlgorithm, keySpecOf, parseCertificates, thumbprint, validateCodeSigningChain, type Certificate, type JwsAlgorithm, type KeySpec } from './certs.js';
import type { EnvelopeSignOptions, NotationEnvelope, PluginRawSigner } from './envelope.js';
import { keySpecName, pluginRefused } from './plugin.js';
import {
  HEADER_AUTHENTIC_SIGNING_TIME, HEADER_EXPIRY, HEADER_SIGNING_AGENT, HEADER_SIGNING_SCHEME, HEADER_SIGNING_TIME, HEADER_TIMESTAMP,
  MAX_ENVELOPE_BYTES, NOTATION_PAYLOAD_TYPE, SIGNING_AGENT, SIGNING_SCHEME_AUTHORITY, SIGNING_SCHEME_X509,
} from './constants.js';

/** The signed descriptor: what `notation sign` puts in the payload (other descriptor fields are dropped). */
export interface TargetArtifact {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ProtectedHeader {
  alg: JwsAlgorithm;
  cty: string;
  crit: string[];
  signingScheme: typeof SIGNING_SCHEME_X509 | typeof SIGNING_SCHEME_AUTHORITY;
  /** signingTime (notary.x509) or authenticSigningTime (signingAuthority) */
  signingTime: Date;
  expiry?: Date;
  /** protected members that are not Notary's own (critical or informational) */
  extended: Record<string, unknown>;
  /** the signing time and expiry as written (RFC 3339, with the signer's offset), for display */
  timeText?: { signingTime: string; expiry?: string };
}

/** A JWS envelope read and checked for integrity: the shape both formats share (envelope.ts). */
export type JwsEnvelope = NotationEnvelope;

const ALGORITHMS: readonly JwsAlgorithm[] = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** Protected members notation-core-go handles itself (jws/types.go headerKeys). */
const NOTARY_HEADERS = ['alg', 'cty', 'crit', HEADER_EXPIRY, HEADER_SIGNING_TIME, HEADER_SIGNING_SCHEME, HEADER_AUTHENTIC_SIGNING_TIME];

const invalid = (msg: string): VouchError => new VouchError('INVALID_SIGNATURE', msg);

const B64URL = /^[A-Za-z0-9_-]*$/;
/** base64url without padding, refusing anything else (golang-jwt rejects padded segments). */
function fromBase64Url(text: unknown, what: string): Buffer {
  if (typeof text !== 'string' || !B64URL.test(text) || text.length % 4 === 1) throw invalid(`${what} is not base64url without padding`);
  return Buffer.from(text, 'base64url');
}

/** Standard padded base64 (x5c and the timestamp are Go []byte), as INVALID_SIGNATURE. */
function fromStdBase64(text: unknown, what: string): Buffer {
  if (typeof text !== 'string' || !isBase64(text)) throw invalid(`${what} is not standard base64`);
  return fromBase64(text, what);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** RFC 3339 as Go's time.Time unmarshals it (any offset, optional fraction). */
export function parseRfc3339(text: unknown, what: string): Date {
  if (typeof text !== 'string' || !RFC3339.test(text)) throw invalid(`${what} is not an RFC 3339 time`);
  const d = new Date(text.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(d.getTime())) throw invalid(`${what} is not a valid time`);
  return d;
}

/** RFC 3339 in UTC, whole seconds (Go truncates signing times to the second). */
export function formatRfc3339(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * JSON with object keys sorted, as Go's encoding/json writes maps. Not core's canonical JSON: that
 * leaves control characters unescaped, which Go's decoder (and so notation) refuses.
 */
export function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function signPrimitive(alg: JwsAlgorithm, key: KeyObject, data: Buffer): Buffer {
  const hash = hashOfAlgorithm(alg);
  // RFC 7518 §3.5: PSS salt length equals the hash length (node's default when signing is the maximum).
  return alg.startsWith('PS')
    ? nodeSign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
    : nodeSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

/**
 * `pssSalt`: golang-jwt verifies PS* with PSSSaltLengthAuto (any salt length the signer chose);
 * go-cose with PSSSaltLengthEqualsHash.
 */
export function verifyPrimitive(alg: JwsAlgorithm, key: KeyObject, data: Buffer, sig: Buffer, pssSalt: 'auto' | 'digest' = 'auto'): boolean {
  const hash = hashOfAlgorithm(alg);
  if (alg.startsWith('PS')) {
    if (key.asymmetricKeyType !== 'rsa') return false;
    const saltLength = pssSalt === 'auto' ? constants.RSA_PSS_SALTLEN_AUTO : constants.RSA_PSS_SALTLEN_DIGEST;
    return nodeVerify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, sig);
  }
  if (key.asymmetricKeyType !== 'ec') return false;
  const width = { ES256: 64, ES384: 96, ES512: 132 }[alg as 'ES256' | 'ES384' | 'ES512'];
  return sig.byteLength === width && nodeVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
}

/** The arguments of signing, shared by both formats (envelope.ts). */
export type JwsSignOptions = EnvelopeSignOptions;

export interface SignedJws {
  envelope: Buffer;
  chain: Certificate[];
  /** SHA-256 of each certificate, leaf first, lowercase hex */
  thumbprints: string[];
  signingTime: Date;
}

/** What both envelope formats sign: checked times, target and key spec, the payload bytes, and how to sign. */
export interface PreparedSigning {
  signingTime: Date;
  expiry?: Date;
  spec: KeySpec;
  /** `{"targetArtifact": …}`, keys sorted as Go marshals them */
  payload: Buffer;
  /** signs the envelope's signing input: the signature and the chain it verifies with, checked */
  sign(data: Buffer): Promise<{ signature: Buffer; chain: Certificate[] }>;
}

/**
 * The checks notation-core-go base.Envelope.Sign runs before either format signs: times in whole
 * seconds, expiry after the signing time, a valid target, the key is the leaf's, and the chain
 * follows the code-signing rules at the signing time. A plugin's chain comes with its signature,
 * so for a plugin key those checks run on what it returns (see PluginRawSigner).
 */
export async function prepareSigning(opts: JwsSignOptions): Promise<PreparedSigning> {
  const signingTime = new Date(Math.floor(opts.signingTime.getTime() / 1000) * 1000);
  if (Number.isNaN(signingTime.getTime())) throw new VouchError('INVALID_ARGUMENT', 'invalid signing time');
  const expiry = opts.expiry ? new Date(Math.floor(opts.expiry.getTime() / 1000) * 1000) : undefined;
  if (expiry && expiry.getTime() <= signingTime.getTime()) throw new VouchError('INVALID_ARGUMENT', 'expiry cannot be equal or before the signing time');
  checkTarget(opts.target, 'the target artifact');
  const target: TargetArtifact = { mediaType: opts.target.mediaType, digest: opts.target.digest, size: opts.target.size };
  if (opts.target.annotations && Object.keys(opts.target.annotations).length > 0) target.annotations = { ...opts.target.annotations };
  const payload = Buffer.from(sortedJson({ targetArtifact: target }));
  const times = { signingTime, ...(expiry ? { expiry } : {}) };
  if ('signer' in opts) return { ...times, spec: opts.signer.keySpec, payload, sign: (data) => signWithPlugin(opts.signer, signingTime, data) };
  const chain = await parseCertificates(opts.chain, 'the signing certificate chain');
  const leaf = chain[0] as Certificate;
  const spec = keySpecOf(leaf.node.publicKey);
  const derOf = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });
  if (!derOf(createPublicKey(opts.privateKey)).equals(derOf(leaf.node.publicKey))) {
    throw new VouchError('INVALID_KEY', 'the private key does not match the public key of the signing certificate (the first certificate of the chain)', { hint: 'give --cert the chain whose first certificate was issued for --key' });
  }
  validateCodeSigningChain(chain, signingTime);
  const privateKey = opts.privateKey;
  return { ...times, spec, payload, sign: async (data) => ({ signature: signPrimitive(spec.alg, privateKey, data), chain }) };
}

/**
 * generate-signature through the plugin, and what notation-go signer/plugin.go checks of its
 * answer: the chain parses, its leaf's key is the one describe-key named, and it follows the
 * code-signing rules at the signing time. (The finished envelope is verified by signEnvelope.)
 */
async function signWithPlugin(signer: PluginRawSigner, signingTime: Date, data: Buffer): Promise<{ signature: Buffer; chain: Certificate[] }> {
  const { signature, chain: ders } = await signer.sign(data);
  const chain = await parseCertificates(ders, `the certificate chain from plugin ${signer.plugin}`).catch((err: unknown) => { throw pluginRefused(signer.plugin, 'unusable certificate chain', err); });
  let leafSpec: KeySpec;
  try { leafSpec = keySpecOf((chain[0] as Certificate).node.publicKey); } catch (err) { throw pluginRefused(signer.plugin, 'the signing certificate has an unsupported key', err); }
  if (leafSpec.alg !== signer.keySpec.alg || leafSpec.size !== signer.keySpec.size) {
    throw pluginRefused(signer.plugin, `describe-key said key ${signer.keyId} is ${keySpecName(signer.keySpec)}, but the signing certificate's key is ${keySpecName(leafSpec)}`);
  }
  try { validateCodeSigningChain(chain, signingTime); } catch (err) { throw pluginRefused(signer.plugin, 'the certificate chain does not meet the Notary Project certificate requirements', err); }
  return { signature, chain };
}

/** Signs a target as `notation sign --signature-format jws` does (scheme notary.x509). */
export async function signJws(opts: JwsSignOptions): Promise<SignedJws> {
  const { signingTime, expiry, spec, payload, sign } = await prepareSigning(opts);
  const crit = [HEADER_SIGNING_SCHEME, ...(expiry ? [HEADER_EXPIRY] : [])];
  const header: Record<string, unknown> = {
    alg: spec.alg, crit, cty: NOTATION_PAYLOAD_TYPE,
    [HEADER_SIGNING_SCHEME]: SIGNING_SCHEME_X509,
    [HEADER_SIGNING_TIME]: formatRfc3339(signingTime),
    ...(expiry ? { [HEADER_EXPIRY]: formatRfc3339(expiry) } : {}),
  };
  const protectedB64 = Buffer.from(sortedJson(header)).toString('base64url');
  const payloadB64 = payload.toString('base64url');
  const { signature, chain } = await sign(Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'));
  const token = opts.timestamp ? await opts.timestamp(signature, spec.hash) : undefined;
  // notation-core-go jws unprotectedHeader: the token, x5c, the signing agent (Go's struct order)
  const unprotected = {
    ...(token ? { [HEADER_TIMESTAMP]: token.toString('base64') } : {}),
    x5c: chain.map((c) => c.der.toString('base64')), [HEADER_SIGNING_AGENT]: opts.signingAgent ?? SIGNING_AGENT,
  };
  const envelope = { payload: payloadB64, protected: protectedB64, header: unprotected, signature: signature.toString('base64url') };
  return { envelope: Buffer.from(JSON.stringify(envelope)), chain, thumbprints: chain.map(thumbprint), signingTime };
}

/**
 * The digests a Notary payload can name: sha256 for images, and for blobs the hash of the signing
 * key's algorithm (notation-go signer.SignBlob: sha256, sha384 or sha512).
 */
const NOTARY_DIGEST = /^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/** The mediaType, digest, size and annotations of a descriptor from untrusted JSON (other fields are dropped). */
export function checkTarget(t: unknown, what: string): TargetArtifact {
  if (!isJsonObject(t)) throw invalid(`${what} is not a descriptor`);
  const { mediaType, digest, size, annotations } = t as JsonObject;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${what} has no mediaType`);
  if (typeof digest !== 'string') throw invalid(`${what} has no digest`);
  if (!NOTARY_DIGEST.test(digest)) throw invalid(`${what} has a malformed digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${what} has no valid size`);
  const out: TargetArtifact = { mediaType, digest, size };
  if (annotations !== undefined && annotations !== null) {
    if (!isJsonObject(annotations) || Object.values(annotations).some((v) => typeof v !== 'string')) throw invalid(`${what}: annotations must map strings to strings`);
    out.annotations = annotations as Record<string, string>;
  }
  return out;
}

function parseProtected(bytes: Buffer): ProtectedHeader {
  let v;
  try { v = parseJson(bytes, { what: 'the protected header' }); } catch (err) {
    throw invalid(`jws envelope protected header can't be decoded: ${(err as Error).message}`);
  }
  if (!isJsonObject(v)) throw invalid("jws envelope protected header can't be decoded: not a JSON object");
  const alg = v.alg;
  if (typeof alg !== 'string' || !(ALGORITHMS as readonly string[]).includes(alg)) throw invalid(`signature algorithm "${String(alg)}" is not supported`);
  const scheme = v[HEADER_SIGNING_SCHEME];
  if (scheme !== SIGNING_SCHEME_X509 && scheme !== SIGNING_SCHEME_AUTHORITY) throw invalid(`unsupported SigningScheme: \`${String(scheme)}\``);
  const has = (k: string): boolean => v[k] !== undefined && v[k] !== null;
  let signingTime: Date;
  if (scheme === SIGNING_SCHEME_X509) {
    if (has(HEADER_AUTHENTIC_SIGNING_TIME)) throw invalid(`"${HEADER_AUTHENTIC_SIGNING_TIME}" header must not be present for ${SIGNING_SCHEME_X509} signing scheme`);
    if (!has(HEADER_SIGNING_TIME)) throw invalid('signing-time not present');
    signingTime = parseRfc3339(v[HEADER_SIGNING_TIME], HEADER_SIGNING_TIME);
  } else {
    if (has(HEADER_SIGNING_TIME)) throw invalid(`"${HEADER_SIGNING_TIME}" header must not be present for ${SIGNING_SCHEME_AUTHORITY} signing scheme`);
    if (!has(HEADER_AUTHENTIC_SIGNING_TIME)) throw invalid(`"${HEADER_AUTHENTIC_SIGNING_TIME}" header must be present for ${SIGNING_SCHEME_AUTHORITY} signing scheme`);
    signingTime = parseRfc3339(v[HEADER_AUTHENTIC_SIGNING_TIME], HEADER_AUTHENTIC_SIGNING_TIME);
  }
  const expiry = has(HEADER_EXPIRY) ? parseRfc3339(v[HEADER_EXPIRY], HEADER_EXPIRY) : undefined;
  if (expiry && expiry.getTime() <= signingTime.getTime()) throw invalid('expiry cannot be equal or before the signing time');
  const extended: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) if (!NOTARY_HEADERS.includes(k)) extended[k] = val;
  // notation-core-go jws.validateCriticalHeaders
  const crit = v.crit;
  if (!Array.isArray(crit) || crit.length === 0) throw invalid('missing "crit" header');
  const must = new Set([HEADER_SIGNING_SCHEME, ...(expiry ? [HEADER_EXPIRY] : []), ...(scheme === SIGNING_SCHEME_AUTHORITY ? [HEADER_AUTHENTIC_SIGNING_TIME] : [])]);
  for (const name of crit) {
    if (typeof name !== 'string') throw invalid('"crit" must list header names');
    if (must.has(name)) must.delete(name);
    else if (!(name in extended)) throw invalid(`"${name}" header is marked critical but not present`);
  }
  if (must.size > 0) throw invalid(`these required headers are not marked as critical: [${[...must].join(' ')}]`);
  const cty = v.cty;
  if (typeof cty !== 'string') throw invalid('"cty" header is missing');
  const timeText = { signingTime: v[scheme === SIGNING_SCHEME_X509 ? HEADER_SIGNING_TIME : HEADER_AUTHENTIC_SIGNING_TIME] as string, ...(expiry ? { expiry: v[HEADER_EXPIRY] as string } : {}) };
  return { alg: alg as JwsAlgorithm, cty, crit: crit as string[], signingScheme: scheme, signingTime, ...(expiry ? { expiry } : {}), extended, timeText };
}

/**
 * The checks notation-core-go base.Envelope.Verify runs on either format once its signature
 * verified: the chain follows the code-signing rules, `alg` is the one the leaf's key requires, and
 * the payload is a Notary payload. Returns the signed target.
 */
export function checkSignedContent(header: ProtectedHeader, chain: Certificate[], payloadBytes: Buffer): TargetArtifact {
  try { validateCodeSigningChain(chain); } catch (err) {
    throw invalid(`certificate-chain is invalid, ${(err as Error).message}`);
  }
  const spec = keySpecOf((chain[0] as Certificate).node.publicKey);
  if (spec.alg !== header.alg) throw invalid(`mismatch between signature algorithm derived from signing certificate (${spec.alg}) and signing algorithm specified (${header.alg})`);
  return readPayload(header, payloadBytes);
}

/** The payload is a Notary payload (checked by reading and by verifying alike): its signed target. */
export function readPayload(header: ProtectedHeader, payloadBytes: Buffer): TargetArtifact {
  if (header.cty !== NOTATION_PAYLOAD_TYPE) throw invalid(`payload content type "${header.cty}" not supported`);
  let payload;
  try { payload = parseJson(payloadBytes, { what: 'the payload' }); } catch (err) { throw invalid(`payload error: ${(err as Error).message}`); }
  if (!isJsonObject(payload)) throw invalid('payload error: not a JSON object');
  return checkTarget(payload.targetArtifact, 'the payload\'s targetArtifact');
}

/**
 * Parses and checks an envelope for integrity, as notation-core-go's jws envelope Verify and
 * base.Envelope.Verify do: the JWS signature verifies with the leaf's key, the protected headers
 * follow the Notary rules, the chain follows the code-signing rules, the leaf's key decides the
 * algorithm and `alg` must name it, and the payload is a Notary payload. Throws INVALID_SIGNATURE
 * (or INVALID_CERTIFICATE, TOO_LARGE) naming what is wrong.
 */
export async function verifyJwsEnvelope(bytes: Uint8Array): Promise<JwsEnvelope> {
  return decodeJwsEnvelope(bytes, true);
}

/**
 * Reads an envelope without checking its signature, its chain or the key's algorithm (what
 * notation inspect shows: notation-core-go's Envelope.Content); the structure, the protected
 * headers and the payload are checked as verifyJwsEnvelope checks them.
 */
export async function readJwsEnvelope(bytes: Uint8Array): Promise<JwsEnvelope> {
  return decodeJwsEnvelope(bytes, false);
}

async function decodeJwsEnvelope(bytes: Uint8Array, verify: boolean): Promise<JwsEnvelope> {
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) throw new VouchError('TOO_LARGE', `signature envelope is ${bytes.byteLength} bytes, over the limit of ${MAX_ENVELOPE_BYTES}`);
  let doc;
  try { doc = parseJson(bytes, { what: 'the JWS envelope' }); } catch (err) {
    throw invalid(`unable to parse the digital signature, error : ${(err as Error).message}`);
  }
  if (!isJsonObject(doc)) throw invalid('the JWS envelope is not a JSON object');
  const extra = Object.keys(doc).filter((k) => !['payload', 'protected', 'header', 'signature'].includes(k));
  if (extra.length > 0) throw invalid(`the JWS envelope has members a flattened JWS JSON serialization cannot have: ${extra.join(', ')}`);
  const unprotected = doc.header;
  if (!isJsonObject(unprotected)) throw invalid('the JWS envelope has no unprotected header');
  const x5c = unprotected.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) throw invalid('certificate chain is not present');
  const chain = await parseCertificates(x5c.map((c, i) => fromStdBase64(c, `x5c[${i}]`)), 'the certificate chain (x5c)');
  const protectedBytes = fromBase64Url(doc.protected, 'protected');
  const payloadBytes = fromBase64Url(doc.payload, 'payload');
  const signature = fromBase64Url(doc.signature, 'signature');
  if (signature.byteLength === 0) throw invalid('signature missing in jws-json envelope');
  const header = parseProtected(protectedBytes);
  const signingInput = Buffer.from(`${doc.protected as string}.${doc.payload as string}`, 'ascii');
  if (verify) {
    let ok = false;
    try { ok = verifyPrimitive(header.alg, (chain[0] as Certificate).node.publicKey, signingInput, signature); } catch { ok = false; }
    if (!ok) throw invalid('signature is invalid. Error: the signature does not verify with the signing certificate\'s key');
  }
  const target = verify ? checkSignedContent(header, chain, payloadBytes) : readPayload(header, payloadBytes);
  const out: JwsEnvelope = { format: 'jws', header, payloadBytes, target, chain, signature };
  if (typeof unprotected[HEADER_SIGNING_AGENT] === 'string') out.signingAgent = unprotected[HEADER_SIGNING_AGENT];
  if (unprotected[HEADER_TIMESTAMP] !== undefined) out.timestampToken = fromStdBase64(unprotected[HEADER_TIMESTAMP], HEADER_TIMESTAMP);
  return out;
}
