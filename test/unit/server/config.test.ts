import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVouchError } from '../../../src/core/index.js';
import { envKey, loadServerConfig, parseAddr } from '../../../src/server/index.js';

const files = (m: Record<string, string>) => (p: string): string => {
  if (!(p in m)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
  return m[p]!;
};

test('notary-server config.json keys are read unchanged, paths relative to the config file', () => {
  const cfg = loadServerConfig({
    cwd: '/work',
    file: 'etc/server.json',
    readFile: files({
      '/work/etc/server.json': JSON.stringify({
        server: { http_addr: ':4443', tls_cert_file: './certs/server.crt', tls_key_file: '/abs/server.key' },
        trust_service: { type: 'remote', hostname: 'notarysigner', port: '7899', key_algorithm: 'ed25519', tls_ca_file: 'x' },
        storage: { backend: 'postgres', db_url: 'postgres://server:pw@db:5432/notaryserver?sslmode=disable' },
        auth: { type: 'token', options: { realm: 'https://auth/token', service: 'notary-server', issuer: 'iss', rootcertbundle: 'certs/root.pem' } },
        logging: { level: 'warning' },
        caching: { max_age: { current_metadata: 60, consistent_metadata: 0 } },
        repositories: { gun_prefixes: ['docker.io/', 'example.com/'] },
        reporting: { bugsnag: { api_key: 'x' } },
      }),
    }),
  });
  assert.equal(cfg.addr, ':4443');
  assert.deepEqual(parseAddr(cfg.addr), { host: '0.0.0.0', port: 4443 });
  assert.equal(cfg.tlsCertFile, '/work/etc/certs/server.crt');
  assert.equal(cfg.tlsKeyFile, '/abs/server.key');
  assert.equal(cfg.storage, 'postgres://server:pw@db:5432/notaryserver?sslmode=disable');
  assert.equal(cfg.keyAlgorithm, 'ed25519');
  assert.deepEqual(cfg.auth, { realm: 'https://auth/token', service: 'notary-server', issuer: 'iss', rootCertBundleFile: '/work/etc/certs/root.pem' });
  assert.equal(cfg.logLevel, 'warn');
  assert.equal(cfg.currentMaxAge, 60);
  assert.equal(cfg.consistentMaxAge, 0);
  assert.deepEqual(cfg.gunPrefixes, ['docker.io/', 'example.com/']);
  assert.ok(cfg.ignored.includes('reporting'));
  assert.ok(cfg.ignored.some((i) => i.startsWith('trust_service.type=remote')));
});

test('NOTARY_SERVER_* environment overrides, then command-line overrides', () => {
  assert.equal(envKey('storage.db_url'), 'NOTARY_SERVER_STORAGE_DB_URL');
  const cfg = loadServerConfig({
    cwd: '/work',
    file: '/etc/notary/server.json',
    readFile: files({ '/etc/notary/server.json': JSON.stringify({ server: { http_addr: '127.0.0.1:4443' }, storage: { backend: 'sqlite3', db_url: 'db/notary.db' }, logging: { level: 'info' } }) }),
    env: {
      NOTARY_SERVER_SERVER_HTTP_ADDR: '0.0.0.0:9999',
      NOTARY_SERVER_LOGGING_LEVEL: 'debug',
      NOTARY_SERVER_CACHING_MAX_AGE_CURRENT_METADATA: '10',
      NOTARY_SERVER_REPOSITORIES_GUN_PREFIXES: 'a/ b/',
      VOUCH_SERVER_KEY_SECRET: 's3cret',
    },
  });
  assert.equal(cfg.addr, '0.0.0.0:9999');
  assert.equal(cfg.logLevel, 'debug');
  assert.equal(cfg.currentMaxAge, 10);
  assert.deepEqual(cfg.gunPrefixes, ['a/', 'b/']);
  assert.equal(cfg.storage, 'sqlite:/etc/notary/db/notary.db');
  assert.equal(cfg.keySecret, 's3cret');
  const cli = loadServerConfig({
    cwd: '/home/me',
    file: '/etc/notary/server.json',
    readFile: files({ '/etc/notary/server.json': '{"server":{"http_addr":"127.0.0.1:4443"}}' }),
    env: { NOTARY_SERVER_SERVER_HTTP_ADDR: '0.0.0.0:9999' },
    overrides: { addr: '127.0.0.1:5555', storage: 'sqlite:rel/x.db', tlsCertFile: 'c.pem', tlsKeyFile: 'k.pem' },
  });
  assert.equal(cli.addr, '127.0.0.1:5555');
  assert.equal(cli.storage, 'sqlite:/home/me/rel/x.db');
  assert.equal(cli.tlsCertFile, '/home/me/c.pem');
});

test('defaults: loopback 4443, SQLite in the data dir, ecdsa keys, notary cache ages', () => {
  const cfg = loadServerConfig({ cwd: '/srv', readFile: files({}) });
  assert.equal(cfg.addr, '127.0.0.1:4443');
  assert.equal(cfg.storage, 'sqlite:/srv/vouch-server-data/notary-server.db');
  assert.equal(cfg.keyAlgorithm, 'ecdsa');
  assert.equal(cfg.currentMaxAge, 300);
  assert.equal(cfg.consistentMaxAge, 2592000);
  assert.equal(cfg.auth, undefined);
  assert.equal(cfg.tlsCertFile, undefined);
  assert.equal(loadServerConfig({ cwd: '/srv', readFile: files({ '/srv/c.json': '{"storage":{"backend":"memory"}}' }), file: 'c.json' }).storage, 'memory');
  assert.equal(loadServerConfig({ cwd: '/srv', readFile: files({ '/srv/c.json': '{"vouch":{"storage":"memory","data_dir":"d"}}' }), file: 'c.json' }).dataDir, '/srv/d');
});

test('invalid configurations are CONFIG errors that say what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['not json', /not valid JSON/],
    ['[]', /JSON object/],
    ['{"storage":{"backend":"mysql","db_url":"x"}}', /mysql.*not supported/],
    ['{"storage":{"backend":"postgres"}}', /db_url is required/],
    ['{"trust_service":{"type":"cloud"}}', /trust_service.type/],
    ['{"trust_service":{"key_algorithm":"rsa"}}', /key_algorithm/],
    ['{"auth":{"type":"htpasswd"}}', /auth.type/],
    ['{"auth":{"type":"token","options":{"realm":"r","service":"s","issuer":"i"}}}', /rootcertbundle is required/],
    ['{"logging":{"level":"chatty"}}', /logging.level/],
    ['{"caching":{"max_age":{"current_metadata":31536001}}}', /current_metadata/],
    ['{"caching":{"max_age":{"consistent_metadata":-1}}}', /consistent_metadata/],
    ['{"caching":{"max_age":{"current_metadata":"abc"}}}', /integer/],
    ['{"repositories":{"gun_prefixes":"docker.io/"}}', /./],
    ['{"repositories":{"gun_prefixes":[1]}}', /gun_prefixes/],
    ['{"server":{"tls_cert_file":"c"}}', /together/],
    ['{"server":{"http_addr":"nohostport"}}', /host:port/],
    ['{"server":{"http_addr":"h:99999"}}', /port/],
  ];
  for (const [text, re] of bad) {
    let err: unknown;
    try {
      const cfg = loadServerConfig({ cwd: '/x', file: 'c.json', readFile: files({ '/x/c.json': text }) });
      if (text.includes('"gun_prefixes":"docker.io/"')) { assert.deepEqual(cfg.gunPrefixes, ['docker.io/']); continue; }
    } catch (e) {
      err = e;
    }
    assert.ok(isVouchError(err, 'CONFIG'), `${text}: ${String(err)}`);
    assert.match((err as Error).message, re, text);
  }
  assert.throws(() => loadServerConfig({ cwd: '/x', file: 'missing.json', readFile: files({}) }), (e) => isVouchError(e, 'CONFIG') && /cannot read/.test(e.message));
});

test('listen addresses', () => {
  assert.deepEqual(parseAddr('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseAddr('[::1]:4443'), { host: '::1', port: 4443 });
  assert.deepEqual(parseAddr('localhost:80'), { host: 'localhost', port: 80 });
  assert.throws(() => parseAddr('4443'));
});

test('vouch.lock_wait_ms: 30 s by default, from the file or NOTARY_SERVER_VOUCH_LOCK_WAIT_MS, bounded', () => {
  const load = (json: unknown, env: Record<string, string> = {}) =>
    loadServerConfig({ cwd: '/w', file: 'c.json', env, readFile: files({ '/w/c.json': JSON.stringify(json) }) });
  assert.equal(load({}).lockWaitMs, 30_000);
  assert.equal(load({ vouch: { lock_wait_ms: 2500 } }).lockWaitMs, 2500);
  assert.equal(load({ vouch: { lock_wait_ms: 2500 } }, { [envKey('vouch.lock_wait_ms')]: '700' }).lockWaitMs, 700);
  for (const bad of [0, 99, 600_001, 1.5, 'soon']) {
    assert.throws(() => load({ vouch: { lock_wait_ms: bad } }), (e: unknown) => isVouchError(e, 'CONFIG') && /lock_wait_ms/.test((e as Error).message), String(bad));
  }
});

test('vouch.max_bytes_in_flight: default 256 MiB, configurable, never below the largest publish', () => {
  const load = (vouch: Record<string, number>) => loadServerConfig({ cwd: '/w', file: 'c.json', readFile: files({ '/w/c.json': JSON.stringify({ storage: { backend: 'memory' }, vouch }) }) });
  assert.equal(load({}).maxBytesInFlight, 256 * 1024 * 1024);
  assert.equal(load({ max_bytes_in_flight: 300 * 1024 * 1024 }).maxBytesInFlight, 300 * 1024 * 1024);
  assert.throws(() => load({ max_body_bytes: 4096, max_bytes_in_flight: 2048 }), (err: unknown) => isVouchError(err, 'CONFIG') && /max_bytes_in_flight must be at least/.test((err as Error).message));
});

test('vouch.ui: off by default, from the file, NOTARY_SERVER_VOUCH_UI or --ui; anything but a boolean is refused', () => {
  const load = (json: unknown, env: Record<string, string> = {}, ui?: boolean) =>
    loadServerConfig({ cwd: '/w', file: 'c.json', env, readFile: files({ '/w/c.json': JSON.stringify(json) }), ...(ui !== undefined ? { overrides: { ui } } : {}) });
  assert.equal(load({}).ui, false);
  assert.equal(load({ vouch: { ui: true } }).ui, true);
  assert.equal(load({ vouch: { ui: true } }, { [envKey('vouch.ui')]: 'false' }).ui, false);
  assert.equal(load({}, { [envKey('vouch.ui')]: 'true' }).ui, true);
  assert.equal(load({ vouch: { ui: false } }, {}, true).ui, true);
  for (const bad of ['yes', 1, 'TRUE']) {
    assert.throws(() => load({ vouch: { ui: bad } }), (e: unknown) => isVouchError(e, 'CONFIG') && /vouch\.ui must be true or false/.test((e as Error).message), String(bad));
  }
});
