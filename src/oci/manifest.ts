// Parsing of image manifests and indexes from untrusted bytes: shapes are checked, unknown fields
// are kept (the bytes are what gets hashed and stored, never a re-serialisation).
import { VouchError, isJsonObject, parseDigest, parseJson, type JsonObject } from '../core/index.js';
import { DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, MAX_MANIFEST_BYTES, isImageManifestType, isIndexType, OCI_INDEX, OCI_MANIFEST } from './mediatypes.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  urls?: string[];
  data?: string;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

const invalid = (msg: string): VouchError => new VouchError('INVALID_METADATA', `invalid manifest: ${msg}`);

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isJsonObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw invalid(`${what} must map strings to strings`);
  return v as Record<string, string>;
}

/** Checks one descriptor: media type, a well-formed digest and a non-negative integer size. */
export function parseDescriptor(v: unknown, what = 'descriptor'): Descriptor {
  if (!isJsonObject(v)) throw invalid(`${what} is not an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${what} has no mediaType`);
  if (typeof digest !== 'string') throw invalid(`${what} has no digest`);
  try { parseDigest(digest); } catch { throw invalid(`${what} has a malformed digest '${digest}'`); }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${what} has no valid size`);
  const d: Descriptor = { mediaType, digest, size };
  const annotations = stringMap(v.annotations, `${what}.annotations`);
  if (annotations) d.annotations = annotations;
  if (v.platform !== undefined) {
    const p = v.platform;
    if (!isJsonObject(p) || typeof p.architecture !== 'string' || typeof p.os !== 'string') throw invalid(`${what}.platform needs architecture and os`);
    d.platform = p as unknown as Platform;
  }
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  if (typeof v.data === 'string') d.data = v.data;
  return d;
}

function descriptors(v: unknown, what: string): Descriptor[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${what} is not a list`);
  return v.map((x, i) => parseDescriptor(x, `${what}[${i}]`));
}

/**
 * Parses manifest bytes. `mediaType` is what the registry or layout said (Content-Type or the
 * descriptor); the document's own `mediaType`, when present, must agree with it.
 */
export function parseManifest(bytes: Uint8Array, mediaType?: string, opts: { maxBytes?: number } = {}): Manifest {
  const v = parseJson(bytes, { maxBytes: opts.maxBytes ?? MAX_MANIFEST_BYTES, what: 'manifest' });
  if (!isJsonObject(v)) throw invalid('not a JSON object');
  return parseManifestDocument(v, mediaType);
}

/**
 * Whether a document (served or sent as `mediaType`) is a Docker schema 1 manifest, a format vouch
 * refuses by name (registries answer it with 415, distribution-spec's unsupported media type).
 */
export function isSchema1(doc: JsonObject, mediaType?: string): boolean {
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  return doc.schemaVersion === 1 || SCHEMA1_TYPES.includes(declared ?? '') || SCHEMA1_TYPES.includes(mediaType ?? '');
}

const SCHEMA1_TYPES: readonly string[] = [DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED];

/** Checks a manifest already parsed from JSON; see parseManifest. */
export function parseManifestDocument(o: JsonObject, mediaType?: string): Manifest {
  const declared = typeof o.mediaType === 'string' ? o.mediaType : undefined;
  if (declared && mediaType && declared !== mediaType) throw invalid(`it declares mediaType '${declared}' but was served as '${mediaType}'`);
  if (isSchema1(o, mediaType)) {
    throw new VouchError('INVALID_METADATA', 'Docker schema 1 manifests are not supported', { hint: 'convert the image to schema 2 or OCI (e.g. skopeo copy --format v2s2)' });
  }
  if (o.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  // Without a declared type the shape decides (OCI allows omitting mediaType).
  const type = declared ?? mediaType ?? (Array.isArray(o.manifests) ? OCI_INDEX : OCI_MANIFEST);
  const common: { subject?: Descriptor; artifactType?: string; annotations?: Record<string, string> } = {};
  if (o.subject !== undefined) common.subject = parseDescriptor(o.subject, 'subject');
  if (typeof o.artifactType === 'string') common.artifactType = o.artifactType;
  const annotations = stringMap(o.annotations, 'annotations');
  if (annotations) common.annotations = annotations;
  if (isIndexType(type)) {
    if (!Array.isArray(o.manifests)) throw invalid('an index needs a manifests list');
    return { kind: 'index', mediaType: type, manifests: descriptors(o.manifests, 'manifests'), ...common };
  }
  if (isImageManifestType(type)) {
    if (o.manifests !== undefined) throw invalid('an image manifest cannot have a manifests list');
    return { kind: 'manifest', mediaType: type, config: parseDescriptor(o.config, 'config'), layers: descriptors(o.layers, 'layers'), ...common };
  }
  throw new VouchError('INVALID_METADATA', `unsupported manifest media type '${type}'`);
}

/** Descriptors a manifest needs in the same repository (subject excluded: it may be absent). */
export function referencedDescriptors(m: Manifest): Descriptor[] {
  return m.kind === 'index' ? m.manifests : [m.config, ...m.layers];
}
