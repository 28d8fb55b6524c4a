// Media types of the OCI image spec and Docker's v2 schema 2, and the manifest size bound.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_LAYOUT_HEADER = 'application/vnd.oci.layout.header.v1+json';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** legacy signed schema 1: recognised so it can be refused by name */
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';

export const IMAGE_MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
/** Everything a manifest endpoint may serve that we handle. */
export const MANIFEST_TYPES: readonly string[] = [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES];
/** The Accept header for manifest requests: without it registries may downgrade or hide manifests. */
export const MANIFEST_ACCEPT = MANIFEST_TYPES.join(', ');

/** distribution-spec asks registries to take at least 4 MB; more than that is refused on both sides. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** The largest blob either side moves by default: layers in practice are a few GiB at most (CUDA and ML images); 10 GiB leaves room. */
export const MAX_BLOB_BYTES = 10 * 1024 * 1024 * 1024;

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_TYPES.includes(mediaType);
}

export function isImageManifestType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && IMAGE_MANIFEST_TYPES.includes(mediaType);
}

/** Strips parameters (`; charset=…`) and case from a Content-Type. */
export function baseMediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const t = contentType.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}
