// A docker-style token server for the interop suites, so that the real token checks of
// docker-registry and notary-server can be exercised. A test peer of our own, written from the
// protocol (https://distribution.github.io/distribution/spec/auth/token/ and .../jwt/): GET
// /token?service=S&scope=repository:NAME:ACTIONS[&scope=…][&account=A] with optional Basic
// credentials answers {token, access_token, expires_in, issued_at}; the token is an ES256 JWT whose
// `x5c` header carries the signing certificate (`certs/token.crt`, the registry's and the
// server's `rootcertbundle`).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export const TOKEN_ISSUER = 'peers-token-issuer';

export interface TokenServerConfig {
  /** "user:pass,user2:pass2" */
  users: string;
  /** Tokens with `pull` for requests without credentials. */
  anonymousPull: boolean;
  /** `all`: an authenticated user gets every action asked for; `pull`: only pull. */
  grant: 'all' | 'pull';
}

export interface TokenServer {
  realm: string;
  close(): Promise<void>;
}

interface Access { type: string; name: string; actions: string[] }

/** `repository:127.0.0.1:5000/a/b:pull,push`: the type ends at the first colon, the actions start after the last. */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter((a) => a !== '') };
}

/** Starts the token server on 127.0.0.1:`port` with the peers' certificates in `dir/certs`; logs to `dir/logs/token-server.log`. */
export async function startTokenServer(dir: string, port: number, cfg: TokenServerConfig): Promise<TokenServer> {
  const certs = join(dir, 'certs');
  // One certificate for TLS and for signing tokens.
  const [keyPem, certPem] = await Promise.all([readFile(join(certs, 'token.key')), readFile(join(certs, 'token.crt'))]);
  const signingKey = createPrivateKey(keyPem);
  const x5c = [new X509Certificate(certPem).raw.toString('base64')];
  const users = new Map(cfg.users.split(',').filter((u) => u.includes(':')).map((u) => [u.slice(0, u.indexOf(':')), u.slice(u.indexOf(':') + 1)]));
  await mkdir(join(dir, 'logs'), { recursive: true });
  const logFile = join(dir, 'logs', 'token-server.log');
  const log = (line: string): void => appendFileSync(logFile, `${line}\n`);

  const server: Server = createServer({ key: keyPem, cert: certPem }, (req, res) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://token.invalid');
      if (url.pathname !== '/token' || req.method !== 'GET') { answer(404, { errors: [{ code: 'NOT_FOUND' }] }); return; }
      let account = '';
      const auth = req.headers.authorization ?? '';
      if (auth !== '') {
        const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(auth);
        const pair = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
        const user = pair.slice(0, pair.indexOf(':'));
        if (!m || !pair.includes(':') || users.get(user) !== pair.slice(pair.indexOf(':') + 1)) {
          log(`401 ${req.url ?? ''}`);
          answer(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid credentials' }] }, { 'www-authenticate': 'Basic realm="token"' });
          return;
        }
        account = user;
      } else if (!cfg.anonymousPull) {
        log(`401 ${req.url ?? ''}`);
        answer(401, { errors: [{ code: 'UNAUTHORIZED', message: 'credentials required' }] }, { 'www-authenticate': 'Basic realm="token"' });
        return;
      }
      const service = url.searchParams.get('service') ?? '';
      const allowed = (action: string): boolean => action === 'pull' || (account !== '' && cfg.grant === 'all');
      const access: Access[] = [];
      for (const scope of url.searchParams.getAll('scope')) {
        const a = parseScope(scope);
        if (a === undefined) continue;
        const actions = a.actions.filter(allowed);
        if (actions.length > 0) access.push({ ...a, actions });
      }
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ access })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
        .setIssuer(TOKEN_ISSUER).setSubject(account).setAudience(service)
        .setIssuedAt(now).setNotBefore(now - 10).setExpirationTime(now + 300).setJti(String(Math.random()).slice(2))
        .sign(signingKey);
      log(`200 service=${service} account=${account} access=${JSON.stringify(access)}`);
      answer(200, { token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() });
    })().catch((e: unknown) => { log(`500 ${String(e)}`); answer(500, { errors: [{ code: 'UNKNOWN' }] }); });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    realm: `https://127.0.0.1:${bound}/token`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
