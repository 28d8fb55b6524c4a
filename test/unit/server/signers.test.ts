// The dashboard's OCI signature lookups (src/server/signers.ts): only repositories the operator
// mapped to a registry are read (a publisher's GUN cannot send the server elsewhere), answers are
// cached (failures briefly), reads are bounded in flight and in waiting, and a page waits for them
// only within its budget: a registry that never answers leaves "not read yet", never a hung page.
// In the page, signer names (anyone who can push a signature chooses them) are escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadServerConfig, envKey } from '../../../src/server/index.js';
import { SignatureLookups, imageOf, parseRegistryMapping, type ImageSignaturesRead, type SignatureReader } from '../../../src/server/signers.js';
import { escapeHtml } from '../../../src/server/ui.js';
import { Clock, TestRepo, newServer, post } from './helpers.js';
import { runCli } from '../../support/cli.js';
import { inject } from '../../support/inject.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const READ: ImageSignaturesRead = { signatures: [], more: false };

test('mappings: a GUN prefix (those GUNs are image names) or PREFIX=REGISTRY/PATH, by whole path components, longest first', () => {
  const m = ['registry.example.com/team', 'docker.io/library=mirror.internal:5000/hub/', 'docker.io/library/special=other.internal/special'].map(parseRegistryMapping);
  assert.deepEqual(m[1], { gunPrefix: 'docker.io/library', imagePrefix: 'mirror.internal:5000/hub' });
  assert.equal(imageOf(m, 'registry.example.com/team/app'), 'registry.example.com/team/app');
  assert.equal(imageOf(m, 'registry.example.com/teamx/app'), undefined, 'not a path component');
  assert.equal(imageOf(m, 'docker.io/library/alpine'), 'mirror.internal:5000/hub/alpine');
  assert.equal(imageOf(m, 'docker.io/library/special/x'), 'other.internal/special/x');
  assert.equal(imageOf(m, 'evil.example/app'), undefined, 'an unmapped GUN is never read');
  for (const bad of ['', 'a=b=c', 'has space', 'x//y', '/abs', 'a=']) assert.throws(() => parseRegistryMapping(bad), /is not GUN_PREFIX or GUN_PREFIX=REGISTRY\/PATH/, bad);
});

test('vouch.ui_registries: from the file, or NOTARY_SERVER_VOUCH_UI_REGISTRIES as a comma list; malformed ones refused', () => {
  const load = (json: unknown, env: Record<string, string> = {}) =>
    loadServerConfig({ cwd: '/w', file: 'c.json', env, readFile: () => JSON.stringify(json) });
  assert.deepEqual(load({}).uiRegistries, []);
  assert.deepEqual(load({ vouch: { ui_registries: ['r.example/team'] } }).uiRegistries, [{ gunPrefix: 'r.example/team', imagePrefix: 'r.example/team' }]);
  assert.deepEqual(load({}, { [envKey('vouch.ui_registries')]: 'a.example, b.example/x=c.example/y' }).uiRegistries.map((m) => m.imagePrefix), ['a.example', 'c.example/y']);
  assert.throws(() => load({ vouch: { ui_registries: 'bad value=' } }), /is not GUN_PREFIX/);
  assert.throws(() => load({ vouch: { ui_registries: [1] } }), /vouch.ui_registries must be a list of strings/);
});

/** A reader whose answers the test releases; it records every call. */
function controlled(): { reader: SignatureReader; calls: string[]; release: (value?: ImageSignaturesRead) => void } {
  const calls: string[] = [];
  const waiting: ((v: ImageSignaturesRead) => void)[] = [];
  return {
    calls,
    reader: (image, digest) => { calls.push(`${image}@${digest}`); return new Promise((resolve) => { waiting.push(resolve); }); },
    release: (value = READ) => { for (const w of waiting.splice(0)) w(value); },
  };
}

test('lookups: an unmapped GUN reads nothing; an answer is cached until its TTL, a failure only briefly', async () => {
  let now = 0;
  let calls = 0;
  let fail = true;
  const lookups = new SignatureLookups({
    reader: async () => { calls++; if (fail) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'NETWORK' }); return READ; },
    mappings: [parseRegistryMapping('r.example')], now: () => new Date(now), ttlMs: 1000, failureTtlMs: 100,
  });
  assert.equal(await lookups.forDigests('other.example/app', [D1]), undefined);
  assert.equal(calls, 0);
  const failed = (await lookups.forDigests('r.example/app', [D1]))?.get(D1);
  assert.deepEqual(failed, { signatures: [], more: false, error: { code: 'NETWORK', message: 'connect ECONNREFUSED' } });
  await lookups.forDigests('r.example/app', [D1]);
  assert.equal(calls, 1, 'the failure is remembered');
  now += 101;
  fail = false;
  assert.deepEqual((await lookups.forDigests('r.example/app', [D1, D1]))?.get(D1), READ);
  assert.equal(calls, 2, 'asked again once the failure is stale, once for a repeated digest');
  now += 999;
  await lookups.forDigests('r.example/app', [D1]);
  assert.equal(calls, 2, 'fresh for its TTL');
  now += 2;
  await lookups.forDigests('r.example/app', [D1]);
  assert.equal(calls, 3);
});

test('lookups: a registry that does not answer leaves the page "still being read" within its budget; the next page has the answer', async () => {
  const c = controlled();
  const lookups = new SignatureLookups({ reader: c.reader, mappings: [parseRegistryMapping('r.example')], now: () => new Date(0), pageBudgetMs: 10 });
  const first = await lookups.forDigests('r.example/app', [D1]);
  assert.deepEqual(first?.get(D1), { pending: 'still being read from the registry; reload the page' });
  assert.equal(c.calls.length, 1);
  const again = await lookups.forDigests('r.example/app', [D1]);
  assert.ok(again !== undefined && 'pending' in (again.get(D1) ?? {}));
  assert.equal(c.calls.length, 1, 'a read in flight is not started twice');
  c.release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual((await lookups.forDigests('r.example/app', [D1]))?.get(D1), READ);
});

test('lookups: at most `concurrency` reads in flight and `maxQueued` waiting; the rest are "not read"', async () => {
  const c = controlled();
  const lookups = new SignatureLookups({ reader: c.reader, mappings: [parseRegistryMapping('r.example')], now: () => new Date(0), pageBudgetMs: 10, concurrency: 2, maxQueued: 1 });
  const digests = ['1', '2', '3', '4', '5'].map((h) => `sha256:${h.repeat(64)}`);
  const page = await lookups.forDigests('r.example/app', digests);
  assert.equal(c.calls.length, 2, 'two in flight');
  const states = digests.map((d) => (page?.get(d) as { pending: string }).pending);
  assert.deepEqual(states, [
    'still being read from the registry; reload the page', 'still being read from the registry; reload the page', 'still being read from the registry; reload the page',
    'not read: too many registry reads are waiting', 'not read: too many registry reads are waiting',
  ]);
  c.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(c.calls.length, 3, 'the waiting one runs once a slot is free');
  c.release();
});

test('lookups: the cache holds at most maxEntries images, the oldest go first', async () => {
  let calls = 0;
  const lookups = new SignatureLookups({ reader: async () => { calls++; return READ; }, mappings: [parseRegistryMapping('r.example')], now: () => new Date(0), maxEntries: 1 });
  await lookups.forDigests('r.example/app', [D1]);
  await lookups.forDigests('r.example/app', [D2]);
  await lookups.forDigests('r.example/app', [D2]);
  assert.equal(calls, 2);
  await lookups.forDigests('r.example/app', [D1]);
  assert.equal(calls, 3, 'D1 was evicted');
});

/** A server with the dashboard reading signatures through `reader`, a repository `gun` with tag 1.0, and its page. */
async function repositoryPage(gun: string, clock: Clock, reader: SignatureReader): Promise<{ t: ReturnType<typeof newServer>; page: Awaited<ReturnType<typeof inject>> }> {
  const t = newServer({ ui: true, signatures: { reader, mappings: [parseRegistryMapping('r.example')] } }, clock);
  const repo = await TestRepo.create(t, gun, { serverSnapshot: true });
  repo.addTag('1.0', 1, t.clock.now());
  assert.equal((await post(t.app, gun, await repo.initParts(t.clock.now()))).statusCode, 200);
  const page = await inject(t.app, { method: 'GET', url: `/_vouch/ui/r/${gun}` });
  assert.equal(page.statusCode, 200);
  return { t, page };
}

test('the repository page: the Notation signer on the tag, a table of the chain, hostile signer names escaped, errors and pending reads said in words', async () => {
  const gun = 'r.example/team/app';
  const hostile = 'CN=<script>alert(1)</script>';
  const clock = new Clock();
  const leafEnds = new Date(clock.t + 10 * 86_400_000).toISOString();
  let answer: ImageSignaturesRead = {
    more: false,
    signatures: [{
      kind: 'notation', digest: `sha256:${'9'.repeat(64)}`, signer: hostile, verifies: true, validUntil: leafEnds,
      certificates: [{ position: 'leaf', subject: hostile, notAfter: leafEnds }, { position: 'root', subject: 'CN=Root', notAfter: '2040-01-01T00:00:00.000Z' }],
    }],
  };
  const { t, page } = await repositoryPage(gun, clock, async () => answer);
  assert.ok(!page.body.includes('<script>'), 'no signer name reaches the page unescaped');
  assert.ok(page.body.includes(`<li class="signature soon">Notation: ${escapeHtml(hostile)}, valid until <time datetime="${leafEnds}">`));
  // the leaf (10 days) is in the table of what expires within the horizon, the root (2040) is not
  assert.ok(page.body.includes(`<tr class="soon"><td>Notation leaf certificate ${escapeHtml(hostile)}</td><td><time datetime="${leafEnds}">`));
  assert.ok(!page.body.includes('<td>Notation root certificate'));
  assert.match(page.body, /<h2 id="signatures">OCI signatures \(Notation, cosign\)<\/h2>\n<table><caption>1 Notation signature of the tags on this page, read from r\.example\/team\/app/);
  assert.ok(page.body.includes(`leaf certificate <span class="mono">${escapeHtml(hostile)}</span>`));

  answer = { signatures: [], more: false, error: { code: 'NETWORK', message: 'connect ECONNREFUSED 127.0.0.1:1' } };
  t.clock.advanceDays(1); // past the cached answer
  const failed = await inject(t.app, { method: 'GET', url: `/_vouch/ui/r/${gun}` });
  assert.match(failed.body, /<tr class="expired"><th scope="row">1\.0<\/th><td colspan="5"><span class="badge">Could not be read<\/span> \(NETWORK\): connect ECONNREFUSED/);

  // a GUN the operator did not map: no signature section, and the reader is never called
  const other = newServer({ ui: true, signatures: { reader: async () => { throw new Error('must not be called'); }, mappings: [parseRegistryMapping('elsewhere.example')] } });
  const r2 = await TestRepo.create(other, gun, { serverSnapshot: true });
  r2.addTag('1.0', 1, other.clock.now());
  assert.equal((await post(other.app, gun, await r2.initParts(other.clock.now()))).statusCode, 200);
  const plain = await inject(other.app, { method: 'GET', url: `/_vouch/ui/r/${gun}` });
  assert.equal(plain.statusCode, 200);
  assert.ok(!plain.body.includes('id="signatures"'));
});

test('the repository page: cosign signers, labelled unverified; a key-signed one has no expiry (not "does not verify"), a certificate checked at its log time is not expiring', async () => {
  const gun = 'r.example/team/cosigned';
  const clock = new Clock();
  const expiredLeaf = new Date(clock.t - 2 * 86_400_000).toISOString();
  const answer: ImageSignaturesRead = {
    more: false,
    signatures: [
      { kind: 'cosign', digest: `sha256:${'7'.repeat(64)}`, signer: 'key-signed', verifies: true, certificates: [], unverified: 'no certificate: the signature is checked only with the signer\'s public key' },
      {
        kind: 'cosign', digest: `sha256:${'8'.repeat(64)}`, signer: 'alice@example.com (OIDC issuer https://accounts.example.com)', verifies: true,
        unverified: 'whether to trust the certificate\'s issuer is not judged here', timeSource: 'transparency log',
        certificates: [{ position: 'leaf', subject: '', notAfter: expiredLeaf, thumbprint: 'ab'.repeat(32) }],
      },
    ],
  };
  const { page } = await repositoryPage(gun, clock, async () => answer);
  assert.ok(page.body.includes('<li class="signature ">Cosign: key-signed <span class="unverified" title="no certificate: the signature is checked only with the signer&#39;s public key">(unverified)</span>, no expiry</li>'), page.body);
  assert.ok(page.body.includes('<li class="signature ">Cosign: alice@example.com (OIDC issuer https://accounts.example.com) <span class="unverified"'));
  assert.ok(!page.body.includes('Does not verify'));
  // the expired leaf is checked at the log time: not in the table of what expires, not highlighted
  assert.ok(!page.body.includes('<td>Cosign leaf certificate'));
  assert.ok(page.body.includes('(checked at the transparency log time the signature carries)'));
  assert.match(page.body, /<caption>2 cosign signatures of the tags on this page/);
});

test('vouch server --ui-registry: a malformed mapping, or one without --ui, is a usage error before anything starts', async () => {
  const bad = await runCli(['server', '--ui', '--storage', 'memory', '--ui-registry', 'a=b=c'], {});
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--ui-registry "a=b=c" is not GUN_PREFIX or GUN_PREFIX=REGISTRY\/PATH/);
  const noUi = await runCli(['server', '--storage', 'memory', '--ui-registry', 'registry.example.com'], {});
  assert.equal(noUi.code, 2, noUi.stderr);
  assert.match(noUi.stderr, /--ui-registry says where the dashboard reads signatures; it needs --ui/);
});

test('/metrics with --ui-registry: each signature of a signed image until it stops verifying (timestamp-aware), each certificate once, unreadable images; unmapped repositories are not read', async () => {
  const clock = new Clock();
  const iso = (days: number): string => new Date(clock.t + days * 86_400_000).toISOString();
  const seconds = (s: string): number => Math.floor(new Date(s).getTime() / 1000);
  const reads: string[] = [];
  const leaf = { position: 'leaf', subject: 'CN=ci', notAfter: iso(5), thumbprint: 'a'.repeat(64) };
  const root = { position: 'root', subject: 'CN=Root', notAfter: iso(3000), thumbprint: 'b'.repeat(64) };
  const answers: Record<string, ImageSignaturesRead> = {
    [`sha256:${'01'.repeat(32)}`]: {
      more: false,
      signatures: [
        // no timestamp: its leaf ends it
        { kind: 'notation', digest: `sha256:${'7'.repeat(64)}`, verifies: true, validUntil: iso(5), certificates: [leaf, root] },
        // a timestamp that holds: no end of its own, its certificates end none of it
        { kind: 'notation', digest: `sha256:${'8'.repeat(64)}`, verifies: true, timestamp: { time: iso(-1), authority: 'CN=TSA' }, certificates: [{ ...leaf, thumbprint: 'c'.repeat(64) }, root] },
        { kind: 'notation', digest: `sha256:${'9'.repeat(64)}`, verifies: false, problem: 'INVALID_SIGNATURE: bad', certificates: [] },
        // cosign with a log entry: its certificate is checked at the log's time, so its expiry ends none of it
        { kind: 'cosign', digest: `sha256:${'6'.repeat(64)}`, verifies: true, timeSource: 'transparency log', certificates: [{ position: 'leaf', subject: 'CN=fulcio', notAfter: iso(-2), thumbprint: 'd'.repeat(64) }] },
      ],
    },
    [`sha256:${'02'.repeat(32)}`]: { signatures: [], more: false, error: { code: 'NETWORK', message: 'connect ECONNREFUSED' } },
  };
  const t = newServer({ ui: true, signatures: { reader: async (image, digest) => { reads.push(`${image}@${digest}`); return answers[digest] ?? READ; }, mappings: [parseRegistryMapping('r.example')] } }, clock);
  for (const [gun, tags] of [['r.example/team/app', [['1.0', 1], ['2.0', 2]]], ['elsewhere.example/app', [['1.0', 3]]]] as const) {
    const repo = await TestRepo.create(t, gun, { serverSnapshot: true });
    for (const [tag, byte] of tags) repo.addTag(tag, byte, t.clock.now());
    assert.equal((await post(t.app, gun, await repo.initParts(t.clock.now()))).statusCode, 200);
  }
  const m = (await inject(t.app, { method: 'GET', url: '/metrics' })).body;
  assert.deepEqual(reads.sort(), [`r.example/team/app@sha256:${'01'.repeat(32)}`, `r.example/team/app@sha256:${'02'.repeat(32)}`], 'only the mapped repository\'s signed images are read');
  const line = (name: string, labels: string): string | undefined => m.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  const V = 'vouch_server_signature_valid_until_timestamp_seconds';
  const img = `sha256:${'01'.repeat(32)}`;
  assert.equal(line(V, `gun="r.example/team/app",image="${img}",kind="notation",signature="sha256:${'7'.repeat(64)}"`), `${V}{gun="r.example/team/app",image="${img}",kind="notation",signature="sha256:${'7'.repeat(64)}"} ${seconds(iso(5))}`);
  assert.equal(line(V, `gun="r.example/team/app",image="${img}",kind="notation",signature="sha256:${'8'.repeat(64)}"`), undefined, 'a timestamped signature without an expiry of its own has no end');
  assert.match(line(V, `gun="r.example/team/app",image="${img}",kind="notation",signature="sha256:${'9'.repeat(64)}"`) ?? '', / 0$/, 'one that does not verify: 0');
  assert.equal(line(V, `gun="r.example/team/app",image="${img}",kind="cosign",signature="sha256:${'6'.repeat(64)}"`), undefined, 'a cosign signature checked at its log time, without an expiry of its own, has no end');
  const C = 'vouch_server_signature_certificate_expiry_timestamp_seconds';
  assert.match(line(C, `gun="r.example/team/app",kind="notation",position="leaf",subject="CN=ci",thumbprint="${'a'.repeat(64)}",timestamped="false"`) ?? '', new RegExp(` ${seconds(iso(5))}$`));
  assert.ok(line(C, `gun="r.example/team/app",kind="notation",position="leaf",subject="CN=ci",thumbprint="${'c'.repeat(64)}",timestamped="true"`), m);
  assert.ok(line(C, `gun="r.example/team/app",kind="notation",position="root",subject="CN=Root",thumbprint="${'b'.repeat(64)}",timestamped="false"`), 'a root shared with an untimestamped signature still ends that one');
  assert.ok(line(C, `gun="r.example/team/app",kind="cosign",position="leaf",subject="CN=fulcio",thumbprint="${'d'.repeat(64)}",timestamped="true"`), m);
  assert.equal(m.split('\n').filter((l) => l.startsWith(`${C}{`) && l.includes('"b'.padEnd(65, 'b'))).length, 1, 'each certificate once per repository');
  assert.ok(line('vouch_server_signature_read_failed', `gun="r.example/team/app",image="sha256:${'02'.repeat(32)}",code="NETWORK"`), m);
  assert.ok(!m.includes('elsewhere.example/app",image'), 'nothing for an unmapped repository');

  // without --ui-registry there are no signature gauges
  const plain = newServer();
  assert.ok(!(await inject(plain.app, { method: 'GET', url: '/metrics' })).body.includes('vouch_server_signature_'));
});

test('the repository page: a timestamped signature\'s certificates are covered by its timestamp, not in the table of what expires', async () => {
  const gun = 'r.example/team/stamped';
  const clock = new Clock();
  const leafEnds = new Date(clock.t + 5 * 86_400_000).toISOString();
  const answer: ImageSignaturesRead = {
    more: false,
    signatures: [{
      kind: 'notation', digest: `sha256:${'9'.repeat(64)}`, signer: 'CN=ci', verifies: true, timestamp: { time: new Date(clock.t).toISOString(), authority: 'CN=Test TSA' },
      certificates: [{ position: 'leaf', subject: 'CN=ci', notAfter: leafEnds, thumbprint: 'a'.repeat(64) }],
    }],
  };
  const t = newServer({ ui: true, signatures: { reader: async () => answer, mappings: [parseRegistryMapping('r.example')] } }, clock);
  const repo = await TestRepo.create(t, gun, { serverSnapshot: true });
  repo.addTag('1.0', 1, t.clock.now());
  assert.equal((await post(t.app, gun, await repo.initParts(t.clock.now()))).statusCode, 200);
  const page = (await inject(t.app, { method: 'GET', url: `/_vouch/ui/r/${gun}` })).body;
  assert.ok(!page.includes('<td>Notation leaf certificate CN=ci</td>'), 'the leaf ends nothing: not in the expiring table');
  assert.match(page, /its RFC 3161 timestamp<\/td><td>never<\/td><td><span class="ok">ok<\/span>: \S+ by <span class="mono">CN=Test TSA<\/span>/);
  assert.match(page, /leaf certificate <span class="mono">CN=ci<\/span><\/td><td><time[^>]*>[^<]*<\/time>[^<]*<\/td><td><span class="ok">covered by the timestamp<\/span>/);
});
