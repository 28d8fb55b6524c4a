import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost } from '../../../src/http/index.js';

test('loopback hosts', () => {
  for (const h of ['127.0.0.1:5000', 'localhost', 'localhost:80', '[::1]:5000', '127.1.2.3']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['10.0.0.1:5000', 'example.com', '128.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
});
