// Where cosign keeps what it attaches to an image, and what is there: `cosign triangulate` and
// `cosign tree` (sigstore/cosign cmd/cosign/cli/triangulate/triangulate.go and cmd/cosign/cli/tree.go,
// v2.6.5 and v3.1.3; the tag names from pkg/oci/remote/remote.go suffixTag). Signatures,
// attestations and SBOMs sit under `sha256-<hex>.sig|.att|.sbom` in the image's repository or
// $COSIGN_REPOSITORY's; v3 also lists the image's OCI referrers (Sigstore bundles). Names are
// printed as go-containerregistry prints them, so scripts that parse cosign's output read ours.
import { VouchError, isVouchError, parseDigest } from '../core/index.js';
import type { Descriptor } from '../oci/manifest.js';
import type { ImageReference } from '../oci/reference.js';
// the legacy format alone, not sig/index.js: that would load Notation's X.509, CMS and CBOR code into every cosign command (bench/cosign)
import * as cosign from '../sig/cosign/legacy.js';
import { resolveDigest, signatureLocation, type SignatureLocation } from './cosign-location.js';
import type { Session } from './session.js';

export const ATTACHMENT_TYPES = ['signature', 'attestation', 'sbom', 'digest'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** The tag suffixes of cosign's attachments (pkg/oci/remote/options.go). */
const SUFFIX = { signature: 'sig', attestation: 'att', sbom: 'sbom' } as const;

/** The manifest annotation a v3 bundle carries its predicate type in (pkg/oci/remote/write.go BundlePredicateType). */
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = 'dev.sigstore.bundle.predicateType';

/** Referrers `tree` reads of one image; a registry listing more is answered with the first ones and a warning. */
export const MAX_TREE_REFERRERS = 1000;

/**
 * A repository's name as go-containerregistry's `Repository.Name()` prints it: Docker Hub is
 * `index.docker.io` (vouch's references say `docker.io`, as docker does).
 */
export function goRepositoryName(registry: string, repository: string): string {
  return `${registry === 'docker.io' ? 'index.docker.io' : registry}/${repository}`;
}

function hashOf(digest: string): { algorithm: string; hex: string } {
  const d = parseDigest(digest);
  return { algorithm: d.algorithm, hex: d.hex };
}

/** Where cosign stores (or would store) `type` for the image at `digest`, as `cosign triangulate` prints it. */
export function attachmentName(at: Pick<SignatureLocation, 'registry' | 'repository'>, digest: string, type: AttachmentType): string {
  const { algorithm, hex } = hashOf(digest);
  const repo = goRepositoryName(at.registry, at.repository);
  return type === 'digest' ? `${repo}@${algorithm}:${hex}` : `${repo}:${algorithm}-${hex}.${SUFFIX[type]}`;
}

/** `cosign triangulate --type TYPE IMAGE`: the image's digest is resolved when a tag is given. */
export async function triangulate(s: Session, image: ImageReference, type: AttachmentType): Promise<string> {
  return attachmentName(signatureLocation(s, image), await resolveDigest(s, image), type);
}

/** One branch of `cosign tree`: a legacy attachment tag, or one OCI referrer, with its layers' digests. */
export type TreeBranch =
  | { kind: 'attestations' | 'signatures' | 'sboms'; name: string; layers: string[] }
  | { kind: 'referrer'; artifactType: string; name: string; layers: string[] };

export interface CosignTree {
  branches: TreeBranch[];
  /** what could not be read and was left out, as cosign reports it on stderr */
  warnings: string[];
}

/** The layers of the manifest tagged `tag` at `at`; none when the tag does not exist (cosign: empty signatures). */
async function attachmentLayers(at: SignatureLocation, tag: string): Promise<string[]> {
  let fetched;
  try {
    fetched = await at.client.getManifest(at.repository, tag);
  } catch (err) {
    if (isVouchError(err, 'REGISTRY_NOT_FOUND')) return [];
    throw err;
  }
  if (fetched.manifest.kind !== 'manifest') {
    throw new VouchError('INVALID_METADATA', `${goRepositoryName(at.registry, at.repository)}:${tag} is an index, not the image manifest cosign keeps its attachments in`);
  }
  if (fetched.manifest.layers.length > cosign.MAX_SIGNATURE_LAYERS) {
    throw new VouchError('TOO_LARGE', `${goRepositoryName(at.registry, at.repository)}:${tag} has ${fetched.manifest.layers.length} layers, over the limit of ${cosign.MAX_SIGNATURE_LAYERS}`);
  }
  return fetched.manifest.layers.map((l) => l.digest);
}

/**
 * `cosign tree IMAGE`: the image must exist; then its `.att`, `.sig` and `.sbom` tags (in that
 * order, the order cosign fills its map in; Go prints maps in random order, vouch does not), and
 * with `referrers` (cosign v3's default, `--experimental-oci11` in v2) every referrer that has an
 * artifact type, named by the bundle's predicate type when it carries one. Referrers are read from
 * the repository that holds them ($COSIGN_REPOSITORY's when set; cosign 3.1 looks in the image's
 * own repository for them and reports them missing).
 */
export async function readCosignTree(s: Session, image: ImageReference, opts: { referrers: boolean; maxReferrers?: number }): Promise<CosignTree> {
  const digest = await resolveDigest(s, image);
  const at = signatureLocation(s, image);
  const out: CosignTree = { branches: [], warnings: [] };
  for (const [kind, type] of [['attestations', 'attestation'], ['signatures', 'signature'], ['sboms', 'sbom']] as const) {
    const { algorithm, hex } = hashOf(digest);
    const layers = await attachmentLayers(at, `${algorithm}-${hex}.${SUFFIX[type]}`);
    if (layers.length > 0) out.branches.push({ kind, name: attachmentName(at, digest, type), layers });
  }
  if (!opts.referrers) return out;
  const max = opts.maxReferrers ?? MAX_TREE_REFERRERS;
  const listed = await at.client.listReferrers(at.repository, digest, { limit: max + 1 });
  if (listed.length > max) out.warnings.push(`more than ${max} referrers of ${digest}: only the first ${max} are shown`);
  const byKey = new Map<string, Extract<TreeBranch, { kind: 'referrer' }>>();
  for (const d of listed.slice(0, max)) {
    if (d.artifactType === undefined || d.artifactType === '') continue;
    const name = `${goRepositoryName(at.registry, at.repository)}@${d.digest}`;
    const read = await referrerLayers(at, d);
    if ('error' in read) {
      out.warnings.push(`Error fetching artifact ${name}: ${read.error}`);
      continue;
    }
    const artifactType = read.predicateType ?? d.artifactType;
    const key = `${artifactType}\n${name}`;
    const branch = byKey.get(key);
    if (branch !== undefined) branch.layers.push(...read.layers);
    else {
      const added = { kind: 'referrer' as const, artifactType, name, layers: read.layers };
      byKey.set(key, added);
      out.branches.push(added);
    }
  }
  return out;
}

async function referrerLayers(at: SignatureLocation, d: Descriptor): Promise<{ layers: string[]; predicateType?: string } | { error: string }> {
  try {
    const { manifest } = await at.client.getManifest(at.repository, d.digest);
    if (manifest.kind !== 'manifest') return { error: 'it is an index, not an image manifest' };
    const predicateType = manifest.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
    return { layers: manifest.layers.map((l) => l.digest), ...(predicateType !== undefined ? { predicateType } : {}) };
  } catch (err) {
    if (!isVouchError(err) || (!isVouchError(err, 'REGISTRY_NOT_FOUND') && !isVouchError(err, 'INVALID_METADATA') && !isVouchError(err, 'HASH_MISMATCH'))) throw err;
    return { error: err.message };
  }
}
