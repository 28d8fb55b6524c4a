// Verdicts for images, shared across admission requests: a cache per (image, policy) whose entries
// never outlive the trust material they rest on, one verification for concurrent identical checks
// (singleflight), and a bounded number of verifications at a time with a bounded queue. A request
// waits only until its own deadline; a queued check whose every waiter has given up is dropped
// before it starts.
import { VouchError, type ErrorCode, type ErrorOutcome } from '../core/index.js';
import type { CheckResult } from '../policy/index.js';

/** What vouch concluded about one image reference under the policy. */
export interface ImageVerdict {
  /** the normalised reference checked */
  reference: string;
  /** may it run: the policy allowed it (an audit-mode rule allows what it would deny) */
  allowed: boolean;
  /** did it meet the policy (false for an allowed image only under an audit-mode rule) */
  compliant: boolean;
  /** the verified digest a tag resolves to, to pin it (only for an allowed, compliant, signed tag) */
  digest?: string;
  /** which rule decided, for messages: `rule 'payments' (tags 'prod-*')` or `the policy's defaults` */
  rule?: string;
  /** the checks that failed */
  failed: Pick<CheckResult, 'check' | 'message'>[];
  /** the policy's one-line summary */
  summary?: string;
  /** no decision could be made, or trust data did not verify */
  error?: { code: ErrorCode; outcome: ErrorOutcome; message: string; hint?: string };
  /** ms since the epoch after which the trust material behind the verdict no longer holds */
  validUntil?: number;
}

export interface VerdictCacheOptions {
  /** how long a verdict is reused at most, even when the trust material lasts longer */
  ttlMs: number;
  /** entries kept at most (the oldest go first) */
  maxEntries: number;
  /** verifications running at once */
  maxConcurrent: number;
  /** verifications waiting for a slot at most; more are refused at once */
  maxQueued: number;
  now: () => number;
}

export const DEFAULT_VERDICT_CACHE: Readonly<Omit<VerdictCacheOptions, 'now'>> = Object.freeze({
  ttlMs: 60_000, maxEntries: 10_000, maxConcurrent: 16, maxQueued: 4096,
});

interface Flight {
  key: string;
  reference: string;
  budgetMs: number;
  run: () => Promise<ImageVerdict>;
  /** the latest deadline of anyone waiting */
  deadline: number;
  /** store the verdict (false while every waiter is a dry run) */
  store: boolean;
  resolve: (v: ImageVerdict) => void;
  reject: (err: unknown) => void;
  promise: Promise<ImageVerdict>;
}

export interface VerdictStats { hits: number; misses: number; shared: number; entries: number; running: number; queued: number }

/** The error a waiter gets when its deadline passes first. */
export function deadlineError(reference: string, ms: number, why: string): VouchError {
  return new VouchError('DEADLINE', `${reference}: no verdict within the admission deadline of ${ms / 1000} s (${why})`, {
    hint: 'the trust server or registry answered too slowly; check that the webhook reaches them, or raise timeoutSeconds of the webhook configuration',
  });
}

/**
 * Whether a verdict may be reused: decisions and proven failures are; an inconclusive error (a
 * server out of reach) is not, so the next request asks again.
 */
function cacheable(v: ImageVerdict): boolean {
  return v.error === undefined || v.error.outcome === 'failed';
}

export class VerdictCache {
  private readonly o: VerdictCacheOptions;
  private readonly entries = new Map<string, { verdict: ImageVerdict; expires: number }>();
  private readonly flights = new Map<string, Flight>();
  private readonly queue: Flight[] = [];
  private running = 0;
  private readonly counts = { hits: 0, misses: 0, shared: 0 };

  constructor(o: VerdictCacheOptions) {
    this.o = o;
  }

  get stats(): VerdictStats {
    return { ...this.counts, entries: this.entries.size, running: this.running, queued: this.queue.length };
  }

  /** A cached verdict that is still valid. */
  cached(key: string): ImageVerdict | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expires <= this.o.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.verdict;
  }

  /**
   * The verdict for `key`: cached, shared with a verification already under way, or from `run`
   * once a slot is free. Rejects with DEADLINE when no verdict is there by `deadline` (ms since
   * the epoch); a verification that has started runs on and its verdict is still cached.
   * With `store` false (a dry run) the verdict is not written to the cache.
   */
  verdict(key: string, reference: string, run: () => Promise<ImageVerdict>, deadline: number, budgetMs: number, store: boolean): Promise<ImageVerdict> {
    const hit = this.cached(key);
    if (hit !== undefined) {
      this.counts.hits++;
      return Promise.resolve(hit);
    }
    this.counts.misses++;
    let flight = this.flights.get(key);
    if (flight !== undefined) {
      this.counts.shared++;
      flight.deadline = Math.max(flight.deadline, deadline);
      flight.store ||= store;
    } else {
      if (this.queue.length >= this.o.maxQueued) {
        return Promise.reject(deadlineError(reference, budgetMs, `${this.queue.length} verifications are already waiting`));
      }
      let resolve!: (v: ImageVerdict) => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<ImageVerdict>((res, rej) => { resolve = res; reject = rej; });
      // Nobody may be waiting when it settles (every waiter timed out): that is not an unhandled rejection.
      promise.catch(() => undefined);
      flight = { key, reference, budgetMs, run, deadline, store, resolve, reject, promise };
      this.flights.set(key, flight);
      this.queue.push(flight);
      this.pump();
    }
    return withDeadline(flight.promise, deadline - this.o.now(), () => deadlineError(reference, budgetMs, 'the check did not finish in time'));
  }

  private pump(): void {
    while (this.running < this.o.maxConcurrent && this.queue.length > 0) {
      const f = this.queue.shift() as Flight;
      if (f.deadline <= this.o.now()) {
        // Every waiter has given up: do not spend a slot on it.
        this.flights.delete(f.key);
        f.reject(deadlineError(f.reference, f.budgetMs, 'dropped before it started'));
        continue;
      }
      this.running++;
      f.run().then((v) => {
        if (f.store && cacheable(v)) this.put(f.key, v);
        f.resolve(v);
      }, f.reject).finally(() => {
        this.running--;
        this.flights.delete(f.key);
        this.pump();
      });
    }
  }

  private put(key: string, v: ImageVerdict): void {
    const now = this.o.now();
    const expires = Math.min(now + this.o.ttlMs, v.validUntil ?? Number.POSITIVE_INFINITY);
    if (expires <= now) return;
    this.entries.delete(key);
    this.entries.set(key, { verdict: v, expires });
    // Map order is insertion order: the first entries are the oldest.
    while (this.entries.size > this.o.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** `p`, or `onTimeout()` as a rejection after `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (ms <= 0) return Promise.reject(onTimeout());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { reject(onTimeout()); }, ms);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (err: unknown) => { clearTimeout(timer); reject(err as Error); });
  });
}
