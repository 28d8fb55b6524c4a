// The server's expiry signals: Prometheus gauges for every stored role and root certificate (who
// renews each), what only a key holder can fix within a horizon, repositories that go away, and the
// warnings runServer logs for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadServerConfig, runServer } from '../../../src/server/index.js';
import { Clock, START, TestRepo, newServer, post, type TestServer } from './helpers.js';
import { inject } from '../../support/inject.js';

const DAY_MS = 86_400_000;

async function publish(t: TestServer, gun: string, serverSnapshot: boolean): Promise<TestRepo> {
  const r = await TestRepo.create(t, gun, { serverSnapshot });
  r.addTag('1.0', 1, t.clock.now());
  const res = await post(t.app, gun, await r.initParts(t.clock.now()));
  assert.equal(res.statusCode, 200, res.body);
  return r;
}

const gauge = (metrics: string, name: string, labels: string): number | undefined => {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

test('/metrics: one expiry gauge per role and root certificate, labelled with who renews it', async () => {
  const t = newServer();
  const a = await publish(t, 'example.com/expiry/server-snapshot', true);
  await publish(t, 'example.com/expiry/client-snapshot', false);
  const res = await inject(t.app, { method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  const m = res.body;
  const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);
  const G = 'vouch_server_metadata_expiry_timestamp_seconds';
  assert.equal(gauge(m, G, 'gun="example.com/expiry/server-snapshot",role="targets",renewed_by="owner"'), seconds(a.targets.signed.expires));
  assert.equal(gauge(m, G, 'gun="example.com/expiry/server-snapshot",role="root",renewed_by="owner"'), seconds(a.root.signed.expires));
  assert.ok(gauge(m, G, 'gun="example.com/expiry/server-snapshot",role="snapshot",renewed_by="server"') !== undefined, m);
  assert.ok(gauge(m, G, 'gun="example.com/expiry/client-snapshot",role="snapshot",renewed_by="owner"') !== undefined, m);
  assert.ok(gauge(m, G, 'gun="example.com/expiry/client-snapshot",role="timestamp",renewed_by="server"') !== undefined, m);
  const certId = a.root.signed.roles.root.keyids[0] as string;
  const cert = gauge(m, 'vouch_server_root_certificate_expiry_timestamp_seconds', `gun="example.com/expiry/server-snapshot",key_id="${certId}"`);
  assert.ok(cert !== undefined && cert > seconds(START) + 9 * 365 * 86_400, m);
});

test('expiringWithin: only what a key holder must renew, soonest first; a deleted repository is forgotten', async () => {
  const clock = new Clock();
  const t = newServer({}, clock);
  await publish(t, 'example.com/expiry/soon', true);
  await t.app.expiry.refresh(true);
  assert.deepEqual(t.app.expiry.expiringWithin(30 * DAY_MS), []);
  clock.advanceDays(3 * 365 - 10); // targets are signed for 3 years
  await t.app.expiry.refresh(true);
  assert.deepEqual(t.app.expiry.expiringWithin(30 * DAY_MS).map((e) => e.what), ['targets']);
  clock.advanceDays(20);
  assert.deepEqual(t.app.expiry.expiringWithin(0).map((e) => e.what), ['targets'], 'already expired counts too');
  const del = await inject(t.app, { method: 'DELETE', url: '/v2/example.com/expiry/soon/_trust/tuf/' });
  assert.equal(del.statusCode, 200, del.body);
  await t.app.expiry.refresh(true);
  assert.deepEqual(t.app.expiry.entries(), []);
  assert.doesNotMatch((await inject(t.app, { method: 'GET', url: '/metrics' })).body, /expiry\/soon/);
});

test('runServer logs a warning for each expiry within vouch.expiry_warning_days that only a key holder can fix', async () => {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); done(); } });
  const cfg = loadServerConfig({
    cwd: '/', env: {}, readFile: () => JSON.stringify({ vouch: { expiry_warning_days: 3650 } }), file: 'config.json',
    overrides: { addr: '127.0.0.1:0', storage: 'memory', logLevel: 'warn' },
  });
  const running = await runServer(cfg, { handleSignals: false, logger: { level: 'warn', stream }, expiryCheckMs: 200 });
  try {
    await publish({ app: running.app, store: running.store as TestServer['store'], clock: new Clock(new Date()) }, 'example.com/expiry/warned', true);
    const deadline = Date.now() + 30_000;
    const warned = (): string[] => lines.filter((l) => l.includes('example.com/expiry/warned') && l.includes('must re-sign it'));
    // checked every 200 ms here (hourly by default)
    while (warned().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const roles = [...new Set(warned().map((l) => (JSON.parse(l) as { role: string }).role))].sort();
    assert.deepEqual(roles, ['root', 'root certificate', 'targets'], lines.join('\n'));
  } finally {
    await running.close();
  }
});
