// cosign's legacy signature format (sigstore/cosign specs/SIGNATURE_SPEC.md, pkg/oci/static/signature.go,
// sigstore/sigstore pkg/signature/payload/payload.go): a simple-signing payload per signed digest,
// one layer each in the manifest tagged `sha256-<hex>.sig`, the signature in the layer's
// `dev.cosignproject.cosign/signature` annotation. Pure: building, parsing and verifying one
// signature; the registry round trips are the client's.
import { verify as verifySignature, type KeyObject, sign as signBytes } from 'node:crypto';
import { VouchError, digestOf, fromBase64, isJsonObject, parseDigest, parseJson, toBase64 } from '../../core/index.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
export const RFC3161_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

/** Bounds on what a registry may hand a verifier: one manifest, its layer count, each payload. */
export const MAX_SIGNATURE_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_SIGNATURE_LAYERS = 1000;
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
const MAX_SIGNATURE_ANNOTATION_BYTES = 16 * 1024;

export interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

/** `sha256-<hex>.sig`: where the legacy signatures of `digest` live (`.att` for attestations). */
export function signatureTag(digest: string, suffix: 'sig' | 'att' = 'sig'): string {
  const d = parseDigest(digest);
  return `${d.algorithm}-${d.hex}.${suffix}`;
}

/** The simple-signing payload in Go's struct order, as `cosign sign` writes it. */
export function simpleSigningPayload(dockerReference: string, digest: string, annotations?: Record<string, string>): Buffer {
  parseDigest(digest);
  const optional = annotations !== undefined && Object.keys(annotations).length > 0 ? annotations : null;
  return Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: COSIGN_SIGNATURE_TYPE },
    optional,
  }));
}

export interface SimpleSigningClaims {
  dockerReference: string;
  digest: string;
  type: string;
  optional: Record<string, unknown> | null;
}

export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningClaims {
  const v = parseJson(bytes, { maxBytes: MAX_PAYLOAD_BYTES, what: 'cosign payload' });
  const bad = (what: string): VouchError => new VouchError('INVALID_SIGNATURE', `the cosign payload is not a simple-signing payload: ${what}`);
  if (!isJsonObject(v) || !isJsonObject(v.critical)) throw bad('no critical section');
  const c = v.critical;
  if (!isJsonObject(c.identity) || !isJsonObject(c.image)) throw bad('no identity or image');
  const digest = c.image['docker-manifest-digest'];
  const ref = c.identity['docker-reference'];
  if (typeof digest !== 'string') throw bad('no docker-manifest-digest');
  if (typeof c.type !== 'string') throw bad('no type');
  const optional = v.optional === null || v.optional === undefined ? null : isJsonObject(v.optional) ? v.optional : undefined;
  if (optional === undefined) throw bad('optional is neither an object nor null');
  return { dockerReference: typeof ref === 'string' ? ref : '', digest, type: c.type, optional };
}

/** Signs the exact payload bytes as cosign does: SHA-256, ECDSA in DER, RSA PKCS#1 v1.5, Ed25519 pure. */
export function signPayload(key: KeyObject, payload: Uint8Array): Buffer {
  return signBytes(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key);
}

export function payloadSignatureValid(key: KeyObject, payload: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifySignature(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, signature);
  } catch {
    return false;
  }
}

/** One layer of a `.sig` manifest, as read: the payload descriptor and its annotations. */
export interface LegacySignatureLayer {
  payload: Descriptor;
  signature: Buffer;
  certificate?: string;
  chain?: string;
  bundle?: string;
  rfc3161Timestamp?: string;
}

/** The signature layers of a `.sig` manifest; layers of other media types are reported, not trusted. */
export function parseLegacySignatureManifest(bytes: Uint8Array): { layers: LegacySignatureLayer[]; foreign: Descriptor[] } {
  if (bytes.byteLength > MAX_SIGNATURE_MANIFEST_BYTES) throw new VouchError('TOO_LARGE', `the cosign signature manifest is over ${MAX_SIGNATURE_MANIFEST_BYTES} bytes`);
  const v = parseJson(bytes, { maxBytes: MAX_SIGNATURE_MANIFEST_BYTES, what: 'cosign signature manifest' });
  if (!isJsonObject(v) || v.schemaVersion !== 2 || !Array.isArray(v.layers)) {
    throw new VouchError('INVALID_METADATA', 'the cosign signature manifest is not an image manifest with layers');
  }
  if (v.layers.length > MAX_SIGNATURE_LAYERS) throw new VouchError('TOO_LARGE', `the cosign signature manifest has ${v.layers.length} layers, over the limit of ${MAX_SIGNATURE_LAYERS}`);
  const layers: LegacySignatureLayer[] = [];
  const foreign: Descriptor[] = [];
  for (const l of v.layers) {
    if (!isJsonObject(l) || typeof l.mediaType !== 'string' || typeof l.digest !== 'string' || typeof l.size !== 'number' || !Number.isSafeInteger(l.size) || l.size < 0) {
      throw new VouchError('INVALID_METADATA', 'a layer of the cosign signature manifest is not a descriptor');
    }
    parseDigest(l.digest);
    const annotations: Record<string, string> = {};
    if (isJsonObject(l.annotations)) for (const [k, a] of Object.entries(l.annotations)) if (typeof a === 'string') annotations[k] = a;
    const payload: Descriptor = { mediaType: l.mediaType, digest: l.digest, size: l.size, annotations };
    const sig = annotations[SIGNATURE_ANNOTATION];
    if (l.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || sig === undefined || sig.length > MAX_SIGNATURE_ANNOTATION_BYTES) {
      foreign.push(payload);
      continue;
    }
    layers.push({
      payload, signature: fromBase64(sig, 'cosign signature'),
      ...(annotations[CERTIFICATE_ANNOTATION] ? { certificate: annotations[CERTIFICATE_ANNOTATION] } : {}),
      ...(annotations[CHAIN_ANNOTATION] ? { chain: annotations[CHAIN_ANNOTATION] } : {}),
      ...(annotations[BUNDLE_ANNOTATION] ? { bundle: annotations[BUNDLE_ANNOTATION] } : {}),
      ...(annotations[RFC3161_ANNOTATION] ? { rfc3161Timestamp: annotations[RFC3161_ANNOTATION] } : {}),
    });
  }
  return { layers, foreign };
}

export interface BuiltLegacyManifest {
  bytes: Buffer;
  config: { descriptor: Descriptor; bytes: Buffer };
}

/**
 * The `.sig` manifest after adding one signature layer to `existing` layers (a read-modify-write:
 * the caller re-reads after writing). A layer already present (same payload and signature) is not
 * added twice. The config is the minimal image config go-containerregistry writes; verifiers ignore it.
 */
export function buildLegacySignatureManifest(existing: readonly Descriptor[], added: Descriptor): BuiltLegacyManifest {
  const same = (d: Descriptor): boolean => d.digest === added.digest && d.annotations?.[SIGNATURE_ANNOTATION] === added.annotations?.[SIGNATURE_ANNOTATION];
  const layers = existing.some(same) ? [...existing] : [...existing, added];
  if (layers.length > MAX_SIGNATURE_LAYERS) throw new VouchError('TOO_LARGE', `the signature manifest would hold more than ${MAX_SIGNATURE_LAYERS} signatures`);
  const config = Buffer.from(JSON.stringify({
    architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: {},
  }));
  const configDescriptor: Descriptor = { mediaType: OCI_CONFIG, digest: digestOf(config), size: config.byteLength };
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers }));
  return { bytes, config: { descriptor: configDescriptor, bytes: config } };
}

/** The layer descriptor of a new signature over `payload`. */
export function signatureLayer(payload: Uint8Array, signature: Uint8Array): Descriptor {
  return { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, digest: digestOf(payload), size: payload.byteLength, annotations: { [SIGNATURE_ANNOTATION]: toBase64(signature) } };
}

export type CosignCheckStatus = 'passed' | 'failed' | 'skipped';
export interface CosignVerdict {
  verified: boolean;
  checks: { signature: CosignCheckStatus; claims: CosignCheckStatus; tlog: CosignCheckStatus };
  claims?: SimpleSigningClaims;
  /** why it failed, for messages */
  reason?: string;
  /** keyless: who signed (the certificate's subject, issuer, GitHub claims) and when */
  signer?: { subject?: string; issuer?: string; github?: Record<string, string>; signedAt?: Date };
}

/**
 * Verifies one legacy signature with a public key (sigstore/cosign pkg/cosign/verify.go,
 * SimpleClaimVerifier): the signature over the payload bytes, then the claims (the payload names
 * `digest`, and carries every `annotations` pair in `optional`). The payload bytes must already be
 * checked against the layer's digest. Transparency-log evidence is the caller's (skipped here).
 */
export function verifyLegacySignature(opts: { layer: LegacySignatureLayer; payload: Uint8Array; key: KeyObject; digest: string; annotations?: Record<string, string> }): CosignVerdict {
  const checks: CosignVerdict['checks'] = { signature: 'failed', claims: 'skipped', tlog: 'skipped' };
  if (!payloadSignatureValid(opts.key, opts.payload, opts.layer.signature)) {
    return { verified: false, checks, reason: 'the signature does not verify with the given public key' };
  }
  checks.signature = 'passed';
  return checkClaims(checks, opts.payload, opts.digest, opts.annotations);
}

/** The claims of a payload whose signature verified: it names `digest` and carries every `annotations` pair. */
export function checkClaims(checks: CosignVerdict['checks'], payload: Uint8Array, digest: string, annotations?: Record<string, string>): CosignVerdict {
  let claims: SimpleSigningClaims;
  try {
    claims = parseSimpleSigningPayload(payload);
  } catch (err) {
    checks.claims = 'failed';
    return { verified: false, checks, reason: (err as Error).message };
  }
  if (claims.digest !== digest) {
    checks.claims = 'failed';
    return { verified: false, checks, claims, reason: `the payload signs ${claims.digest}, not ${digest}` };
  }
  for (const [k, want] of Object.entries(annotations ?? {})) {
    if (claims.optional?.[k] !== want) {
      checks.claims = 'failed';
      return { verified: false, checks, claims, reason: `annotation ${k}=${want} is not in the signed payload` };
    }
  }
  checks.claims = 'passed';
  return { verified: true, checks, claims };
}
