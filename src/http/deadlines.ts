// The deadlines of every exchange: a hostile or broken server cannot hold a command for long.
// Defaults here; the CLI's environment (VOUCH_TIMEOUT_*, seconds) overrides them through
// client/dockerenv.ts `deadlinesFrom`.

/** Deadlines of one exchange, ms. */
export interface Deadlines {
  /** the TCP (and TLS) connection is up */
  connectMs: number;
  /** the response headers are in, counted from the start of the request */
  firstByteMs: number;
  /** a body read into memory (request(), readBody()) is complete, counted from the start of the request */
  bodyMs: number;
  /** a streamed body (blobs) goes this long without a byte */
  stallMs: number;
}

/**
 * A server dripping one answer is cut after 20 s; connection failures and timeouts are not
 * retried, so one read never holds a command for longer.
 */
export const DEFAULT_DEADLINES: Readonly<Deadlines> = Object.freeze({ connectMs: 10_000, firstByteMs: 15_000, bodyMs: 20_000, stallMs: 30_000 });

/** Error codes of the deadlines that connections.ts enforces on the socket. */
export const CONNECT_TIMEOUT = 'VOUCH_CONNECT_TIMEOUT';
export const FIRST_BYTE_TIMEOUT = 'VOUCH_FIRST_BYTE_TIMEOUT';
export const STALL_TIMEOUT = 'VOUCH_STALL_TIMEOUT';

/** Deadlines that ran out: never retried (a slow server would hold the command once per attempt). */
export const DEADLINE_CODES: ReadonlySet<string> = new Set([CONNECT_TIMEOUT, FIRST_BYTE_TIMEOUT, STALL_TIMEOUT]);

export function deadlineError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
