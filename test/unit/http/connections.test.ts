// The wire under the transport (src/http/connections.ts, node:http(s)): bodies bounded, retries,
// keep-alive reuse, request bodies with their length, and NETWORK errors that name the origin.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport } from '../../../src/http/index.js';
import { isVouchError } from '../../../src/core/index.js';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

test('node client: bodies are bounded, 503s retried, keep-alive reused, request bodies sent with their length', async () => {
  let calls = 0;
  const sockets = new Set<unknown>();
  const api = await listen((req, res) => {
    sockets.add(req.socket);
    if (req.url === '/big') { res.end(Buffer.alloc(64 * 1024, 1)); return; }
    if (req.url === '/flaky') { calls++; res.statusCode = calls < 3 ? 503 : 200; res.end('ok'); return; }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`${req.method} ${req.headers['content-length']} ${Buffer.concat(chunks).toString()} ${req.headers['user-agent']}`));
  });
  after(() => api.close());
  const waits: number[] = [];
  const t = new HttpTransport({ retries: 3, userAgent: 'ua', sleep: async (ms) => { waits.push(ms); } });
  await assert.rejects(t.request('GET', `${api.url}/big`, { maxBytes: 1000 }), (e) => isVouchError(e, 'TOO_LARGE'));
  assert.equal((await t.request('GET', `${api.url}/big`, { maxBytes: 64 * 1024 })).body.length, 64 * 1024);
  const r = await t.request('GET', `${api.url}/flaky`);
  assert.equal(r.status, 200);
  assert.deepEqual(waits, [200, 400]);
  const p = await t.request('POST', `${api.url}/echo`, { body: 'héllo' });
  assert.equal(p.body.toString(), 'POST 6 héllo ua');
  assert.ok(sockets.size <= 2, `keep-alive: ${sockets.size} connections`);
  await t.close();
});

test('node client: an unreachable server is UNREACHABLE and one that never answers NETWORK, an error that names the origin', async () => {
  const gone = await listen((_req, res) => res.end());
  await gone.close();
  const t = new HttpTransport({ retries: 1, sleep: async () => {} });
  await assert.rejects(t.request('GET', `${gone.url}/v2/`), (e) => isVouchError(e, 'UNREACHABLE') && e.message.includes(gone.url));
  const silent = await listen(() => { /* never answers */ });
  after(() => silent.close());
  const slow = new HttpTransport({ retries: 0, deadlines: { firstByteMs: 200 } });
  await assert.rejects(slow.request('GET', `${silent.url}/x`), (e) => isVouchError(e, 'NETWORK'));
  await t.close();
  await slow.close();
});
