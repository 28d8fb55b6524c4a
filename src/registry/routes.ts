// distribution-spec's endpoints (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#endpoints)
// as one table, for every server that speaks the registry API (`vouch registry`, `vouch gate`): which
// endpoint a path under /v2/ names, its repository name and its other path parameter, checked before
// any method is looked at (an invalid name is a 400 on every method, as distribution answers).
import { isTag } from '../core/index.js';
import { RegistryError, requireDigest, requireName } from './errors.js';

export type Endpoint = 'ping' | 'catalog' | 'startUpload' | 'upload' | 'blob' | 'manifest' | 'referrers' | 'tags';

/** The request methods of the API; anything else is answered 404 before routing. */
export const API_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE']);

export interface EndpointMatch {
  endpoint: Endpoint;
  /** the repository name (empty for ping and the catalog) */
  name: string;
  /** the reference, digest or upload id, decoded; a digest checked and in canonical form */
  param: string;
}

const checkReference = (param: string): string => {
  if (param.includes(':')) return requireDigest(param);
  if (!isTag(param)) throw new RegistryError(400, 'TAG_INVALID', `invalid tag '${param}'`, { tag: param });
  return param;
};

// Most specific first: a name may contain any of the later path words.
const ENDPOINTS: readonly { endpoint: Endpoint; re: RegExp; param?: (p: string) => string }[] = [
  { endpoint: 'ping', re: /^$/ },
  { endpoint: 'catalog', re: /^_catalog$/ },
  { endpoint: 'startUpload', re: /^(.+)\/blobs\/uploads\/?$/ },
  { endpoint: 'upload', re: /^(.+)\/blobs\/uploads\/([^/]+)$/, param: (p) => p },
  { endpoint: 'blob', re: /^(.+)\/blobs\/([^/]+)$/, param: requireDigest },
  { endpoint: 'manifest', re: /^(.+)\/manifests\/([^/]+)$/, param: checkReference },
  { endpoint: 'referrers', re: /^(.+)\/referrers\/([^/]+)$/, param: requireDigest },
  { endpoint: 'tags', re: /^(.+)\/tags\/list$/ },
];

/**
 * The endpoint `path` (the raw request path after `/v2/`, never URL-normalised: that would resolve
 * `..` and `%2e` before names are checked) names, or undefined. Throws the API's 400 for an invalid
 * name, digest or tag; `url` is the request target, for the error about an undecodable component.
 */
export function matchEndpoint(path: string, url: string): EndpointMatch | undefined {
  for (const e of ENDPOINTS) {
    const m = e.re.exec(path);
    if (!m) continue;
    if (e.endpoint === 'ping' || e.endpoint === 'catalog') return { endpoint: e.endpoint, name: '', param: '' };
    const raw = m[2] === undefined ? '' : decodePathComponent(m[2], url);
    const name = requireName(m[1] ?? '');
    return { endpoint: e.endpoint, name, param: e.param === undefined ? raw : e.param(raw) };
  }
  return undefined;
}

export function decodePathComponent(component: string, url: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    throw new RegistryError(400, 'UNSUPPORTED', `'${url}' is not a valid url component`);
  }
}
