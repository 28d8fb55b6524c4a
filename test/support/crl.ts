// A CRL distribution point for the tests, usable by vouch and the real notation: a node:http
// server on 127.0.0.1 serving the CRLs put in `crls` (path → DER), counting requests; `down`
// makes it answer 503, as an unreachable CRL server would look to a verifier.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CrlServer {
  /** http://127.0.0.1:PORT */
  base: string;
  crls: Map<string, Buffer>;
  requests: number;
  down: boolean;
  close(): Promise<void>;
}

export async function startCrlServer(): Promise<CrlServer> {
  const s: CrlServer = { base: '', crls: new Map(), requests: 0, down: false, close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }) };
  const server = createServer((req, res) => {
    s.requests++;
    const body = s.crls.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (s.down) { res.writeHead(503).end(); return; }
    if (req.method !== 'GET' || !body) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  s.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return s;
}
