// Hostile answers for client tests: an endless body (bounded: it stops at `total` bytes and when
// the client goes away) and a body dripped a byte at a time.
import type { ServerResponse } from 'node:http';

/** Writes spaces until `total` bytes are out or the client goes away (honours back-pressure). */
export function endless(res: ServerResponse, opts: { contentLength?: number; total: number }): void {
  res.writeHead(200, opts.contentLength === undefined ? {} : { 'content-length': opts.contentLength });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const pump = (): void => {
    while (sent < opts.total && !res.destroyed) {
      sent += chunk.byteLength;
      if (!res.write(chunk)) { res.once('drain', pump); return; }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** One byte of `body` every `everyMs`, until it is all out or the client goes away. */
export function drip(res: ServerResponse, body: Buffer, everyMs: number, headers: Record<string, string> = {}): void {
  res.writeHead(200, { ...headers, 'content-length': body.byteLength });
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed || i >= body.byteLength) { clearInterval(timer); if (!res.destroyed) res.end(); return; }
    res.write(body.subarray(i, ++i));
  }, everyMs);
  res.once('close', () => clearInterval(timer));
}
