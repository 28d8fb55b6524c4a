import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, exposition, family, labels, processGauges } from '../../../src/httpd/index.js';

test('label values escape backslash, newline and double quote; no labels is no braces', () => {
  assert.equal(labels({ gun: 'a\\b"c\nd', role: 'targets' }), '{gun="a\\\\b\\"c\\nd",role="targets"}');
  assert.equal(labels({}), '');
});

test('a family prints HELP and TYPE even without samples', () => {
  assert.deepEqual(family('x_total', 'counter', 'Things.'), ['# HELP x_total Things.', '# TYPE x_total counter']);
});

test('histogram buckets are cumulative, +Inf counts everything, sum and count follow', () => {
  const h = new Histogram([0.1, 1]);
  h.observe(0.05);
  h.observe(0.5);
  h.observe(7);
  assert.deepEqual(h.samples('d', { op: 'a' }), [
    'd_bucket{op="a",le="0.1"} 1',
    'd_bucket{op="a",le="1"} 2',
    'd_bucket{op="a",le="+Inf"} 3',
    'd_sum{op="a"} 7.55',
    'd_count{op="a"} 3',
  ]);
});

test('the exposition ends in a newline and carries the process gauges', () => {
  const text = exposition(processGauges(1700000000, { rss: 10, heapUsed: 5 }));
  assert.ok(text.endsWith('nodejs_heap_used_bytes 5\n'));
  assert.match(text, /^process_start_time_seconds 1700000000$/m);
  assert.match(text, /^process_resident_memory_bytes 10$/m);
});
