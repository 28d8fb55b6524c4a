// vouch status against an in-process vouch server (memory storage) and the embedded registry: every
// role and root certificate with its expiry and who renews it, signed tags per signer, the exit
// status a cron job reads (0 fine, 1 expiring within --warn, 2 expired or unverifiable).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import { createContext } from '../../../src/cli/context.js';
import { RepoHandle } from '../../../src/client/repo.js';
import { Session } from '../../../src/client/session.js';
import { statusOf, type RepoStatus } from '../../../src/client/status.js';
import { parseReference } from '../../../src/oci/reference.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser, startLocalStack } from '../client/helpers.js';
import { writeSigningChain } from '../../support/x509.js';

const DAY_MS = 86_400_000;
let server: RunningServer;
let registry: RunningRegistry;
let owner: VouchUser;
let alice: VouchUser;
let repo: string;
let dir: string;

before(async () => {
  dir = await tempDir('vouch-status-');
  ({ server, registry } = await startLocalStack(dir));
  repo = `${registry.host}/team/app`;
  owner = await vouchUser(server.url);
  alice = await vouchUser(server.url);
  await alice.ok(['trust', 'key', 'generate', 'alice', '--dir', alice.dir]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(alice.dir, 'alice.pub'), 'alice', repo]);
  await writeDemoImage(join(dir, 'v1'), '1.0', 'status v1\n');
  for (const tag of ['1.0', '2.0']) await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
  await alice.ok(['trust', 'sign', `${repo}:1.0`]);
  await alice.ok(['trust', 'sign', `${repo}:2.0`]);
});

after(async () => {
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

const parse = (stdout: string): RepoStatus[] => JSON.parse(stdout) as RepoStatus[];

describe('vouch status', () => {
  test('a healthy repository: exit 0, every role and the root certificate, who renews what, tags per signer', async () => {
    const r = await owner.run(['status', repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${repo}: ok\\n`));
    for (const what of ['root', 'targets', 'targets/alice', 'targets/releases', 'snapshot', 'timestamp', 'root certificate ']) {
      assert.match(r.stdout, new RegExp(`\\s${what.replace('/', '\\/')}(\\s|[0-9a-f])`), what);
    }
    assert.match(r.stdout, /first to break: (targets|targets\/alice|targets\/releases) expires \S+ \(in \d+d\); its key holder must re-sign it/);
    // the 14-day timestamp is always within 30 days, but the server renews it: it does not count
    assert.match(r.stdout, /timestamp\s+\d+\s+trust server\s+(ok|expiring)\n/);
    assert.match(r.stdout, /alice\s+2\n/);
  });

  test('--json: items soonest first, the server renews timestamp and (docker-initialised) snapshot, keys with the root certificate date', async () => {
    const r = await owner.run(['status', repo, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [st] = parse(r.stdout);
    assert.ok(st !== undefined);
    assert.equal(st.state, 'ok');
    const expiries = st.items.map((i) => i.expires);
    assert.deepEqual(expiries, [...expiries].sort());
    const by = Object.fromEntries(st.items.map((i) => [i.name, i.renewedBy]));
    assert.equal(by.timestamp, 'server');
    assert.equal(by.snapshot, 'server');
    assert.equal(by.targets, 'owner');
    assert.equal(by['targets/alice'], 'owner');
    assert.equal(st.firstToBreak?.renewedBy, 'owner');
    const rootKey = st.keys.find((k) => k.role === 'root');
    assert.equal(rootKey?.keyType, 'ecdsa-x509');
    assert.ok(rootKey?.notBefore !== undefined && Math.abs(Date.parse(rootKey.notBefore) - Date.now()) < DAY_MS);
    assert.deepEqual(st.signers.find((s) => s.name === 'alice'), { kind: 'dct', name: 'alice', tags: 2 });
    // both signed digests were looked up in the registry: no Notation signatures there
    assert.deepEqual(st.images.map((i) => [i.tags, i.signatures.length, i.error]), [[['1.0', '2.0'], 0, undefined]]);
  });

  test('--warn beyond the 3-year lifetime of targets: exit 1, expiring, and what breaks first is the owner\'s', async () => {
    const r = await owner.run(['status', repo, '--warn', '1200d', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const [st] = parse(r.stdout);
    assert.equal(st?.state, 'expiring');
    assert.match(st?.firstToBreak?.name ?? '', /^targets/);
    // the root (10 years) is not expiring within 1200 days
    assert.equal(st?.items.find((i) => i.name === 'root')?.state, 'ok');
  });

  test('a repository without trust data cannot be verified: exit 2 and the reason', async () => {
    const r = await owner.run(['status', `${registry.host}/team/nothing`, repo]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /team\/nothing: unverified\n  REPOSITORY_NOT_FOUND: .* has no trust data/);
    assert.match(r.stdout, new RegExp(`${repo}: ok`), 'the other repositories are still reported');
  });

  test('usage errors: a bad horizon, an image with --no-signatures', async () => {
    const bad = await owner.run(['status', repo, '--warn', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--warn soon is not a duration/);
    const tagged = await owner.run(['status', `${repo}:1.0`, '--no-signatures']);
    assert.equal(tagged.code, 2);
    assert.match(tagged.stderr, /an image's status is its signatures in the registry, which --no-signatures turns off/);
  });

  test('an image named by tag without a Notation signature cannot be verified: exit 2 and the reason', async () => {
    const r = await owner.run(['status', `${repo}:1.0`]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /: unverified\n  NO_SIGNATURES: .*team\/app@sha256:[0-9a-f]{64} has no Notation or cosign signature/);
  });

  test('--all: every repository of the trust server, from its changefeed', async () => {
    const r = await owner.run(['status', '--all', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parse(r.stdout).map((st) => st.repository), [repo]);
    const both = await owner.run(['status', '--all', repo]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /name repositories or give --all, not both/);
    const none = await owner.run(['status']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name at least one repository, or give --all/);
  });

  test('statusOf at a later time: targets and delegations expired (owner), timestamp still the server\'s to renew', async () => {
    const ctx = createContext({ out: () => {}, err: () => {}, stdinIsTTY: false, stderrIsTTY: false }, owner.env, owner.dir);
    const s = new Session({ env: owner.env, trustDir: ctx.trustDir, now: ctx.now });
    try {
      const verified = await new RepoHandle(s, parseReference(repo)).loadExisting();
      const later = new Date(Date.now() + 4 * 365 * DAY_MS);
      const st = statusOf(verified, later, 30 * DAY_MS);
      assert.equal(st.state, 'expired');
      assert.equal(st.items.find((i) => i.name === 'targets')?.state, 'expired');
      assert.equal(st.items.find((i) => i.name === 'targets/alice')?.state, 'expired');
      assert.equal(st.items.find((i) => i.name === 'root')?.state, 'ok');
      assert.equal(st.items.find((i) => i.name === 'timestamp')?.renewedBy, 'server');
      // without the server's snapshot key the snapshot counts as the owner's
      assert.equal(statusOf(verified, new Date(), 30 * DAY_MS).items.find((i) => i.name === 'snapshot')?.renewedBy, 'owner');
    } finally {
      await s.close();
    }
  });
  test('Notation signatures without DCT: the registry\'s tags are read, the signer and chain reported, a leaf expiring in 10 days is exit 1', async () => {
    const notationRepo = `${registry.host}/team/notation`;
    for (const tag of ['1.0', '2.0']) await owner.ok(['push', `${notationRepo}:${tag}`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
    const day = 86_400_000;
    const leafSubject = 'C=US, ST=WA, O=Vouch Test, CN=status signer';
    const leafExpires = new Date(Math.floor((Date.now() + 10 * day) / 1000) * 1000);
    const { key, cert, root } = await writeSigningChain(dir, 'signer', { leafSubject, leafNotAfter: leafExpires, rootNotAfter: new Date(Date.now() + 3000 * day) });
    await owner.ok(['notation', 'sign', `${notationRepo}:1.0`, '--key', key, '--cert', cert]);

    const r = await owner.run(['status', notationRepo, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [st] = parse(r.stdout);
    assert.equal(st?.state, 'expiring');
    // 1.0 and 2.0 are one image (same content): signed once
    assert.deepEqual(st?.images.map((i) => [i.tags, i.signatures.length]), [[['1.0', '2.0'], 1]]);
    const sig = st?.images[0]?.signatures[0];
    assert.equal(sig?.kind, 'notation');
    assert.equal(sig?.signer, leafSubject);
    assert.equal(sig?.verifies, true);
    assert.deepEqual(sig?.certificates.map((c) => [c.position, c.notAfter, c.state]), [['leaf', leafExpires.toISOString(), 'expiring'], ['root', root.notAfter.toISOString(), 'ok']]);
    assert.equal(st?.firstToBreak?.name, 'notation leaf certificate "status signer"');
    assert.deepEqual(st?.signers, [{ kind: 'notation', name: leafSubject, tags: 2 }]);

    const text = await owner.run(['status', notationRepo]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /first to break: notation leaf certificate "status signer" expires \S+ \(in (9|10)d\); its notation signer must renew the certificate and sign again/);
    assert.match(text.stdout, /\n      signer: C=US, ST=WA, O=Vouch Test, CN=status signer\n/);
    assert.match(text.stdout, /leaf\s+\S+ \(in (9|10)d\)\s+C=US, ST=WA, O=Vouch Test, CN=status signer\n/);
    // the image by tag: the same signature; a horizon of 5 days leaves it fine
    const image = await owner.run(['status', `${notationRepo}:2.0`, '--warn', '5d', '--json']);
    assert.equal(image.code, 0, image.stdout);
    assert.equal(parse(image.stdout)[0]?.images[0]?.signatures[0]?.signer, leafSubject);
  });

  test('DCT data whose registry cannot be reached: inconclusive, exit 2, with a line that says so (never a silent skip)', async () => {
    const gone = '127.0.0.1:1/team/gone';
    await owner.ok(['trust', 'sign', `${gone}:1.0`, '--digest', `sha256:${'ab'.repeat(32)}`, '--size', '100']);
    const r = await owner.run(['status', gone]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /^127\.0\.0\.1:1\/team\/gone: unverified\n/);
    assert.match(r.stdout, /inconclusive: the signatures in 127\.0\.0\.1:1\/team\/gone could not be read \(UNREACHABLE\)/);
    // without the registry: the DCT data alone, which is fine
    const dctOnly = await owner.run(['status', gone, '--no-signatures']);
    assert.equal(dctOnly.code, 0, dctOnly.stdout);
  });
});
