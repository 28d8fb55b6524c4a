// DSSE envelopes and in-toto statements as cosign makes them (sigstore/cosign
// pkg/cosign/attestation/attestation.go, cmd/cosign/cli/options/predicate.go,
// cmd/cosign/cli/sign/sign.go signDigestBundle, pkg/cosign/verifiers.go IntotoSubjectClaimVerifier).
// Envelopes are read by @sigstore/bundle (envelopeFromJSON) and the pre-authentication encoding is
// @sigstore/core's; this module bounds the input, signs, and checks the claims. Pure.
import type { KeyObject } from 'node:crypto';
import { envelopeFromJSON } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import { VouchError, isJsonObject, parseDigest, parseJson, toBase64 } from '../../core/index.js';
import { payloadSignatureValid, signPayload } from './legacy.js';

export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** The predicate of the statement `cosign sign` puts in a bundle (sigstore/cosign pkg/types/predicate.go). */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
export const COSIGN_CUSTOM_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/v1';
/** The `predicateType` annotation cosign puts on each `.att` layer (pkg/oci/static). */
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';

/** Bounds: an envelope (its payload is base64 inside it) and the statement it carries. */
export const MAX_ENVELOPE_BYTES = 16 * 1024 * 1024;
export const MAX_STATEMENT_BYTES = 10 * 1024 * 1024;
const MAX_ENVELOPE_SIGNATURES = 16;

/** `--type` names and the predicate URIs they stand for (cmd/cosign/cli/options/predicate.go PredicateTypeMap). */
export const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: COSIGN_CUSTOM_PREDICATE_TYPE,
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

/** A `--type` value as cosign reads it: a known name, else an absolute URI (ParsePredicateType). */
export function predicateTypeFor(type: string): string {
  const known = PREDICATE_TYPES[type];
  if (known !== undefined) return known;
  let url: URL | undefined;
  try { url = new URL(type); } catch { url = undefined; }
  if (url === undefined || type.startsWith('/')) {
    throw new VouchError('INVALID_ARGUMENT', `invalid predicate type: ${type}`, { hint: `use one of ${Object.keys(PREDICATE_TYPES).join('|')} or a URI` });
  }
  return type;
}

export interface DsseSignature { sig: Buffer; keyid: string }
export interface DsseEnvelope { payloadType: string; payload: Buffer; signatures: DsseSignature[] }

/** A DSSE envelope from hostile bytes: bounded, then read by @sigstore/bundle. */
export function parseEnvelope(bytes: Uint8Array, what = 'DSSE envelope'): DsseEnvelope {
  const v = parseJson(bytes, { maxBytes: MAX_ENVELOPE_BYTES, what });
  return envelopeFromValue(v, what);
}

/** An envelope already parsed as JSON (inside a bundle, or a layer). */
export function envelopeFromValue(v: unknown, what = 'DSSE envelope'): DsseEnvelope {
  const bad = (why: string, cause?: unknown): VouchError => new VouchError('INVALID_SIGNATURE', `the ${what} is malformed: ${why}`, cause === undefined ? {} : { cause });
  if (!isJsonObject(v) || typeof v.payload !== 'string' || typeof v.payloadType !== 'string' || !Array.isArray(v.signatures)) throw bad('payload, payloadType and signatures are required');
  if (v.signatures.length === 0 || v.signatures.length > MAX_ENVELOPE_SIGNATURES) throw bad(`${v.signatures.length} signatures (1 to ${MAX_ENVELOPE_SIGNATURES} expected)`);
  for (const s of v.signatures) if (!isJsonObject(s) || typeof s.sig !== 'string' || (s.keyid !== undefined && typeof s.keyid !== 'string')) throw bad('a signature is not {sig, keyid}');
  let env: ReturnType<typeof envelopeFromJSON>;
  try { env = envelopeFromJSON(v); } catch (err) { throw bad((err as Error).message, err); }
  if (env.payload.byteLength > MAX_STATEMENT_BYTES) throw new VouchError('TOO_LARGE', `the ${what}'s payload is ${env.payload.byteLength} bytes, over the limit of ${MAX_STATEMENT_BYTES}`);
  return { payloadType: env.payloadType, payload: env.payload, signatures: env.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid })) };
}

/** The pre-authentication encoding the signature covers (DSSE protocol; @sigstore/core). */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  return dsse.preAuthEncoding(payloadType, payload);
}

/** Signs a payload as a DSSE envelope signature (over the PAE), as cosign's wrapped signer does. */
export function signEnvelopePayload(key: KeyObject, payloadType: string, payload: Buffer): Buffer {
  return signPayload(key, preAuthEncoding(payloadType, payload));
}

/** The envelope of a legacy `.att` layer, in cosign's field order (keyid empty, as cosign writes it). */
export function legacyEnvelopeBytes(payloadType: string, payload: Buffer, signature: Buffer): Buffer {
  return Buffer.from(JSON.stringify({ payloadType, payload: toBase64(payload), signatures: [{ keyid: '', sig: toBase64(signature) }] }));
}

/** True when one of the envelope's signatures verifies with `key` over the PAE. */
export function envelopeSignedBy(env: DsseEnvelope, key: KeyObject): boolean {
  const pae = preAuthEncoding(env.payloadType, env.payload);
  return env.signatures.some((s) => payloadSignatureValid(key, pae, s.sig));
}

export interface InTotoSubject { name?: string; digest: Record<string, string>; annotations?: Record<string, unknown> }
export interface InTotoStatement { type: string; predicateType: string; subjects: InTotoSubject[]; predicate: unknown }

/** An in-toto statement (v0.1 or v1) from the envelope payload; anything else is an error. */
export function parseStatement(payload: Uint8Array): InTotoStatement {
  const v = parseJson(payload, { maxBytes: MAX_STATEMENT_BYTES, what: 'in-toto statement' });
  const bad = (why: string): VouchError => new VouchError('INVALID_SIGNATURE', `the signed payload is not an in-toto statement: ${why}`);
  if (!isJsonObject(v)) throw bad('not an object');
  if (v._type !== STATEMENT_V01 && v._type !== STATEMENT_V1) throw bad(`_type ${JSON.stringify(v._type)}`);
  if (typeof v.predicateType !== 'string') throw bad('no predicateType');
  if (!Array.isArray(v.subject)) throw bad('no subject list');
  const subjects: InTotoSubject[] = [];
  for (const s of v.subject) {
    if (!isJsonObject(s) || !isJsonObject(s.digest)) throw bad('a subject has no digest set');
    const digest: Record<string, string> = {};
    for (const [alg, hex] of Object.entries(s.digest)) if (typeof hex === 'string') digest[alg] = hex;
    subjects.push({ ...(typeof s.name === 'string' ? { name: s.name } : {}), digest, ...(isJsonObject(s.annotations) ? { annotations: s.annotations } : {}) });
  }
  return { type: v._type, predicateType: v.predicateType, subjects, predicate: v.predicate };
}

/**
 * cosign's claim check for statements (IntotoSubjectClaimVerifier): the first subject whose sha256
 * is the image's digest decides, and it must carry every wanted annotation. Returns why not, or
 * undefined when the claims hold.
 */
export function statementClaimsFail(statement: InTotoStatement, digest: string, annotations?: Record<string, string>): string | undefined {
  const want = parseDigest(digest);
  for (const s of statement.subjects) {
    if (want.algorithm !== 'sha256' || s.digest.sha256 !== want.hex) continue;
    for (const [k, v] of Object.entries(annotations ?? {})) {
      if (s.annotations?.[k] !== v) return `annotation ${k}=${v} is not in the signed statement`;
    }
    return undefined;
  }
  return `the statement names no subject with digest ${digest}`;
}

/**
 * The statement `cosign sign` signs in the bundle format (signDigestBundle): in-toto v1, the digest
 * as subject with the `-a` annotations, predicate type https://sigstore.dev/cosign/sign/v1, an empty
 * predicate; protojson's field order.
 */
export function signStatement(digest: string, annotations?: Record<string, string>): Buffer {
  const d = parseDigest(digest);
  const subject: Record<string, unknown> = { digest: { [d.algorithm]: d.hex } };
  if (annotations !== undefined && Object.keys(annotations).length > 0) subject.annotations = annotations;
  return Buffer.from(JSON.stringify({ _type: STATEMENT_V1, subject: [subject], predicateType: COSIGN_SIGN_PREDICATE_TYPE, predicate: {} }));
}

/**
 * The statement `cosign attest --predicate FILE --type T` signs (GenerateStatement): in-toto v0.1,
 * subject `repository` with the image's sha256. `custom` wraps the file as {Data, Timestamp};
 * `spdx` carries it as a string; every other type needs a JSON object, which is kept as given
 * (cosign re-encodes SLSA and link predicates through their Go types; the content is the same).
 */
export function attestationStatement(opts: { type: string; predicate: Buffer; digest: string; repository: string; now: Date }): Buffer {
  const predicateType = predicateTypeFor(opts.type);
  const d = parseDigest(opts.digest);
  if (d.algorithm !== 'sha256') throw new VouchError('INVALID_ARGUMENT', `cosign attests sha256 digests, not ${d.algorithm}`);
  let predicate: unknown;
  if (predicateType === COSIGN_CUSTOM_PREDICATE_TYPE) {
    predicate = { Data: opts.predicate.toString('utf8'), Timestamp: opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  } else if (opts.type === 'spdx') {
    predicate = opts.predicate.toString('utf8');
  } else {
    const v = parseJson(opts.predicate, { maxBytes: MAX_STATEMENT_BYTES, what: 'predicate file' });
    if (!isJsonObject(v)) throw new VouchError('INVALID_ARGUMENT', `the predicate for type ${opts.type} must be a JSON object`);
    predicate = v;
  }
  return Buffer.from(JSON.stringify({
    _type: STATEMENT_V01, predicateType, subject: [{ name: opts.repository, digest: { sha256: d.hex } }], predicate,
  }));
}
