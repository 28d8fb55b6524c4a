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
  /** connection up, headers in (from the start), and the longest silence on the socket, ms */
  deadlines: { connectMs: number; firstByteMs: number; stallMs: number };
}

/** Error codes of the deadlines enforced here (transport.ts classifies them). */
export const CONNECT_TIMEOUT = 'VOUCH_CONNECT_TIMEOUT';
export const FIRST_BYTE_TIMEOUT = 'VOUCH_FIRST_BYTE_TIMEOUT';
export const STALL_TIMEOUT = 'VOUCH_STALL_TIMEOUT';

function deadlineError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
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
    const { connectMs, firstByteMs, stallMs } = this.opts.deadlines;
    return new Promise<Sent>((resolve, reject) => {
      const req = send(u, { method, headers: h, agent: this.agentFor(u.protocol) });
      let connectTimer: NodeJS.Timeout | undefined;
      const firstByteTimer = setTimeout(() => req.destroy(deadlineError(FIRST_BYTE_TIMEOUT, `no answer within ${firstByteMs} ms`)), firstByteMs);
      const clear = (): void => { clearTimeout(firstByteTimer); clearTimeout(connectTimer); };
      req.once('socket', (socket) => {
        if (!socket.connecting) return; // a kept-alive connection
        connectTimer = setTimeout(() => req.destroy(deadlineError(CONNECT_TIMEOUT, `no connection within ${connectMs} ms`)), connectMs);
        socket.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      // the socket's silence, also while the body streams (blobs: no whole-body deadline here);
      // once the body streams, its reader gets the reason
      let response: IncomingMessage | undefined;
      req.setTimeout(stallMs, () => {
        const err = deadlineError(STALL_TIMEOUT, `no data for ${stallMs} ms`);
        if (response) response.destroy(err);
        else req.destroy(err);
      });
      req.on('error', (err) => { clear(); reject(err); });
      req.once('response', (res: IncomingMessage) => {
        clear();
        response = res;
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
