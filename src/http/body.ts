// The one bounded reader of response bodies held in memory (metadata, manifests, tokens, error
// bodies): a size limit, and the whole-body deadline.
import type { Readable } from 'node:stream';
import { VouchError, isVouchError } from '../core/index.js';
import { STALL_TIMEOUT } from './deadlines.js';

export const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

/** What the reader needs of a response: its body, headers, and when the body must be complete (epoch ms). */
export interface BodySource {
  body: Readable;
  headers: Record<string, string>;
  deadline: number;
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Reads a response body into memory: at most `maxBytes` (TOO_LARGE, refused up front when
 * Content-Length says so), and complete by the response's whole-body deadline (NETWORK). The one
 * bounded read of every in-memory body (metadata, manifests, tokens, errors).
 */
export async function readBody(res: BodySource, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.body.destroy();
    throw new VouchError('TOO_LARGE', `${what} is ${declared} bytes, over the limit of ${maxBytes}`, { details: { size: declared, limit: maxBytes } });
  }
  const left = res.deadline - Date.now();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; res.body.destroy(new Error('deadline')); }, Math.max(0, left));
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        res.body.destroy();
        throw new VouchError('TOO_LARGE', `${what} is larger than the limit of ${maxBytes} bytes`, { details: { limit: maxBytes } });
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    throw bodyFailure(err, what, size, timedOut);
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * A body that failed while it arrived: past the whole-body deadline, silent past the stall
 * deadline (blobs), or cut off. NETWORK, with `reached`: the server answered, so this is no
 * reason to fall back to cached data. VouchErrors pass through.
 */
export function bodyFailure(err: unknown, what: string, received?: number, timedOut = false): VouchError {
  if (isVouchError(err)) return err;
  const code = errorCode(err);
  const stalled = code === STALL_TIMEOUT;
  const got = received === undefined ? '' : ` (${received} bytes received)`;
  return new VouchError('NETWORK', timedOut
    ? `${what} was not complete within the deadline${got}`
    : stalled ? `${what} stalled: no data within the deadline${got}` : `${what} broke off${got}: ${(err as Error).message}`, {
    cause: err,
    details: { reached: true, ...(received === undefined ? {} : { received }), ...(timedOut ? { deadline: 'body' } : stalled ? { deadline: 'stall' } : code ? { cause: code } : {}) },
    hint: timedOut
      ? 'the server sends too slowly (or without end); if it is just slow, raise VOUCH_TIMEOUT_BODY (seconds)'
      : stalled
        ? 'the server stopped sending; if it is just slow, raise VOUCH_TIMEOUT_STALL (seconds)'
        : 'the connection failed in the middle of the answer; retry, and tell the server operator if it persists',
  });
}
