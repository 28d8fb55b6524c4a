// In-process requests for the server tests: a request handed straight to a server's handler
// (`vouch server`'s or `vouch registry`'s), with the body as a RequestBody over the payload and the
// headers the Node adapter adds (src/httpd/serve.ts, finalHeaders). No socket; tests of the wire
// (100-continue, lingering close) use real sockets (test/support/rawhttp.ts).
import { Readable } from 'node:stream';
import { RequestBody, finalHeaders, type Handler } from '../../src/httpd/index.js';

export interface InjectOptions {
  method?: string;
  /** Resolved as a client's URL parser would (dot segments, escapes), as light-my-request did. */
  url: string;
  headers?: Record<string, string>;
  /** Bytes or text (sent with Content-Length), or a stream (sent chunked). */
  payload?: string | Uint8Array | Readable;
}

export interface InjectResponse {
  statusCode: number;
  /** Lower-case names, string values. */
  headers: Record<string, string>;
  /** The body as UTF-8 text. */
  body: string;
  rawPayload: Buffer;
  json<T = unknown>(): T;
}

/** Sends one request to `target.handle` and collects the answer. */
export async function inject(target: { handle: Handler }, opts: InjectOptions): Promise<InjectResponse> {
  const method = (opts.method ?? 'GET').toUpperCase();
  const parsed = new URL(opts.url.startsWith('//') ? `http://localhost${opts.url}` : opts.url, 'http://localhost');
  const headers: Record<string, string> = { host: 'localhost:80' };
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  let stream: Readable;
  const p = opts.payload;
  if (p instanceof Readable) {
    if (headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
    stream = p;
  } else if (p !== undefined) {
    const bytes = typeof p === 'string' ? Buffer.from(p) : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    headers['content-length'] ??= String(bytes.byteLength);
    stream = Readable.from(bytes.byteLength > 0 ? [bytes] : []);
  } else {
    stream = Readable.from([]);
  }
  const body = new RequestBody(headers, stream);
  const answer = await target.handle({ method, url: parsed.pathname + parsed.search, headers, body });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(finalHeaders(answer, body, false))) if (v !== undefined) out[k.toLowerCase()] = String(v);
  let raw: Buffer;
  if (answer.body instanceof Readable) {
    const chunks: Buffer[] = [];
    if (method === 'HEAD') answer.body.destroy();
    else for await (const c of answer.body) chunks.push(Buffer.from(c as Uint8Array));
    raw = Buffer.concat(chunks);
  } else {
    raw = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
  }
  if (method === 'HEAD') raw = Buffer.alloc(0);
  return { statusCode: answer.status, headers: out, body: raw.toString('utf8'), rawPayload: raw, json: <T>() => JSON.parse(raw.toString('utf8')) as T };
}
