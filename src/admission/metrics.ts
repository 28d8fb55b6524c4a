// The webhook's Prometheus metrics (text exposition format 0.0.4): requests by webhook and HTTP
// status, verdicts per image, request latency, and the verdict cache. Process gauges as the trust
// server reports them (src/server/metrics.ts).
import type { VerdictStats } from './verdicts.js';

/** Seconds; the webhook's default deadline (8 s) falls between the last two. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Webhook = 'validate' | 'mutate';
/** Per image: allowed, denied, allowed only because of audit mode, or no verdict (inconclusive). */
export type VerdictLabel = 'allowed' | 'denied' | 'audit' | 'inconclusive' | 'excluded';

export class AdmissionMetrics {
  private readonly requests = new Map<string, number>();
  private readonly verdicts = new Map<string, number>();
  private readonly latency = new Map<Webhook, { counts: number[]; sum: number; count: number }>();
  private readonly startedAt: number;

  constructor(now: number) {
    this.startedAt = now / 1000;
  }

  request(webhook: string, code: number, seconds: number): void {
    const k = `${webhook}\u0000${code}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    if (webhook !== 'validate' && webhook !== 'mutate') return;
    let h = this.latency.get(webhook);
    if (h === undefined) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(webhook, h);
    }
    BUCKETS.forEach((b, i) => { if (seconds <= b) h.counts[i] = (h.counts[i] as number) + 1; });
    h.sum += seconds;
    h.count++;
  }

  verdict(webhook: Webhook, verdict: VerdictLabel): void {
    const k = `${webhook}\u0000${verdict}`;
    this.verdicts.set(k, (this.verdicts.get(k) ?? 0) + 1);
  }

  render(cache: VerdictStats, process: { rss: number; heapUsed: number }): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string): void => { out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`); };
    family('vouch_admission_requests_total', 'counter', 'AdmissionReview requests by webhook (validate, mutate) and HTTP status code.');
    for (const [k, v] of this.requests) {
      const [webhook, code] = k.split('\u0000');
      out.push(`vouch_admission_requests_total{webhook="${webhook}",code="${code}"} ${v}`);
    }
    family('vouch_admission_verdicts_total', 'counter', 'Image verdicts by webhook and outcome (allowed, denied, audit, inconclusive, excluded).');
    for (const [k, v] of this.verdicts) {
      const [webhook, verdict] = k.split('\u0000');
      out.push(`vouch_admission_verdicts_total{webhook="${webhook}",verdict="${verdict}"} ${v}`);
    }
    family('vouch_admission_request_duration_seconds', 'histogram', 'Time to answer an AdmissionReview, by webhook.');
    for (const [webhook, h] of this.latency) {
      BUCKETS.forEach((b, i) => out.push(`vouch_admission_request_duration_seconds_bucket{webhook="${webhook}",le="${b}"} ${h.counts[i]}`));
      out.push(`vouch_admission_request_duration_seconds_bucket{webhook="${webhook}",le="+Inf"} ${h.count}`);
      out.push(`vouch_admission_request_duration_seconds_sum{webhook="${webhook}"} ${h.sum}`);
      out.push(`vouch_admission_request_duration_seconds_count{webhook="${webhook}"} ${h.count}`);
    }
    family('vouch_admission_cache_hits_total', 'counter', 'Image checks answered from the verdict cache.');
    out.push(`vouch_admission_cache_hits_total ${cache.hits}`);
    family('vouch_admission_cache_misses_total', 'counter', 'Image checks not in the verdict cache.');
    out.push(`vouch_admission_cache_misses_total ${cache.misses}`);
    family('vouch_admission_cache_shared_total', 'counter', 'Cache misses that joined a verification already under way.');
    out.push(`vouch_admission_cache_shared_total ${cache.shared}`);
    family('vouch_admission_cache_entries', 'gauge', 'Verdicts in the cache.');
    out.push(`vouch_admission_cache_entries ${cache.entries}`);
    family('vouch_admission_checks_running', 'gauge', 'Verifications running now.');
    out.push(`vouch_admission_checks_running ${cache.running}`);
    family('vouch_admission_checks_queued', 'gauge', 'Verifications waiting for a slot.');
    out.push(`vouch_admission_checks_queued ${cache.queued}`);
    family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.');
    out.push(`process_start_time_seconds ${this.startedAt}`);
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
    out.push(`process_resident_memory_bytes ${process.rss}`);
    family('nodejs_heap_used_bytes', 'gauge', 'Node.js heap in use, in bytes.');
    out.push(`nodejs_heap_used_bytes ${process.heapUsed}`);
    return out.join('\n') + '\n';
  }
}
