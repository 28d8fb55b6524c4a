// The real notary 0.7 CLI against `vouch server` (HTTPS with the peers harness's throw-away CA,
// test/support/pki.ts): what the storage × auth matrix (server-matrix.test.ts) does not cover — GUN prefixes,
// an intruder's root, a SQLite restart with ed25519 keys — and differential runs against the real
// notary-server. Fails, never skips, when `notary` or `openssl` is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server/index.js';
import { startPeers, type Peers } from '../support/peers.js';
import { HEX_A, HEX_B, listed, notary, ok, peersCtx, rawRequest, setup, start, tokenAuth, type Ctx } from '../support/vouch-server.js';
import { inject } from '../support/inject.js';

describe('real notary CLI against vouch server (memory store): GUN prefixes and intruders', () => {
  let ctx: Ctx;
  let server: RunningServer;

  before(async () => {
    ctx = await setup();
    server = await start(ctx, 'memory');
  });
  after(async () => {
    await server?.close();
    if (ctx) await rm(ctx.dir, { recursive: true, force: true });
  });

  test('gun_prefixes: a GUN outside them gets no timestamp key (404), so init fails as against notary-server', async () => {
    const limited = await start(ctx, 'memory', { repositories: { gun_prefixes: ['allowed.example.com/'] } });
    try {
      const n = notary(ctx, limited, join(ctx.dir, 'limited'));
      const r = await n(['init', 'denied.example.com/app', '-p']);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /timestamp key trust data unavailable/);
      ok(await n(['init', 'allowed.example.com/app', '-p']), 'init of an allowed GUN');
    } finally {
      await limited.close();
    }
  });

  test('an intruder with another root key cannot take over a repository', async () => {
    const other = 'registry.example.com:5000/team/other';
    ok(await notary(ctx, server, join(ctx.dir, 'owner'))(['init', other, '-p']), 'init by owner');
    const intruder = notary(ctx, server, join(ctx.dir, 'intruder'));
    ok(await intruder(['init', other]), 'local init by the intruder');
    const r = await intruder(['publish', other]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /root/i);
    const rows = await notary(ctx, server, join(ctx.dir, 'fresh6'))(['list', other]);
    assert.equal(rows.code, 0, rows.stderr);
  });
});

describe('real notary CLI against vouch server (SQLite store survives a restart, ed25519 server keys)', () => {
  let ctx: Ctx;
  const gun = 'example.com/persist/app';

  before(async () => { ctx = await setup(); });
  after(async () => { if (ctx) await rm(ctx.dir, { recursive: true, force: true }); });

  test('publish, restart, list and publish again', async () => {
    const db = join(ctx.dir, 'data', 'server.db');
    const opts = { trust_service: { type: 'local', key_algorithm: 'ed25519' }, vouch: { data_dir: join(ctx.dir, 'data') } };
    let server = await start(ctx, `sqlite:${db}`, opts);
    try {
      const n = notary(ctx, server, join(ctx.dir, 'trust'));
      ok(await n(['init', gun, '-p']), 'init');
      ok(await n(['key', 'rotate', gun, 'snapshot', '-r']), 'rotate snapshot -r');
      ok(await n(['addhash', gun, 'one', '10', '--sha256', HEX_A, '-p']), 'addhash');
      const ts = JSON.parse((await inject(server.app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/timestamp.json` })).body) as { signatures: { method: string }[] };
      assert.equal(ts.signatures[0]!.method, 'eddsa');
    } finally {
      await server.close();
    }
    const secret = await readFile(join(ctx.dir, 'data', 'server-key-secret'), 'utf8');
    assert.ok(secret.trim().length >= 32, 'a key secret was generated in the data dir');
    server = await start(ctx, `sqlite:${db}`, opts);
    try {
      const url = server.url;
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const n = notary(ctx, server, join(ctx.dir, 'trust'));
      ok(await n(['addhash', gun, 'two', '20', '--sha256', HEX_B, '-p']), 'publish after restart (server keys decrypted from the store)');
      const rows = listed(ok(await notary(ctx, server, join(ctx.dir, 'fresh'))(['list', gun]), 'list after restart'));
      assert.deepEqual([...rows.keys()].sort(), ['one', 'two']);
    } finally {
      await server.close();
    }
  });
});

describe('differential: the same requests to the real notary-server and to vouch server', () => {
  let peers: Peers;
  let server: RunningServer;
  let ca: Buffer;

  before(async () => {
    peers = await startPeers({ notary: { trustService: 'local', keyAlgorithm: 'ed25519' } });
    ca = await readFile(peers.ca);
    server = await start(peersCtx(peers.dir), 'memory', { trust_service: { type: 'local', key_algorithm: 'ed25519' } });
  });
  after(async () => {
    await server?.close();
    await peers?.stop();
  });

  test('status codes, content types, redirects and error bodies agree', async () => {
    const mp = (parts: { filename?: string; data: string }[]) => {
      const b = 'diffBoundary123';
      const body = parts.map((p) => `--${b}\r\nContent-Disposition: form-data; name="files"${p.filename === undefined ? '' : `; filename="${p.filename}"`}\r\n\r\n${p.data}\r\n`).join('') + `--${b}--\r\n`;
      return { headers: { 'content-type': `multipart/form-data; boundary=${b}` }, body };
    };
    const g = 'example.com/diff/app';
    const cases: { method: string; path: string; headers?: Record<string, string>; body?: string; compareBody?: 'exact' | 'key' | 'count' | 'none' }[] = [
      { method: 'GET', path: '/v2/' },
      { method: 'GET', path: '/_notary_server/health' },
      { method: 'HEAD', path: '/v2/', compareBody: 'none' },
      { method: 'HEAD', path: `/v2/${g}/_trust/tuf/root.json`, compareBody: 'none' },
      { method: 'GET', path: `/v2/${g}/_trust/tuf/root.json` },
      { method: 'GET', path: `/v2/${g}/_trust/tuf/0.root.json` },
      { method: 'GET', path: `/v2/${g}/_trust/tuf/2.targets/releases.json` },
      { method: 'GET', path: `/v2/${g}/_trust/tuf/snapshot.${'a'.repeat(64)}.json` },
      { method: 'GET', path: `/v2/${g}/_trust/tuf/targets/Bad.json` },
      { method: 'GET', path: '/v2/a*b/_trust/tuf/root.json' },
      { method: 'GET', path: '/nothing/here' },
      { method: 'PUT', path: `/v2/${g}/_trust/tuf/root.json` },
      { method: 'POST', path: '/v2/' },
      { method: 'PATCH', path: `/v2/${g}/_trust/tuf/root.json` },
      { method: 'GET', path: `/v2/${g}/_trust/tuf/targets.key` },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/root.key` },
      { method: 'GET', path: '/v2/a//b/_trust/tuf/root.json' },
      { method: 'GET', path: '/v2/a/../b/_trust/tuf/root.json' },
      { method: 'GET', path: '/v2/a/./b/_trust/tuf/root.json?x=1' },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/` },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, headers: { 'content-type': 'application/json' }, body: '{}' },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([{ filename: 'foo', data: '{}' }]) },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([{ filename: 'targets/Bad', data: '{}' }]) },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([{ data: '{}' }]) },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([{ filename: 'root', data: 'notjson' }]) },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([{ filename: 'root', data: '{"signed":{"version":"1"}}' }]) },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([{ filename: 'targets', data: '{}' }]) },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([{ filename: 'timestamp', data: '{}' }]) },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/`, ...mp([]) },
      { method: 'GET', path: '/v2/_trust/changefeed' },
      { method: 'GET', path: '/v2/_trust/changefeed?records=x' },
      { method: 'GET', path: '/v2/_trust/changefeed?records=99999999999' },
      { method: 'GET', path: `/v2/${g}/_trust/changefeed?records=1&change_id=z` },
      { method: 'GET', path: `/v2/${g}/_trust/changefeed?records=-1&change_id=-1`, compareBody: 'count' },
      { method: 'GET', path: '/v2/_trust/changefeed?records=5', compareBody: 'count' },
      { method: 'GET', path: `/v2/${g}/_trust/tuf/timestamp.key`, compareBody: 'key' },
      { method: 'POST', path: `/v2/${g}/_trust/tuf/snapshot.key`, compareBody: 'key' },
      { method: 'DELETE', path: `/v2/${g}/_trust/tuf/` },
    ];
    const diffs: string[] = [];
    for (const c of cases) {
      const [theirs, ours] = await Promise.all([peers.notaryUrl!, server.url].map((base) => rawRequest(base, ca, c.method, c.path, c.headers, c.body)));
      const what = `${c.method} ${c.path}${c.body ? ` ${c.body.slice(0, 60).replace(/\r\n/g, ' ')}` : ''}`;
      if (theirs!.status !== ours!.status) diffs.push(`${what}: status ${theirs!.status} vs ${ours!.status}`);
      if (theirs!.headers['content-type'] !== ours!.headers['content-type']) diffs.push(`${what}: content-type ${theirs!.headers['content-type']} vs ${ours!.headers['content-type']}`);
      if (theirs!.headers.location !== ours!.headers.location) diffs.push(`${what}: location ${theirs!.headers.location} vs ${ours!.headers.location}`);
      switch (c.compareBody ?? 'exact') {
        case 'exact':
          if (theirs!.body !== ours!.body) diffs.push(`${what}: body\n  notary: ${theirs!.body}\n  vouch:  ${ours!.body}`);
          break;
        case 'key': {
          const shape = (b: string) => b.replace(/"public":"[^"]+"/, '"public":"…"');
          if (shape(theirs!.body) !== shape(ours!.body)) diffs.push(`${what}: key body ${theirs!.body} vs ${ours!.body}`);
          break;
        }
        case 'count':
          if ((JSON.parse(theirs!.body) as { count: number }).count !== (JSON.parse(ours!.body) as { count: number }).count) diffs.push(`${what}: count differs`);
          break;
        case 'none':
          break;
      }
    }
    assert.deepEqual(diffs, []);
  });
});

describe('differential: the real notary CLI publishing to the real notary-server and to vouch server', () => {
  let peers: Peers;
  let server: RunningServer;
  let ca: Buffer;
  let ctx: Ctx;

  before(async () => {
    peers = await startPeers({ notary: { trustService: 'local', keyAlgorithm: 'ecdsa' } });
    ca = await readFile(peers.ca);
    ctx = peersCtx(peers.dir);
    server = await start(ctx, 'memory');
  });
  after(async () => {
    await server?.close();
    await peers?.stop();
  });

  test('same headers on metadata, same INVALID_UPDATE details for the same bad uploads', async () => {
    const gun = 'example.com/diff/published';
    const bases = [peers.notaryUrl!, server.url];
    const diffs: string[] = [];
    const tuf = (base: string, method: string, path: string, headers?: Record<string, string>, body?: string | Buffer) => rawRequest(base, ca, method, `/v2/${gun}/_trust/tuf/${path}`, headers, body);
    for (const [i, base] of bases.entries()) {
      ok(await notary(ctx, base, join(ctx.dir, `trust${i}`))(['init', gun, '-p']), `init -p against ${base}`);
    }
    const both = async (method: string, path: string, headers?: Record<string, string>, body?: (base: string) => Promise<string | Buffer | undefined>) =>
      Promise.all(bases.map(async (b) => tuf(b, method, path, headers, body ? await body(b) : undefined)));

    for (const path of ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json', '1.root.json']) {
      const [theirs, ours] = await both('GET', path);
      for (const h of ['cache-control', 'content-type', 'pragma']) {
        if (theirs!.headers[h] !== ours!.headers[h]) diffs.push(`${path}: ${h} ${theirs!.headers[h]} vs ${ours!.headers[h]}`);
      }
      for (const r of [theirs!, ours!]) assert.match(String(r.headers['last-modified']), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UTC$/, path);
      assert.equal(theirs!.status, 200);
      assert.equal(ours!.status, 200);
    }
    const [tk, ok2] = await both('GET', 'timestamp.key');
    assert.equal(tk!.status, ok2!.status);

    // targets re-signed by a stranger's key
    const { generateKey } = await import('../../src/keys/index.js');
    const { parseTargets, newVersion, signMetadata } = await import('../../src/tuf/index.js');
    const stranger = generateKey('ecdsa');
    const forged = async (base: string) => {
      const cur = await tuf(base, 'GET', 'targets.json');
      const md = newVersion(parseTargets(Buffer.from(cur.body)), new Date());
      return (await signMetadata(md, [stranger.signer()])).toBytes();
    };
    const mpHeaders = { 'content-type': 'multipart/form-data; boundary=DIFF' };
    const wrap = (role: string, data: Buffer | string) => Buffer.concat([Buffer.from(`--DIFF\r\nContent-Disposition: form-data; name="files"; filename="${role}"\r\n\r\n`), Buffer.from(data), Buffer.from('\r\n--DIFF--\r\n')]);
    const bad = await both('POST', '', mpHeaders, async (b) => wrap('targets', await forged(b)));
    if (bad[0]!.body !== bad[1]!.body) diffs.push(`forged targets:\n  notary: ${bad[0]!.body}  vouch:  ${bad[1]!.body}`);
    // the stored root again, without a snapshot, while the snapshot key is the client's
    const again = await both('POST', '', mpHeaders, async (b) => wrap('root', Buffer.from((await tuf(b, 'GET', 'root.json')).body)));
    if (again[0]!.body !== again[1]!.body) diffs.push(`root again:\n  notary: ${again[0]!.body}  vouch:  ${again[1]!.body}`);
    // targets alone on a repository that does not exist
    const none = await Promise.all(bases.map((b) => rawRequest(b, ca, 'POST', '/v2/example.com/diff/none/_trust/tuf/', mpHeaders, wrap('targets', '{}'))));
    if (none[0]!.body !== none[1]!.body) diffs.push(`no root:\n  notary: ${none[0]!.body}  vouch:  ${none[1]!.body}`);
    assert.deepEqual(diffs, []);
    for (const r of [...bad, ...again]) assert.equal(r.status, 400);
  });
});

describe('differential: token auth challenges of the real notary-server and of vouch server', () => {
  let peers: Peers;
  let server: RunningServer;
  let ca: Buffer;

  before(async () => {
    peers = await startPeers({ notary: { auth: 'token', trustService: 'local' }, tokenServer: true });
    ca = await readFile(peers.ca);
    server = await start(peersCtx(peers.dir), 'memory', tokenAuth(peers));
  });
  after(async () => {
    await server?.close();
    await peers?.stop();
  });

  test('same 401 status, challenge (actions order aside) and UNAUTHORIZED detail on every route', async () => {
    // notary's scope action order comes from a Go map and varies between requests
    const norm = (h: unknown) => String(h).replace(/scope="([^"]*)"/, (_m, s: string) => `scope="${s.split(':').slice(0, -1).join(':')}:${s.split(':').at(-1)!.split(',').sort().join(',')}"`);
    const g = 'example.com/auth/app';
    const cases: [string, string][] = [
      ['GET', '/v2/'], ['GET', `/v2/${g}/_trust/tuf/root.json`], ['GET', `/v2/${g}/_trust/tuf/2.root.json`], ['GET', `/v2/${g}/_trust/tuf/timestamp.key`],
      ['POST', `/v2/${g}/_trust/tuf/timestamp.key`], ['POST', `/v2/${g}/_trust/tuf/`], ['DELETE', `/v2/${g}/_trust/tuf/`],
      ['GET', `/v2/${g}/_trust/changefeed?records=1`], ['GET', '/v2/_trust/changefeed?records=1'], ['GET', '/nothing'], ['GET', '/_notary_server/health'],
    ];
    const diffs: string[] = [];
    for (const auth of [undefined, 'Bearer not.a.token', 'Basic dXNlcjpwYXNz']) {
      for (const [method, path] of cases) {
        const headers: Record<string, string> = auth ? { authorization: auth } : {};
        const [theirs, ours] = await Promise.all([peers.notaryUrl!, server.url].map((b) => rawRequest(b, ca, method, path, headers)));
        const what = `${auth ?? 'none'} ${method} ${path}`;
        if (theirs!.status !== ours!.status) diffs.push(`${what}: status ${theirs!.status} vs ${ours!.status}`);
        if (norm(theirs!.headers['www-authenticate']) !== norm(ours!.headers['www-authenticate'])) diffs.push(`${what}: challenge ${theirs!.headers['www-authenticate']} vs ${ours!.headers['www-authenticate']}`);
        if (theirs!.body !== ours!.body) diffs.push(`${what}: body\n  notary: ${theirs!.body}  vouch:  ${ours!.body}`);
      }
    }
    assert.deepEqual(diffs, []);
  });

  test('hand-minted tokens (valid, expired, within leeway, wrong issuer/audience, unsigned, no scope) are judged alike', async () => {
    const { SignJWT, base64url } = await import('jose');
    const { createPrivateKey, X509Certificate } = await import('node:crypto');
    const certs = join(peers.dir, 'certs');
    const key = createPrivateKey(await readFile(join(certs, 'token.key')));
    const der = new X509Certificate(await readFile(join(certs, 'token.crt'))).raw.toString('base64');
    const g = 'example.com/auth/minted';
    const now = Math.floor(Date.now() / 1000);
    const mint = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => new SignJWT({
      iss: 'peers-token-issuer', aud: 'notary-server', sub: 'tester', iat: now, nbf: now - 5, exp: now + 300, jti: String(Math.random()),
      access: [{ type: 'repository', name: g, actions: ['pull'] }], ...claims,
    }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [der], ...header }).sign(key);
    const none = `${base64url.encode('{"alg":"none","typ":"JWT"}')}.${base64url.encode(JSON.stringify({ iss: 'peers-token-issuer', aud: 'notary-server', exp: now + 300, access: [{ type: 'repository', name: g, actions: ['pull'] }] }))}.`;
    const tokens: [string, string][] = [
      ['valid', await mint({})],
      ['expired 30 s ago (leeway)', await mint({ exp: now - 30 })],
      ['expired 120 s ago', await mint({ exp: now - 120 })],
      ['not before in 120 s', await mint({ nbf: now + 120 })],
      ['wrong issuer', await mint({ iss: 'other' })],
      ['wrong audience', await mint({ aud: 'registry' })],
      ['other repository', await mint({ access: [{ type: 'repository', name: 'example.com/auth/other', actions: ['*'] }] })],
      ['star', await mint({ access: [{ type: 'repository', name: g, actions: ['*'] }] })],
      ['alg none', none],
    ];
    const diffs: string[] = [];
    for (const [name, tok] of tokens) {
      for (const [method, path] of [['GET', `/v2/${g}/_trust/tuf/root.json`], ['DELETE', `/v2/${g}/_trust/tuf/`]] as const) {
        const [theirs, ours] = await Promise.all([peers.notaryUrl!, server.url].map((b) => rawRequest(b, ca, method, path, { authorization: `Bearer ${tok}` })));
        if (theirs!.status !== ours!.status) diffs.push(`${name} ${method}: status ${theirs!.status} vs ${ours!.status}`);
        if (theirs!.headers['www-authenticate'] !== ours!.headers['www-authenticate']) diffs.push(`${name} ${method}: ${theirs!.headers['www-authenticate']} vs ${ours!.headers['www-authenticate']}`);
      }
    }
    assert.deepEqual(diffs, []);
  });
});
