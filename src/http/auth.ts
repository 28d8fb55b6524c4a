// docker's registry auth as a client sees it: a 401 with a `WWW-Authenticate: Bearer realm=…,
// service=…,scope=…` or `Basic` challenge, then a token from the realm (docker/distribution
// docs/spec/auth/token.md; github.com/distribution/distribution registry/client/auth/session.go).

export interface Credentials {
  username?: string;
  password?: string;
  /** docker's identity (refresh) token, sent to the realm as an OAuth2 refresh token */
  identityToken?: string;
}

export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted values may contain commas). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2] as string)) !== null) {
    if (p[0] === '') break;
    params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}

/** `Basic base64(user:password)`, or undefined without a user name. */
export function basicAuthorization(cred: Credentials | undefined): string | undefined {
  if (!cred?.username) return undefined;
  return 'Basic ' + Buffer.from(`${cred.username}:${cred.password ?? ''}`).toString('base64');
}
