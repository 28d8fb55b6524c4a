// How much the client reads from registries for OCI signatures (Notation, cosign), in one small
// module: the policy check needs the numbers on every trusted pull, the signature formats only
// when a rule names such signers (client/policy-oci.ts, loaded then).
/** Bounds on the signatures read from a registry (vouch status, the dashboard, policy checks). */
export const SIGNATURE_LIMITS = {
  /** distinct images (digests) read per repository */
  imagesPerRepository: 50,
  /** signatures read per image */
  signaturesPerImage: 10,
  /** tags listed from a repository's tags API when it has no DCT trust data */
  tagsListed: 100,
} as const;

/** At most this many candidate digests are checked for Notation and cosign signatures per image. */
export const MAX_CANDIDATE_DIGESTS = 4;
/**
 * Distinct registry reads one policy check makes per registry, whatever a registry lists: enough
 * for every candidate digest's bounded signatures (signatures.ts) with their manifests and blobs.
 */
export const MAX_POLICY_READS = MAX_CANDIDATE_DIGESTS * SIGNATURE_LIMITS.signaturesPerImage * 4;
