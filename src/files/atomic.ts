// Atomic file writes, the one home for them: temp file, fsync, rename (and fsync of the directory).
// A reader, or a crash, sees the old file or the whole new one, never a prefix.
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable, type Readable, type Transform } from 'node:stream';

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}

export interface AtomicWriteOptions {
  /** the file's mode, whatever the umask (default 0o644) */
  mode?: number;
  /** mode of the directories created on the way (default: 0o777 less the umask) */
  dirMode?: number;
  /** where the temp file goes (same file system as `path`; default beside it) */
  tmp?: string;
  /** fail with EEXIST rather than replace an existing `path` (a hard link instead of the rename: still atomic) */
  exclusive?: boolean;
}

/** Writes `data` to `path` atomically and durably (see the top of this file). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const mode = opts.mode ?? 0o644;
  await mkdir(dir, { recursive: true, ...(opts.dirMode !== undefined ? { mode: opts.dirMode } : {}) });
  const tmp = opts.tmp ?? tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode); // the umask may have narrowed it
    if (opts.exclusive) {
      await link(tmp, path);
      await rm(tmp, { force: true });
    } else {
      await rename(tmp, path);
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

/** Bytes gathered before one write: few, large writes rather than one per network chunk. */
const WRITE_BATCH = 1024 * 1024;

/**
 * A file sink that gathers chunks up to WRITE_BATCH and writes them with one call (a chunk per
 * write costs a thread-pool round trip each: thousands for a large blob). One batch is written
 * while the next one gathers, so the network is not paused for the disk; a third waits for the
 * write in flight. Memory stays bounded (two batches); `_final` writes the rest and fsyncs.
 */
class BatchingFileSink extends Writable {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly fh: FileHandle) {
    super({ highWaterMark: WRITE_BATCH });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes < WRITE_BATCH) { cb(); return; }
    this.inFlight.then(() => {
      if (this.destroyed) { cb(); return; }
      const write = this.flush();
      // Its failure is reported by the next _write or by _final, which wait for it.
      write.catch(() => undefined);
      this.inFlight = write;
      cb();
    }, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inFlight.then(() => this.flush()).then(() => this.fh.sync()).then(() => cb(), cb);
  }

  private async flush(): Promise<void> {
    let buffers = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    while (buffers.length > 0) {
      let { bytesWritten } = await this.fh.writev(buffers);
      // A short write (rare on files) continues where it stopped.
      while (buffers.length > 0 && bytesWritten >= (buffers[0] as Buffer).byteLength) bytesWritten -= (buffers.shift() as Buffer).byteLength;
      if (bytesWritten > 0) buffers = [(buffers[0] as Buffer).subarray(bytesWritten), ...buffers.slice(1)];
    }
  }
}

/**
 * Streams into `path` through optional checking transforms; on any error the partial file is
 * removed and `path` is left untouched. The file is fsynced before the rename, so a crash leaves
 * either no file or the whole one.
 */
export async function streamToFileAtomic(path: string, source: Readable, ...checks: Transform[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await pipeline([source, ...checks, new BatchingFileSink(fh)]);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    source.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}

/** fsyncs a directory so a rename into it survives a crash (best effort: not all platforms allow it). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  } catch {
    // directories cannot be opened for sync everywhere; the rename itself is still atomic
  }
}
