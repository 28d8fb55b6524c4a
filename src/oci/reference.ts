// Image references as docker normalises them (distribution/reference): `alpine` is
// docker.io/library/alpine:latest; the first component is a registry host when it has a dot,
// a port, or is `localhost`. The GUN of a repository is its normalised name without tag.
import { OCI_NAME_COMPONENT, VouchError, isTag, parseDigest } from '../core/index.js';

export const DEFAULT_REGISTRY = 'docker.io';
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const MAX_NAME = 255;

export interface ImageReference {
  /** registry host[:port], e.g. docker.io or 127.0.0.1:5000 */
  registry: string;
  /** repository path within the registry, e.g. library/alpine */
  repository: string;
  tag?: string;
  digest?: string;
}

/** The trust collection name: registry/repository. */
export function gunOf(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

export function formatReference(ref: ImageReference): string {
  return `${gunOf(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

function isDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

export function parseReference(input: string): ImageReference {
  const bad = (why: string): VouchError => new VouchError('INVALID_ARGUMENT', `invalid image reference '${input}': ${why}`);
  if (typeof input !== 'string' || input.length === 0) throw bad('it is empty');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try { parseDigest(digest); } catch { throw bad(`'${digest}' is not a valid digest`); }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!isTag(tag)) throw bad(`'${tag}' is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  if (parts.length > 1 && isDomain(parts[0] as string)) {
    registry = parts.shift() as string;
    if (!DOMAIN.test(registry)) throw bad(`'${registry}' is not a valid registry host`);
  }
  for (const c of parts) {
    if (c !== c.toLowerCase()) throw bad('repository name must be lowercase');
    if (!OCI_NAME_COMPONENT.test(c)) throw bad(`'${c}' is not a valid path component`);
  }
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > MAX_NAME) throw bad(`repository name is longer than ${MAX_NAME} characters`);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}
