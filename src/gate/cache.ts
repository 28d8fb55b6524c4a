// The gate's verdict cache: values kept until their own expiry (the trust material's, capped by the
// configured TTL), a bounded number of entries (the oldest go first), and one computation per key
// at a time: concurrent identical checks wait for the same promise instead of verifying again.
// Failures are not kept: the next request tries again.

export interface Expiring<V> {
  value: V;
  /** epoch ms; at or before `now()` the entry is stale */
  expiresAt: number;
}

export class VerdictCache<V> {
  private readonly done = new Map<string, Expiring<V>>();
  private readonly pending = new Map<string, Promise<Expiring<V>>>();
  /** answered from the cache, joined a computation under way, computed (for /metrics) */
  readonly counts = { hits: 0, shared: 0, misses: 0 };

  constructor(private readonly maxEntries: number, private readonly now: () => number) {}

  /** The cached value, the one being computed, or a new computation. */
  async get(key: string, compute: () => Promise<Expiring<V>>): Promise<Expiring<V>> {
    const hit = this.done.get(key);
    if (hit !== undefined) {
      if (hit.expiresAt > this.now()) {
        this.counts.hits++;
        return hit;
      }
      this.done.delete(key);
    }
    const running = this.pending.get(key);
    if (running !== undefined) {
      this.counts.shared++;
      return running;
    }
    this.counts.misses++;
    const p = compute().then((v) => {
      if (v.expiresAt > this.now()) this.put(key, v);
      return v;
    }).finally(() => { this.pending.delete(key); });
    this.pending.set(key, p);
    return p;
  }

  /** The cached value without computing one. */
  peek(key: string): Expiring<V> | undefined {
    const hit = this.done.get(key);
    if (hit === undefined || hit.expiresAt > this.now()) return hit;
    this.done.delete(key);
    return undefined;
  }

  put(key: string, v: Expiring<V>): void {
    this.done.delete(key);
    this.done.set(key, v);
    // Map keeps insertion order: the first key is the oldest entry.
    while (this.done.size > this.maxEntries) {
      const oldest = this.done.keys().next().value as string;
      this.done.delete(oldest);
    }
  }

  get size(): number { return this.done.size; }
  /** computations in flight (tests check that identical checks share one) */
  get inFlight(): number { return this.pending.size; }
}
