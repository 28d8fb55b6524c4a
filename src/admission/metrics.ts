// The webhook's Prometheus metrics: requests by webhook and HTTP status, verdicts per image, request
// latency, the verdict cache, and the process gauges every vouch server reports (src/httpd/prometheus.ts).
import { Histogram, exposition, family, labels, processGauges } from '../httpd/index.js';
import type { VerdictStats } from './verdicts.js';

/** Seconds; the webhook's default deadline (8 s) falls between the last two. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Webhook = 'validate' | 'mutate';
/** Per image: allowed, denied, allowed only because of audit mode, or no verdict (inconclusive). */
export type VerdictLabel = 'allowed' | 'denied' | 'audit' | 'inconclusive' | 'excluded';

export class AdmissionMetrics {
  private readonly requests = new Map<string, number>();
  private readonly verdicts = new Map<string, number>();
  private readonly latency = new Map<Webhook, Histogram>();
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
      h = new Histogram(BUCKETS);
      this.latency.set(webhook, h);
    }
    h.observe(seconds);
  }

  verdict(webhook: Webhook, verdict: VerdictLabel): void {
    const k = `${webhook}\u0000${verdict}`;
    this.verdicts.set(k, (this.verdicts.get(k) ?? 0) + 1);
  }

  render(cache: VerdictStats, mem: { rss: number; heapUsed: number }): string {
    const counted = (name: string, keys: readonly [string, string], m: Map<string, number>): string[] => [...m].map(([k, v]) => {
      const [a, b] = k.split('\u0000') as [string, string];
      return `${name}${labels({ [keys[0]]: a, [keys[1]]: b })} ${v}`;
    });
    const duration = 'vouch_admission_request_duration_seconds';
    const gauge = (name: string, type: 'counter' | 'gauge', help: string, value: number): string[] => family(name, type, help, [`${name} ${value}`]);
    return exposition([
      ...family('vouch_admission_requests_total', 'counter', 'AdmissionReview requests by webhook (validate, mutate) and HTTP status code.',
        counted('vouch_admission_requests_total', ['webhook', 'code'], this.requests)),
      ...family('vouch_admission_verdicts_total', 'counter', 'Image verdicts by webhook and outcome (allowed, denied, audit, inconclusive, excluded).',
        counted('vouch_admission_verdicts_total', ['webhook', 'verdict'], this.verdicts)),
      ...family(duration, 'histogram', 'Time to answer an AdmissionReview, by webhook.', [...this.latency].flatMap(([webhook, h]) => h.samples(duration, { webhook }))),
      ...gauge('vouch_admission_cache_hits_total', 'counter', 'Image checks answered from the verdict cache.', cache.hits),
      ...gauge('vouch_admission_cache_misses_total', 'counter', 'Image checks not in the verdict cache.', cache.misses),
      ...gauge('vouch_admission_cache_shared_total', 'counter', 'Cache misses that joined a verification already under way.', cache.shared),
      ...gauge('vouch_admission_cache_entries', 'gauge', 'Verdicts in the cache.', cache.entries),
      ...gauge('vouch_admission_checks_running', 'gauge', 'Verifications running now.', cache.running),
      ...gauge('vouch_admission_checks_queued', 'gauge', 'Verifications waiting for a slot.', cache.queued),
      ...processGauges(this.startedAt, mem),
    ]);
  }
}
