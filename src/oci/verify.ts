// Streaming content checks: bytes are hashed and counted as they pass, so a blob is never trusted
// (or kept) before all of it has been seen, and a server cannot send more than it announced.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { VouchError, digestOf, parseDigest } from '../core/index.js';

export interface Expected {
  digest: string;
  size: number;
}

/** Checks bytes held in memory against a digest (and size, when given). */
export function checkBytes(bytes: Uint8Array, expected: { digest: string; size?: number }, what = 'content'): void {
  const { algorithm } = parseDigest(expected.digest);
  if (expected.size !== undefined && bytes.byteLength !== expected.size) {
    throw new VouchError('LENGTH_MISMATCH', `${what} is ${bytes.byteLength} bytes, expected ${expected.size}`, { details: { expected: expected.size, actual: bytes.byteLength } });
  }
  const actual = digestOf(bytes, algorithm);
  if (actual !== expected.digest) {
    throw new VouchError('HASH_MISMATCH', `${what} has digest ${actual}, expected ${expected.digest}`, { details: { expected: expected.digest, actual } });
  }
}

/**
 * True when `stream` is a fresh VerifyingStream for this digest and size: whoever reads it all
 * without an error has checked it, and need not hash the bytes a second time.
 */
export function isCheckedStream(stream: Readable, expected: Expected): boolean {
  return stream instanceof VerifyingStream && stream.checks(expected);
}

/** A pass-through that fails with LENGTH_MISMATCH past `size` bytes or short of it, HASH_MISMATCH on a wrong digest. */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: string;
  private readonly expected: Expected;
  private seen = 0;
  /** with holdBack: the latest chunk, passed on only once the next one arrives or the content is checked */
  private held: Buffer | undefined;
  private readonly holdBack: boolean;
  /**
   * `holdBack`: the last chunk is passed on only after the digest matched, so a consumer that
   * counts bytes (an HTTP client reading a Content-Length) never sees wrong content complete: a
   * proxy that forwards this stream cuts the answer short instead (the registry gate).
   */
  constructor(expected: Expected, private readonly what = 'blob', opts: { holdBack?: boolean } = {}) {
    super();
    this.holdBack = opts.holdBack === true;
    // A copy: what is checked cannot change under the stream (checks() relies on it).
    this.expected = { digest: expected.digest, size: expected.size };
    this.algorithm = parseDigest(expected.digest).algorithm;
    this.hash = createHash(this.algorithm);
    // A check can fail before the consumer attaches (small blobs flow in at once). The error stays
    // in `errored` and reaches whoever consumes the stream (pipeline, for await); without a
    // listener it would be an uncaught exception instead.
    this.on('error', () => undefined);
  }

  get bytesSeen(): number { return this.seen; }

  /**
   * True when everything this stream will ever emit is checked against `expected` (same digest,
   * same size) and none of it has been read yet: a consumer may then rely on this check instead of
   * hashing the bytes a second time. A stream someone already read from could hand on a suffix
   * whose whole passed, so it does not count.
   */
  checks(expected: Expected): boolean {
    return this.expected.digest === expected.digest && this.expected.size === expected.size && !this.readableDidRead && !this.destroyed;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.byteLength;
    if (this.seen > this.expected.size) {
      cb(new VouchError('LENGTH_MISMATCH', `${this.what} is longer than the expected ${this.expected.size} bytes`, { details: { expected: this.expected.size } }));
      return;
    }
    this.hash.update(chunk);
    if (!this.holdBack) { cb(null, chunk); return; }
    const previous = this.held;
    this.held = chunk;
    cb(null, previous);
  }

  override _flush(cb: TransformCallback): void {
    if (this.seen !== this.expected.size) {
      cb(new VouchError('LENGTH_MISMATCH', `${this.what} is ${this.seen} bytes, expected ${this.expected.size}`, { details: { expected: this.expected.size, actual: this.seen } }));
      return;
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      cb(new VouchError('HASH_MISMATCH', `${this.what} has digest ${actual}, expected ${this.expected.digest}`, { details: { expected: this.expected.digest, actual } }));
      return;
    }
    cb(null, this.held);
  }
}
