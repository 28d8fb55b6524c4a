// Request bodies for vouch's HTTP servers (`vouch server`, `vouch registry`), one mechanism for
// both: a server decides from the request line and headers (route, authentication, declared
// length) whether it will read a body at all, and only then opens it. Bodies held in memory count
// against one process-wide budget of bytes in flight. A request refused with its body unread is
// answered and its connection closed, so nobody can make the server read (and discard) a body it
// never wanted, which is what Node does by default to keep a connection alive.
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { VouchError } from '../core/index.js';
import type { Readable } from 'node:stream';

/**
 * Bytes of request bodies the process may hold in memory at once. A trust-server publish is read
 * whole (it is validated as one unit), so this is the memory an attacker with a valid token can pin:
 * room for two publishes of the largest size (100 MiB, DEFAULT_LIMITS.maxBodyBytes in src/server) and
 * many ordinary ones (a few KiB to a few MiB each).
 */
export const DEFAULT_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

/** A count of bytes held by request bodies; a request that does not fit is refused, never queued. */
export class BodyBudget {
  private used = 0;
  constructor(public capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new VouchError('INVALID_ARGUMENT', `body budget must be a byte count, not ${capacity}`);
  }

  get inUse(): number { return this.used; }

  /** Takes `n` bytes if they fit; false (taking nothing) if they do not. */
  tryTake(n: number): boolean {
    if (this.used + n > this.capacity) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/** Seconds a client refused for want of budget is asked to wait (`Retry-After`, RFC 9110 section 10.2.3). */
export const BUSY_RETRY_AFTER_SECONDS = 5;

/** The budget every server in this process shares unless it is given its own (tests do). */
export const processBodyBudget = new BodyBudget(DEFAULT_BYTES_IN_FLIGHT);

/** Why a body was not read: over the route's limit, over the process budget, or a broken upload. */
export type BodyRefusalKind = 'too-large' | 'busy' | 'aborted';

export class BodyRefused extends Error {
  constructor(readonly kind: BodyRefusalKind, message: string, readonly limit?: number) {
    super(message);
    this.name = 'BodyRefused';
  }
}

/**
 * What the headers say about a body. Node's parser has already refused a malformed or duplicated
 * Content-Length and one sent together with Transfer-Encoding (RFC 9112 section 6.3), so a
 * Content-Length here is a decimal byte count.
 */
export function declaredBody(headers: IncomingHttpHeaders): { present: boolean; length: number | undefined } {
  const te = headers['transfer-encoding'];
  if (te !== undefined && te !== '') return { present: true, length: undefined };
  const cl = headers['content-length'];
  if (cl === undefined || cl === '') return { present: false, length: 0 };
  const length = Number(cl);
  return { present: length > 0, length };
}

/**
 * How long a connection closed with a body unread stays open for reading after the answer. Closing
 * at once, with the client still sending, resets the connection, and a client can lose the answer
 * it has not read yet; Go's net/http waits 500 ms for the same reason (rstAvoidanceDelay in
 * net/http/server.go).
 */
export const LINGER_MS = 500;

const lingering = new WeakSet<Socket>();

/**
 * For an answer sent with `Connection: close` and the body unread (RequestBody.unread): the
 * connection then closes after LINGER_MS rather than at once. Node would otherwise read the rest
 * of the body (up to the request timeout) to reuse the connection (RFC 9112 section 9.6).
 */
export function lingerBeforeClose(socket: Socket | undefined | null): void {
  // Node ends a `Connection: close` answer with socket.destroySoon() (lib/_http_server.js, resOnFinish).
  if (socket && typeof socket.destroySoon === 'function' && !lingering.has(socket)) {
    lingering.add(socket);
    socket.destroySoon = function lingerThenDestroy(this: Socket): void {
      if (this.writable) this.end();
      const timer = setTimeout(() => { this.destroy(); }, LINGER_MS);
      timer.unref();
      this.once('close', () => { clearTimeout(timer); });
    };
  }
}

/**
 * A request's body, not yet read: what the headers announce, and the one way to open it. The
 * Node adapter (serve.ts) makes one over the socket's request stream, with an `invite` that sends
 * `100 Continue`; in-process callers make one over any stream. A server's handler opens it only once
 * the request is admitted from its headers, and the adapter closes the connection when an answer
 * leaves it unread.
 */
export class RequestBody {
  private invited = false;

  constructor(
    private readonly headers: IncomingHttpHeaders,
    private readonly stream: Readable,
    private readonly invite: () => void = () => undefined,
  ) {}

  /** What the headers say about the body (see declaredBody). */
  get declared(): { present: boolean; length: number | undefined } {
    return declaredBody(this.headers);
  }

  /** Whether a body was announced and has not been read to its end. */
  get unread(): boolean {
    return this.declared.present && !this.stream.readableEnded && (this.stream as Partial<IncomingMessage>).complete !== true;
  }

  /**
   * Opens the body as a stream: refuses a declared length over `limit` before a byte is read,
   * then, for `Expect: 100-continue`, invites the client to send. The caller bounds what it reads.
   */
  open(limit: number): Readable {
    refuseDeclaredOver(this.headers, limit);
    this.inviteOnce();
    return this.stream;
  }

  /**
   * Reads the whole body into memory, at most `limit` bytes, holding them against `budget`. A
   * declared length is taken from the budget before reading; a chunked body is taken as it arrives.
   */
  read(opts: { limit: number; budget: BodyBudget }): Promise<HeldBody> {
    try {
      refuseDeclaredOver(this.headers, opts.limit);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return readHeld(this.stream, this.declared.length, () => { this.inviteOnce(); }, opts);
  }

  private inviteOnce(): void {
    if (this.invited || !/^100-continue$/i.test(String(this.headers.expect ?? ''))) return;
    this.invited = true;
    this.invite();
  }
}

function refuseDeclaredOver(headers: IncomingHttpHeaders, limit: number): void {
  const { length } = declaredBody(headers);
  if (length !== undefined && length > limit) throw new BodyRefused('too-large', `request body of ${length} bytes exceeds the limit of ${limit} bytes`, limit);
}

/**
 * Stops Node from answering `Expect: 100-continue` by itself before the server has looked at the
 * request: requests that expect it are handled like any other, and RequestBody sends the 100.
 */
export function deferContinue(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => { server.emit('request', req, res); });
}

/** A body read into memory; its bytes count against the budget until release(). */
export interface HeldBody {
  bytes: Buffer;
  release(): void;
}

function readHeld(stream: Readable, length: number | undefined, invite: () => void, opts: { limit: number; budget: BodyBudget }): Promise<HeldBody> {
  const busy = (): BodyRefused => new BodyRefused('busy', `the server holds ${opts.budget.inUse} bytes of request bodies, its limit is ${opts.budget.capacity}`);
  let held = 0;
  if (length !== undefined) {
    if (!opts.budget.tryTake(length)) return Promise.reject(busy());
    held = length;
  }
  invite();
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    opts.budget.give(held);
  };
  return new Promise<HeldBody>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: BodyRefused): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.pause();
      release();
      reject(err);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > opts.limit) { fail(new BodyRefused('too-large', `request body exceeds the limit of ${opts.limit} bytes`, opts.limit)); return; }
      if (size > held) {
        // Chunked, or more than declared (Node stops at Content-Length, so only chunked gets here).
        if (!opts.budget.tryTake(size - held)) { fail(busy()); return; }
        held = size;
      }
      chunks.push(c);
    };
    const onEnd = (): void => {
      if (held > size) { opts.budget.give(held - size); held = size; }
      resolve({ bytes: Buffer.concat(chunks, size), release });
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', () => { fail(new BodyRefused('aborted', 'the request body was not received whole')); });
    stream.on('aborted', () => { fail(new BodyRefused('aborted', 'the request body was not received whole')); });
  });
}
