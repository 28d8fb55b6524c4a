// HTTP/1.1 over a bare socket, for attacks an HTTP client library would not send: a body announced
// and then held back, `Expect: 100-continue` without ever sending the body. Loopback only.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** interim (1xx) statuses received before the final answer */
  interim: number[];
  status: number;
  headers: Record<string, string>;
  body: string;
  /** resolves once the server has closed the connection */
  closed: Promise<void>;
  socket: Socket;
}

/**
 * Sends `head` (request line and headers, without the blank line) and then `body`, which may be
 * only the start of what the headers announce (`onSocket` gets the socket to send the rest);
 * resolves with the server's final answer.
 */
export function rawExchange(port: number, head: string, body: Buffer = Buffer.alloc(0), onSocket?: (s: Socket) => void): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    onSocket?.(socket);
    let buf = Buffer.alloc(0);
    const interim: number[] = [];
    let answered = false;
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => { markClosed = r; });
    socket.on('close', () => { markClosed(); if (!answered) reject(new Error(`connection closed before an answer: ${buf.toString('latin1').slice(0, 200)}`)); });
    socket.on('end', () => { markClosed(); });
    socket.on('error', (err) => { if (!answered) reject(err); });
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        if (answered) return;
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        if (status >= 100 && status < 200) {
          interim.push(status);
          buf = buf.subarray(end + 4);
          continue;
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + length) return;
        answered = true;
        resolve({ interim, status, headers, body: buf.subarray(end + 4, end + 4 + length).toString('utf8'), closed, socket });
      }
    });
    socket.write(`${head}\r\n\r\n`);
    if (body.length > 0) socket.write(body);
  });
}
