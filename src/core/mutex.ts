// A FIFO async mutex per key, for work that must not interleave within one process (a
// repository's updates in the server's storage, a registry tag a client reads, changes and writes
// back). Entries are dropped when nobody holds or waits. A waiter gives up after `waitMs` with the
// caller's error, so a callback that waits for its own key fails instead of hanging. (An
// AsyncLocalStorage could name that mistake at once, but on Node 20 it turns on promise hooks for
// the whole process: ~12 µs on every request a server answers.)
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly waitMs: number, private readonly timedOut: (key: string, waitMs: number) => Error) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => { release = r; });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([prev, new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(this.timedOut(key, this.waitMs));
        }, this.waitMs);
      })]);
    } catch (err) {
      // Our place in the queue passes on as soon as the holder is done.
      release();
      if (this.tails.get(key) === tail) void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
      throw err;
    } finally {
      clearTimeout(timer);
    }
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

