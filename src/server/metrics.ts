// The trust server's request counts and latencies by operation, method and status, publish outcomes
// and the process gauges, in Prometheus text (src/httpd/prometheus.ts).
import { Counter, Histogram, family, processGauges } from '../httpd/index.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  private readonly requests = new Counter(['operation', 'method', 'code']);
  private readonly durations = new Map<string, { labels: Record<string, string>; h: Histogram }>();
  private readonly publishes = new Counter(['outcome']);
  private readonly startedAt: number;

  constructor(now: Date) {
    this.startedAt = now.getTime() / 1000;
  }

  observeRequest(operation: string, method: string, code: number, seconds: number): void {
    this.requests.inc(operation, method, String(code));
    let d = this.durations.get(operation);
    if (!d) {
      d = { labels: { operation }, h: new Histogram(BUCKETS) };
      this.durations.set(operation, d);
    }
    d.h.observe(seconds);
  }

  /** Publish outcomes: 'accepted', 'rejected', 'conflict', 'error'. */
  observePublish(outcome: string): void {
    this.publishes.inc(outcome);
  }

  /** The families of this file as exposition lines (the caller adds the expiry and signature gauges). */
  lines(mem: { rss: number; heapUsed: number }): string[] {
    const duration = 'notary_server_http_request_duration_seconds';
    return [
      ...family('notary_server_http_requests_total', 'counter', 'HTTP requests by operation, method and status code.',
        this.requests.samples('notary_server_http_requests_total')),
      ...family(duration, 'histogram', 'HTTP request latency by operation.', [...this.durations.values()].flatMap((d) => d.h.samples(duration, d.labels))),
      ...family('notary_server_publishes_total', 'counter', 'Publish (POST update) outcomes.',
        this.publishes.samples('notary_server_publishes_total')),
      ...processGauges(this.startedAt, mem),
    ];
  }
}
