// The gate's Prometheus metrics (/metrics): requests by endpoint of the registry API, method and
// status, latency per endpoint, manifest verdicts, the verdict cache over every upstream, and the
// process gauges every vouch server reports (src/httpd/prometheus.ts). No label carries a
// repository name: /metrics is unauthenticated, as Kubernetes probes and scrapers expect.
import { Counter, Histogram, exposition, family, processGauges, single } from '../httpd/index.js';
import type { VerdictCacheStats } from './verdicts.js';

/** Seconds; a manifest checked cold takes up to the request deadline (10 s by default). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the gate decided for a manifest it was asked for. */
export type GateVerdict = 'allowed' | 'denied' | 'audit';

export class GateMetrics {
  private readonly requests = new Counter(['endpoint', 'method', 'code']);
  private readonly latency = new Map<string, Histogram>();
  private readonly verdicts = new Counter(['verdict']);
  private readonly startedAt: number;

  constructor(now: number) {
    this.startedAt = now / 1000;
  }

  request(endpoint: string, method: string, code: number, seconds: number): void {
    this.requests.inc(endpoint, method, String(code));
    let h = this.latency.get(endpoint);
    if (h === undefined) {
      h = new Histogram(BUCKETS);
      this.latency.set(endpoint, h);
    }
    h.observe(seconds);
  }

  verdict(v: GateVerdict): void {
    this.verdicts.inc(v);
  }

  render(cache: VerdictCacheStats, mem: { rss: number; heapUsed: number }): string {
    const duration = 'vouch_gate_request_duration_seconds';
    return exposition([
      ...family('vouch_gate_requests_total', 'counter', 'Requests by endpoint of the registry API (manifest, blob, …; health, metrics, other), method and HTTP status code.',
        this.requests.samples('vouch_gate_requests_total')),
      ...family(duration, 'histogram', 'Time to answer a request (to its headers, for a streamed blob), by endpoint.',
        [...this.latency].flatMap(([endpoint, h]) => h.samples(duration, { endpoint }))),
      ...family('vouch_gate_manifest_verdicts_total', 'counter', 'Manifests of runnable images asked for, by verdict: allowed, denied, or allowed only in audit mode.',
        this.verdicts.samples('vouch_gate_manifest_verdicts_total')),
      ...single('vouch_gate_cache_hits_total', 'counter', 'Verdicts answered from the cache.', cache.hits),
      ...single('vouch_gate_cache_misses_total', 'counter', 'Verdicts not in the cache, computed.', cache.misses),
      ...single('vouch_gate_cache_shared_total', 'counter', 'Verdicts that joined a verification already under way.', cache.shared),
      ...single('vouch_gate_cache_entries', 'gauge', 'Verdicts in the cache.', cache.entries),
      ...single('vouch_gate_checks_running', 'gauge', 'Verifications (trust data and verdicts) running now.', cache.running),
      ...processGauges(this.startedAt, mem),
    ]);
  }
}
