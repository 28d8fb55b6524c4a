// Signature manifests: how a Notation signature is stored next to what it signs. Written in the
// OCI 1.1 form (artifactType + empty config) or in the form notation v1.x itself writes (config
// media type application/vnd.cncf.notary.signature: notation-go registry/repository.go
// uploadSignatureManifest), both read; exactly one layer, the envelope.
import { VouchError, digestOf, isJsonObject, parseJson } from '../../core/index.js';
import { checkTarget, formatRfc3339, type TargetArtifact } from './jws.js';
import {
  COSE_ENVELOPE_TYPE, CREATED_ANNOTATION, JWS_ENVELOPE_TYPE, MAX_ENVELOPE_BYTES, MAX_SIGNATURE_MANIFEST_BYTES, NOTATION_ARTIFACT_TYPE, THUMBPRINT_ANNOTATION,
} from './constants.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
/**
 * The artifact manifest of the OCI 1.1 release candidates, withdrawn from the final spec, which
 * notation-go still reads (registry/repository.go getSignatureBlobDesc: its `blobs`).
 */
export const OCI_ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
/** The empty JSON object `{}` every Notation signature manifest uses as its config. */
export const EMPTY_CONFIG = Buffer.from('{}');
export const EMPTY_CONFIG_DIGEST = digestOf(EMPTY_CONFIG);

/** `artifact`: OCI 1.1 artifactType + empty config; `image`: notation v1.x's config media type form. */
export type SignatureManifestForm = 'artifact' | 'image';

export interface Descriptor extends TargetArtifact { artifactType?: string }

export interface SignatureManifestOptions {
  subject: TargetArtifact;
  envelope: Buffer;
  envelopeMediaType?: string;
  /** leaf-first SHA-256 of the chain (lowercase hex) */
  thumbprints: readonly string[];
  created: Date;
  form?: SignatureManifestForm;
  /** more manifest annotations (a signing plugin's); the thumbprint and created annotations are always vouch's */
  annotations?: Record<string, string>;
}

export interface BuiltSignatureManifest {
  bytes: Buffer;
  descriptor: Descriptor;
  config: { descriptor: Descriptor; bytes: Buffer };
  envelope: { descriptor: Descriptor; bytes: Buffer };
}

export function buildSignatureManifest(opts: SignatureManifestOptions): BuiltSignatureManifest {
  const form = opts.form ?? 'artifact';
  const envelopeDesc: Descriptor = { mediaType: opts.envelopeMediaType ?? JWS_ENVELOPE_TYPE, digest: digestOf(opts.envelope), size: opts.envelope.byteLength };
  const configDesc: Descriptor = { mediaType: form === 'artifact' ? OCI_EMPTY : NOTATION_ARTIFACT_TYPE, digest: EMPTY_CONFIG_DIGEST, size: EMPTY_CONFIG.byteLength };
  const annotations = { ...opts.annotations, [THUMBPRINT_ANNOTATION]: JSON.stringify(opts.thumbprints), [CREATED_ANNOTATION]: formatRfc3339(opts.created) };
  const subject: TargetArtifact = { mediaType: opts.subject.mediaType, digest: opts.subject.digest, size: opts.subject.size };
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(form === 'artifact' ? { artifactType: NOTATION_ARTIFACT_TYPE } : {}),
    config: configDesc,
    layers: [envelopeDesc],
    subject,
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const descriptor: Descriptor = { mediaType: OCI_MANIFEST, digest: digestOf(bytes), size: bytes.byteLength, artifactType: NOTATION_ARTIFACT_TYPE, annotations };
  return { bytes, descriptor, config: { descriptor: configDesc, bytes: EMPTY_CONFIG }, envelope: { descriptor: envelopeDesc, bytes: opts.envelope } };
}

export interface SignatureManifest {
  /** `artifact-manifest`: the withdrawn OCI 1.1-rc artifact manifest (read only) */
  form: SignatureManifestForm | 'artifact-manifest';
  envelope: Descriptor;
  subject: TargetArtifact;
  /** from the thumbprint annotation, lowercase */
  thumbprints: string[];
}

const invalid = (msg: string): VouchError => new VouchError('INVALID_SIGNATURE', `invalid signature manifest: ${msg}`);

/** Is this manifest a Notation signature, in either form? (notation-go registry: signatureReferrers) */
export function isNotationSignature(m: { artifactType?: string; config?: { mediaType: string } }): boolean {
  return (m.artifactType === NOTATION_ARTIFACT_TYPE && m.config?.mediaType === OCI_EMPTY) || m.config?.mediaType === NOTATION_ARTIFACT_TYPE;
}

/**
 * Reads a signature manifest (bytes already checked against their digest by whoever fetched
 * them). `mediaType`: the type its descriptor names (default the OCI image manifest); an OCI
 * 1.1-rc artifact manifest keeps its envelope in `blobs` and has no config.
 */
export function parseSignatureManifest(bytes: Uint8Array, mediaType: string = OCI_MANIFEST): SignatureManifest {
  const v = parseJson(bytes, { maxBytes: MAX_SIGNATURE_MANIFEST_BYTES, what: 'the signature manifest' });
  if (!isJsonObject(v)) throw invalid('not a JSON object');
  if (mediaType !== OCI_MANIFEST && mediaType !== OCI_ARTIFACT_MANIFEST) throw invalid(`media type '${mediaType}' is neither ${OCI_MANIFEST} nor ${OCI_ARTIFACT_MANIFEST}`);
  const rcArtifact = mediaType === OCI_ARTIFACT_MANIFEST;
  if (v.mediaType !== undefined && v.mediaType !== mediaType) throw invalid(`it declares media type '${String(v.mediaType)}' but is listed as '${mediaType}'`);
  const artifactType = typeof v.artifactType === 'string' ? v.artifactType : undefined;
  let layers: unknown;
  if (rcArtifact) {
    if (artifactType !== NOTATION_ARTIFACT_TYPE) throw invalid(`it is not a Notation signature (artifactType ${artifactType ?? 'absent'})`);
    layers = v.blobs;
  } else {
    const config = checkTarget(v.config, 'config');
    if (!isNotationSignature({ ...(artifactType ? { artifactType } : {}), config })) {
      throw invalid(`it is not a Notation signature (artifactType ${artifactType ?? 'absent'}, config ${config.mediaType})`);
    }
    layers = v.layers;
  }
  if (!Array.isArray(layers) || layers.length !== 1) throw invalid(`signature manifest requires exactly one signature envelope blob, got ${Array.isArray(layers) ? layers.length : 0}`);
  const envelope = checkTarget(layers[0], rcArtifact ? 'blobs[0]' : 'layers[0]');
  if (envelope.size > MAX_ENVELOPE_BYTES) throw new VouchError('TOO_LARGE', `signature blob too large: ${envelope.size} bytes (the limit is ${MAX_ENVELOPE_BYTES})`);
  if (envelope.mediaType !== JWS_ENVELOPE_TYPE && envelope.mediaType !== COSE_ENVELOPE_TYPE) throw new VouchError('INVALID_SIGNATURE', `signature envelope format with media type "${envelope.mediaType}" is not supported`);
  const subject = checkTarget(v.subject, 'subject');
  const annotations = v.annotations;
  const raw = isJsonObject(annotations) ? annotations[THUMBPRINT_ANNOTATION] : undefined;
  if (typeof raw !== 'string') throw invalid(`the required annotation ${THUMBPRINT_ANNOTATION} is missing`);
  let list: unknown;
  try { list = JSON.parse(raw); } catch { list = undefined; }
  if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string' && /^[0-9a-fA-F]{64}$/.test(t))) {
    throw invalid(`${THUMBPRINT_ANNOTATION} must be a JSON list of SHA-256 hex thumbprints`);
  }
  return { form: rcArtifact ? 'artifact-manifest' : artifactType === NOTATION_ARTIFACT_TYPE ? 'artifact' : 'image', envelope, subject, thumbprints: (list as string[]).map((t) => t.toLowerCase()) };
}
