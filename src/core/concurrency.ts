// Bounded concurrency, the one home for it: a counting semaphore (slots handed out first come,
// first served) and a worker pool over a list. Each thing in flight holds something scarce (a
// connection, a database client, a registry read), so the bound is the caller's.

/** At most `slots` holders at once; the others wait in order of arrival. */
export class Semaphore {
  private readonly waiters: (() => void)[] = [];

  constructor(private free: number) {}

  /** Callers waiting for a slot now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with the release of a slot once one is free; releasing twice is harmless. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiters.push(r));
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    };
  }

  /** `fn` in a slot. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * Runs `fn` over `items` in order, with at most `limit` in flight. The first failure wins: no new
 * item starts after it, the ones in flight finish, then it is thrown.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try { await fn(items[i] as T, i); } catch (err) { failed = true; throw err; }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
