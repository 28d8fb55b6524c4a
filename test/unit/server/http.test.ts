// Every route, status code, header and error body of the HTTP layer, through inject (the handler, in-process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { VouchError } from '../../../src/core/index.js';
import { openMemoryStore } from '../../../src/storage/index.js';
import { Clock, TestRepo, errorOf, keyFromBody, multipart, newServer, post } from './helpers.js';
import { inject } from '../../support/inject.js';

const GUN = 'registry.example.com:5000/team/app';
const JSON_CT = 'application/json; charset=utf-8';
const TEXT_CT = 'text/plain; charset=utf-8';

async function published(opts: Parameters<typeof newServer>[0] = {}) {
  const t = newServer(opts);
  const repo = await TestRepo.create(t, GUN);
  const r = await post(t.app, GUN, await repo.initParts(t.clock.now()));
  assert.equal(r.statusCode, 200, r.body);
  return { t, repo };
}

test('GET /v2/ answers {} as text/plain; other methods on /v2/ are the catch-all 404', async () => {
  const { app } = newServer();
  const r = await inject(app, { method: 'GET', url: '/v2/' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.body, '{}');
  assert.equal(r.headers['content-type'], TEXT_CT);
  const p = await inject(app, { method: 'POST', url: '/v2/' });
  assert.equal(p.statusCode, 404);
  assert.equal(p.body, '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist."}]}\n');
});

test('health: 200 {} as JSON, 503 with a {check: status} map when the store fails', async () => {
  const { app } = newServer();
  const r = await inject(app, { method: 'GET', url: '/_notary_server/health' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.body, '{}');
  assert.equal(r.headers['content-type'], JSON_CT);
  const store = openMemoryStore({ keySecret: 's' });
  store.check = async () => { throw new VouchError('STORAGE', 'connect ECONNREFUSED postgres://user:hunter2@db:5432/x'); };
  const bad = newServer({ store });
  const b = await inject(bad.app, { method: 'GET', url: '/_notary_server/health' });
  assert.equal(b.statusCode, 503);
  const body = JSON.parse(b.body) as Record<string, string>;
  assert.deepEqual(Object.keys(body), ['DB operational']);
  assert.doesNotMatch(b.body, /hunter2/, 'credentials are redacted');
});

test('metrics: Prometheus text with request counts by operation and status', async () => {
  const { app } = newServer();
  await inject(app, { method: 'GET', url: '/v2/' });
  await inject(app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` });
  const r = await inject(app, { method: 'GET', url: '/metrics' });
  assert.equal(r.statusCode, 200);
  assert.match(r.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  assert.match(r.body, /# TYPE notary_server_http_requests_total counter/);
  assert.match(r.body, /notary_server_http_requests_total\{operation="MainHandler",method="GET",code="200"\} 1/);
  assert.match(r.body, /notary_server_http_requests_total\{operation="GetRole",method="GET",code="404"\} 1/);
  assert.match(r.body, /notary_server_http_request_duration_seconds_bucket\{operation="GetRole",le="\+Inf"\} 1/);
});

test('missing metadata: 404 METADATA_NOT_FOUND with detail {} from handlers, without detail from the catch-all', async () => {
  const { app } = newServer();
  for (const url of [`/v2/${GUN}/_trust/tuf/root.json`, `/v2/${GUN}/_trust/tuf/2.root.json`, `/v2/${GUN}/_trust/tuf/0.root.json`,
    `/v2/${GUN}/_trust/tuf/targets/releases.json`, `/v2/${GUN}/_trust/tuf/snapshot.${'a'.repeat(64)}.json`, `/v2/${GUN}/_trust/tuf/timestamp.json`,
    `/v2/${GUN}/_trust/tuf/targets/Bad.json`, `/v2/${GUN}/_trust/tuf/99999999999999.root.json`]) {
    const r = await inject(app, { method: 'GET', url });
    assert.equal(r.statusCode, 404, url);
    assert.equal(r.headers['content-type'], JSON_CT);
    assert.equal(r.body, '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}\n', url);
    assert.equal(r.headers['cache-control'], undefined, 'no cache headers on errors');
  }
  for (const [method, url] of [['GET', '/nothing'], ['GET', '/v2/a*b/_trust/tuf/root.json'], ['PUT', `/v2/${GUN}/_trust/tuf/root.json`],
    ['GET', `/v2/${GUN}/_trust/tuf/targets.key`], ['POST', `/v2/${GUN}/_trust/tuf/root.key`], ['DELETE', '/v2/']] as const) {
    const r = await inject(app, { method, url });
    assert.equal(r.statusCode, 404, `${method} ${url}`);
    assert.deepEqual(errorOf(r), { code: 'METADATA_NOT_FOUND', message: 'You have requested metadata that does not exist.' });
  }
});

test('HEAD is not supported (404); unknown methods get 405 with an empty body', async () => {
  const { t } = await published();
  const h = await inject(t.app, { method: 'HEAD', url: `/v2/${GUN}/_trust/tuf/root.json` });
  assert.equal(h.statusCode, 404);
  const h2 = await inject(t.app, { method: 'HEAD', url: '/v2/' });
  assert.equal(h2.statusCode, 404);
  for (const method of ['PATCH', 'OPTIONS'] as const) {
    const r = await inject(t.app, { method, url: `/v2/${GUN}/_trust/tuf/root.json` });
    assert.equal(r.statusCode, 405, method);
    assert.equal(r.body, '');
  }
});

test('// and .. get a 301 to the cleaned path, query kept', async () => {
  // inject (test/support/inject.ts) resolves dot segments as light-my-request did, even percent-encoded ones, so this
  // one test sends raw request lines over a loopback socket.
  const { app } = newServer();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const get = (path: string) => new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
  try {
    const cases: [string, string][] = [
      ['/v2/a//b/_trust/tuf/root.json', '/v2/a/b/_trust/tuf/root.json'],
      ['/v2/a/../b/_trust/tuf/root.json', '/v2/b/_trust/tuf/root.json'],
      ['/v2/a/./b/_trust/tuf/root.json?x=1', '/v2/a/b/_trust/tuf/root.json?x=1'],
      ['/v2/a/%2E%2E/b/_trust/tuf/root.json', '/v2/b/_trust/tuf/root.json'],
      ['/v2/x/../../../../etc/passwd', '/etc/passwd'],
      ['//v2/', '/v2/'],
    ];
    for (const [from, to] of cases) {
      const r = await get(from);
      assert.equal(r.status, 301, from);
      assert.equal(r.location, to, from);
      assert.equal(r.body, '');
    }
    assert.equal((await get('/v2/a%zz/_trust/tuf/root.json')).status, 400);
  } finally {
    await app.close();
  }
});

test('metadata GETs: raw bytes, text/plain, Last-Modified, current vs consistent caching', async () => {
  const { t, repo } = await published();
  const root = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` });
  assert.equal(root.statusCode, 200);
  assert.deepEqual(root.rawPayload, repo.files.get('root'));
  assert.equal(root.headers['content-type'], TEXT_CT);
  assert.equal(root.headers['cache-control'], 'public, max-age=300, s-maxage=300, must-revalidate');
  assert.equal(root.headers['last-modified'], 'Wed, 25 Nov 2026 12:00:00 UTC');
  const sha = (await import('node:crypto')).createHash('sha256').update(repo.files.get('targets')!).digest('hex');
  for (const url of [`/v2/${GUN}/_trust/tuf/targets.${sha}.json`, `/v2/${GUN}/_trust/tuf/targets.${sha.toUpperCase()}.json`, `/v2/${GUN}/_trust/tuf/1.targets.json`, `/v2/${GUN}/_trust/tuf/01.targets.json`]) {
    const r = await inject(t.app, { method: 'GET', url });
    assert.equal(r.statusCode, 200, url);
    assert.deepEqual(r.rawPayload, repo.files.get('targets'), url);
    assert.equal(r.headers['cache-control'], 'public, max-age=2592000, s-maxage=2592000', url);
    assert.ok(r.headers['last-modified']);
  }
  // sha512-length checksums are routed but never match (only sha256 is indexed)
  const r512 = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/targets.${'a'.repeat(128)}.json` });
  assert.equal(r512.statusCode, 404);
});

test('configured max ages, and 0 gives the no-cache form with Pragma', async () => {
  const { t } = await published({ caching: { currentMaxAge: 0, consistentMaxAge: 60 } });
  const cur = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` });
  assert.equal(cur.headers['cache-control'], 'max-age=0, no-cache, no-store');
  assert.equal(cur.headers.pragma, 'no-cache');
  const cons = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/1.root.json` });
  assert.equal(cons.headers['cache-control'], 'public, max-age=60, s-maxage=60');
  assert.throws(() => newServer({ caching: { currentMaxAge: 31536001 } }), /current_metadata/);
});

test('GET/POST .key: notary body order, stable key on GET, new key on POST; no cache headers', async () => {
  const { app } = newServer();
  const a = await inject(app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.key` });
  assert.equal(a.statusCode, 200);
  assert.equal(a.headers['content-type'], TEXT_CT);
  assert.equal(a.headers['cache-control'], undefined);
  assert.match(a.body, /^\{"keytype":"ecdsa","keyval":\{"public":"[A-Za-z0-9+/=]+","private":null\}\}$/);
  const b = await inject(app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.key` });
  assert.equal(b.body, a.body, 'no root yet: the same pending key is returned again');
  const c = await inject(app, { method: 'POST', url: `/v2/${GUN}/_trust/tuf/timestamp.key` });
  assert.equal(c.statusCode, 200);
  assert.notEqual(c.body, a.body, 'rotate always makes a new key');
  const s = await inject(app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/snapshot.key` });
  assert.notEqual(keyFromBody(s.body).public.toString(), keyFromBody(a.body).public.toString());
  const ed = newServer({ keyAlgorithm: 'ed25519' });
  const e = await inject(ed.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.key` });
  assert.equal(keyFromBody(e.body).keytype, 'ed25519');
  assert.equal(keyFromBody(e.body).public.length, 32);
});

test('GET timestamp.key returns the key the current root lists, even after a rotation created a newer one', async () => {
  const { t, repo } = await published();
  const listed = repo.root.signed.roles.timestamp.keyids[0];
  const rot = await inject(t.app, { method: 'POST', url: `/v2/${GUN}/_trust/tuf/timestamp.key` });
  assert.equal(rot.statusCode, 200);
  const g = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.key` });
  const { keyId } = await import('../../../src/tuf/index.js');
  assert.equal(keyId(keyFromBody(g.body)), listed);
  assert.notEqual(keyId(keyFromBody(rot.body)), listed);
});

test('DELETE: 200 with an empty body, also for an unknown GUN; a deletion changefeed record only when something was deleted', async () => {
  const { t } = await published();
  const none = await inject(t.app, { method: 'DELETE', url: `/v2/nothing/here/_trust/tuf/` });
  assert.equal(none.statusCode, 200);
  assert.equal(none.body, '');
  const d = await inject(t.app, { method: 'DELETE', url: `/v2/${GUN}/_trust/tuf/` });
  assert.equal(d.statusCode, 200);
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` })).statusCode, 404);
  const feed = JSON.parse((await inject(t.app, { method: 'GET', url: '/v2/_trust/changefeed?records=10' })).body) as { count: number; records: { Category: string; GUN: string; Version: number; SHA256: string }[] };
  assert.deepEqual(feed.records.map((r) => r.Category), ['update', 'deletion']);
  assert.deepEqual(feed.records[1], { ...feed.records[1], GUN: GUN, Version: 0, SHA256: '' });
});

test('changefeed: per GUN and global, paging, records as notary writes them, INVALID_PARAMETERS', async () => {
  const { t, repo } = await published();
  repo.addTag('1.0', 1, t.clock.now());
  assert.equal((await post(t.app, GUN, [{ filename: 'targets', data: await repo.targetsBytes() }, { filename: 'snapshot', data: await repo.snapshotBytes(t.clock.now()) }])).statusCode, 200);
  const other = await TestRepo.create(t, 'other/gun');
  assert.equal((await post(t.app, 'other/gun', await other.initParts(t.clock.now()))).statusCode, 200);

  const all = await inject(t.app, { method: 'GET', url: '/v2/_trust/changefeed?records=10' });
  assert.equal(all.statusCode, 200);
  assert.equal(all.headers['content-type'], TEXT_CT);
  const body = JSON.parse(all.body) as { count: number; records: Record<string, unknown>[] };
  assert.equal(body.count, 3);
  assert.deepEqual(Object.keys(body.records[0]!), ['ID', 'CreatedAt', 'GUN', 'Version', 'SHA256', 'Category']);
  assert.deepEqual(body.records.map((r) => [r['ID'], r['GUN'], r['Version']]), [['1', GUN, 1], ['2', GUN, 2], ['3', 'other/gun', 1]]);
  assert.equal(body.records[0]!['CreatedAt'], '2026-11-25T12:00:00Z');
  const ts = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.json` });
  assert.equal(body.records[1]!['SHA256'], (await import('node:crypto')).createHash('sha256').update(ts.rawPayload).digest('hex'));

  const per = JSON.parse((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/changefeed?records=10` })).body) as { count: number };
  assert.equal(per.count, 2);
  const page = JSON.parse((await inject(t.app, { method: 'GET', url: '/v2/_trust/changefeed?records=1&change_id=1' })).body) as { records: { ID: string }[] };
  assert.deepEqual(page.records.map((r) => r.ID), ['2']);
  const back = JSON.parse((await inject(t.app, { method: 'GET', url: '/v2/_trust/changefeed?records=-2&change_id=-1' })).body) as { records: { ID: string }[] };
  assert.deepEqual(back.records.map((r) => r.ID), ['2', '3']);
  const zero = JSON.parse((await inject(t.app, { method: 'GET', url: '/v2/_trust/changefeed?records=0' })).body) as { count: number };
  assert.equal(zero.count, 3);
  const empty = await inject(t.app, { method: 'GET', url: '/v2/nobody/_trust/changefeed?records=5' });
  assert.equal(empty.body, '{"count":0,"records":[]}');

  for (const q of ['', '?records=', '?records=x', '?records=1.5', '?records=99999999999']) {
    const r = await inject(t.app, { method: 'GET', url: `/v2/_trust/changefeed${q}` });
    assert.equal(r.statusCode, 400, q);
    assert.equal(errorOf(r).code, 'INVALID_PARAMETERS');
    assert.match(errorOf(r).detail as string, /^invalid records parameter: strconv\.ParseInt: parsing /);
  }
  const badId = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/changefeed?records=1&change_id=z` });
  assert.equal(badId.statusCode, 400);
  assert.deepEqual(errorOf(badId), { code: 'INVALID_PARAMETERS', message: 'The parameters provided are not valid.', detail: {} });
});

test('gun_prefixes: INVALID_GUN on publish, 404 on other routes (no key is created)', async () => {
  const t = newServer({ gunPrefixes: ['docker.io/', 'registry.example.com:5000/'] });
  const p = await post(t.app, 'evil.com/x', [{ filename: 'root', data: '{}' }]);
  assert.equal(p.statusCode, 400);
  assert.deepEqual(errorOf(p), { code: 'INVALID_GUN', message: 'The server does not support actions on images of this name.', detail: 'Require GUNs with prefix: [docker.io/ registry.example.com:5000/]' });
  for (const [method, url] of [['GET', '/v2/evil.com/x/_trust/tuf/timestamp.key'], ['GET', '/v2/evil.com/x/_trust/tuf/root.json'], ['DELETE', '/v2/evil.com/x/_trust/tuf/'], ['GET', '/v2/evil.com/x/_trust/changefeed?records=1']] as const) {
    const r = await inject(t.app, { method, url });
    assert.equal(r.statusCode, 404, url);
    assert.equal(errorOf(r).code, 'METADATA_NOT_FOUND');
  }
  assert.equal((await t.store.keys.listKeys('evil.com/x', 'timestamp')).length, 0);
  const ok = await TestRepo.create(t, GUN);
  assert.equal((await post(t.app, GUN, await ok.initParts(t.clock.now()))).statusCode, 200);
});

test('publish input errors are 4xx with notary codes and leave storage untouched', async () => {
  const { t, repo } = await published();
  const before = JSON.stringify(await t.store.listCurrent(GUN));
  const url = `/v2/${GUN}/_trust/tuf/`;
  const cases: { name: string; payload?: string | Buffer; ct?: string; status: number; code: string; detail?: unknown }[] = [
    { name: 'no content type', payload: 'x', status: 400, code: 'MALFORMED_UPLOAD' },
    { name: 'json body', payload: '{}', ct: 'application/json', status: 400, code: 'MALFORMED_UPLOAD' },
    { name: 'no boundary', payload: 'x', ct: 'multipart/form-data', status: 400, code: 'MALFORMED_UPLOAD' },
    { name: 'garbage multipart', payload: 'garbage', ct: 'multipart/form-data; boundary=XX', status: 400, code: 'MALFORMED_UPLOAD' },
    { name: 'truncated multipart', payload: '--XX\r\nContent-Disposition: form-data; name="f"; filename="root"\r\n\r\n{"sig', ct: 'multipart/form-data; boundary=XX', status: 400, code: 'MALFORMED_UPLOAD' },
    { name: 'empty body', payload: '', ct: 'multipart/form-data; boundary=XX', status: 400, code: 'MALFORMED_UPLOAD' },
  ];
  for (const c of cases) {
    const headers: Record<string, string> = c.ct ? { 'content-type': c.ct } : {};
    const r = await inject(t.app, { method: 'POST', url, payload: c.payload, headers });
    assert.equal(r.statusCode, c.status, `${c.name}: ${r.body}`);
    assert.equal(errorOf(r).code, c.code, c.name);
    assert.equal(r.headers['content-type'], JSON_CT);
  }
  const parts: [string, Parameters<typeof post>[2], string, unknown][] = [
    ['no filename', [{ data: '{}' }], 'NO_FILENAME', undefined],
    ['bad role', [{ filename: 'foo', data: '{}' }], 'INVALID_ROLE', 'foo'],
    ['traversal role', [{ filename: '../../root', data: '{}' }], 'INVALID_ROLE', '../../root'],
    ['uppercase delegation', [{ filename: 'targets/Releases', data: '{}' }], 'INVALID_ROLE', 'targets/Releases'],
    ['non-JSON part', [{ filename: 'targets', data: '\x00\x01binary' }], 'MALFORMED_JSON', undefined],
    ['wrong shape', [{ filename: 'targets', data: '{"signed":{"version":"two"}}' }], 'MALFORMED_JSON', undefined],
  ];
  for (const [name, p, code, detail] of parts) {
    const r = await post(t.app, GUN, p);
    assert.equal(r.statusCode, 400, name);
    assert.deepEqual([errorOf(r).code, errorOf(r).detail], [code, detail], name);
  }
  // a valid-looking but unsigned targets: INVALID_UPDATE
  repo.addTag('x', 9, t.clock.now());
  const unsigned = repo.targets.toBytes();
  const r = await post(t.app, GUN, [{ filename: 'targets', data: unsigned }]);
  assert.equal(r.statusCode, 400);
  assert.equal(errorOf(r).code, 'INVALID_UPDATE');
  assert.equal(JSON.stringify(await t.store.listCurrent(GUN)), before, 'storage unchanged');
});

test('bodies over the limit are refused with 413 before any work; bodies on routes that take none are not read; the server keeps serving', async () => {
  const { t } = await published({ limits: { maxBodyBytes: 64 * 1024 } });
  const big = multipart([{ filename: 'targets', data: Buffer.alloc(200 * 1024, 0x20) }]);
  const r = await inject(t.app, { method: 'POST', url: `/v2/${GUN}/_trust/tuf/`, payload: big.body, headers: { 'content-type': big.contentType } });
  assert.equal(r.statusCode, 413);
  assert.equal(errorOf(r).code, 'TOO_LARGE');
  // A route that takes no body answers without reading one, and closes the connection.
  const d = await inject(t.app, { method: 'POST', url: '/v2/', payload: Buffer.alloc(200 * 1024), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(d.statusCode, 404);
  assert.equal(d.headers['connection'], 'close');
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` })).statusCode, 200);
  const many = multipart(Array.from({ length: 20 }, () => ({ filename: 'targets', data: '{}' })));
  const m = await inject(newServer({ limits: { maxParts: 10 } }).app, { method: 'POST', url: `/v2/${GUN}/_trust/tuf/`, payload: many.body, headers: { 'content-type': many.contentType } });
  assert.equal(m.statusCode, 400);
  assert.equal(errorOf(m).code, 'MALFORMED_UPLOAD');
});

test('odd GUNs: spaces, uppercase and very long names route and answer 404; a * never routes', async () => {
  const { app } = newServer();
  for (const gun of ['a%20b/c', 'UPPER/Case', 'x'.repeat(2000)]) {
    const r = await inject(app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/root.json` });
    assert.equal(r.statusCode, 404, gun.slice(0, 20));
    assert.deepEqual(errorOf(r).detail, {});
  }
  const star = await inject(app, { method: 'GET', url: '/v2/a*/_trust/tuf/timestamp.key' });
  assert.equal(star.statusCode, 404);
  assert.equal(errorOf(star).detail, undefined);
  // a GUN too long for storage (or with control characters) cannot exist: 404, and INVALID_GUN on publish
  for (const gun of ['y'.repeat(400), 'a%00b', 'a%0Ab']) {
    const longKey = await inject(app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/timestamp.key` });
    assert.equal(longKey.statusCode, 404);
    assert.equal(longKey.headers['content-type'], JSON_CT);
    const p = await post(app, gun, [{ filename: 'root', data: '{}' }]);
    assert.equal(p.statusCode, 400);
    assert.equal(errorOf(p).code, 'INVALID_GUN');
  }
});

test('the clock option drives Last-Modified and changefeed times', async () => {
  const clock = new Clock(new Date('2030-01-02T03:04:05Z'));
  const t = newServer({}, clock);
  const repo = await TestRepo.create(t, GUN);
  assert.equal((await post(t.app, GUN, await repo.initParts(clock.now()))).statusCode, 200);
  const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/targets.json` });
  assert.equal(r.headers['last-modified'], 'Wed, 02 Jan 2030 03:04:05 UTC');
});

test('fuzz: random methods, paths, headers and bodies never get a 5xx', async () => {
  const { t, repo } = await published();
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const pick = <T,>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const frags = ['/v2/', GUN, '/_trust/tuf/', '_trust', 'tuf', 'root', 'targets', 'targets/releases', 'snapshot', 'timestamp', '.json', '.key', '1.', '0.', `.${'a'.repeat(64)}`, '..', '.', '//', '%', '%2e', '%ff', '*', '?records=', '-1', 'x', ' ', '%20', '/', '_notary_server/health', 'metrics', '&change_id=', '\u00e9'];
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'] as const;
  const cts = [undefined, 'multipart/form-data; boundary=B', 'multipart/form-data', 'application/json', 'text/plain', 'multipart/form-data; boundary="unterminated'];
  for (let i = 0; i < 400; i++) {
    let path = '/';
    for (let k = rnd(8); k >= 0; k--) path += pick(frags);
    const method = pick(methods);
    const ct = pick(cts);
    let payload: Buffer | undefined;
    if (method === 'POST' || method === 'DELETE' || rnd(3) === 0) {
      const kind = rnd(4);
      if (kind === 0) payload = Buffer.from(Array.from({ length: rnd(200) }, () => rnd(256)));
      else if (kind === 1) payload = multipart([{ filename: pick(['root', 'targets', 'snapshot', 'timestamp', 'targets/x', '', 'a/../b']), data: pick(['{}', 'null', '[]', '{"signed":{"version":1}}', repo.files.get('root')!.toString(), 'x'.repeat(rnd(50))]) }], 'B').body;
      else if (kind === 2) payload = Buffer.from(`--B\r\nContent-Disposition: ${pick(['form-data', 'form-data; filename=', 'form-data; filename="root"', 'x'])}\r\n\r\n${'{'.repeat(rnd(100))}`);
      else payload = Buffer.from('');
    }
    let url = path;
    if (!url.startsWith('/')) url = '/' + url;
    const headers: Record<string, string> = ct ? { 'content-type': ct } : {};
    let r;
    try {
      r = await inject(t.app, { method, url, payload, headers });
    } catch (err) {
      // inject refuses some URLs before they reach the server (not our concern)
      if (/Invalid URL|URI|url/i.test(String(err))) continue;
      throw err;
    }
    assert.ok(r.statusCode < 500, `${method} ${url} → ${r.statusCode} ${r.body}`);
  }
  // and the repository is intact
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` })).statusCode, 200);
});

test('mutated uploads: every corruption of a valid targets part is refused and stores nothing', async () => {
  const { t, repo } = await published({});
  repo.addTag('m', 5, t.clock.now());
  const good = await repo.targetsBytes();
  const snap = await repo.snapshotBytes(t.clock.now());
  const before = JSON.stringify([await t.store.listCurrent(GUN), await t.store.changes({ changeId: 0, records: 100 })]);
  let seed = 99;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let i = 0; i < 60; i++) {
    const bad = Buffer.from(good);
    const at = rnd(bad.length);
    bad[at] = (bad[at]! + 1 + rnd(200)) % 256;
    const r = await post(t.app, GUN, [{ filename: 'targets', data: bad }, { filename: 'snapshot', data: snap }]);
    assert.ok(r.statusCode === 400, `mutation at ${at}: ${r.statusCode} ${r.body}`);
  }
  assert.equal(JSON.stringify([await t.store.listCurrent(GUN), await t.store.changes({ changeId: 0, records: 100 })]), before);
  assert.equal((await post(t.app, GUN, [{ filename: 'targets', data: good }, { filename: 'snapshot', data: snap }])).statusCode, 200);
});
