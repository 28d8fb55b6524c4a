// notary-server's routing table (notary server/server.go, RootHandler), as gorilla/mux matches it: on the decoded path,
// in order, anchored regexes. Pure: no I/O.

export type Operation =
  | 'MainHandler'
  | 'UpdateTUF'
  | 'GetRoleByHash'
  | 'GetRoleByVersion'
  | 'GetRole'
  | 'GetKey'
  | 'RotateKey'
  | 'DeleteTUF'
  | 'GetChangeFeed'
  | 'GetGlobalChangeFeed'
  | 'Health'
  | 'Metrics'
  | 'UiIndex'
  | 'UiRepository'
  | 'NotFound';

/**
 * Token scope actions each route requires (docker/distribution registry/auth/token/accesscontroller.go); `catalog` = `registry:catalog:*`. The order is
 * notary's, as the UNAUTHORIZED detail lists them (push before pull).
 */
export const ROUTE_ACTIONS: Record<Operation, readonly string[] | 'catalog' | 'none'> = {
  MainHandler: 'catalog',
  UpdateTUF: ['push', 'pull'],
  GetRoleByHash: ['pull'],
  GetRoleByVersion: ['pull'],
  GetRole: ['pull'],
  GetKey: ['push', 'pull'],
  RotateKey: ['*'],
  DeleteTUF: ['*'],
  GetChangeFeed: ['pull'],
  GetGlobalChangeFeed: 'catalog',
  Health: 'none',
  Metrics: 'none',
  // the dashboard is authorized as the changefeeds are: the list as the global one, a repository as its own
  UiIndex: 'catalog',
  UiRepository: ['pull'],
  NotFound: 'catalog',
};

/**
 * Action order in the challenge's scope. notary's is random (a Go map); these are the orders the
 * spec's table records, and what docker and notary clients ask for.
 */
export const SCOPE_ORDER: Partial<Record<Operation, readonly string[]>> = {
  UpdateTUF: ['pull', 'push'],
  GetKey: ['push', 'pull'],
};

export interface RouteMatch {
  operation: Operation;
  gun?: string;
  role?: string;
  checksum?: string;
  version?: string;
  /** Route path matched but the method did not: 405 with an empty body. */
  methodNotAllowed?: boolean;
}

// Go's \s is [\t\n\f\r ]; JS's is wider, so spell it out.
const ROLE = 'root|targets(?:/[^/\\t\\n\\f\\r ]+)*|snapshot|timestamp';
const GUN = '[^*]+';

interface RouteDef {
  methods: readonly string[];
  re: RegExp;
  operation: Operation;
  groups: readonly ('gun' | 'role' | 'checksum' | 'version')[];
  /** served only when the dashboard is on (`vouch server --ui`) */
  ui?: true;
}

const ROUTES: readonly RouteDef[] = [
  { methods: ['GET'], re: /^\/v2\/$/, operation: 'MainHandler', groups: [] },
  { methods: ['POST'], re: new RegExp(`^/v2/(${GUN})/_trust/tuf/$`), operation: 'UpdateTUF', groups: ['gun'] },
  {
    methods: ['GET'],
    re: new RegExp(`^/v2/(${GUN})/_trust/tuf/(${ROLE})\\.([a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128})\\.json$`),
    operation: 'GetRoleByHash',
    groups: ['gun', 'role', 'checksum'],
  },
  { methods: ['GET'], re: new RegExp(`^/v2/(${GUN})/_trust/tuf/([1-9]*[0-9]+)\\.(${ROLE})\\.json$`), operation: 'GetRoleByVersion', groups: ['gun', 'version', 'role'] },
  { methods: ['GET'], re: new RegExp(`^/v2/(${GUN})/_trust/tuf/(${ROLE})\\.json$`), operation: 'GetRole', groups: ['gun', 'role'] },
  { methods: ['GET'], re: new RegExp(`^/v2/(${GUN})/_trust/tuf/(snapshot|timestamp)\\.key$`), operation: 'GetKey', groups: ['gun', 'role'] },
  { methods: ['POST'], re: new RegExp(`^/v2/(${GUN})/_trust/tuf/(snapshot|timestamp)\\.key$`), operation: 'RotateKey', groups: ['gun', 'role'] },
  { methods: ['DELETE'], re: new RegExp(`^/v2/(${GUN})/_trust/tuf/$`), operation: 'DeleteTUF', groups: ['gun'] },
  { methods: ['GET'], re: new RegExp(`^/v2/(${GUN})/_trust/changefeed$`), operation: 'GetChangeFeed', groups: ['gun'] },
  { methods: ['GET'], re: /^\/v2\/_trust\/changefeed$/, operation: 'GetGlobalChangeFeed', groups: [] },
  { methods: ['GET'], re: /^\/_notary_server\/health$/, operation: 'Health', groups: [] },
  { methods: ['GET'], re: /^\/metrics$/, operation: 'Metrics', groups: [] },
  { methods: ['GET'], re: /^\/_vouch\/ui\/$/, operation: 'UiIndex', groups: [], ui: true },
  { methods: ['GET'], re: new RegExp(`^/_vouch/ui/r/(${GUN})$`), operation: 'UiRepository', groups: ['gun'], ui: true },
];

/** Where the dashboard lives (`vouch server --ui`). */
export const UI_PATH = '/_vouch/ui/';

/** Methods the catch-all route answers (with 404); anything else gets 405. */
const CATCH_ALL_METHODS = new Set(['GET', 'POST', 'PUT', 'HEAD', 'DELETE']);

/** Matches a decoded, already cleaned path; the dashboard's routes only with `ui`. */
export function matchRoute(method: string, path: string, opts: { ui?: boolean } = {}): RouteMatch {
  const m = method.toUpperCase();
  for (const r of ROUTES) {
    if (!r.methods.includes(m) || (r.ui === true && opts.ui !== true)) continue;
    const hit = r.re.exec(path);
    if (!hit) continue;
    const out: RouteMatch = { operation: r.operation };
    r.groups.forEach((g, i) => { out[g] = hit[i + 1]; });
    return out;
  }
  if (CATCH_ALL_METHODS.has(m)) return { operation: 'NotFound' };
  return { operation: 'NotFound', methodNotAllowed: true };
}

/**
 * gorilla/mux's cleanPath: path.Clean, keeping a trailing slash. Returns the path unchanged when it
 * is already clean; callers redirect (301) when the result differs.
 */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  // Most paths are clean already: no empty, `.` or `..` segment (checked without splitting, as this runs on every request).
  if (p.charCodeAt(0) === 47 && !p.includes('//') && !p.includes('/.')) return p;
  if (!p.startsWith('/')) p = '/' + p;
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') { out.pop(); continue; }
    out.push(seg);
  }
  let np = '/' + out.join('/');
  if (p.endsWith('/') && np !== '/') np += '/';
  return np;
}

/** Percent-encodes a decoded path for a Location header (Go's URL.EscapedPath set). */
export function escapePath(p: string): string {
  return p.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu, (c) =>
    Array.from(Buffer.from(c, 'utf8')).map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''));
}

/** Decodes a raw request path as Go's URL parser does; undefined if an escape is malformed. */
export function decodePath(raw: string): string | undefined {
  if (!/%/.test(raw)) return raw;
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    // Escapes that are not UTF-8: Go keeps the bytes; decode them as latin1-free bytes.
    return Buffer.from(raw.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
}
