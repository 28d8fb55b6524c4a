// Where cosign keeps an image's signatures (its repository, or $COSIGN_REPOSITORY's) and the digest
// they name: apart from client/cosign.ts so that `vouch status`, which reads only the legacy `.sig`
// tag, does not load the Sigstore bundle code (test/unit/cli/startup.test.ts).
import { VouchError } from '../core/index.js';
import type { RegistryClient } from '../oci/client.js';
import { parseReference, type ImageReference } from '../oci/reference.js';
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
