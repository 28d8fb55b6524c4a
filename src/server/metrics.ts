// Prometheus text exposition (format 0.0.4) for request counts and latencies by operation, method
// and status, plus a few process gauges. Written here to avoid a dependency.

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** A Prometheus label value, escaped (exposition format 0.0.4). */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `{k="v",…}`, or nothing for no labels. */
export function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export class Metrics {
  private readonly requests = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly durations = new Map<string, { labels: Record<string, string>; h: Histogram }>();
  private readonly publishes = new Map<string, number>();
  private readonly startedAt: number;

  constructor(now: Date) {
    this.startedAt = now.getTime() / 1000;
  }

  observeRequest(operation: string, method: string, code: number, seconds: number): void {
    // Keys joined with a byte no label holds: this runs on every request (bench/server).
    const k = `${operation}\u0000${method}\u0000${code}`;
    const c = this.requests.get(k);
    if (c) c.value++;
    else this.requests.set(k, { labels: { operation, method, code: String(code) }, value: 1 });
    let d = this.durations.get(operation);
    if (!d) {
      d = { labels: { operation }, h: { counts: BUCKETS.map(() => 0), sum: 0, count: 0 } };
      this.durations.set(operation, d);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) d.h.counts[i]!++;
    d.h.sum += seconds;
    d.h.count++;
  }

  /** Publish outcomes: 'accepted', 'rejected', 'conflict', 'error'. */
  observePublish(outcome: string): void {
    this.publishes.set(outcome, (this.publishes.get(outcome) ?? 0) + 1);
  }

  render(process: { rss: number; heapUsed: number }): string {
    const out: string[] = [];
    out.push('# HELP notary_server_http_requests_total HTTP requests by operation, method and status code.');
    out.push('# TYPE notary_server_http_requests_total counter');
    for (const c of this.requests.values()) out.push(`notary_server_http_requests_total${labels(c.labels)} ${c.value}`);
    out.push('# HELP notary_server_http_request_duration_seconds HTTP request latency by operation.');
    out.push('# TYPE notary_server_http_request_duration_seconds histogram');
    for (const d of this.durations.values()) {
      BUCKETS.forEach((b, i) => out.push(`notary_server_http_request_duration_seconds_bucket${labels({ ...d.labels, le: String(b) })} ${d.h.counts[i]}`));
      out.push(`notary_server_http_request_duration_seconds_bucket${labels({ ...d.labels, le: '+Inf' })} ${d.h.count}`);
      out.push(`notary_server_http_request_duration_seconds_sum${labels(d.labels)} ${d.h.sum}`);
      out.push(`notary_server_http_request_duration_seconds_count${labels(d.labels)} ${d.h.count}`);
    }
    out.push('# HELP notary_server_publishes_total Publish (POST update) outcomes.');
    out.push('# TYPE notary_server_publishes_total counter');
    for (const [k, v] of this.publishes) out.push(`notary_server_publishes_total${labels({ outcome: k })} ${v}`);
    out.push('# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.');
    out.push('# TYPE process_start_time_seconds gauge');
    out.push(`process_start_time_seconds ${this.startedAt}`);
    out.push('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    out.push('# TYPE process_resident_memory_bytes gauge');
    out.push(`process_resident_memory_bytes ${process.rss}`);
    out.push('# HELP nodejs_heap_used_bytes Node.js heap in use, in bytes.');
    out.push('# TYPE nodejs_heap_used_bytes gauge');
    out.push(`nodejs_heap_used_bytes ${process.heapUsed}`);
    return out.join('\n') + '\n';
  }
}
