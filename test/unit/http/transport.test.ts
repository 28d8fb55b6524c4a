import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { HttpTransport, parseChallenge } from '../../../src/http/index.js';
import { isVouchError } from '../../../src/core/index.js';
import { makePki } from '../../support/pki.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
async function serve(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test('parseChallenge reads quoted parameters, including commas and colons inside quotes', () => {
  const c = parseChallenge('Bearer realm="https://auth.example/token",service="notary-server",scope="repository:127.0.0.1:5000/a/b:pull,push"');
  assert.deepEqual(c, { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'notary-server', scope: 'repository:127.0.0.1:5000/a/b:pull,push' } });
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
  assert.equal(parseChallenge('Negotiate abc'), undefined);
  assert.equal(parseChallenge(undefined), undefined);
});

test('a Bearer challenge is answered with a token from the realm, with Basic credentials and the wanted scope', async () => {
  const tokenRequests: string[] = [];
  let tokenAuth: string | undefined;
  const auth = await serve((req, res) => {
    tokenRequests.push(req.url ?? '');
    tokenAuth = req.headers.authorization;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token: 'tok-1', expires_in: 300 }));
  });
  let seen: (string | undefined)[] = [];
  const api = await serve((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== 'Bearer tok-1') {
      res.statusCode = 401;
      res.setHeader('www-authenticate', `Bearer realm="${auth.url}/token",service="notary-server",scope="repository:x/y:pull"`);
      res.end('{}');
      return;
    }
    res.end('secret metadata');
  });
  after(async () => { await auth.close(); await api.close(); });
  const t = new HttpTransport({ credentials: { username: 'u', password: 'p' } });
  const r = await t.request('GET', `${api.url}/v2/x/y/_trust/tuf/root.json`, { scopes: ['repository:x/y:pull,push'] });
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'secret metadata');
  assert.equal(tokenRequests.length, 1);
  const q = new URL(tokenRequests[0] as string, 'http://x').searchParams;
  assert.equal(q.get('service'), 'notary-server');
  assert.deepEqual(q.getAll('scope'), ['repository:x/y:pull,push']);
  assert.equal(tokenAuth, 'Basic ' + Buffer.from('u:p').toString('base64'));
  // The cached token is sent up front next time: no second challenge, no second token request.
  seen = [];
  await t.request('GET', `${api.url}/v2/x/y/_trust/tuf/root.json`, { scopes: ['repository:x/y:pull,push'] });
  assert.deepEqual(seen, ['Bearer tok-1']);
  assert.equal(tokenRequests.length, 1);
  await t.close();
});

test('refused credentials at the token server are an UNAUTHORIZED error with a hint', async () => {
  const auth = await serve((_req, res) => { res.statusCode = 401; res.end(); });
  const api = await serve((_req, res) => {
    res.statusCode = 401;
    res.setHeader('www-authenticate', `Bearer realm="${auth.url}/token",service="s"`);
    res.end();
  });
  after(async () => { await auth.close(); await api.close(); });
  const t = new HttpTransport({ credentials: { username: 'u', password: 'bad' } });
  await assert.rejects(t.request('GET', `${api.url}/v2/`), (e) => isVouchError(e, 'UNAUTHORIZED') && /config\.json/.test(e.hint ?? ''));
  await t.close();
});

test('bodies over the limit are refused while streaming', async () => {
  const api = await serve((_req, res) => { res.end(Buffer.alloc(64 * 1024, 1)); });
  after(() => api.close());
  const t = new HttpTransport();
  await assert.rejects(t.request('GET', `${api.url}/big`, { maxBytes: 1000 }), (e) => isVouchError(e, 'TOO_LARGE'));
  const ok = await t.request('GET', `${api.url}/big`, { maxBytes: 64 * 1024 });
  assert.equal(ok.body.length, 64 * 1024);
  await t.close();
});

test('idempotent requests are retried on 503 with backoff; POST is not', async () => {
  let calls = 0;
  const api = await serve((_req, res) => { calls++; res.statusCode = calls < 3 ? 503 : 200; res.end('ok'); });
  after(() => api.close());
  const waits: number[] = [];
  const t = new HttpTransport({ retries: 3, sleep: async (ms) => { waits.push(ms); } });
  const r = await t.request('GET', `${api.url}/x`);
  assert.equal(r.status, 200);
  assert.equal(calls, 3);
  assert.deepEqual(waits, [200, 400]);
  calls = 0;
  const p = await t.request('POST', `${api.url}/x`, { body: 'b' });
  assert.equal(p.status, 503);
  assert.equal(calls, 1);
  await t.close();
});

test('an unreachable server is an UNREACHABLE error that names the origin', async () => {
  const api = await serve((_req, res) => res.end());
  const url = api.url;
  await api.close();
  const t = new HttpTransport({ retries: 1, sleep: async () => {} });
  await assert.rejects(t.request('GET', `${url}/v2/`), (e) => isVouchError(e, 'UNREACHABLE') && e.message.includes(url));
  await t.close();
});

test('stream: a challenged upload is sent again from a fresh stream, with the token', async () => {
  const auth = await serve((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ token: 'tok-up' })); });
  const bodies: string[] = [];
  const api = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(`${req.headers.authorization ?? '-'} ${Buffer.concat(chunks).toString()}`);
      if (req.headers.authorization !== 'Bearer tok-up') {
        res.statusCode = 401;
        res.setHeader('www-authenticate', `Bearer realm="${auth.url}/token",service="reg",scope="repository:a/b:pull,push"`);
        res.end();
        return;
      }
      res.statusCode = 201;
      res.end();
    });
  });
  after(async () => { await auth.close(); await api.close(); });
  const t = new HttpTransport({ credentials: { username: 'u', password: 'p' } });
  let made = 0;
  const r = await t.stream('PUT', `${api.url}/v2/a/b/blobs/uploads/x?digest=sha256:00`, { body: () => { made++; return Readable.from([Buffer.from('payload')]); }, scopes: ['repository:a/b:pull,push'] });
  await r.discard();
  assert.equal(r.status, 201);
  assert.equal(made, 2);
  assert.deepEqual(bodies, ['- payload', 'Bearer tok-up payload']);
  await t.close();
});

test('stream: after a Basic challenge the credentials go up front to that origin only', async () => {
  const seen: (string | undefined)[] = [];
  const api = await serve((req, res) => {
    seen.push(req.headers.authorization);
    if (!req.headers.authorization) { res.statusCode = 401; res.setHeader('www-authenticate', 'Basic realm="r"'); }
    res.end();
  });
  const other = await serve((req, res) => { seen.push(`other:${req.headers.authorization ?? '-'}`); res.end(); });
  after(async () => { await api.close(); await other.close(); });
  const t = new HttpTransport({ credentials: { username: 'u', password: 'p' } });
  const basic = 'Basic ' + Buffer.from('u:p').toString('base64');
  await (await t.stream('GET', `${api.url}/v2/`)).discard();
  await (await t.stream('GET', `${api.url}/v2/x`)).discard();
  await (await t.stream('GET', `${other.url}/v2/`)).discard();
  assert.deepEqual(seen, [undefined, basic, basic, 'other:-']);
  await t.close();
});

test('stream: redirects are followed for GET, without Authorization once the origin changes', async () => {
  const seen: string[] = [];
  const store = await serve((req, res) => { seen.push(`store ${req.url} ${req.headers.authorization ?? '-'}`); res.end('blob'); });
  const api = await serve((req, res) => {
    seen.push(`api ${req.url} ${req.headers.authorization ?? '-'}`);
    if (!req.headers.authorization) { res.statusCode = 401; res.setHeader('www-authenticate', 'Basic realm="r"'); res.end(); return; }
    res.statusCode = req.url === '/first' ? 302 : 307;
    res.setHeader('location', req.url === '/first' ? '/second' : `${store.url}/obj`);
    res.end();
  });
  after(async () => { await api.close(); await store.close(); });
  const t = new HttpTransport({ credentials: { username: 'u', password: 'p' } });
  const r = await t.stream('GET', `${api.url}/first`);
  const chunks: Buffer[] = [];
  for await (const c of r.body) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'blob');
  assert.equal(r.url, `${store.url}/obj`);
  const basic = 'Basic ' + Buffer.from('u:p').toString('base64');
  assert.deepEqual(seen, ['api /first -', `api /first ${basic}`, `api /second ${basic}`, 'store /obj -']);
  await t.close();
});

test('TLS: an extra CA is trusted by its own transport only; a client certificate goes with it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-pki-'));
  try {
    const p = await makePki(dir);
    const seenClients: unknown[] = [];
    const server = createHttpsServer({ key: await p.read('server.key'), cert: await p.read('server.crt'), ca: await p.read('ca.crt'), requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seenClients.push(peer.subject?.CN);
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`;
    const withCa = new HttpTransport({ retries: 0, tls: { ca: [await p.read('ca.crt')], cert: await p.read('client.crt'), key: await p.read('client.key') } });
    const plain = new HttpTransport({ retries: 0 });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await withCa.request('GET', url)).body.toString(), 'ok');
      assert.deepEqual(seenClients, ['client', 'client']);
      // The CA went into that transport's TLS context, not into the process-wide store.
      await assert.rejects(plain.request('GET', url), (e) => isVouchError(e, 'NETWORK') && /certificate|issuer/i.test(e.message));
    } finally {
      await withCa.close();
      await plain.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
