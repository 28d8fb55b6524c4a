// The signatures attached to an image in its registry, as `vouch status` and the dashboard report
// them: Notation (referrers API, or the sha256-<hex> tag fallback, through notation.ts's store and
// reader) and cosign's legacy `.sig` signatures (in the image's repository or $COSIGN_REPOSITORY's,
// through cosign.ts's location). Every read is bounded: how many images, how many
// signatures each. What the signature says (signer, chain, expiry) and whether it holds together
// comes from the pure `sig` module; a registry that cannot be read is reported as such, never as
// "no signatures".
import { digestOf, isVouchError } from '../core/index.js';
import { cosign, inspectLegacySignature, inspectNotationSignature, type CosignSignatureFacts, type SignatureFacts } from '../sig/index.js';
import type { SignatureLocation } from './cosign-location.js';
import { readSignature, type SignatureStore } from './notation.js';
import { SIGNATURE_LIMITS } from './limits.js';

// Its home is limits.ts, which a trusted pull loads without the signature formats.
export { SIGNATURE_LIMITS };

/** The kinds of OCI signatures vouch reads. DCT signatures live in the trust server, not here. */
export type SignatureKind = 'notation' | 'cosign';

export interface ReadSignature {
  kind: SignatureKind;
  /** the signature manifest's digest (cosign: the signature layer's payload digest) */
  digest: string;
  facts: SignatureFacts;
  /** cosign: the certificates are checked at the time the signature carries, so their expiry does not break it */
  timeSource?: CosignSignatureFacts['timeSource'];
  /** what could not be checked without a key or trusted root (cosign) */
  unverified?: string;
}

export interface ImageSignatures {
  /** `registry/repository` */
  name: string;
  /** the image's manifest digest, once resolved */
  digest?: string;
  /** the tags that point at it (as the caller knows them) */
  tags: string[];
  signatures: ReadSignature[];
  /** more signatures are attached than were read */
  more: boolean;
  /** the registry could not be read: nothing is known about this image's signatures */
  error?: { code: string; message: string };
}

/** Failures of the registry rather than of a signature: what they leave unknown is inconclusive, not bad. */
const REGISTRY_FAILURES = new Set(['NETWORK', 'REMOTE_ERROR', 'UNAUTHORIZED', 'NOT_FOUND', 'CONFLICT']);

export function isRegistryFailure(err: unknown): boolean {
  return isVouchError(err) && REGISTRY_FAILURES.has(err.code);
}

/** What else reading an image's signatures needs: the reader's `tsa` roots, and where cosign keeps its signatures (none: not read). */
export interface SignatureReading {
  tsaRoots?: readonly Uint8Array[];
  cosignAt?: SignatureLocation;
}

/**
 * The Notation signatures of one image (`reference`: a tag or digest in `store`), and its legacy
 * cosign signatures when `cosignAt` says where cosign keeps them: at most `limit` of each (one more
 * is listed, to tell that there are more). A timestamp holds only when it verifies against
 * `tsaRoots` (the reader's `tsa` trust stores). A signature that does not parse or verify
 * structurally is kept with its problem; a registry failure makes the whole image `error`.
 */
export async function readImageSignatures(store: SignatureStore, reference: string, tags: readonly string[], limit: number = SIGNATURE_LIMITS.signaturesPerImage, options: SignatureReading = {}): Promise<ImageSignatures> {
  const { tsaRoots = [], cosignAt } = options;
  const out: ImageSignatures = { name: store.name, tags: [...tags], signatures: [], more: false };
  try {
    const subject = await store.resolve(reference);
    out.digest = subject.digest;
    const listed = await store.listSignatures(subject, limit + 1);
    out.more = listed.length > limit;
    for (const desc of listed.slice(0, limit)) {
      let facts: SignatureFacts;
      try {
        const { manifest, envelope } = await readSignature(store, desc);
        const envelopeMediaType = manifest.envelope.mediaType;
        facts = await inspectNotationSignature({ subject, envelope, envelopeMediaType, tsaRoots });
      } catch (err) {
        if (!isVouchError(err) || isRegistryFailure(err)) throw err;
        facts = { chain: [], problem: `${err.code}: ${err.message}` };
      }
      out.signatures.push({ kind: 'notation', digest: desc.digest, facts });
    }
    if (cosignAt !== undefined) {
      const read = await readCosignSignatures(cosignAt, subject.digest, limit);
      out.signatures.push(...read.signatures);
      out.more ||= read.more;
    }
  } catch (err) {
    if (!isVouchError(err)) throw err;
    out.signatures = [];
    out.error = { code: err.code, message: err.message };
  }
  return out;
}

/**
 * The legacy cosign signatures of the image at `digest` (its `sha256-<hex>.sig` manifest at `at`):
 * at most `limit` layers, each payload bounded and checked against its digest. No tag: none.
 */
export async function readCosignSignatures(at: SignatureLocation, digest: string, limit: number): Promise<{ signatures: ReadSignature[]; more: boolean }> {
  let manifest: Buffer;
  try {
    manifest = (await at.client.getManifest(at.repository, cosign.signatureTag(digest))).bytes;
  } catch (err) {
    if (isVouchError(err, 'REGISTRY_NOT_FOUND')) return { signatures: [], more: false };
    throw err;
  }
  const { layers } = cosign.parseLegacySignatureManifest(manifest);
  const signatures: ReadSignature[] = [];
  for (const layer of layers.slice(0, limit)) {
    let facts: CosignSignatureFacts;
    if (layer.payload.size > cosign.MAX_PAYLOAD_BYTES) {
      facts = { signer: 'unknown', chain: [], problem: `TOO_LARGE: the payload is ${layer.payload.size} bytes, over the limit of ${cosign.MAX_PAYLOAD_BYTES}` };
    } else {
      try {
        const payload = await at.client.readBlob(at.repository, { digest: layer.payload.digest, size: layer.payload.size });
        facts = digestOf(payload) === layer.payload.digest
          ? await inspectLegacySignature({ layer, payload, digest })
          : { signer: 'unknown', chain: [], problem: `HASH_MISMATCH: payload ${layer.payload.digest} does not hash to its digest` };
      } catch (err) {
        if (!isVouchError(err) || isRegistryFailure(err)) throw err;
        facts = { signer: 'unknown', chain: [], problem: `${err.code}: ${err.message}` };
      }
    }
    const { timeSource, unverified, ...rest } = facts;
    signatures.push({ kind: 'cosign', digest: layer.payload.digest, facts: rest, ...(timeSource ? { timeSource } : {}), ...(unverified ? { unverified } : {}) });
  }
  return { signatures, more: layers.length > limit };
}
