// The client against a trust server that answers badly, through the CLI as users run it: an
// endless or oversized timestamp, one dripped a byte at a time, a signed promise of an 8 GB
// snapshot, error text and tag names carrying terminal escapes. Each is an error (exit 1) that
// names the check and the role; only a server that cannot be reached lets the cache stand in.
// Every endless answer stops at a fixed size and when the client goes away.
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneJson, Metadata, signMetadata, type Timestamp } from '../../../src/tuf/index.js';
import { sha256, toHex, type JsonObject } from '../../../src/core/index.js';
import { FakeNotary, RepoBuilder } from './fake.js';
import { drip, endless } from '../../support/hostile.js';
import { removeTempDirs, vouchUser, type VouchUser } from './helpers.js';

const GUN = 'registry.example.com/team/app';
const fakes: FakeNotary[] = [];
afterEach(async () => { for (const f of fakes.splice(0)) await f.stop(); });
after(removeTempDirs);

/**
 * Canonical JSON writes control characters raw, which no JSON parser reads: a signer writes them
 * escaped, under a signature over the canonical form.
 */
const escapeControls = (bytes: Uint8Array): Uint8Array =>
  Buffer.from(Buffer.from(bytes).toString('utf8').replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

/** A signed repository with one tag, served by a FakeNotary, and a user whose cache has read it once. */
async function served(tag = '1.0'): Promise<{ fake: FakeNotary; repo: RepoBuilder; user: VouchUser }> {
  const fake = new FakeNotary(GUN);
  await fake.start();
  fakes.push(fake);
  const repo = await RepoBuilder.create(GUN, new Date());
  repo.sign(tag, 'manifest');
  await repo.publish(fake, { encode: escapeControls });
  const user = await vouchUser(fake.url);
  await user.ok(['trust', 'inspect', GUN]);
  fake.take();
  return { fake, repo, user };
}

for (const [what, contentLength] of [['with a Content-Length of 200 MB', 200 * 1024 * 1024], ['without a Content-Length', undefined]] as const) {
  test(`an endless timestamp ${what} is an error, not a fall-back to the cached one`, async () => {
    const { fake, user } = await served();
    fake.answer.set('timestamp.json', (res) => endless(res, { total: 200 * 1024 * 1024, ...(contentLength === undefined ? {} : { contentLength }) }));
    const r = await user.run(['trust', 'inspect', GUN]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /timestamp metadata failed the size check/);
    assert.doesNotMatch(r.stderr, /using cached timestamp/);
    assert.doesNotMatch(r.stdout, /SignedTag/);
  });
}

test('a timestamp dripped a byte at a time is cut by the whole-body deadline (VOUCH_TIMEOUT_BODY)', { timeout: 60_000 }, async () => {
  const { fake, repo, user } = await served();
  const ts = Buffer.from(repo.timestamp!.bytes());
  fake.answer.set('timestamp.json', (res) => drip(res, ts, 100));
  const r = await user.run(['trust', 'inspect', GUN], { VOUCH_TIMEOUT_BODY: '0.5' });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /timestamp: .*not complete within the deadline/);
  assert.match(r.stderr, /VOUCH_TIMEOUT_BODY/);
});

test('a deadline variable that is not a number of seconds is refused, by name', async () => {
  const { user } = await served();
  const r = await user.run(['trust', 'inspect', GUN], { VOUCH_TIMEOUT_CONNECT: 'soon' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /VOUCH_TIMEOUT_CONNECT=soon is not a number of seconds/);
});

test('a server that cannot be reached: the cached timestamp stands in, with docker\'s warning', async () => {
  const { fake, user } = await served();
  await fake.stop();
  const r = await user.run(['trust', 'inspect', GUN]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Error while downloading remote metadata, using cached timestamp/);
  assert.match(r.stdout, /"SignedTag": "1.0"/);
});

test('an error answer (HTTP 500) is an error, and its text reaches the terminal escaped', async () => {
  const { fake, user } = await served();
  fake.answer.set('timestamp.json', (res) => {
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'boom\u001b]0;owned\u0007\u001b[2J\u009b31m' }] }));
  });
  const r = await user.run(['trust', 'inspect', GUN]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /answered HTTP 500/);
  assert.ok(r.stderr.includes('boom\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m'), r.stderr);
  assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
});

test('a timestamp that signs for an 8 GB snapshot is refused before the snapshot is downloaded', async () => {
  const { fake, repo, user } = await served();
  const j = cloneJson(repo.timestamp!.signedJson as JsonObject);
  j.version = (j.version as number) + 1;
  ((j.meta as JsonObject).snapshot as JsonObject).length = 8 * 1024 * 1024 * 1024;
  const inflated = await signMetadata(Metadata.from('timestamp', j) as Metadata<Timestamp>, [repo.timestampKey.signer()]);
  fake.files.set('timestamp.json', Buffer.from(inflated.bytes()));
  // the snapshot it names is endless
  fake.answer.set(`snapshot.${toHex(sha256(repo.snapshot!.bytes()))}.json`, (res) => endless(res, { total: 64 * 1024 * 1024 }));
  const r = await user.run(['trust', 'inspect', GUN]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /snapshot metadata failed the size check: timestamp lists snapshot at 8589934592 bytes, over the ceiling/);
  assert.deepEqual(fake.take(), ['timestamp.json']);
});

test('trust inspect --pretty escapes control characters in signed tag names; --json keeps them exact', async () => {
  const evil = 'v1\u001b]0;owned\u0007\u001b[2J\u0085';
  const { user } = await served(evil);
  const pretty = await user.ok(['trust', 'inspect', '--pretty', GUN]);
  assert.ok(pretty.stdout.includes('v1\\u001b]0;owned\\u0007\\u001b[2J\\u0085'), pretty.stdout);
  assert.doesNotMatch(pretty.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  const json = await user.ok(['trust', 'inspect', GUN]);
  const parsed = JSON.parse(json.stdout) as { SignedTags: { SignedTag: string }[] }[];
  assert.equal(parsed[0]!.SignedTags[0]!.SignedTag, evil);
  assert.doesNotMatch(json.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
});
