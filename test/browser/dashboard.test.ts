// The dashboard in a real browser: Debian's Chromium (scripts/install-deps.sh) driven by
// playwright-core, against an in-process `vouch server --ui` holding data the vouch client pushed
// and signed (a repository admin and a signer, alice). The page must list the repositories and
// tags, show alice and her delegation's expiry on a tag she signed, highlight what expires within
// vouch.expiry_warning_days (1200 days here, so the 3-year delegation is inside and the 10-year root
// is not), be usable by keyboard, and leave a screenshot (dist/test-artifacts/dashboard.png).
// The server is told the repositories' registry (as `--ui-registry HOST`): the Notation signature
// on 1.0's image shows its signer next to the DCT signers, and its leaf certificate, expiring in 20
// days, is highlighted while the root (3000 days) is not; the key-signed cosign signature on the
// other repository's image shows as such, labelled unverified.
// A missing Chromium fails the test: it is never skipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { writeDemoImage } from '../../src/cli/demoimage.js';
import type { RunningRegistry } from '../../src/registry/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { projectRoot } from '../support/paths.js';
import { removeTempDirs, startLocalStack, tempDir, vouchUser } from '../unit/client/helpers.js';
import { writeSigningChain } from '../support/x509.js';

const CHROMIUM = '/usr/bin/chromium';
const HORIZON_DAYS = 1200;
// The network here is closed: nothing may try to reach out (updates, sync, QUIC probes, first-run pages).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

let dir: string;
let server: RunningServer;
let registry: RunningRegistry;
let browser: BrowserContext;
let page: Page;
let repo: string;
let other: string;
let digest10: string;
let aliceExpires: string;
let leafExpires: Date;
const NOTATION_SIGNER = 'C=US, ST=WA, O=Vouch Test, CN=dashboard signer';

interface StatusItem { name: string; expires: string }

/** Runs in the page: the background colour the browser computed (the project's lib has no DOM types). */
const background = (el: unknown): string =>
  (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (bash scripts/install-deps.sh)`);
  dir = await tempDir('vouch-dashboard-');
  ({ server, registry } = await startLocalStack(dir, { ui: true, uiSignatures: true, serverEnv: { NOTARY_SERVER_VOUCH_EXPIRY_WARNING_DAYS: String(HORIZON_DAYS) } }));
  repo = `${registry.host}/team/app`;
  other = `${registry.host}/team/other`;
  const owner = await vouchUser(server.url);
  const alice = await vouchUser(server.url);
  await alice.ok(['trust', 'key', 'generate', 'alice', '--dir', alice.dir]);
  await writeDemoImage(join(dir, 'img'), '1.0', 'dashboard\n');
  for (const tag of ['1.0', '2.0']) await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust']);
  // the owner signs 2.0 with the repository key (docker: only until a signer exists), then alice signs 1.0
  await owner.ok(['trust', 'sign', `${repo}:2.0`]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(alice.dir, 'alice.pub'), 'alice', repo]);
  await alice.ok(['trust', 'sign', `${repo}:1.0`]);
  // a Notation signature of 1.0's image (the same image as 2.0): leaf for 20 days, root for 3000
  leafExpires = new Date(Math.floor((Date.now() + 20 * 86_400_000) / 1000) * 1000);
  const chain = await writeSigningChain(dir, 'notation', { leafSubject: NOTATION_SIGNER, leafNotAfter: leafExpires, rootNotAfter: new Date(Date.now() + 3000 * 86_400_000) });
  await owner.ok(['notation', 'sign', `${repo}:1.0`, '--key', chain.key, '--cert', chain.cert]);
  await owner.ok(['push', `${other}:latest`, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust']);
  await owner.ok(['trust', 'sign', `${other}:latest`]);
  // a cosign signature (key-signed, legacy .sig) of other's image: no key is known to the page
  await owner.ok(['cosign', 'generate-key-pair'], { COSIGN_PASSWORD: 'dashboard' });
  await owner.ok(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', '--new-bundle-format=false', `${other}:latest`], { COSIGN_PASSWORD: 'dashboard' });
  // what the client sees, to compare the page with
  const inspect = JSON.parse((await owner.ok(['trust', 'inspect', repo])).stdout) as { SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[] }[];
  const row = inspect[0]!.SignedTags.find((t) => t.SignedTag === '1.0')!;
  assert.deepEqual(row.Signers, ['alice']);
  digest10 = row.Digest;
  // exit 1: the Notation leaf expires within 30 days
  const status = JSON.parse((await owner.run(['status', repo, '--json'])).stdout) as { items: StatusItem[] }[];
  aliceExpires = status[0]!.items.find((i) => i.name === 'targets/alice')!.expires;

  // The server reads the signature once (then caches it); under load the first page may show it as
  // still being read: ask until it is in (bounded), so every test below sees the same page.
  for (const name of [repo, other]) {
    for (let i = 0; i < 20; i++) {
      const body = await (await fetch(`${server.url}/_vouch/ui/r/${name}`)).text();
      if (!body.includes('still being read')) break;
    }
  }
  browser = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1366, height: 900 },
  });
  page = browser.pages()[0] ?? await browser.newPage();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

describe('dashboard in Chromium', () => {
  test('the list shows both repositories, linked', async () => {
    const res = await page.goto(`${server.url}/_vouch/ui/`);
    assert.equal(res?.status(), 200);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    const table = page.getByRole('table', { name: /^Repositories 1–2 of 2/ });
    for (const name of [repo, other]) assert.equal(await table.getByRole('link', { name, exact: true }).count(), 1, name);
  });

  test('the repository page: tags with digests, alice and her delegation\'s expiry on 1.0', async () => {
    await page.goto(`${server.url}/_vouch/ui/r/${repo}`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), repo);
    const tags = page.getByRole('table', { name: /signed tags/ });
    assert.deepEqual(await tags.locator('tbody th[scope=row]').allTextContents(), ['1.0', '2.0']);
    const row = tags.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '1.0', exact: true }) });
    assert.equal(await row.locator('td').nth(0).textContent(), `sha256:${digest10}`);
    const signers = await row.locator('td').nth(1).locator('li:not(.signature)').allTextContents();
    assert.equal(signers.length, 1);
    assert.match(signers[0]!, /^alice, signature valid until /);
    assert.equal(await row.locator('li:not(.signature) time').getAttribute('datetime'), new Date(aliceExpires).toISOString(), 'the expiry vouch status reports');
    const other2 = tags.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '2.0', exact: true }) });
    assert.deepEqual(await other2.locator('li:not(.signature)').allTextContents(), ['Repo Admin'], 'signed in DCT by the repository owner alone');
  });

  test('1.0 shows its Notation signer next to alice, and the leaf certificate expiring in 20 days is highlighted', async () => {
    await page.goto(`${server.url}/_vouch/ui/r/${repo}`);
    const tags = page.getByRole('table', { name: /signed tags/ });
    const row = tags.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '1.0', exact: true }) });
    const notation = row.locator('li.signature');
    assert.equal(await notation.count(), 1);
    assert.match((await notation.textContent()) ?? '', new RegExp(`^Notation: ${NOTATION_SIGNER}, valid until .*Expires soon$`));
    assert.equal(await notation.locator('time').getAttribute('datetime'), leafExpires.toISOString(), 'it stops verifying when its leaf expires');
    assert.equal(await notation.evaluate(background), 'rgb(255, 243, 205)');
    const sigs = page.getByRole('table', { name: /^1 Notation signature of the tags on this page/ });
    const certRows = sigs.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '1.0', exact: true }) });
    const leaf = certRows.filter({ hasText: 'leaf certificate' });
    assert.equal(await leaf.count(), 1);
    assert.equal(await leaf.getAttribute('class'), 'soon');
    assert.match((await leaf.textContent()) ?? '', /Expires soon/);
    assert.equal(await leaf.locator('td time').getAttribute('datetime'), leafExpires.toISOString());
    assert.equal(await leaf.locator('td').first().evaluate(background), 'rgb(255, 243, 205)');
    const expiring = page.getByRole('table', { name: /expiries a key holder must renew/ });
    assert.ok((await expiring.getByRole('row').allTextContents()).some((t: string) => t.startsWith(`Notation leaf certificate ${NOTATION_SIGNER}`)), 'in the table of what expires within the horizon');
    const root = certRows.filter({ hasText: 'root certificate' });
    assert.equal(await root.getAttribute('class'), '', 'the 3000-day root is outside the horizon');
    assert.equal(await root.locator('td').first().evaluate(background), 'rgba(0, 0, 0, 0)');
  });

  test('the other repository shows its cosign signer: key-signed, labelled unverified, without an expiry', async () => {
    await page.goto(`${server.url}/_vouch/ui/r/${other}`);
    const tags = page.getByRole('table', { name: /signed tags/ });
    const row = tags.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'latest', exact: true }) });
    const cosign = row.locator('li.signature');
    assert.equal(await cosign.count(), 1);
    assert.equal(await cosign.textContent(), 'Cosign: key-signed (unverified), no expiry');
    assert.match((await cosign.locator('.unverified').getAttribute('title')) ?? '', /checked only with the signer's public key/);
    assert.equal(await page.getByRole('table', { name: /^1 cosign signature of the tags on this page/ }).count(), 1);
  });

  test('the expiring delegation is highlighted (and said so in words); the 10-year root is not', async () => {
    await page.goto(`${server.url}/_vouch/ui/r/${repo}`);
    const expiries = page.getByRole('table', { name: /stored roles and root certificates/ });
    const alice = expiries.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'targets/alice', exact: true }) });
    assert.equal(await alice.getAttribute('class'), 'soon');
    assert.match((await alice.textContent()) ?? '', /Expires soon/);
    assert.equal(await alice.locator('td').first().evaluate(background), 'rgb(255, 243, 205)');
    const root = expiries.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'root', exact: true }) });
    assert.equal(await root.getAttribute('class'), '');
    assert.equal(await root.locator('td').first().evaluate(background), 'rgba(0, 0, 0, 0)');
    const expiring = page.getByRole('table', { name: /expiries a key holder must renew/ });
    assert.ok((await expiring.getByRole('row').allTextContents()).some((t: string) => t.startsWith('targets/alice')));
  });

  test('keyboard: a skip link first, then Tab reaches a repository link and Enter opens it', async () => {
    await page.goto(`${server.url}/_vouch/ui/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Skip to content');
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.locator(':focus').textContent()) === other;
    }
    assert.ok(reached, `Tab reaches the link to ${other}`);
    await Promise.all([page.waitForURL(`**/_vouch/ui/r/${other}`), page.keyboard.press('Enter')]);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), other);
  });

  test('a screenshot of the repository page is kept', async () => {
    await page.goto(`${server.url}/_vouch/ui/r/${repo}`);
    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    const artifacts = join(projectRoot, 'dist', 'test-artifacts');
    await mkdir(artifacts, { recursive: true });
    await copyFile(shot, join(artifacts, 'dashboard.png'));
    console.log(`dashboard screenshot: ${join(artifacts, 'dashboard.png')}`);
    assert.ok(existsSync(join(artifacts, 'dashboard.png')));
  });
});
