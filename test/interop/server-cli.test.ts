// `vouch server` as users start it: `node bin/vouch.js server` in a process of its own, with
// --addr/--storage, with no flags (SQLite under $VOUCH_DATA_DIR/server), with a wrong key secret,
// and with --config pointing at the config.json the peers harness wrote for the real
// notary-server, used unchanged on the same port. A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { check, startPeers, type Peers } from '../support/peers.js';
import { HEX_A, listed, spawnServer, type SpawnedServer } from '../support/vouch-server.js';

async function health(url: string): Promise<void> {
  const r = await fetch(`${url}/_notary_server/health`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), '{}');
}

const timestampKey = async (url: string): Promise<string> => {
  const r = await fetch(`${url}/v2/example.com/cli/app/_trust/tuf/timestamp.key`);
  assert.equal(r.status, 200);
  return r.text();
};

describe('vouch server CLI (node bin/vouch.js server)', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'vouch-server-cli-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('--addr and --storage: serves health on that address, keeps its database in that file', async () => {
    const db = join(dir, 'flags', 'trust.db');
    const s = await spawnServer(['--addr', '127.0.0.1:0', '--storage', `sqlite:${db}`], { VOUCH_DATA_DIR: join(dir, 'flags-data') });
    try {
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      await health(s.url);
      await timestampKey(s.url);
    } finally {
      assert.equal(await s.stop(), 0);
    }
    const sqlite = new Database(db, { readonly: true });
    try {
      assert.deepEqual(sqlite.prepare('SELECT gun, role FROM server_keys').all(), [{ gun: 'example.com/cli/app', role: 'timestamp' }]);
    } finally {
      sqlite.close();
    }
    assert.ok(existsSync(join(dir, 'flags-data', 'server', 'server-key-secret')), 'the generated key secret is in the data dir');
  });

  test('--ui: the read-only dashboard answers at /_vouch/ui/ as HTML; without it, the same path is notary\'s 404', async () => {
    const withUi = await spawnServer(['--addr', '127.0.0.1:0', '--storage', 'memory', '--ui'], { VOUCH_DATA_DIR: join(dir, 'ui-data') });
    try {
      await timestampKey(withUi.url);
      const r = await fetch(`${withUi.url}/_vouch/ui/`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await r.text(), /<h1>Repositories<\/h1>/);
    } finally {
      assert.equal(await withUi.stop(), 0);
    }
    const without = await spawnServer(['--addr', '127.0.0.1:0', '--storage', 'memory'], { VOUCH_DATA_DIR: join(dir, 'ui-data') });
    try {
      assert.equal((await fetch(`${without.url}/_vouch/ui/`)).status, 404);
    } finally {
      assert.equal(await without.stop(), 0);
    }
  });

  test('no flags: SQLite under $VOUCH_DATA_DIR/server, kept across a restart; a wrong VOUCH_SERVER_KEY_SECRET stops the start-up', async () => {
    const data = join(dir, 'default-data');
    // the default address is 127.0.0.1:4443; a free port comes from notary-server's own override variable, not a flag
    const env = { VOUCH_DATA_DIR: data, NOTARY_SERVER_SERVER_HTTP_ADDR: '127.0.0.1:0' };
    let s = await spawnServer([], env);
    let key: string;
    try {
      await health(s.url);
      key = await timestampKey(s.url);
    } finally {
      assert.equal(await s.stop(), 0);
    }
    assert.ok(existsSync(join(data, 'server', 'notary-server.db')), 'the database is in $VOUCH_DATA_DIR/server');
    assert.ok((await readFile(join(data, 'server', 'server-key-secret'), 'utf8')).trim().length >= 32);
    s = await spawnServer([], env);
    try {
      assert.equal(await timestampKey(s.url), key, 'the same timestamp key after a restart');
    } finally {
      assert.equal(await s.stop(), 0);
    }
    await assert.rejects(spawnServer([], { ...env, VOUCH_SERVER_KEY_SECRET: 'not-the-secret' }), (err: Error & { code: number; stderr: string }) => {
      assert.notEqual(err.code, 0);
      assert.match(err.stderr, /server key secret does not open the keys/);
      assert.match(err.stderr, /VOUCH_SERVER_KEY_SECRET/);
      return true;
    });
  });
  test('--workers 2: two processes answer on one port from one database; SIGTERM stops them all', async () => {
    const db = join(dir, 'workers', 'trust.db');
    const s = await spawnServer(['--addr', '127.0.0.1:0', '--storage', `sqlite:${db}`, '--workers', '2'], { VOUCH_DATA_DIR: join(dir, 'workers-data') });
    let pids: Set<number>;
    try {
      assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      // a new connection per request, so the primary hands them to both workers
      const keys = await Promise.all(Array.from({ length: 40 }, () => newConnectionGet(`${s.url}/v2/example.com/cli/app/_trust/tuf/timestamp.key`)));
      assert.equal(new Set(keys).size, 1, 'every worker serves the same server key (one database)');
      // each worker logs its requests once they are answered: wait for all 40 lines
      const answered = (): string[] => s.stdout().split('\n').filter((l) => l.includes('"response completed"'));
      for (let i = 0; i < 100 && answered().length < 40; i++) await new Promise((r) => setTimeout(r, 50));
      pids = new Set(answered().map((l) => (JSON.parse(l) as { pid: number }).pid));
      assert.equal(pids.size, 2, 'both workers answered');
    } finally {
      assert.equal(await s.stop(), 0);
    }
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} has ended`);
  });

  test('--workers with memory storage, or a bad count, is a usage error', async () => {
    for (const [args, message] of [
      [['--storage', 'memory', '--workers', '2'], /memory storage is private to one process/],
      [['--workers', '0'], /--workers must be a whole number from 1 to 64/],
      [['--workers', 'two'], /--workers must be a whole number/],
    ] as const) {
      await assert.rejects(spawnServer(['--addr', '127.0.0.1:0', ...args], { VOUCH_DATA_DIR: join(dir, 'usage-data') }), (err: Error & { code: number; stderr: string }) => {
        assert.equal(err.code, 2, args.join(' '));
        assert.match(err.stderr, message);
        return true;
      });
    }
  });
});

/** GET over a connection of its own (no keep-alive), the body as text. */
function newConnectionGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => { if (res.statusCode === 200) resolve(body); else reject(new Error(`${url}: HTTP ${res.statusCode} ${body}`)); });
    });
    req.on('error', reject);
  });
}

describe('vouch server --config with the config.json the real notary-server ran with', () => {
  let peers: Peers;
  let server: SpawnedServer | undefined;
  before(async () => {
    peers = await startPeers({ notary: true }); // remote signer, ECDSA, memory storage: the harness's defaults
  });
  after(async () => {
    if (server) await server.stop();
    await peers?.stop();
  });

  test('notary init, publish and list against vouch server started from it, unchanged, on the same port', async () => {
    const config = join(peers.dir, 'notary', 'server-config.json');
    await peers.stopPeer('notary-server', 'notary-signer');
    server = await spawnServer(['--config', config], { HOME: peers.dir });
    assert.equal(server.url.replace('127.0.0.1', 'localhost'), peers.notaryUrl!.replace('127.0.0.1', 'localhost'));
    assert.equal((await peers.notaryGet('/_notary_server/health')).status, 200);
    assert.match(server.stdout(), /trust_service.type=remote \(keys are held by vouch\)/, 'says which settings have no effect');
    const gun = 'example.com/config/app';
    check(await peers.notary(['init', gun]), 'notary init');
    check(await peers.notary(['addhash', gun, 'v1', '42', '--sha256', HEX_A]), 'notary addhash');
    check(await peers.notary(['publish', gun]), 'notary publish');
    const rows = listed(check(await peers.notary(['list', gun], { trustDir: join(peers.dir, 'fresh') }), 'notary list (fresh trust dir)'));
    assert.deepEqual(rows.get('v1'), [HEX_A, '42', 'targets']);
  });
});
