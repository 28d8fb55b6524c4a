// Prometheus text exposition, format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), for the /metrics
// of every vouch server: label escaping, metric families, latency histograms and the process gauges.
// Small enough that a client library would be the larger part of the /metrics code.

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value, escaped: backslash, newline and double quote. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `{k="v",…}`, or nothing for no labels. */
export function labels(l: Readonly<Record<string, string>>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A family's HELP and TYPE lines followed by its samples (the HELP and TYPE lines even without samples). */
export function family(name: string, type: MetricType, help: string, samples: readonly string[] = []): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples];
}

/** A family of one unlabelled sample. */
export function single(name: string, type: MetricType, help: string, value: number): string[] {
  return family(name, type, help, [`${name} ${value}`]);
}

/** A counter per combination of label values, the label names fixed (values in that order). */
export class Counter {
  private readonly counts = new Map<string, { values: readonly string[]; n: number }>();

  constructor(private readonly names: readonly string[]) {}

  inc(...values: string[]): void {
    // Keys joined with a byte no label value holds: this runs on every request of a server.
    const k = values.join('\u0000');
    const c = this.counts.get(k);
    if (c) c.n++;
    else this.counts.set(k, { values, n: 1 });
  }

  /** One sample per combination seen, in the order first seen. */
  samples(name: string): string[] {
    return [...this.counts.values()].map((c) => `${name}${labels(Object.fromEntries(this.names.map((n, i) => [n, c.values[i] ?? ''])))} ${c.n}`);
  }
}

/** Cumulative buckets (upper bounds in seconds), a sum and a count. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    // On every request of a server (bench/server): a plain loop, no allocation.
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** `name_bucket` per bound and `+Inf`, `name_sum`, `name_count`, each with `l`. */
  samples(name: string, l: Readonly<Record<string, string>>): string[] {
    const out = this.buckets.map((b, i) => `${name}_bucket${labels({ ...l, le: String(b) })} ${this.counts[i]}`);
    out.push(`${name}_bucket${labels({ ...l, le: '+Inf' })} ${this.count}`);
    out.push(`${name}_sum${labels(l)} ${this.sum}`);
    out.push(`${name}_count${labels(l)} ${this.count}`);
    return out;
  }
}

/** The process gauges every vouch server reports, named as the Prometheus client libraries name them. */
export function processGauges(startedAtSeconds: number, mem: { rss: number; heapUsed: number }): string[] {
  return [
    ...family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [`process_start_time_seconds ${startedAtSeconds}`]),
    ...family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [`process_resident_memory_bytes ${mem.rss}`]),
    ...family('nodejs_heap_used_bytes', 'gauge', 'Node.js heap in use, in bytes.', [`nodejs_heap_used_bytes ${mem.heapUsed}`]),
  ];
}

/** Lines as the exposition body: one per line, ending in a newline. */
export function exposition(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}
