// Repository (GUN) and tag patterns: syntax checks, matching, and specificity (which pattern
// wins when several match). Repository patterns are globs over `/`-separated components:
// `*` stays inside one component, `**` is a whole component matching any number of them.
// Tag patterns are globs where `*` matches any run of characters (tags contain no `/`).

/** Sort key: compared element by element, larger is more specific. */
export type Specificity = readonly [exact: number, literals: number, fewerDoubleStars: number, fewerStars: number];

const REPO_CHARS = /^[a-z0-9._\-:/*[\]]$/;
const TAG_CHARS = /^[A-Za-z0-9_.\-*]$/;
const MAX_PATTERN = 1024;
const MAX_TAG = 128;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Returns why `pattern` is not a valid repository pattern, or undefined when it is. */
export function checkRepositoryPattern(pattern: string): string | undefined {
  if (pattern.length === 0) return 'a repository pattern cannot be empty';
  if (pattern.length > MAX_PATTERN) return `a repository pattern is at most ${MAX_PATTERN} characters`;
  const p = pattern.toLowerCase();
  if (p.includes('@')) return `'${pattern}' contains '@': repository patterns match the repository name (GUN), never a digest`;
  const slash = p.indexOf('/');
  if (slash >= 0 && p.indexOf(':', slash) >= 0) {
    return `'${pattern}' contains a tag: repository patterns match the repository name (GUN) only; put tag patterns under \`tags\``;
  }
  for (const ch of p) {
    if (!REPO_CHARS.test(ch)) {
      return `'${pattern}' contains ${JSON.stringify(ch)}; expected lowercase letters, digits, '.', '_', '-', ':' (port), '/' and the wildcards '*' and '**'`;
    }
  }
  const parts = p.split('/');
  if (parts.some((c) => c === '')) return `'${pattern}' has an empty path component (a leading, trailing or doubled '/')`;
  for (let i = 0; i < parts.length; i++) {
    const c = parts[i] as string;
    if (c.includes('**') && c !== '**') return `'${pattern}': '**' must be a whole path component, as in 'registry.example.com/**'`;
    if (c === '**' && parts[i + 1] === '**') return `'${pattern}' repeats '**'; one '**' already matches any number of components`;
  }
  return undefined;
}

/** Problems that do not make the pattern invalid but probably make it useless. */
export function lintRepositoryPattern(pattern: string): { code: 'pattern-never-matches' | 'pattern-not-normalised'; message: string } | undefined {
  const parts = pattern.toLowerCase().split('/');
  const host = parts[0] as string;
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') {
    return { code: 'pattern-not-normalised', message: `'${pattern}' never matches: docker names Docker Hub repositories 'docker.io/…'; write '${['docker.io', ...parts.slice(1)].join('/')}'` };
  }
  const isHost = host.includes('.') || host.includes(':') || host === 'localhost' || host.includes('*');
  if (!isHost && parts.length >= 1) {
    return { code: 'pattern-never-matches', message: `'${pattern}' never matches: a repository name (GUN) starts with the registry host, e.g. 'docker.io/${pattern}' for Docker Hub` };
  }
  if (host === 'docker.io' && parts.length === 2 && !(parts[1] as string).includes('*')) {
    return { code: 'pattern-never-matches', message: `'${pattern}' never matches: Docker Hub official images are named 'docker.io/library/${parts[1] as string}'` };
  }
  return undefined;
}

/** Returns why `pattern` is not a valid tag pattern, or undefined when it is. */
export function checkTagPattern(pattern: string): string | undefined {
  if (pattern.length === 0) return 'a tag pattern cannot be empty; use "*" for every tag';
  for (const ch of pattern) {
    if (!TAG_CHARS.test(ch)) {
      const hint = ch === '/' || ch === ':' || ch === '@' ? ' (a tag pattern matches the tag alone, not the repository or a digest)' : '';
      return `'${pattern}' contains ${JSON.stringify(ch)}; tags use letters, digits, '_', '.' and '-', and patterns add '*'${hint}`;
    }
  }
  if (pattern.includes('**')) return `'${pattern}': '**' means nothing more than '*' in a tag pattern; write '*'`;
  if (pattern.startsWith('.') || pattern.startsWith('-')) return `'${pattern}' can never match: a tag starts with a letter, digit or '_'`;
  if (pattern.replaceAll('*', '').length > MAX_TAG) return `'${pattern}' can never match: a tag is at most ${MAX_TAG} characters`;
  return undefined;
}

/** Compiles a valid repository pattern into a matcher over GUNs (case-insensitive: hosts are DNS names). */
export function compileRepositoryPattern(pattern: string): RegExp {
  const parts = pattern.toLowerCase().split('/');
  if (parts.length === 1 && parts[0] === '**') return /^.*$/s;
  let re = '';
  parts.forEach((c, i) => {
    if (c === '**') {
      // `**` may also match zero components: `a/**/b` matches `a/b`.
      re += i === 0 ? '(?:.*/)?' : '(?:/.*)?';
      return;
    }
    const glob = escapeRegExp(c).replaceAll('\\*', '[^/]*');
    const afterLeadingStars = i === 1 && parts[0] === '**';
    re += (i > 0 && !afterLeadingStars ? '/' : '') + glob;
  });
  return new RegExp(`^${re}$`, 's');
}

/** Compiles a valid tag pattern (case-sensitive: tags are). */
export function compileTagPattern(pattern: string): RegExp {
  return new RegExp(`^${escapeRegExp(pattern).replaceAll('\\*', '.*')}$`, 's');
}

export function matchRepository(pattern: string, gun: string): boolean {
  return compileRepositoryPattern(pattern).test(gun.toLowerCase());
}

export function matchTag(pattern: string, tag: string): boolean {
  return compileTagPattern(pattern).test(tag);
}

/**
 * Precedence, most specific first: a pattern without wildcards; then more literal characters;
 * then fewer `**`; then fewer `*`. Callers break remaining ties by order in the file.
 */
export function specificity(pattern: string): Specificity {
  const doubles = pattern.split('/').filter((c) => c === '**').length;
  const stars = (pattern.match(/\*/g) ?? []).length - 2 * doubles;
  const literals = pattern.replaceAll('*', '').length;
  return [doubles === 0 && stars === 0 ? 1 : 0, literals, -doubles, -stars];
}

/** Negative when `a` is more specific than `b` (so `sort` puts the winner first). */
export function compareSpecificity(a: Specificity, b: Specificity): number {
  for (let i = 0; i < a.length; i++) {
    const d = (b[i] as number) - (a[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
