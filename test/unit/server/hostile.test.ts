// Attacks on `vouch server` by anyone who can reach it (issue #10, "Servers authenticate first",
// "Small bounds"): bodies are read only after a request is admitted from its headers, only by the
// route that takes one, within the process budget of bytes in flight; the health endpoint and the
// changefeed give away nothing and cost little. Real sockets where the wire matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { VouchError } from '../../../src/core/index.js';
import { BodyBudget } from '../../../src/httpd/index.js';
import { openMemoryStore } from '../../../src/storage/index.js';
import { makePki } from '../../support/pki.js';
import { rawExchange } from '../../support/rawhttp.js';
import { TestRepo, errorOf, multipart, newServer, post } from './helpers.js';
import { inject } from '../../support/inject.js';

const GUN = 'registry.example.com:5000/team/app';
const MiB = 1024 * 1024;
// Bounded: a server that waits for the body it should not read fails here instead of hanging.
const BOUNDED = { timeout: 30_000 };

async function listening(opts: Parameters<typeof newServer>[0]) {
  const t = newServer(opts);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { ...t, port, close: () => t.app.close() };
}

async function tokenAuthServer(budget: BodyBudget) {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-hostile-'));
  const pki = await makePki(dir);
  const rootCertBundle = (await pki.read('ca.crt')).toString('utf8');
  const s = await listening({ auth: { realm: 'https://auth.example.com/token', service: 'notary-server', issuer: 'issuer', rootCertBundle }, bodyBudget: budget });
  return { ...s, close: async () => { await s.close(); await rm(dir, { recursive: true, force: true }); } };
}

const publishHead = (port: number, length: number | 'chunked', extra = ''): string =>
  `POST /v2/${GUN}/_trust/tuf/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=x\r\n`
  + (length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`) + extra;

test('an unauthenticated 95 MiB publish is answered 401 from its headers, the body unread, and the connection closed', BOUNDED, async () => {
  const budget = new BodyBudget(256 * MiB);
  const s = await tokenAuthServer(budget);
  try {
    // 1 MiB of the announced 95 MiB: an answer can only come from the headers.
    const r = await rawExchange(s.port, publishHead(s.port, 95 * MiB), Buffer.alloc(MiB, 0x61));
    assert.equal(r.status, 401);
    assert.match(r.headers['www-authenticate'] ?? '', /^Bearer realm=/);
    assert.equal(errorOf(r).code, 'UNAUTHORIZED');
    assert.equal(r.headers['connection'], 'close');
    await r.closed;
    assert.equal(budget.inUse, 0, 'no byte of an unauthenticated body is held');
  } finally {
    await s.close();
  }
});

test('Expect: 100-continue from an unauthenticated client gets the 401 and no invitation to send', BOUNDED, async () => {
  const s = await tokenAuthServer(new BodyBudget(256 * MiB));
  try {
    const r = await rawExchange(s.port, publishHead(s.port, 95 * MiB, '\r\nExpect: 100-continue'));
    assert.deepEqual(r.interim, [], 'no 100 Continue before authentication');
    assert.equal(r.status, 401);
    assert.equal(r.headers['connection'], 'close');
    await r.closed;
  } finally {
    await s.close();
  }
});

test('Expect: 100-continue on an admitted publish is invited, then read', BOUNDED, async () => {
  const s = await listening({ bodyBudget: new BodyBudget(MiB) });
  try {
    const body = Buffer.from('--x\r\nContent-Disposition: form-data; name="files"\r\n\r\n{}\r\n--x--\r\n');
    const r = await rawExchange(s.port, publishHead(s.port, body.length, '\r\nExpect: 100-continue'), body);
    assert.deepEqual(r.interim, [100]);
    assert.equal(r.status, 400);
    assert.equal(errorOf(r).code, 'NO_FILENAME', 'the body was read and parsed');
  } finally {
    await s.close();
  }
});

test('routes that take no body answer without reading one, and close the connection', BOUNDED, async () => {
  const s = await listening({ bodyBudget: new BodyBudget(256 * MiB) });
  try {
    for (const [method, path, status] of [['POST', `/v2/${GUN}/_trust/tuf/timestamp.key`, 200], ['DELETE', `/v2/${GUN}/_trust/tuf/`, 200], ['POST', '/v2/', 404], ['PUT', '/anything', 404]] as const) {
      const r = await rawExchange(s.port, `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${95 * MiB}`, Buffer.alloc(MiB));
      assert.equal(r.status, status, `${method} ${path}`);
      assert.equal(r.headers['connection'], 'close', `${method} ${path}`);
      await r.closed;
    }
  } finally {
    await s.close();
  }
});

test('bytes in flight: a publish that does not fit the process budget is refused 503 with Retry-After, unread', BOUNDED, async () => {
  const budget = new BodyBudget(64 * 1024);
  const s = await listening({ bodyBudget: budget });
  try {
    // One publish holds 40 KiB of the budget while its body trickles in...
    let firstSocket: Socket | undefined;
    const start = Buffer.from('--x\r\n');
    const first = rawExchange(s.port, publishHead(s.port, 40 * 1024), start, (sock) => { firstSocket = sock; });
    await new Promise<void>((resolve) => { const poll = (): void => { if (budget.inUse > 0) resolve(); else setImmediate(poll); }; poll(); });
    assert.equal(budget.inUse, 40 * 1024);
    // ...so a second one of 40 KiB does not fit: refused from its headers.
    const second = await rawExchange(s.port, publishHead(s.port, 40 * 1024), Buffer.alloc(1024));
    assert.equal(second.status, 503);
    assert.equal(errorOf(second).code, 'UNAVAILABLE');
    assert.equal(second.headers['retry-after'], '5');
    assert.equal(second.headers['connection'], 'close');
    // A chunked body is counted as it arrives: past the budget, refused mid-way.
    const chunk = Buffer.alloc(30 * 1024, 0x61);
    const chunked = await rawExchange(s.port, publishHead(s.port, 'chunked'), Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    assert.equal(chunked.status, 503);
    assert.equal(chunked.headers['connection'], 'close');
    // The first publish completes (no part has a filename: 400) and gives its bytes back.
    firstSocket!.write(Buffer.alloc(40 * 1024 - start.length, 0x61));
    assert.equal((await first).status, 400);
  } finally {
    await s.close();
  }
  assert.equal(budget.inUse, 0, 'every reservation was given back');
});

test('a chunked publish past the route limit is refused 413 mid-body and the connection closed', BOUNDED, async () => {
  const s = await listening({ limits: { maxBodyBytes: 16 * 1024 }, bodyBudget: new BodyBudget(MiB) });
  try {
    const chunk = Buffer.alloc(20 * 1024, 0x61);
    const r = await rawExchange(s.port, publishHead(s.port, 'chunked'), Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    assert.equal(r.status, 413);
    assert.equal(errorOf(r).code, 'TOO_LARGE');
    assert.equal(r.headers['connection'], 'close');
    await r.closed;
  } finally {
    await s.close();
  }
});

test('an admitted publish still works, and gives its bytes back to the budget', async () => {
  const budget = new BodyBudget(MiB);
  const t = newServer({ bodyBudget: budget });
  const repo = await TestRepo.create(t, GUN);
  const r = await post(t.app, GUN, await repo.initParts(t.clock.now()));
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(budget.inUse, 0);
  const big = multipart([{ filename: 'targets', data: Buffer.alloc(2 * MiB, 0x20) }]);
  const tooBig = await inject(t.app, { method: 'POST', url: `/v2/${GUN}/_trust/tuf/`, payload: big.body, headers: { 'content-type': big.contentType } });
  assert.equal(tooBig.statusCode, 503, 'a publish larger than the whole budget is refused, not queued');
  assert.equal(budget.inUse, 0);
});

test('health: the unauthenticated answer names the failing check and its status, never the storage error text', async () => {
  const store = openMemoryStore({ keySecret: 's' });
  store.check = async () => { throw new VouchError('STORAGE', 'connect ECONNREFUSED 10.1.2.3:5432 (database "trust", user "notary")'); };
  const { app } = newServer({ store, healthChecks: { 'signer reachable': async () => { throw new Error('getaddrinfo ENOTFOUND signer.internal'); } } });
  const r = await inject(app, { method: 'GET', url: '/_notary_server/health' });
  assert.equal(r.statusCode, 503);
  assert.equal(r.body, '{"DB operational":"unavailable","signer reachable":"unavailable"}');
});

test('changefeed: records is clamped to 1000 either way; 0 is notary\'s default page of 100', async () => {
  const t = newServer();
  const asked: number[] = [];
  const changes = t.store.changes.bind(t.store);
  t.store.changes = async (q) => { asked.push(q.records); return changes(q); };
  for (const records of ['2147483647', '-2147483648', '0', '1000', '-5']) {
    const r = await inject(t.app, { method: 'GET', url: `/v2/_trust/changefeed?records=${records}` });
    assert.equal(r.statusCode, 200, records);
    const g = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/changefeed?records=${records}` });
    assert.equal(g.statusCode, 200, records);
  }
  assert.deepEqual(asked, [1000, 1000, -1000, -1000, 100, 100, 1000, 1000, -5, -5]);
});
