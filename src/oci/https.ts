// HTTP(S) over node:http/node:https with keep-alive agents: the transport's client for trust
// servers, which need a handful of small requests and no undici (≈ 110 modules to load, a large
// part of a `vouch trust inspect`). The TLS context is built once per client: the system roots
// (Node's shared store) plus the host's extra CAs, and the client certificate for mutual TLS.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';

/** One answer: status, headers, and the body, unread. */
export interface Sent {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>;
  body: Readable;
  /** reads and drops up to `limit` bytes of the body (so the connection can be reused), else closes it */
  dump(limit: number): Promise<void>;
}

export interface NodeHttpOptions {
  /** extra CA certificates (PEM) trusted in addition to the system ones */
  ca?: (string | Buffer)[];
  cert?: string | Buffer;
  key?: string | Buffer;
  /** socket inactivity limit while waiting for headers or body, ms */
  timeoutMs: number;
}

/** The native SecureContext handle: `ca` in createSecureContext would replace the system roots. */
interface NativeContext { addCACert(cert: string | Buffer): void }

/**
 * One TLS context for every connection of a client: the system CAs plus the extra ones, and the
 * client certificate. Giving `ca` would replace the system store, and passing the system store
 * back as `ca` (tls.rootCertificates) parses all ~140 PEMs again for every connection (~30 ms of
 * CPU each). A context made without `ca` starts from Node's parsed root store, and `addCACert`
 * gives it its own copy of that store with the extra CAs (the shared store is not changed).
 */
export function secureContextFor(tls: { ca?: readonly (string | Buffer)[]; cert?: string | Buffer; key?: string | Buffer }): SecureContext {
  const ctx = createSecureContext(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {});
  for (const c of tls.ca ?? []) (ctx.context as NativeContext).addCACert(c);
  return ctx;
}

export class NodeHttpClient {
  private readonly opts: NodeHttpOptions;
  private http: HttpAgent | undefined;
  private https: HttpsAgent | undefined;

  constructor(opts: NodeHttpOptions) {
    this.opts = opts;
  }

  private agentFor(protocol: string): HttpAgent | HttpsAgent {
    if (protocol === 'http:') return (this.http ??= new HttpAgent({ keepAlive: true }));
    if (this.https === undefined) {
      this.https = new HttpsAgent({ keepAlive: true, secureContext: secureContextFor(this.opts) });
    }
    return this.https;
  }

  request(method: string, url: string, headers: Record<string, string>, body: Buffer | string | Readable | undefined): Promise<Sent> {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return Promise.reject(new Error(`unsupported protocol ${u.protocol}`));
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const h: Record<string, string> = { ...headers };
    if ((typeof body === 'string' || Buffer.isBuffer(body)) && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length')) {
      h['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise<Sent>((resolve, reject) => {
      const req = send(u, { method, headers: h, agent: this.agentFor(u.protocol) });
      req.setTimeout(this.opts.timeoutMs, () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)));
      req.on('error', reject);
      req.once('response', (res: IncomingMessage) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, dump: (limit) => dump(res, limit) });
      });
      if (body === undefined) req.end();
      else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
      else {
        body.once('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  close(): Promise<void> {
    this.http?.destroy();
    this.https?.destroy();
    return Promise.resolve();
  }
}

async function dump(res: IncomingMessage, limit: number): Promise<void> {
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) {
      res.destroy();
      return;
    }
  }
}
