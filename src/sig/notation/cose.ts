// The Notation COSE envelope (application/cose): a COSE_Sign1_Tagged message (RFC 9052 §4.2, CBOR
// tag 18) with the Notary attributes in the protected header (alg, crit, content type, signing
// scheme, signing time as a CBOR tag 1 date, expiry, extended attributes) and the chain (x5chain,
// label 33, RFC 9360 §2), the signing agent and the RFC 3161 timestamp token in the unprotected
// header. Written as notation-core-go signature/cose/envelope.go writes it through go-cose; read
// with go-cose's and notation-core-go's rules, every one with its message. CBOR through cbor2 only.
import { decode, encode, Tag, type DecodeOptions } from 'cbor2';
import { VouchError } from '../../core/index.js';
import { keySpecOf, parseCertificates, thumbprint, type Certificate, type JwsAlgorithm } from './certs.js';
import {
  COSE_ENVELOPE_TYPE, HEADER_AUTHENTIC_SIGNING_TIME, HEADER_EXPIRY, HEADER_SIGNING_AGENT, HEADER_SIGNING_SCHEME, HEADER_SIGNING_TIME,
  HEADER_TIMESTAMP, MAX_CHAIN_LENGTH, MAX_ENVELOPE_BYTES, NOTATION_PAYLOAD_TYPE, SIGNING_AGENT, SIGNING_SCHEME_AUTHORITY, SIGNING_SCHEME_X509,
} from './constants.js';
import type { EnvelopeSignOptions, NotationEnvelope, SignedEnvelope } from './envelope.js';
import { checkSignedContent, prepareSigning, readPayload, verifyPrimitive, type ProtectedHeader } from './jws.js';

/** RFC 9052 §3.1 and RFC 9360 §2 header labels. */
const LABEL_ALG = 1;
const LABEL_CRIT = 2;
const LABEL_CONTENT_TYPE = 3;
const LABEL_X5CHAIN = 33;
/** COSE_Sign1_Tagged (RFC 9052 §4.2); a date as seconds since the epoch (RFC 8949 §3.4.2). */
const TAG_SIGN1 = 18;
const TAG_EPOCH_TIME = 1;

/** IANA COSE Algorithms: the six notation signs with (go-cose algorithm.go). */
const COSE_ALGORITHMS: Record<JwsAlgorithm, number> = { PS256: -37, PS384: -38, PS512: -39, ES256: -7, ES384: -35, ES512: -36 };
const ALGORITHM_OF = new Map<number, JwsAlgorithm>(Object.entries(COSE_ALGORITHMS).map(([name, n]) => [n, name as JwsAlgorithm]));

/** Protected labels notation-core-go handles itself (validateCritHeaders: systemHeaders). */
const SYSTEM_LABELS: readonly (string | number)[] = [LABEL_ALG, LABEL_CRIT, LABEL_CONTENT_TYPE, HEADER_EXPIRY, HEADER_SIGNING_SCHEME, HEADER_SIGNING_TIME, HEADER_AUTHENTIC_SIGNING_TIME];

/** A COSE header holds a handful of labels; more than this is not a Notary envelope. */
const MAX_HEADER_LABELS = 64;
/** Nesting of a Notary envelope is 4 deep at most (tag, array, map, x5chain array); room for extended attributes. */
const MAX_CBOR_DEPTH = 16;

const invalid = (msg: string): VouchError => new VouchError('INVALID_SIGNATURE', msg);

/** Maps with int or text labels, each label once (go-cose: DupMapKeyEnforcedAPF, and no two encodings of one label). */
function createMap(entries: [unknown, unknown, Uint8Array][]): Map<unknown, unknown> {
  if (entries.length > MAX_HEADER_LABELS) throw new Error(`a map has ${entries.length} entries, more than the limit of ${MAX_HEADER_LABELS}`);
  const m = new Map<unknown, unknown>();
  for (const [k, v] of entries) {
    if (m.has(k)) throw new Error(`duplicated map key ${String(k)}`);
    m.set(k, v);
  }
  return m;
}

// go-cose decodes with IndefLengthForbidden and DupMapKeyEnforcedAPF; tags are left as Tag objects
// (no global decoders) so that exactly the ones allowed can be checked.
const DECODE: DecodeOptions = { ignoreGlobalTags: true, rejectStreaming: true, createObject: createMap, maxDepth: MAX_CBOR_DEPTH, rejectUndefined: true };

function decodeCbor(bytes: Uint8Array, what: string): unknown {
  try { return decode(bytes, DECODE); } catch (err) {
    throw invalid(`${what} is not valid CBOR: ${(err as Error).message}`);
  }
}

const isMap = (v: unknown): v is Map<unknown, unknown> => v instanceof Map;
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const describe = (v: unknown): string => (v === null ? 'null' : v instanceof Uint8Array ? 'bstr' : v instanceof Map ? 'map' : Array.isArray(v) ? 'array' : v instanceof Tag ? `tag ${String(v.tag)}` : typeof v);

/** go-cose normalizeLabel: an int (within int64) or a text string. */
function checkLabel(label: unknown, where: string): string | number {
  if (typeof label === 'string') return label;
  if (typeof label === 'number' && Number.isSafeInteger(label)) return label;
  throw invalid(`${where}: header label: require int / tstr type, got ${describe(label)}`);
}

/** go-cose's DecModeWithTagsForbidden for everything outside the protected header. */
function refuseTags(v: unknown, where: string): void {
  if (v instanceof Tag) throw invalid(`${where}: CBOR tags are not allowed here (tag ${String(v.tag)})`);
  if (Array.isArray(v)) for (const x of v) refuseTags(x, where);
  if (isMap(v)) for (const [k, x] of v) { refuseTags(k, where); refuseTags(x, where); }
}

/** A tag 1 date (notation-core-go parseTime: "only Tag `1` Datetime CBOR object is supported"). */
function parseTime(v: unknown, label: string): Date {
  if (v === undefined) throw invalid(`protected header "${label}" is missing`);
  if (!(v instanceof Tag)) throw invalid(`header "${label}" time value does not have a tag`);
  if (Number(v.tag) !== TAG_EPOCH_TIME) throw invalid(`header "${label}": only Tag \`1\` Datetime CBOR object is supported`);
  const secs = typeof v.contents === 'bigint' ? Number(v.contents) : v.contents;
  if (typeof secs !== 'number' || !Number.isFinite(secs)) throw invalid(`header "${label}": a tag 1 date must hold a number of seconds, not ${describe(v.contents)}`);
  const d = new Date(secs * 1000);
  if (Number.isNaN(d.getTime())) throw invalid(`header "${label}" is not a valid time`);
  return d;
}

function parseProtected(protectedBytes: Uint8Array): ProtectedHeader {
  if (protectedBytes.byteLength === 0) throw invalid('the COSE protected header is empty; a Notary envelope signs its attributes there');
  const h = decodeCbor(protectedBytes, 'the COSE protected header');
  if (!isMap(h)) throw invalid(`cbor: protected header: require map type, got ${describe(h)}`);
  for (const label of h.keys()) checkLabel(label, 'the COSE protected header');
  // go-cose ensureCritical: a non-empty list of int / tstr labels, each present
  const crit = h.get(LABEL_CRIT);
  if (crit === undefined) throw invalid('missing "crit" header');
  if (!Array.isArray(crit)) throw invalid('invalid crit header');
  if (crit.length === 0) throw invalid('empty crit header');
  for (const label of crit) {
    checkLabel(label, 'crit');
    if (!h.has(label)) throw invalid(`missing critical header: ${String(label)}`);
  }
  const alg = h.get(LABEL_ALG);
  if (alg === undefined) throw invalid('algorithm not found in the protected header');
  if (typeof alg !== 'number' && typeof alg !== 'string') throw invalid('header parameter: alg: require int / tstr type');
  const name = typeof alg === 'number' ? ALGORITHM_OF.get(alg) : undefined;
  if (name === undefined) throw invalid(`signature algorithm not supported: ${String(alg)}`);
  const scheme = h.get(HEADER_SIGNING_SCHEME);
  if (typeof scheme !== 'string') throw invalid('invalid signingScheme');
  if (scheme !== SIGNING_SCHEME_X509 && scheme !== SIGNING_SCHEME_AUTHORITY) throw invalid(`unsupported signingScheme: ${scheme}`);
  // notation-core-go validateCritHeaders: the required headers are critical
  const must = new Set<string>([HEADER_SIGNING_SCHEME, ...(h.has(HEADER_EXPIRY) ? [HEADER_EXPIRY] : []), ...(scheme === SIGNING_SCHEME_AUTHORITY ? [HEADER_AUTHENTIC_SIGNING_TIME] : [])]);
  for (const label of crit) if (typeof label === 'string') must.delete(label);
  if (must.size > 0) throw invalid(`these required headers are not marked as critical: [${[...must].join(' ')}]`);
  let signingTime: Date;
  if (scheme === SIGNING_SCHEME_X509) {
    if (h.has(HEADER_AUTHENTIC_SIGNING_TIME)) throw invalid(`"${HEADER_AUTHENTIC_SIGNING_TIME}" header must not be present for ${SIGNING_SCHEME_X509} signing scheme`);
    signingTime = parseTime(h.get(HEADER_SIGNING_TIME), HEADER_SIGNING_TIME);
  } else {
    if (h.has(HEADER_SIGNING_TIME)) throw invalid(`"${HEADER_SIGNING_TIME}" header must not be present for ${SIGNING_SCHEME_AUTHORITY} signing scheme`);
    signingTime = parseTime(h.get(HEADER_AUTHENTIC_SIGNING_TIME), HEADER_AUTHENTIC_SIGNING_TIME);
  }
  const expiry = h.has(HEADER_EXPIRY) ? parseTime(h.get(HEADER_EXPIRY), HEADER_EXPIRY) : undefined;
  if (expiry && expiry.getTime() <= signingTime.getTime()) throw invalid('expiry cannot be equal or before the signing time');
  const cty = h.get(LABEL_CONTENT_TYPE);
  if (cty === undefined) throw invalid('missing content type');
  if (typeof cty !== 'string') throw invalid("content type should be of 'tstr' type");
  // Extended attributes, keyed by their label's text (an int label as its decimal digits); one label per key.
  const extended: Record<string, unknown> = {};
  for (const [label, value] of h) {
    if (SYSTEM_LABELS.includes(label as string | number)) continue;
    const key = String(label);
    if (key in extended) throw invalid(`the COSE protected header has both the int label ${key} and the text label "${key}"`);
    extended[key] = value;
  }
  return { alg: name, cty, crit: crit.map(String), signingScheme: scheme, signingTime, ...(expiry ? { expiry } : {}), extended };
}

/** RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad (empty), payload], over the protected bytes as received. */
function toBeSigned(protectedBytes: Uint8Array, payload: Uint8Array): Buffer {
  return Buffer.from(encode(['Signature1', bstr(protectedBytes), new Uint8Array(0), bstr(payload)]));
}

/** A plain Uint8Array view: cbor2 encodes a Buffer through its toJSON (a map), not as a bstr. */
function bstr(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Parses and checks a COSE envelope for integrity, as notation-core-go's cose envelope Verify
 * (go-cose Sign1Message.UnmarshalCBOR and Verify) and base.Envelope.Verify do. Throws
 * INVALID_SIGNATURE (or INVALID_CERTIFICATE, TOO_LARGE) naming what is wrong.
 */
export async function verifyCoseEnvelope(bytes: Uint8Array): Promise<NotationEnvelope> {
  return decodeCoseEnvelope(bytes, true);
}

/**
 * Reads a COSE envelope without checking its signature, its chain or the key's algorithm (what
 * notation inspect shows: notation-core-go's Envelope.Content); the structure, the headers and the
 * payload are checked as verifyCoseEnvelope checks them.
 */
export async function readCoseEnvelope(bytes: Uint8Array): Promise<NotationEnvelope> {
  return decodeCoseEnvelope(bytes, false);
}

async function decodeCoseEnvelope(bytes: Uint8Array, verify: boolean): Promise<NotationEnvelope> {
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) throw new VouchError('TOO_LARGE', `signature envelope is ${bytes.byteLength} bytes, over the limit of ${MAX_ENVELOPE_BYTES}`);
  const msg = decodeCbor(bytes, 'the COSE envelope');
  if (!(msg instanceof Tag) || Number(msg.tag) !== TAG_SIGN1) throw invalid('cbor: invalid COSE_Sign1_Tagged object: the envelope is not a CBOR tag 18 (COSE_Sign1)');
  const body = msg.contents;
  if (!Array.isArray(body) || body.length !== 4) throw invalid('cbor: invalid COSE_Sign1 object: not an array of protected header, unprotected header, payload and signature');
  const [protectedBytes, unprotected, payload, signature] = body as [unknown, unknown, unknown, unknown];
  refuseTags(body.slice(1), 'COSE_Sign1');
  if (!isBytes(protectedBytes)) throw invalid(`cbor: the protected header must be a bstr, got ${describe(protectedBytes)}`);
  if (!isMap(unprotected)) throw invalid(`cbor: unprotected header: require map type, got ${describe(unprotected)}`);
  for (const label of unprotected.keys()) checkLabel(label, 'the COSE unprotected header');
  if (unprotected.has(LABEL_CRIT)) throw invalid('header parameter: crit: not allowed in the unprotected header');
  if (payload === null) throw invalid('missing payload: a detached COSE payload is not a Notary envelope');
  if (!isBytes(payload)) throw invalid(`the COSE payload must be a bstr, got ${describe(payload)}`);
  if (!isBytes(signature)) throw invalid(`the COSE signature must be a bstr, got ${describe(signature)}`);
  if (signature.byteLength === 0) throw invalid('signature missing in COSE envelope');

  // the chain: x5chain, a non-empty array of DER certificates
  const x5chain = unprotected.get(LABEL_X5CHAIN);
  if (!Array.isArray(x5chain) || x5chain.length === 0) throw invalid('certificate chain is not present');
  if (x5chain.length > MAX_CHAIN_LENGTH) throw new VouchError('INVALID_CERTIFICATE', `the certificate chain (x5chain) has ${x5chain.length} certificates, more than the limit of ${MAX_CHAIN_LENGTH}`);
  x5chain.forEach((c, i) => { if (!isBytes(c)) throw invalid(`COSE envelope malformed certificate chain: x5chain[${i}] is a ${describe(c)}, not a bstr`); });
  const chain = await parseCertificates(x5chain as Uint8Array[], 'the certificate chain (x5chain)');
  const leaf = chain[0] as Certificate;

  const header = parseProtected(protectedBytes);
  if (verify) {
    // go-cose ensureVerificationAlgorithm: the header's alg is the one the leaf's key takes.
    let keyAlg: JwsAlgorithm;
    try { keyAlg = keySpecOf(leaf.node.publicKey).alg; } catch (err) { throw invalid(`signature is invalid. Error: ${(err as Error).message}`); }
    if (keyAlg !== header.alg) throw invalid(`signature is invalid. Error: algorithm mismatch: the signing certificate's key takes ${keyAlg}, the protected header names ${header.alg}`);
    const ok = (() => { try { return verifyPrimitive(header.alg, leaf.node.publicKey, toBeSigned(protectedBytes, payload), Buffer.from(signature), 'digest'); } catch { return false; } })();
    if (!ok) throw invalid('signature is invalid. Error: verification error: the COSE signature does not verify with the signing certificate\'s key');
  }
  const target = verify ? checkSignedContent(header, chain, Buffer.from(payload)) : readPayload(header, Buffer.from(payload));
  const out: NotationEnvelope = { format: 'cose', header, payloadBytes: Buffer.from(payload), target, chain, signature: Buffer.from(signature) };
  const agent = unprotected.get(HEADER_SIGNING_AGENT);
  if (typeof agent === 'string') out.signingAgent = agent;
  const token = unprotected.get(HEADER_TIMESTAMP);
  if (token !== undefined) {
    if (!isBytes(token)) throw invalid(`${HEADER_TIMESTAMP} must be a bstr (a DER RFC 3161 token), got ${describe(token)}`);
    out.timestampToken = Buffer.from(token);
  }
  return out;
}

/** Signs a target as `notation sign --signature-format cose` does (scheme notary.x509). */
export async function signCose(opts: EnvelopeSignOptions): Promise<SignedEnvelope> {
  const { signingTime, expiry, spec, payload, sign } = await prepareSigning(opts);
  const seconds = (d: Date): Tag => new Tag(TAG_EPOCH_TIME, Math.floor(d.getTime() / 1000));
  const protectedHeader = new Map<string | number, unknown>([
    [LABEL_ALG, COSE_ALGORITHMS[spec.alg]],
    [LABEL_CRIT, [HEADER_SIGNING_SCHEME, ...(expiry ? [HEADER_EXPIRY] : [])]],
    [LABEL_CONTENT_TYPE, NOTATION_PAYLOAD_TYPE],
    [HEADER_SIGNING_SCHEME, SIGNING_SCHEME_X509],
    [HEADER_SIGNING_TIME, seconds(signingTime)],
    ...(expiry ? [[HEADER_EXPIRY, seconds(expiry)] as [string, unknown]] : []),
  ]);
  // go-cose encodes with SortCoreDeterministic and definite lengths.
  const protectedBytes = encode(protectedHeader, { cde: true });
  const { signature, chain } = await sign(toBeSigned(protectedBytes, payload));
  const unprotected = new Map<string | number, unknown>([
    [LABEL_X5CHAIN, chain.map((c) => bstr(c.der))],
    [HEADER_SIGNING_AGENT, opts.signingAgent ?? SIGNING_AGENT],
  ]);
  if (opts.timestamp) unprotected.set(HEADER_TIMESTAMP, bstr(await opts.timestamp(signature, spec.hash)));
  const envelope = Buffer.from(encode(new Tag(TAG_SIGN1, [bstr(protectedBytes), unprotected, bstr(payload), bstr(signature)]), { cde: true }));
  return { envelope, mediaType: COSE_ENVELOPE_TYPE, chain, thumbprints: chain.map(thumbprint), signingTime };
}
