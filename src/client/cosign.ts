// cosign signatures in a registry, legacy format (the `sha256-<hex>.sig` tag; sigstore/cosign
// pkg/cosign/fetch.go and pkg/oci/mutate): signing appends a layer to that manifest (read, modify,
// write, then read again to see that the write was not lost to a concurrent signer), and
// verification tries every layer (bounded) with the given public key. `$COSIGN_REPOSITORY` moves
// signatures to another repository, as in cosign. Formats and checks are the pure `sig` module's.
import type { KeyObject } from 'node:crypto';
import { KeyedMutex, VouchError, digestOf, isVouchError } from '../core/index.js';
import type { RegistryClient } from '../oci/client.js';
import { parseReference, type ImageReference } from '../oci/reference.js';
import { OCI_MANIFEST } from '../oci/mediatypes.js';
// the legacy format alone, not sig/index.js: that would load Notation's X.509, CMS and CBOR code into every cosign command (bench/cosign)
import * as cosign from '../sig/cosign/legacy.js';
import type { Session } from './session.js';

/** Where an image's signatures live: its own repository, or $COSIGN_REPOSITORY's. */
export interface SignatureLocation { client: RegistryClient; repository: string; registry: string }

export function signatureLocation(s: Session, image: ImageReference): SignatureLocation {
  const override = s.opts.env.COSIGN_REPOSITORY;
  if (override !== undefined && override !== '') {
    const ref = parseReference(override);
    if (ref.tag !== undefined || ref.digest !== undefined) throw new VouchError('INVALID_ARGUMENT', `COSIGN_REPOSITORY='${override}' must name a repository, without tag or digest`);
    return { client: s.registryFor(ref.registry), repository: ref.repository, registry: ref.registry };
  }
  return { client: s.registryFor(image.registry), repository: image.repository, registry: image.registry };
}

/** The image's digest: given, or resolved from its tag (docker's `latest` when neither). */
export async function resolveDigest(s: Session, image: ImageReference): Promise<string> {
  if (image.digest !== undefined) return image.digest;
  const m = await s.registryFor(image.registry).getManifest(image.repository, image.tag ?? 'latest');
  return m.digest;
}

async function readSignatureManifest(at: SignatureLocation, tag: string): Promise<Buffer | undefined> {
  try {
    return (await at.client.getManifest(at.repository, tag)).bytes;
  } catch (err) {
    if (isVouchError(err, 'REGISTRY_NOT_FOUND')) return undefined;
    throw err;
  }
}

/** How often a signer re-reads and re-writes the `.sig` manifest when another signer's write crossed its own. */
const MAX_WRITE_ATTEMPTS = 5;
/**
 * Signers in this process take turns per `.sig` tag (a migration or an admission controller signs
 * many images at once). Across processes the registry offers no compare-and-swap: the read-back
 * below catches a write that replaced ours before we looked, not one that lands after.
 */
const tagTurns = new KeyedMutex(60_000, (key) => new VouchError('CONFLICT', `waited too long for another signer of ${key} in this process`, { hint: 'sign again' }));

export interface CosignSignResult { digest: string; signatureTag: string; repository: string; payload: Buffer }

/** `cosign sign --key`: the simple-signing payload of the digest, signed, appended to the `.sig` manifest. */
export async function signCosign(s: Session, image: ImageReference, key: KeyObject, opts: { annotations?: Record<string, string> } = {}): Promise<CosignSignResult> {
  const digest = await resolveDigest(s, image);
  const at = signatureLocation(s, image);
  const payload = cosign.simpleSigningPayload(`${image.registry}/${image.repository}`, digest, opts.annotations);
  const layer = cosign.signatureLayer(payload, cosign.signPayload(key, payload));
  const tag = cosign.signatureTag(digest);
  await at.client.pushBlob(at.repository, layer, payload);
  const signed = { digest, signatureTag: tag, repository: `${at.registry}/${at.repository}`, payload };
  return tagTurns.run(`${at.registry}/${at.repository}:${tag}`, async () => {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await readSignatureManifest(at, tag);
      const built = cosign.buildLegacySignatureManifest(current === undefined ? [] : existingLayers(current), layer);
      await at.client.pushBlob(at.repository, built.config.descriptor, built.config.bytes);
      await at.client.putManifest(at.repository, tag, built.bytes, OCI_MANIFEST);
      // Read back, and write again if another signer's manifest replaced ours in between (its
      // layers are kept, ours is added again).
      const after = await readSignatureManifest(at, tag);
      if (after !== undefined && existingLayers(after).some((l) => l.digest === layer.digest && l.annotations?.[cosign.SIGNATURE_ANNOTATION] === layer.annotations?.[cosign.SIGNATURE_ANNOTATION])) return signed;
    }
    throw new VouchError('CONFLICT', `${at.registry}/${at.repository}:${tag} kept changing under concurrent signers; the signature was not kept`, { hint: 'sign again' });
  });
}

/** Every layer of a `.sig` manifest as it is, foreign ones included, so a rewrite keeps them. */
function existingLayers(manifest: Buffer): cosign.Descriptor[] {
  const { layers, foreign } = cosign.parseLegacySignatureManifest(manifest);
  return [...layers.map((l) => l.payload), ...foreign];
}

export interface CosignSignatureOutcome {
  /** the payload layer's digest */
  layer: string;
  verdict: cosign.CosignVerdict;
}

export interface CosignVerifyResult {
  reference: string;
  digest: string;
  signatureTag: string;
  /** the payloads that verified, as cosign prints them on stdout */
  verified: Buffer[];
  outcomes: CosignSignatureOutcome[];
}

/**
 * `cosign verify --key --insecure-ignore-tlog`: every signature layer of the digest (at most the
 * format's bound) is checked; the image verifies when one does.
 */
export async function verifyCosign(s: Session, image: ImageReference, key: KeyObject, opts: { annotations?: Record<string, string> } = {}): Promise<CosignVerifyResult> {
  const digest = await resolveDigest(s, image);
  const at = signatureLocation(s, image);
  const tag = cosign.signatureTag(digest);
  const manifest = await readSignatureManifest(at, tag);
  const result: CosignVerifyResult = { reference: `${image.registry}/${image.repository}`, digest, signatureTag: tag, verified: [], outcomes: [] };
  if (manifest === undefined) return result;
  const { layers } = cosign.parseLegacySignatureManifest(manifest);
  for (const layer of layers) {
    if (layer.payload.size > cosign.MAX_PAYLOAD_BYTES) {
      result.outcomes.push({ layer: layer.payload.digest, verdict: { verified: false, checks: { signature: 'skipped', claims: 'skipped', tlog: 'skipped' }, reason: `the payload is ${layer.payload.size} bytes, over the limit of ${cosign.MAX_PAYLOAD_BYTES}` } });
      continue;
    }
    let payload: Buffer;
    try {
      payload = await at.client.readBlob(at.repository, { digest: layer.payload.digest, size: layer.payload.size });
    } catch (err) {
      if (!isVouchError(err)) throw err;
      result.outcomes.push({ layer: layer.payload.digest, verdict: { verified: false, checks: { signature: 'skipped', claims: 'skipped', tlog: 'skipped' }, reason: err.message } });
      continue;
    }
    if (digestOf(payload) !== layer.payload.digest) throw new VouchError('HASH_MISMATCH', `payload ${layer.payload.digest} does not hash to its digest`);
    const verdict = cosign.verifyLegacySignature({ layer, payload, key, digest, ...(opts.annotations ? { annotations: opts.annotations } : {}) });
    result.outcomes.push({ layer: layer.payload.digest, verdict });
    if (verdict.verified) result.verified.push(payload);
  }
  return result;
}
