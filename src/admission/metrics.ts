// The webhook's Prometheus metrics: requests by webhook and HTTP status, verdicts per image, request
// latency, the verdict cache, and the process gauges every vouch server reports (src/httpd/prometheus.ts).
import { Counter, Histogram, exposition, family, processGauges, single } from '../httpd/index.js';
import type { VerdictStats } from './verdicts.js';

/** Seconds; the webhook's default deadline (8 s) falls between the last two. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Webhook = 'validate' | 'mutate';
/** Per image: allowed, denied, allowed only because of audit mode, or no verdict (inconclusive). */
export type VerdictLabel = 'allowed' | 'denied' | 'audit' | 'inconclusive' | 'excluded';

export class AdmissionMetrics {
  private readonly requests = new Counter(['webhook', 'code']);
  private readonly verdicts = new Counter(['webhook', 'verdict']);
  private readonly latency = new Map<Webhook, Histogram>();
  private readonly startedAt: number;

  constructor(now: number) {
    this.startedAt = now / 1000;
  }

  request(webhook: string, code: number, seconds: number): void {
    this.requests.inc(webhook, String(code));
    if (webhook !== 'validate' && webhook !== 'mutate') return;
    let h = this.latency.get(webhook);
    if (h === undefined) {
      h = new Histogram(BUCKETS);
      this.latency.set(webhook, h);
    }
    h.observe(seconds);
  }

  verdict(webhook: Webhook, verdict: VerdictLabel): void {
    this.verdicts.inc(webhook, verdict);
  }

  render(cache: VerdictStats, mem: { rss: number; heapUsed: number }): string {
    const duration = 'vouch_admission_request_duration_seconds';
    return exposition([
      ...family('vouch_admission_requests_total', 'counter', 'AdmissionReview requests by webhook (validate, mutate) and HTTP status code.',
        this.requests.samples('vouch_admission_requests_total')),
      ...family('vouch_admission_verdicts_total', 'counter', 'Image verdicts by webhook and outcome (allowed, denied, audit, inconclusive, excluded).',
        this.verdicts.samples('vouch_admission_verdicts_total')),
      ...family(duration, 'histogram', 'Time to answer an AdmissionReview, by webhook.', [...this.latency].flatMap(([webhook, h]) => h.samples(duration, { webhook }))),
      ...single('vouch_admission_cache_hits_total', 'counter', 'Image checks answered from the verdict cache.', cache.hits),
      ...single('vouch_admission_cache_misses_total', 'counter', 'Image checks not in the verdict cache.', cache.misses),
      ...single('vouch_admission_cache_shared_total', 'counter', 'Cache misses that joined a verification already under way.', cache.shared),
      ...single('vouch_admission_cache_entries', 'gauge', 'Verdicts in the cache.', cache.entries),
      ...single('vouch_admission_checks_running', 'gauge', 'Verifications running now.', cache.running),
      ...single('vouch_admission_checks_queued', 'gauge', 'Verifications waiting for a slot.', cache.queued),
      ...processGauges(this.startedAt, mem),
    ]);
  }
}
