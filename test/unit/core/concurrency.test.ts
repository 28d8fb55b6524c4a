import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore, forEachLimited } from '../../../src/core/index.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a semaphore holds at most its slots and hands them out in order of arrival', async () => {
  const s = new Semaphore(2);
  const order: number[] = [];
  let held = 0;
  let most = 0;
  const gates: (() => void)[] = [];
  const jobs = [0, 1, 2, 3, 4].map((n) => s.run(async () => {
    order.push(n);
    held++;
    most = Math.max(most, held);
    await new Promise<void>((r) => gates.push(r));
    held--;
  }));
  await tick();
  assert.deepEqual(order, [0, 1]);
  assert.equal(s.waiting, 3);
  while (gates.length > 0 || order.length < 5) {
    gates.shift()?.();
    await tick();
  }
  gates.forEach((g) => g());
  await Promise.all(jobs);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(most, 2);
  assert.equal(s.waiting, 0);
});

test('releasing a slot twice frees it once', async () => {
  const s = new Semaphore(1);
  const release = await s.acquire();
  release();
  release();
  const a = await s.acquire();
  let second = false;
  void s.acquire().then(() => { second = true; });
  await tick();
  assert.equal(second, false);
  a();
  await tick();
  assert.equal(second, true);
});

test('forEachLimited keeps the bound, passes indexes, and starts nothing after the first failure', async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  await assert.rejects(forEachLimited([10, 11, 12, 13, 14, 15], 2, async (item, i) => {
    started.push(i);
    assert.equal(item, 10 + i);
    running++;
    most = Math.max(most, running);
    await tick();
    running--;
    if (i === 1) throw new Error('item 1 failed');
  }), /item 1 failed/);
  assert.equal(most, 2);
  assert.deepEqual(started, [0, 1, 2]);
  await forEachLimited([], 3, async () => { throw new Error('never called'); });
});
