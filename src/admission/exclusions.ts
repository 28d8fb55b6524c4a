// What the webhook does not check: namespaces (by name, `*` matching any run of characters, e.g.
// `kube-*`) and images (by repository pattern, the policy's grammar: `registry.k8s.io/**`). From
// flags, or a configuration file (YAML or JSON):
//
//   excludeNamespaces: [kube-system, kube-public]
//   excludeImages: ["registry.k8s.io/**"]
import { VouchError, isJsonObject, type JsonValue } from '../core/index.js';
import { checkRepositoryPattern, matchRepository } from '../policy/index.js';

export interface Exclusions {
  namespaces: readonly string[];
  images: readonly string[];
}

/** Namespace names are DNS labels (RFC 1123); a pattern adds `*`. */
const NAMESPACE_PATTERN = /^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$/;
const MAX_PATTERNS = 1000;

function compileNamespace(p: string): RegExp {
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
}

/** Checks every pattern; INVALID_ARGUMENT naming the first bad one. */
export function checkExclusions(e: Exclusions, from: string): Exclusions {
  if (e.namespaces.length > MAX_PATTERNS || e.images.length > MAX_PATTERNS) throw new VouchError('INVALID_ARGUMENT', `${from}: more than ${MAX_PATTERNS} exclusions`);
  for (const ns of e.namespaces) {
    if (!NAMESPACE_PATTERN.test(ns)) throw new VouchError('INVALID_ARGUMENT', `${from}: ${JSON.stringify(ns)} is not a namespace name or pattern`, { hint: 'lowercase letters, digits, "-", and "*" for any characters, e.g. kube-*' });
  }
  for (const img of e.images) {
    const why = checkRepositoryPattern(img);
    if (why !== undefined) throw new VouchError('INVALID_ARGUMENT', `${from}: ${JSON.stringify(img)} is not a repository pattern: ${why}`, { hint: 'e.g. registry.k8s.io/** or docker.io/library/busybox' });
  }
  return e;
}

/** The exclusions of a parsed configuration file. */
export function exclusionsFromConfig(doc: JsonValue, file: string): Exclusions {
  if (!isJsonObject(doc)) throw new VouchError('CONFIG', `${file}: expected a mapping with excludeNamespaces and excludeImages`, { details: { file } });
  const list = (key: string): string[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new VouchError('CONFIG', `${file}: ${key} must be a list of strings`, { details: { file } });
    return v as string[];
  };
  for (const key of Object.keys(doc)) {
    if (key !== 'excludeNamespaces' && key !== 'excludeImages') throw new VouchError('CONFIG', `${file}: unknown key ${JSON.stringify(key)}; expected excludeNamespaces, excludeImages`, { details: { file } });
  }
  return checkExclusions({ namespaces: list('excludeNamespaces'), images: list('excludeImages') }, file);
}

export class ExclusionMatcher {
  private readonly namespaces: RegExp[];
  constructor(private readonly e: Exclusions) {
    this.namespaces = e.namespaces.map(compileNamespace);
  }

  namespace(ns: string | undefined): boolean {
    return ns !== undefined && this.namespaces.some((r) => r.test(ns));
  }

  /** `gun` is the normalised repository name (registry/path). */
  image(gun: string): boolean {
    return this.e.images.some((p) => matchRepository(p, gun));
  }
}
