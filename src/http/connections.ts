// The wire: one exchange over node:http / node:https with keep-alive agents (one per scheme and
// client), the client's TLS context (tls.ts), and the socket-level deadlines: connection up,
// headers in, and the longest silence (the whole-body deadline is the body reader's, body.ts).
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { CONNECT_TIMEOUT, FIRST_BYTE_TIMEOUT, STALL_TIMEOUT, deadlineError, type Deadlines } from './deadlines.js';
import { TlsTrust, type TlsOptions } from './tls.js';

/** One answer: status, headers, and the body, unread. */
export interface Sent {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** reads and drops up to `limit` bytes of the body (so the connection can be reused), else closes it */
  dump(limit: number): Promise<void>;
}

export class Connections {
  private readonly deadlines: Pick<Deadlines, 'connectMs' | 'firstByteMs' | 'stallMs'>;
  private readonly trust: TlsTrust;
  private http: HttpAgent | undefined;
  private https: HttpsAgent | undefined;
  /** agents replaced after the trust widened: their sockets may still serve answers in flight */
  private readonly retired: HttpsAgent[] = [];

  constructor(tls: TlsOptions, deadlines: Pick<Deadlines, 'connectMs' | 'firstByteMs' | 'stallMs'>) {
    this.trust = new TlsTrust(tls);
    this.deadlines = deadlines;
  }

  private agentFor(protocol: string): HttpAgent | HttpsAgent {
    if (protocol === 'http:') return (this.http ??= new HttpAgent({ keepAlive: true }));
    if (this.https === undefined) {
      const secureContext = this.trust.context();
      this.https = new HttpsAgent({ keepAlive: true, ...(secureContext ? { secureContext } : {}) });
    }
    return this.https;
  }

  /**
   * After a failed exchange: did the client's TLS trust widen (tls.ts, TlsTrust.widen)? Then new
   * connections use the wider context, and the caller sends the request again.
   */
  widenTrust(err: unknown): boolean {
    if (!this.trust.widen(err)) return false;
    if (this.https) this.retired.push(this.https);
    this.https = undefined;
    return true;
  }

  request(method: string, url: string, headers: Record<string, string>, body: Buffer | string | Readable | undefined): Promise<Sent> {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return Promise.reject(new Error(`unsupported protocol ${u.protocol}`));
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const h: Record<string, string> = { ...headers };
    if ((typeof body === 'string' || Buffer.isBuffer(body)) && !Object.keys(h).some((k) => k.toLowerCase() === 'content-length')) {
      h['content-length'] = String(Buffer.byteLength(body));
    }
    const { connectMs, firstByteMs, stallMs } = this.deadlines;
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

  close(): void {
    this.http?.destroy();
    this.https?.destroy();
    for (const agent of this.retired.splice(0)) agent.destroy();
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
