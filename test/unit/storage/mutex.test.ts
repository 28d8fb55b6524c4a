// The per-GUN mutex: FIFO, one holder at a time, and a waiter that gives up (a callback calling
// back into the store for its own GUN would otherwise wait for itself forever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVouchError } from '../../../src/core/index.js';
import { KeyedMutex, isStorageUnavailable } from '../../../src/storage/common.js';

test('one holder per key, in arrival order; other keys do not wait', async () => {
  const m = new KeyedMutex();
  const order: string[] = [];
  let release!: () => void;
  const first = m.run('a', () => new Promise<void>((r) => { order.push('a1'); release = r; }));
  const second = m.run('a', async () => { order.push('a2'); });
  await m.run('b', async () => { order.push('b'); });
  assert.deepEqual(order, ['a1', 'b']);
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['a1', 'b', 'a2']);
});

test('a re-entrant call times out with a (retryable) STORAGE_UNAVAILABLE error; the queue goes on afterwards', async () => {
  const m = new KeyedMutex(50);
  await assert.rejects(
    m.run('gun', () => m.run('gun', async () => 'never')),
    (e) => isVouchError(e, 'STORAGE_UNAVAILABLE') && /timed out .* waiting for the write lock of gun/.test(e.message) && /transaction view/.test(e.hint ?? ''),
  );
  assert.equal(await m.run('gun', async () => 'next'), 'next');
  // a waiter that gave up does not hold the line for the ones behind it
  let release!: () => void;
  const holder = m.run('q', () => new Promise<void>((r) => { release = r; }));
  const quitter = m.run('q', async () => 'late');
  await assert.rejects(quitter, (e) => isVouchError(e, 'STORAGE_UNAVAILABLE') && isStorageUnavailable(e), 'retryable: the server answers 503');
  const after = m.run('q', async () => 'after');
  release();
  await holder;
  assert.equal(await after, 'after');
});
