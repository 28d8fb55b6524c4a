// The updater against a scriptable (and hostile) server: the request sequence notary uses, the
// cache, root rotation chains, and each attack of the design (rolled-back, frozen, mixed,
// re-keyed, oversized, mis-signed metadata) rejected through tuf's state machine with an error
// that names the role, the check and what to do.
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isVouchError, sha256, toHex, type VouchError } from '../../../src/core/index.js';
import { TrustDir, fixedPassphrase } from '../../../src/keys/index.js';
import { HttpTransport } from '../../../src/http/index.js';
import { NotaryRemote } from '../../../src/client/remote.js';
import { Updater, isRepositoryNotFound } from '../../../src/client/updater.js';
import { inspectSource } from '../../../src/client/inspect.js';
import { createTimestamp, newVersion, signMetadata } from '../../../src/tuf/index.js';
import { generateKey, type PrivateKey } from '../../../src/keys/index.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { FakeNotary, RepoBuilder } from './fake.js';
import { removeTempDirs, tempDir } from './helpers.js';

const GUN = 'registry.example.com/team/app';
const NOW = new Date('2026-11-25T12:00:00Z');
const fakes: FakeNotary[] = [];
const transports: HttpTransport[] = [];

afterEach(async () => {
  for (const f of fakes.splice(0)) await f.stop();
  for (const t of transports.splice(0)) await t.close();
});
after(removeTempDirs);

async function setup(signers: string[] = ['alice'], rootKey?: PrivateKey, repoNow: Date = NOW): Promise<{ fake: FakeNotary; repo: RepoBuilder; dir: TrustDir; updater: (opts?: { now?: Date; pinning?: object }) => Updater; warnings: string[] }> {
  const fake = new FakeNotary(GUN);
  await fake.start();
  fakes.push(fake);
  const repo = await RepoBuilder.create(GUN, repoNow, signers, rootKey);
  const dir = new TrustDir(await tempDir(), { passphrases: fixedPassphrase('x') });
  const warnings: string[] = [];
  const updater = (opts: { now?: Date; pinning?: object } = {}): Updater => {
    const transport = new HttpTransport({ retries: 0 });
    transports.push(transport);
    return new Updater({
      gun: GUN, cache: dir, now: opts.now ?? NOW, warn: (m) => warnings.push(m),
      remote: new NotaryRemote({ server: fake.url, gun: GUN, transport }),
      ...(opts.pinning ? { pinning: opts.pinning } : {}),
    });
  };
  return { fake, repo, dir, updater, warnings };
}

async function rejects(p: Promise<unknown>, code: string, role: string): Promise<VouchError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isVouchError(err), `a VouchError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal((err.details as { role?: string }).role, role, `role named in ${err.message}`);
    assert.ok(err.message.includes(role), `message names the role: ${err.message}`);
    assert.ok(err.hint !== undefined && err.hint.length > 10, `a hint says what to do: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${code}`);
}

const sha = (b: Uint8Array): string => toHex(sha256(b));

test('first use: root by name (TOFU), timestamp by name, the rest by checksum, as notary; the cache is docker layout', async () => {
  const { fake, repo, dir, updater } = await setup();
  const digest = repo.sign('1.0', 'manifest one');
  await repo.publish(fake);
  const v = await updater().update();
  const snap = repo.snapshot!.bytes();
  const requests = fake.take();
  assert.deepEqual(requests.slice(0, 3), ['root.json', 'timestamp.json', `snapshot.${sha(snap)}.json`]);
  // the targets files the snapshot lists are downloaded ahead, a few at a time: any order
  assert.deepEqual(requests.slice(3).sort(), [
    `targets.${sha(repo.roles.get('targets')!.bytes())}.json`,
    `targets/alice.${sha(repo.roles.get('targets/alice')!.bytes())}.json`,
    `targets/releases.${sha(repo.roles.get('targets/releases')!.bytes())}.json`,
  ]);
  const src = inspectSource(v);
  assert.deepEqual(src.targets.map((t) => [t.role, t.tag, t.sha256]).sort(), [['targets/alice', '1.0', digest], ['targets/releases', '1.0', digest]]);
  for (const role of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases', 'targets/alice']) {
    const cached = await readFile(join(dir.root, 'tuf', ...GUN.split('/'), 'metadata', ...role.split('/')) + '.json');
    assert.ok(cached.byteLength > 0, `${role} cached`);
  }
  // second run: only the timestamp is downloaded, everything else matches the cache
  await updater().update();
  assert.deepEqual(fake.take(), ['timestamp.json']);
});

test('a repository the server does not know is reported as such', async () => {
  const { updater } = await setup();
  await assert.rejects(updater().update(), (err: unknown) => isRepositoryNotFound(err));
});

test('rollback: a timestamp older than the one already seen is refused', async () => {
  const { fake, repo, updater } = await setup();
  repo.sign('1.0', 'a');
  await repo.publish(fake);
  const oldTs = fake.files.get('timestamp.json')!;
  repo.sign('2.0', 'b');
  await repo.publish(fake);
  await updater().update();
  fake.files.set('timestamp.json', oldTs);
  const err = await rejects(updater().update(), 'ROLLBACK', 'timestamp');
  assert.match(err.hint ?? '', /attack/);
});

test('freeze: an expired timestamp is refused, and names the server as the one to fix it', async () => {
  const { fake, repo, updater } = await setup();
  repo.sign('1.0', 'a');
  await repo.publish(fake);
  await updater().update();
  const later = new Date(NOW.getTime() + 20 * RepoBuilder.DAY); // timestamps last 14 days
  const err = await rejects(updater({ now: later }).update(), 'EXPIRED', 'timestamp');
  assert.match(err.hint ?? '', /re-signed|server/);
});

test('mix-and-match: a snapshot that is not the one the timestamp lists is refused', async () => {
  const { fake, repo, updater } = await setup();
  repo.sign('1.0', 'a');
  await repo.publish(fake);
  const snapPath = `snapshot.${sha(repo.snapshot!.bytes())}.json`;
  const first = fake.files.get(snapPath)!;
  repo.sign('2.0', 'b');
  await repo.publish(fake);
  // the server answers the new checksum with the old snapshot (same length is not required)
  fake.files.set(`snapshot.${sha(repo.snapshot!.bytes())}.json`, first);
  const err = await updater().update().then(() => undefined, (e: unknown) => e as VouchError);
  assert.ok(err && ['HASH_MISMATCH', 'LENGTH_MISMATCH'].includes(err.code), String(err));
  assert.equal((err.details as { role?: string }).role, 'snapshot');
});

test('mis-signed targets: a file signed by a key the root does not list is refused', async () => {
  const { fake, repo, updater } = await setup();
  repo.sign('1.0', 'a', 'targets');
  repo.targetsKey = generateKey('ecdsa'); // the attacker's key, not the one in root.json
  await repo.publish(fake);
  await rejects(updater().update(), 'THRESHOLD_NOT_MET', 'targets');
});

test('re-keyed root: a new root not signed by the trusted root key is refused (trust data mismatch)', async () => {
  const { fake, repo, updater } = await setup();
  await repo.publish(fake);
  await updater().update();
  const attacker = await RepoBuilder.create(GUN, NOW);
  attacker.root = newVersion(attacker.root, NOW); // version 2, fresh keys, self-signed only
  attacker.sign('1.0', 'evil');
  await attacker.publish(fake);
  const err = await rejects(updater().update(), 'ROOT_ROTATION_FAILED', 'root');
  assert.match(err.hint ?? '', /trust data mismatch/);
});

test('root rotation: a client two versions behind walks N.root.json and continues', async () => {
  const { fake, repo, dir, updater } = await setup();
  repo.sign('1.0', 'a');
  await repo.publish(fake);
  await updater().update();
  await repo.rotateRoot();
  await repo.publish(fake); // root v2, signed by v1 and v2 keys
  await repo.rotateRoot();
  // root v3 is signed by the v2 and v3 keys only: the client must fetch 2.root.json
  repo.sign('2.0', 'b');
  await repo.publish(fake);
  fake.take();
  const v = await updater().update();
  assert.equal(v.root.signed.version, 3);
  const reqs = fake.take();
  // notary's sequence (notary client/client.go): the root the snapshot names, by checksum; then the versions in between
  const rootSha = sha(repo.root.bytes());
  assert.deepEqual(reqs.slice(0, 4), ['timestamp.json', `snapshot.${sha(repo.snapshot!.bytes())}.json`, `root.${rootSha}.json`, '2.root.json'], reqs.join(' '));
  assert.ok(!reqs.includes('root.json'), 'the current root was not needed');
  assert.ok(inspectSource(v).targets.some((t) => t.tag === '2.0'));
  const cachedRoot = await dir.readMetadata(GUN, 'root');
  assert.equal(cachedRoot?.toString(), Buffer.from(repo.root.bytes()).toString());
});

test('oversized timestamp: the download is cut at 1 MiB', async () => {
  const { fake, repo, updater } = await setup();
  await repo.publish(fake);
  fake.files.set('timestamp.json', Buffer.alloc(2 * 1024 * 1024, 0x20));
  await rejects(updater().update(), 'TOO_LARGE', 'timestamp');
});

test('server unreachable: the cached timestamp is used, with docker\'s warning; offline with no cache fails', async () => {
  const { fake, repo, updater, warnings } = await setup();
  repo.sign('1.0', 'a');
  await repo.publish(fake);
  await updater().update();
  fake.status.set('timestamp.json', 503);
  const v = await updater().update();
  assert.equal(v.fresh, false);
  assert.ok(warnings.some((w) => w.startsWith('Error while downloading remote metadata, using cached timestamp')), warnings.join('\n'));
  // a client with no cached timestamp has nothing to fall back to
  const fresh = new Updater({
    gun: GUN, cache: new TrustDir(await tempDir()), now: NOW,
    remote: new NotaryRemote({ server: fake.url, gun: GUN, transport: new HttpTransport({ retries: 0 }) }),
  });
  await rejects(fresh.update(), 'UNREACHABLE', 'timestamp');
});

test('an expired delegation is skipped with a warning; the rest of the repository still verifies', async () => {
  const { fake, repo, updater, warnings } = await setup(['alice', 'bob']);
  repo.sign('1.0', 'a', 'alice');
  repo.sign('2.0', 'b', 'bob');
  await repo.publish(fake, { expires: { 'targets/bob': new Date(NOW.getTime() - RepoBuilder.DAY) } });
  const v = await updater().update();
  const tags = inspectSource(v).targets.filter((t) => t.role === 'targets/bob');
  assert.deepEqual(tags, []);
  assert.ok(warnings.some((w) => w.includes('targets/bob')), warnings.join('\n'));
});

test('trust pinning: a pinned root key ID must match; with TOFU disabled and no pin, nothing is trusted', async () => {
  const { fake, repo, updater } = await setup();
  await repo.publish(fake);
  await rejects(updater({ pinning: { certs: { [GUN]: ['00'.repeat(32)] } } }).update(), 'TRUST_PINNING', 'root');
  await rejects(updater({ pinning: { disableTofu: true } }).update(), 'TRUST_PINNING', 'root');
  const ok = await updater({ pinning: { certs: { [GUN]: [repo.rootKey.keyId] } } }).update();
  assert.equal(ok.root.signed.version, 1);
});

test('a timestamp signed by a key the root does not list is refused', async () => {
  const { fake, repo, updater } = await setup();
  await repo.publish(fake);
  const forged = await signMetadata(createTimestamp(repo.snapshot!.bytes(), { now: NOW, previous: repo.timestamp! }), [generateKey('ed25519').signer()]);
  fake.files.set('timestamp.json', Buffer.from(forged.bytes()));
  await rejects(updater().update(), 'THRESHOLD_NOT_MET', 'timestamp');
});

/** A root key whose certificate (CN = GUN) is issued by a throw-away CA made with openssl. */
async function caIssuedRootKey(): Promise<{ key: PrivateKey; caPem: string }> {
  const d = await tempDir('vouch-ca-');
  const key = generateKey('ecdsa');
  writeFileSync(join(d, 'leaf.key'), key.keyObject.export({ format: 'pem', type: 'pkcs8' }) as string);
  const ossl = (args: string[]): void => { execFileSync('openssl', args, { cwd: d, stdio: 'pipe' }); };
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  ossl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '3650', '-out', 'ca.crt', '-subj', '/CN=Pinning Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  ossl(['req', '-new', '-key', 'leaf.key', '-subj', `/CN=${GUN.replace(/\//g, '\\/')}`, '-out', 'leaf.csr']);
  writeFileSync(join(d, 'leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
  ossl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', 'leaf.ext', '-out', 'leaf.crt']);
  return { key: key.withCertificate(await readFile(join(d, 'leaf.crt'), 'utf8')), caPem: await readFile(join(d, 'ca.crt'), 'utf8') };
}

test('trust pinning by CA: a root certificate issued by the pinned CA is trusted; another CA is refused', async () => {
  const { key, caPem } = await caIssuedRootKey();
  // the CAs are made now, so this repository lives at the real time
  const now = new Date();
  const { fake, repo, updater } = await setup(['alice'], key, now);
  repo.sign('1.0', 'a');
  await repo.publish(fake);
  const other = await caIssuedRootKey();
  await rejects(updater({ now, pinning: { ca: { 'registry.example.com/': other.caPem } } }).update(), 'TRUST_PINNING', 'root');
  const ok = await updater({ now, pinning: { ca: { 'registry.example.com/': caPem } } }).update();
  assert.ok(inspectSource(ok).targets.some((t) => t.tag === '1.0'));
});
