// The read-only dashboard (`vouch server --ui`) in-process: off by default, the pages a browser gets
// (docker's view of the tags, signers, expiries and the changefeed), every stored string escaped,
// expiries within the horizon highlighted as the clock moves, pages bounded, and the same token
// auth as the changefeeds. test/browser/dashboard.test.ts drives it in a real Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addTargets, dockerTarget, newVersion } from '../../../src/tuf/index.js';
import { UI_LIMITS, escapeHtml } from '../../../src/server/ui.js';
import { TestRepo, generateKey, newServer, post, type TestServer } from './helpers.js';
import { ISSUER, SERVICE, makeCert, token } from './tokens.js';
import { inject } from '../../support/inject.js';

const GUN = 'registry.example.com/team/app';
const HOSTILE_GUN = 'registry.example.com/x"><b>gun</b>';
const HOSTILE_TAG = '<script>alert(1)</script>';
const UI = '/_vouch/ui/';
const repoUrl = (gun: string): string => `${UI}r/${encodeURI(gun)}`;

/** A repository with server-held timestamp and snapshot, tags `1.0` and a hostile one, and a delegation `targets/alice` that signed 1.0. */
async function publish(t: TestServer, gun: string, headers: Record<string, string> = {}): Promise<void> {
  const repo = await TestRepo.create(t, gun, { serverSnapshot: true, headers });
  const now = t.clock.now();
  const alice = generateKey('ecdsa');
  repo.addTag('1.0', 1, now);
  repo.targets = addTargets(repo.targets, { [HOSTILE_TAG]: dockerTarget(Buffer.alloc(32, 2), 102) });
  repo.addDelegation('targets/alice', alice, now);
  repo.delegations.set('targets/alice', addTargets(newVersion(repo.delegations.get('targets/alice')!, now), { '1.0': dockerTarget(Buffer.alloc(32, 1), 101) }));
  const parts = await repo.initParts(now);
  parts.push({ filename: 'targets/alice', data: await repo.delegationBytes('targets/alice', alice) });
  const r = await post(t.app, gun, parts, headers);
  assert.equal(r.statusCode, 200, r.body);
}

test('the dashboard is off unless asked for: its paths are notary\'s 404', async () => {
  const t = newServer();
  await publish(t, GUN);
  for (const url of [UI, repoUrl(GUN)]) {
    const r = await inject(t.app, { method: 'GET', url });
    assert.equal(r.statusCode, 404, url);
    assert.match(r.headers['content-type'] as string, /^application\/json/);
  }
});

test('index and repository pages: repositories, tags with digests and signers, keys, expiries, changes; no script, no external asset', async () => {
  const t = newServer({ ui: true });
  await publish(t, GUN);
  const index = await inject(t.app, { method: 'GET', url: UI });
  assert.equal(index.statusCode, 200);
  assert.match(index.headers['content-type'] as string, /^text\/html; charset=utf-8/);
  assert.match(index.headers['content-security-policy'] as string, /default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'/);
  assert.match(index.body, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.ok(index.body.includes(`<a href="/_vouch/ui/r/registry.example.com/team/app">${GUN}</a>`));
  assert.match(index.body, /Nothing a key holder must renew expires within 30 days/);

  const page = await inject(t.app, { method: 'GET', url: repoUrl(GUN) });
  assert.equal(page.statusCode, 200, page.body);
  const body = page.body;
  assert.match(body, /Verifies as a docker client would now/);
  // docker's view: 1.0 is released in targets and signed by alice with the same digest
  const row = /<tr class=""><th scope="row">1\.0<\/th><td class="mono">sha256:(0101[0-9a-f]+)<\/td><td><ul>(.*?)<\/ul><\/td>/.exec(body);
  assert.ok(row, 'the 1.0 row');
  assert.equal(row[1], '01'.repeat(32));
  assert.match(row[2]!, /^<li>alice, signature valid until <time datetime="2029-/);
  for (const heading of ['Signed tags', 'Expiry of every role and root certificate', 'Keys and certificates', 'Changes']) assert.ok(body.includes(`>${heading}</h2>`), heading);
  assert.match(body, /<td>targets\/alice<\/td><td class="mono">[0-9a-f]{64}<\/td><td>ecdsa<\/td>/);
  assert.match(body, /<th scope="row">root certificate <code>[0-9a-f]{12}<\/code><\/th>/);
  assert.match(body, /<td>update<\/td><td>1<\/td>/, 'the changefeed record of the first publish');
  for (const html of [index.body, body]) {
    assert.doesNotMatch(html, /<script|javascript:|https?:\/\/|<link|<img|src=/i);
  }
});

test('hostile tag names and GUNs are escaped everywhere they appear', async () => {
  const t = newServer({ ui: true });
  await publish(t, GUN);
  await publish(t, HOSTILE_GUN);
  const index = await inject(t.app, { method: 'GET', url: UI });
  assert.ok(!index.body.includes('<b>gun</b>'));
  assert.ok(index.body.includes(escapeHtml(HOSTILE_GUN)));
  assert.ok(index.body.includes('href="/_vouch/ui/r/registry.example.com/x%22%3E%3Cb%3Egun%3C/b%3E"'), 'the link is percent-encoded');
  const page = await inject(t.app, { method: 'GET', url: '/_vouch/ui/r/registry.example.com/x%22%3E%3Cb%3Egun%3C/b%3E' });
  assert.equal(page.statusCode, 200);
  assert.ok(!page.body.includes(HOSTILE_TAG) && !page.body.includes('<b>gun</b>'));
  assert.ok(page.body.includes(`<th scope="row">${escapeHtml(HOSTILE_TAG)}</th>`));
  assert.ok(page.body.includes(`<title>${escapeHtml(HOSTILE_GUN)} · vouch</title>`));
});

test('expiries within vouch.expiry_warning_days are highlighted; past them, clients cannot verify and the page says why', async () => {
  const t = newServer({ ui: true, expiryWarningDays: 30 });
  await publish(t, GUN);
  const soonClass = /<tr class="soon"><th scope="row">targets\/alice<\/th>/;
  assert.doesNotMatch((await inject(t.app, { method: 'GET', url: repoUrl(GUN) })).body, soonClass);
  // targets and delegations live 3 years: 20 days before that they are within the 30-day horizon
  t.clock.advanceDays(3 * 365 - 20);
  const soon = (await inject(t.app, { method: 'GET', url: repoUrl(GUN) })).body;
  assert.match(soon, soonClass);
  assert.match(soon, /<tr class="soon"><th scope="row">targets<\/th>/);
  assert.match(soon, /<tr class=""><th scope="row">root<\/th>/, 'the 10-year root is not highlighted');
  assert.match(soon, /<tr class=""><th scope="row">timestamp<\/th><td>.*?<\/td><td>the trust server<\/td><td>renewed by the server/);
  assert.match(soon, /<tr class="soon"><th scope="row">1\.0<\/th>/);
  const index = (await inject(t.app, { method: 'GET', url: UI })).body;
  assert.match(index, /<tr class="soon"><td><a href="\/_vouch\/ui\/r\/registry\.example\.com\/team\/app">registry\.example\.com\/team\/app<\/a><\/td><td>targets\/alice<\/td>|<tr class="soon"><td><a href="[^"]+">[^<]+<\/a><\/td><td>targets<\/td>/);
  t.clock.advanceDays(30);
  const expired = (await inject(t.app, { method: 'GET', url: repoUrl(GUN) })).body;
  assert.match(expired, /<p class="note" role="alert"><strong>Clients cannot verify this repository now<\/strong> \(EXPIRED\)/);
  assert.match(expired, /<tr class="expired"><th scope="row">targets<\/th>/);
});

test('paging: bounded pages of tags and repositories; a malformed page number is refused', async () => {
  const t = newServer({ ui: true });
  const repo = await TestRepo.create(t, GUN, { serverSnapshot: true });
  const now = t.clock.now();
  const many = UI_LIMITS.tagsPerPage + 5;
  const tags: Record<string, ReturnType<typeof dockerTarget>> = {};
  for (let i = 0; i < many; i++) tags[`v${i}`] = dockerTarget(Buffer.alloc(32, i % 256), 100 + i);
  repo.targets = addTargets(newVersion(repo.targets, now), tags);
  assert.equal((await post(t.app, GUN, await repo.initParts(now))).statusCode, 200);
  const first = (await inject(t.app, { method: 'GET', url: repoUrl(GUN) })).body;
  const rowsOf = (html: string): number => (html.match(/<th scope="row">v\d+<\/th>/g) ?? []).length;
  assert.equal(rowsOf(first), UI_LIMITS.tagsPerPage);
  assert.match(first, /Page 1 of 2/);
  assert.ok(first.includes(`<a href="${repoUrl(GUN)}?page=2">Next page</a>`));
  const second = (await inject(t.app, { method: 'GET', url: `${repoUrl(GUN)}?page=2` })).body;
  assert.equal(rowsOf(second), 5);
  for (const bad of ['0', '-1', 'abc', '1e3', '9999999']) {
    const r = await inject(t.app, { method: 'GET', url: `${repoUrl(GUN)}?page=${bad}` });
    assert.equal(r.statusCode, 400, bad);
  }
  assert.equal((await inject(t.app, { method: 'GET', url: `${UI}?page=x` })).statusCode, 400);
  const missing = await inject(t.app, { method: 'GET', url: repoUrl('registry.example.com/none') });
  assert.equal(missing.statusCode, 404);
  assert.match(missing.body, /The server holds no trust data for registry\.example\.com\/none\./);
});

test('token auth: the list needs the catalog scope, a repository page pull on that repository, as the changefeeds', async () => {
  const root = await makeCert({ cn: 'token-root', ca: false });
  const t = newServer({ ui: true, auth: { realm: 'https://auth.example.com/token', service: SERVICE, issuer: ISSUER, rootCertBundle: root.pem } });
  const pushPull = await token(GUN, root);
  await publish(t, GUN, { authorization: `Bearer ${pushPull}` });
  const get = (url: string, tok?: string) => inject(t.app, { method: 'GET', url, headers: tok === undefined ? {} : { authorization: `Bearer ${tok}` } });

  const anonymous = await get(repoUrl(GUN));
  assert.equal(anonymous.statusCode, 401);
  assert.equal(anonymous.headers['www-authenticate'], `Bearer realm="https://auth.example.com/token",service="notary-server",scope="repository:${GUN}:pull"`);
  assert.doesNotMatch(anonymous.body, /<html/);
  const listAnonymous = await get(UI);
  assert.equal(listAnonymous.statusCode, 401);
  assert.match(listAnonymous.headers['www-authenticate'] as string, /scope="registry:catalog:\*"/);

  const pull = await token(GUN, root, { access: [{ type: 'repository', name: GUN, actions: ['pull'] }] });
  assert.equal((await get(repoUrl(GUN), pull)).statusCode, 200);
  assert.equal((await get(UI, pull)).statusCode, 401, 'pull on one repository does not list them all');
  const other = await token(GUN, root, { access: [{ type: 'repository', name: 'registry.example.com/team/other', actions: ['*'] }] });
  const refused = await get(repoUrl(GUN), other);
  assert.equal(refused.statusCode, 401);
  assert.match(refused.headers['www-authenticate'] as string, /error="insufficient_scope"/);
  const catalog = await token(GUN, root, { access: [{ type: 'registry', name: 'catalog', actions: ['*'] }] });
  const list = await get(UI, catalog);
  assert.equal(list.statusCode, 200);
  assert.ok(list.body.includes(GUN));
  const forged = pull.slice(0, -4) + (pull.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  assert.equal((await get(repoUrl(GUN), forged)).statusCode, 401);
});
