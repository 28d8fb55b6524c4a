// Sigstore bundles v0.3 as cosign v3 stores them: one bundle per OCI 1.1 referrer manifest of the
// image (sigstore/cosign pkg/oci/remote/write.go WriteReferrer, WriteAttestationNewBundleFormat;
// pkg/cosign/verify.go GetBundles, verifyImageAttestationsSigstoreBundle). Bundles are read by
// @sigstore/bundle and their signatures checked by @sigstore/verify; this module bounds the
// input, builds what cosign writes, and checks the claims (subject digest, annotations, predicate
// type). Signature checking is a parameter (`BundleSignatureVerifier`): a public key here, keyless
// (trusted root, Fulcio, Rekor, identity policy) keyless.ts's sigstoreBundleVerifier. Pure.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { BUNDLE_V03_LEGACY_MEDIA_TYPE, BUNDLE_V03_MEDIA_TYPE, bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { VouchError, digestOf, isJsonObject, parseDigest, parseJson, toBase64 } from '../../core/index.js';
import {
  COSIGN_SIGN_PREDICATE_TYPE, IN_TOTO_PAYLOAD_TYPE, MAX_ENVELOPE_BYTES, envelopeFromValue, parseStatement,
  signEnvelopePayload, statementClaimsFail, type DsseEnvelope, type InTotoStatement,
} from './dsse.js';
import { verifySigstoreBundle } from './keyless.js';
import type { CosignVerdict, Descriptor } from './legacy.js';

export { BUNDLE_V03_MEDIA_TYPE };
export type { Bundle as SigstoreBundle };
export const OCI_EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';
/** go-containerregistry's empty config blob, as cosign uploads it (writeEmptyConfigLayer). */
export const EMPTY_CONFIG = Buffer.from('{}');
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Bounds: one bundle blob, one referrer manifest, how many referrers of a digest are read. */
export const MAX_BUNDLE_BYTES = MAX_ENVELOPE_BYTES + 1024 * 1024;
export const MAX_REFERRER_MANIFEST_BYTES = 256 * 1024;
export const MAX_REFERRERS = 1000;

/** Is this media type a Sigstore bundle (cosign accepts every `application/vnd.dev.sigstore.bundle*`)? */
export function isBundleMediaType(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.dev.sigstore.bundle');
}

/** The key hint cosign writes: base64 of the SHA-256 of the public key's PKIX DER. */
export function publicKeyHint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64');
}

/**
 * A DSSE bundle v0.3 over `payload`, signed with `key`, in the shape cosign v3 writes
 * (verificationMaterial.publicKey.hint, no transparency-log entries: --tlog-upload=false).
 * Round-tripped through @sigstore/bundle so what is written is what a reader accepts.
 */
export function dsseBundle(key: KeyObject, payload: Buffer, payloadType = IN_TOTO_PAYLOAD_TYPE): Buffer {
  const sig = signEnvelopePayload(key, payloadType, payload);
  const json = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(key) } },
    dsseEnvelope: { payload: toBase64(payload), payloadType, signatures: [{ sig: toBase64(sig) }] },
  };
  bundleFromJSON(json);
  return Buffer.from(JSON.stringify(json));
}

/**
 * The referrer manifest cosign v3 writes for one bundle (WriteReferrer): the empty config with the
 * bundle media type as artifactType, one layer, the image as subject, and the annotations of
 * WriteAttestationNewBundleFormat. Field order as Go's encoding/json writes v1.Manifest.
 */
export function bundleReferrerManifest(opts: { subject: Descriptor; bundle: Buffer; predicateType: string; now: Date }): { bytes: Buffer; layer: Descriptor; config: Descriptor } {
  const config: Descriptor & { artifactType: string } = { mediaType: OCI_EMPTY_MEDIA_TYPE, size: EMPTY_CONFIG.byteLength, digest: digestOf(EMPTY_CONFIG), artifactType: BUNDLE_V03_MEDIA_TYPE } as Descriptor & { artifactType: string };
  const layer = { mediaType: BUNDLE_V03_MEDIA_TYPE, size: opts.bundle.byteLength, digest: digestOf(opts.bundle) } as Descriptor;
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config,
    layers: [layer],
    annotations: {
      [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
      [BUNDLE_PREDICATE_TYPE_ANNOTATION]: opts.predicateType,
      [CREATED_ANNOTATION]: opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    subject: { mediaType: opts.subject.mediaType, size: opts.subject.size, digest: opts.subject.digest },
    artifactType: BUNDLE_V03_MEDIA_TYPE,
  }));
  return { bytes, layer, config };
}

/**
 * The bundle layer of a referrer manifest, or undefined when the referrer is not a cosign bundle
 * (cosign's ociremote.Bundle: exactly one layer, of a bundle media type). The subject must be the
 * image: a referrer listed for one digest but naming another is refused.
 */
export function bundleLayerOf(manifest: Uint8Array, subjectDigest: string): Descriptor | undefined {
  const v = parseJson(manifest, { maxBytes: MAX_REFERRER_MANIFEST_BYTES, what: 'referrer manifest' });
  if (!isJsonObject(v) || v.schemaVersion !== 2 || !Array.isArray(v.layers) || v.layers.length !== 1) return undefined;
  const l = v.layers[0];
  if (!isJsonObject(l) || typeof l.mediaType !== 'string' || !isBundleMediaType(l.mediaType)) return undefined;
  if (typeof l.digest !== 'string' || typeof l.size !== 'number' || !Number.isSafeInteger(l.size) || l.size < 0) {
    throw new VouchError('INVALID_METADATA', 'the bundle layer of a referrer manifest is not a descriptor');
  }
  parseDigest(l.digest);
  if (!isJsonObject(v.subject) || v.subject.digest !== subjectDigest) {
    throw new VouchError('INVALID_METADATA', `a referrer listed for ${subjectDigest} names another subject`, { hint: 'the registry\'s referrers list is wrong or tampered with' });
  }
  return { mediaType: l.mediaType, digest: l.digest, size: l.size };
}

/** A Sigstore bundle from hostile bytes: bounded, read and validated by @sigstore/bundle, v0.3 only (as cosign). */
export function parseBundle(bytes: Uint8Array): Bundle {
  const v = parseJson(bytes, { maxBytes: MAX_BUNDLE_BYTES, what: 'Sigstore bundle' });
  const bad = (why: string, cause?: unknown): VouchError => new VouchError('INVALID_SIGNATURE', `the Sigstore bundle is malformed: ${why}`, cause === undefined ? {} : { cause });
  if (!isJsonObject(v)) throw bad('not an object');
  if (v.mediaType !== BUNDLE_V03_MEDIA_TYPE && v.mediaType !== BUNDLE_V03_LEGACY_MEDIA_TYPE) {
    throw bad(`media type ${JSON.stringify(v.mediaType)}; cosign reads bundles v0.3 and newer`);
  }
  // The envelope goes through the bounded reader first, so its payload size is checked before use.
  if (v.dsseEnvelope !== undefined) envelopeFromValue(v.dsseEnvelope, 'bundle\'s DSSE envelope');
  try {
    return bundleFromJSON(v);
  } catch (err) {
    const fields = (err as { fields?: string[] }).fields;
    throw bad(`${(err as Error).message}${fields ? ` (${fields.join(', ')})` : ''}`, err);
  }
}

/** What a bundle's signature check hands back: who signed, in words, and a keyless signer's certificate identity. */
export interface BundleSigner { description: string; signer?: CosignVerdict['signer'] }
/**
 * Checks a bundle's signature and verification material; throws when they do not hold. `artifact`
 * is the signed bytes of a message-signature bundle (the image manifest). A public key is
 * `publicKeyBundleVerifier`; keyless (certificate chain, transparency log, identity policy) is
 * keyless.ts's `sigstoreBundleVerifier`.
 */
export type BundleSignatureVerifier = (bundle: Bundle, artifact: Buffer | undefined) => BundleSigner;

/**
 * Verification with a public key and the transparency log ignored (`--key --insecure-ignore-tlog`):
 * keyless.ts's verifySigstoreBundle, the one Sigstore check, with the key in place of a CA. The key
 * is used whatever the bundle's hint says (cosign with --key does the same); log entries and
 * timestamps in the bundle are not checked, because the user asked for no log and gave no root.
 */
export function publicKeyBundleVerifier(key: KeyObject): BundleSignatureVerifier {
  return (bundle, artifact) => {
    if (bundle.verificationMaterial.content.$case !== 'publicKey') {
      throw new VouchError('INVALID_SIGNATURE', 'the bundle carries a certificate, not a key hint: it was signed keyless', { hint: 'verify it with the signer\'s identity and a trusted root, not --key' });
    }
    try {
      // the time only matters for certificates, which a key never accepts
      verifySigstoreBundle(bundle, artifact, { kind: 'key', key }, { now: new Date(0), ignoreTlog: true });
    } catch (err) {
      throw new VouchError('INVALID_SIGNATURE', `the bundle's signature does not verify with the given public key (${(err as Error).message})`, { cause: err });
    }
    return { description: 'the specified public key' };
  };
}

export interface BundleVerdict {
  verified: boolean;
  checks: { signature: 'passed' | 'failed' | 'skipped'; claims: 'passed' | 'failed' | 'skipped' };
  /** the DSSE envelope, for bundles that carry one */
  envelope?: DsseEnvelope;
  statement?: InTotoStatement;
  /** a keyless signer's certificate identity, once the signature verified */
  signer?: CosignVerdict['signer'];
  reason?: string;
}

/**
 * One bundle of an image, checked as cosign v3 does: the signature (the verifier), then the claims.
 * `purpose: 'signature'` accepts the statement `cosign sign` makes (predicate type
 * https://sigstore.dev/cosign/sign/v1) and message signatures over the image manifest;
 * `'attestation'` accepts any statement about the digest. `manifest` is the image manifest (its
 * digest checked by the caller), the signed artifact of a message-signature bundle.
 */
export function verifyImageBundle(opts: {
  bundle: Bundle; digest: string; manifest: Buffer; verifier: BundleSignatureVerifier;
  purpose: 'signature' | 'attestation'; annotations?: Record<string, string>;
}): BundleVerdict {
  const checks: BundleVerdict['checks'] = { signature: 'failed', claims: 'skipped' };
  const { bundle } = opts;
  if (bundle.content.$case === 'messageSignature') {
    if (opts.purpose === 'attestation') return { verified: false, checks: { signature: 'skipped', claims: 'failed' }, reason: 'a message-signature bundle is not an attestation' };
    const md = bundle.content.messageSignature.messageDigest;
    const want = parseDigest(opts.digest);
    if (md === undefined || want.algorithm !== 'sha256' || md.algorithm !== HashAlgorithm.SHA2_256 || md.digest.toString('hex') !== want.hex) {
      return { verified: false, checks: { signature: 'skipped', claims: 'failed' }, reason: `the message signature is over another digest than ${opts.digest}` };
    }
    let signedBy: BundleSigner;
    try { signedBy = opts.verifier(bundle, opts.manifest); } catch (err) { return { verified: false, checks, reason: (err as Error).message }; }
    checks.signature = 'passed';
    const signer = signedBy.signer ? { signer: signedBy.signer } : {};
    if (opts.annotations !== undefined && Object.keys(opts.annotations).length > 0) {
      return { verified: false, checks: { ...checks, claims: 'failed' }, ...signer, reason: 'a message signature carries no annotations' };
    }
    return { verified: true, checks: { ...checks, claims: 'passed' }, ...signer };
  }
  const env = bundle.content.dsseEnvelope;
  const envelope: DsseEnvelope = { payloadType: env.payloadType, payload: env.payload, signatures: env.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid })) };
  let signedBy: BundleSigner;
  try { signedBy = opts.verifier(bundle, undefined); } catch (err) { return { verified: false, checks, envelope, reason: (err as Error).message }; }
  checks.signature = 'passed';
  const signer = signedBy.signer ? { signer: signedBy.signer } : {};
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { verified: false, checks: { ...checks, claims: 'failed' }, ...signer, envelope, reason: `unable to understand payload type ${envelope.payloadType}` };
  let statement: InTotoStatement;
  try { statement = parseStatement(envelope.payload); } catch (err) {
    return { verified: false, checks: { ...checks, claims: 'failed' }, ...signer, envelope, reason: (err as Error).message };
  }
  if (opts.purpose === 'signature' && statement.predicateType !== COSIGN_SIGN_PREDICATE_TYPE) {
    return { verified: false, checks: { ...checks, claims: 'failed' }, ...signer, envelope, statement, reason: `an attestation (${statement.predicateType}), not a signature` };
  }
  const why = statementClaimsFail(statement, opts.digest, opts.annotations);
  if (why !== undefined) return { verified: false, checks: { ...checks, claims: 'failed' }, ...signer, envelope, statement, reason: why };
  return { verified: true, checks: { ...checks, claims: 'passed' }, envelope, statement, ...signer };
}

/**
 * What `cosign verify` prints for a verified bundle (cmd/cosign/cli/verify/verify.go
 * transformOutput): a simple-signing shaped payload whose type is the statement's predicate type
 * and whose `optional` holds the subject's annotations.
 */
export function bundleVerifyOutput(reference: string, digest: string, verdict: BundleVerdict): Buffer {
  const subject = verdict.statement?.subjects.find((s) => s.digest.sha256 === parseDigest(digest).hex);
  return Buffer.from(JSON.stringify({
    critical: {
      identity: { 'docker-reference': reference },
      image: { 'docker-manifest-digest': digest },
      type: verdict.statement?.predicateType ?? 'cosign container image signature',
    },
    optional: subject?.annotations ?? {},
  }));
}
