// A man in the middle for trust-server tests: forwards every request to the real server and lets
// the test rewrite response bodies (mis-signed or altered metadata) on their way to the client,
// or answer a request itself (endless, dripped, hostile error text) without asking the server.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

/** Returns the bytes to serve instead of `body`, or undefined to pass it on unchanged. */
export type Tamper = (path: string, body: Buffer) => Buffer | undefined;
/** Answers the request itself and returns true, or returns false to forward it. */
export type Answer = (path: string, res: ServerResponse) => boolean;

export interface TamperingProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  tamper: Tamper | undefined;
  answer: Answer | undefined;
  close(): Promise<void>;
}

async function readAll(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c);
  return Buffer.concat(chunks);
}

export async function startTamperingProxy(upstream: string, opts: { ca?: Buffer } = {}): Promise<TamperingProxy> {
  const up = new URL(upstream);
  const proxy: TamperingProxy = { url: '', tamper: undefined, answer: undefined, close: async () => {} };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      if (proxy.answer?.(req.url ?? '', res)) return;
      const headers: IncomingHttpHeaders = { ...req.headers, host: up.host };
      const send = up.protocol === 'https:' ? httpsRequest : httpRequest;
      const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const out = send({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers, ...(opts.ca ? { ca: opts.ca } : {}) }, (r) => {
          readAll(r).then((b) => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: b }), reject);
        });
        out.on('error', reject);
        out.end(body);
      });
      const changed = answer.status === 200 && proxy.tamper ? proxy.tamper(req.url ?? '', answer.body) : undefined;
      const served = changed ?? answer.body;
      const { 'content-length': _len, 'transfer-encoding': _te, connection: _c, ...rest } = answer.headers;
      res.writeHead(answer.status, { ...rest, 'content-length': served.byteLength });
      res.end(req.method === 'HEAD' ? undefined : served);
    })().catch((err: unknown) => { res.writeHead(502).end(String(err)); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return proxy;
}
