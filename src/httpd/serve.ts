// The one Node adapter of vouch's HTTP servers (`vouch server`, `vouch registry`). Each server is a
// handler, `(request) → answer`, that knows nothing of sockets; this file puts it on node:http(s):
// listening, TLS, `Expect: 100-continue` deferred until the handler opens the body, `Connection:
// close` (after a short linger) when an answer leaves a body unread, keep-alive, and a close that
// stops accepting, answers requests that still arrive, and waits for those in flight.
// In-process callers (tests) call the handler directly, with the same RequestBody.
// Why node:http and no framework: docs/decisions/server-shape.md.
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Readable, pipeline } from 'node:stream';
import { RequestBody, deferContinue, lingerBeforeClose } from './body.js';

/** A request as a handler sees it. */
export interface HttpRequest {
  /** Upper case, as sent. */
  method: string;
  /** The request target as sent (path and query), never normalised: each server decides what a path means. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Unread until the handler opens it. */
  body: RequestBody;
}

/** What a handler answers. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /**
   * Text (sent as UTF-8), bytes, or a stream (a blob from disk) whose Content-Length the handler
   * sets. Without a body, Content-Length is the handler's (a HEAD answer) or 0.
   */
  body?: string | Uint8Array | Readable;
}

export type Handler = (req: HttpRequest) => Promise<Answer>;

/**
 * As long as a proxy or client keeps a connection idle: Go clients reuse them for 90 s, and 72 s
 * stays under the 75 s of common proxies (the value Fastify chose for the same reason).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export interface ServeOptions {
  /** Serve HTTPS with this certificate and key. */
  tls?: { key: Buffer | string; cert: Buffer | string };
  /** The answer to a request that arrives while the server closes (sent with `Connection: close`). */
  closing: () => Answer;
  /** A handler that rejected, or a response stream that failed (handlers answer their own failures; this is the last resort). */
  onError: (err: unknown) => void;
}

export interface NodeServer {
  readonly server: Server;
  listen(opts: { host: string; port: number }): Promise<void>;
  /** The bound address (the chosen port when 0 was asked for). */
  address(): { address: string; port: number; family: string };
  /** Stops accepting connections, answers requests that still arrive, waits for those in flight. Idempotent. */
  close(): Promise<void>;
}

/** Puts `handler` on a node:http(s) server (not listening yet). */
export function serve(handler: Handler, opts: ServeOptions): NodeServer {
  let closing = false;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const body = new RequestBody(req.headers, req, () => { res.writeContinue(); });
    if (closing) {
      send(req, res, body, opts.closing(), true, opts.onError);
      return;
    }
    let answer: Promise<Answer>;
    try {
      answer = handler({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
    } catch (err) {
      answer = Promise.reject(err as Error);
    }
    answer.then((a) => { send(req, res, body, a, closing, opts.onError); }, (err: unknown) => {
      opts.onError(err);
      send(req, res, body, { status: 500 }, closing, opts.onError);
    });
  };
  const server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : createHttpServer(onRequest);
  deferContinue(server);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  let closed: Promise<void> | undefined;
  return {
    server,
    listen: ({ host, port }) => new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => { reject(err); };
      server.once('error', onError);
      server.listen(port, host, () => { server.off('error', onError); resolve(); });
    }),
    address: () => {
      const a = server.address();
      return typeof a === 'object' && a !== null ? a : { address: '127.0.0.1', port: 0, family: 'IPv4' };
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        if (!server.listening) { resolve(); return; }
        server.close(() => { resolve(); });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

/** The headers the adapter adds to an answer; in-process callers apply the same (test/support/inject.ts). */
export function finalHeaders(a: Answer, body: RequestBody, closing: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...a.headers };
  // An answer given with the body unread (refused, or a route that takes none) closes the
  // connection rather than letting Node read the rest of the body.
  if (closing || body.unread) headers.connection = 'close';
  if (a.body === undefined) headers['content-length'] ??= '0';
  else if (typeof a.body === 'string') headers['content-length'] = Buffer.byteLength(a.body);
  else if (!(a.body instanceof Readable)) headers['content-length'] = a.body.byteLength;
  return headers;
}

/** The one place that writes an answer to a socket. */
function send(req: IncomingMessage, res: ServerResponse, body: RequestBody, a: Answer, closing: boolean, onError: (err: unknown) => void): void {
  const stream = a.body instanceof Readable ? a.body : undefined;
  if (res.headersSent || res.destroyed) {
    stream?.destroy();
    return;
  }
  const headers = finalHeaders(a, body, closing);
  if (body.unread) lingerBeforeClose(req.socket);
  res.writeHead(a.status, headers);
  if (stream === undefined) {
    res.end(a.body as string | Uint8Array | undefined);
    return;
  }
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  pipeline(stream, res, (err) => {
    // The client went away, or the file failed mid-way: the length promised cannot be kept, so the
    // connection is cut (pipeline has destroyed it); only a failure on our side is worth a log line.
    if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') onError(err);
  });
}

/**
 * Listens on `at` (from parseListenAddress); if that fails, runs `cleanup` and rethrows. Returns the
 * address as clients write it: `url` (http or https) and `host` (`HOST:PORT`, IPv6 in brackets),
 * with the port the system chose for port 0.
 */
export async function listenAt(server: NodeServer, at: { host: string; port: number }, tls: boolean, cleanup: () => Promise<void>): Promise<{ url: string; host: string }> {
  try {
    await server.listen(at);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const host = `${at.host.includes(':') ? `[${at.host}]` : at.host}:${server.address().port}`;
  return { url: `${tls ? 'https' : 'http'}://${host}`, host };
}
