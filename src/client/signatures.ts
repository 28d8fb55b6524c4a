// The signatures attached to an image in its registry, as `vouch status` and the dashboard report
// them: for now Notation (referrers API, or the sha256-<hex> tag fallback, through notation.ts's
// store and reader); cosign will add a kind. Every read is bounded: how many images, how many
// signatures each. What the signature says (signer, chain, expiry) and whether it holds together
// comes from the pure `sig` module; a registry that cannot be read is reported as such, never as
// "no signatures".
import { isVouchError } from '../core/index.js';
import { inspectNotationSignature, type SignatureFacts } from '../sig/index.js';
import { readSignature, type SignatureStore } from './notation.js';

/** The kinds of OCI signatures vouch reads. DCT signatures live in the trust server, not here. */
export type SignatureKind = 'notation' | 'cosign';

export const SIGNATURE_LIMITS = {
  /** distinct images (digests) read per repository */
  imagesPerRepository: 50,
  /** signatures read per image */
  signaturesPerImage: 10,
  /** tags listed from a repository's tags API when it has no DCT trust data */
  tagsListed: 100,
} as const;

export interface ReadSignature {
  kind: SignatureKind;
  /** the signature manifest's digest */
  digest: string;
  facts: SignatureFacts;
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

/**
 * The Notation signatures of one image (`reference`: a tag or digest in `store`): at most `limit`
 * (one more is listed, to tell that there are more). A timestamp holds only when it verifies
 * against `tsaRoots` (the reader's `tsa` trust stores). A signature that does not parse or verify
 * structurally is kept with its problem; a registry failure makes the whole image `error`.
 */
export async function readImageSignatures(store: SignatureStore, reference: string, tags: readonly string[], limit: number = SIGNATURE_LIMITS.signaturesPerImage, tsaRoots: readonly Uint8Array[] = []): Promise<ImageSignatures> {
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
  } catch (err) {
    if (!isVouchError(err)) throw err;
    out.signatures = [];
    out.error = { code: err.code, message: err.message };
  }
  return out;
}
