// The trust directory: file layout and modes, list/load/remove, the legacy layout, docker's key
// load and key generate, and metadata paths that a hostile GUN cannot move outside the dir.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TrustDir, createPassphraseSource, decodePublicKeyFile, dockerTrustDir, encodePrivateKeyFile, fixedPassphrase, generateKey,
  generateRootKey, keyFileAttributes, notaryTrustDir, writePrivateFile,
} from '../../../src/keys/index.js';
import { DOCKER_PASS, OPENSSL_PASS, dir as fixtureDir, keyFiles, notaryKeyList, notaryPassFor } from './_fixtures.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
const made: string[] = [];
const tmp = async () => { const d = await mkdtemp(join(tmpdir(), 'vouch-keys-')); made.push(d); return d; };
after(async () => { for (const d of made) await rm(d, { recursive: true, force: true }); });
const mode = async (p: string) => (await stat(p)).mode & 0o777;

const notaryEnv = {
  NOTARY_ROOT_PASSPHRASE: 'notary-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'notary-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'notary-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'notary-delegation-pass',
};

test('trust dir locations: $DOCKER_CONFIG/trust, ~/.docker/trust, ~/.notary', () => {
  assert.equal(dockerTrustDir({ DOCKER_CONFIG: '/cfg', HOME: '/h' }), '/cfg/trust');
  assert.equal(dockerTrustDir({ HOME: '/h' }), '/h/.docker/trust');
  assert.equal(notaryTrustDir({ HOME: '/h' }), '/h/.notary');
});

test('addKey: private/<canonicalID>.key, mode 0600 in 0700 dirs, headers as notary writes them, no temp files left', async () => {
  const root = await tmp();
  const td = new TrustDir(join(root, 'trust'), { passphrases: createPassphraseSource({ env: notaryEnv }) });
  const rootKey = await generateRootKey({ gun: 'example.com/org/app', now: new Date('2026-01-01T00:00:00Z') });
  const targets = generateKey();
  const r = await td.addKey(rootKey, { role: 'root', gun: 'ignored/for/root' });
  const t = await td.addKey(targets, { role: 'targets', gun: 'example.com/org/app' });
  assert.equal(r.path, join(root, 'trust', 'private', `${rootKey.canonicalKeyId}.key`), 'root file named by the canonical ID');
  assert.equal(await mode(r.path), 0o600);
  assert.equal(await mode(join(root, 'trust')), 0o700);
  assert.equal(await mode(join(root, 'trust', 'private')), 0o700);
  assert.deepEqual(keyFileAttributes(await readFile(r.path)), { type: 'ENCRYPTED PRIVATE KEY', role: 'root', gun: undefined, encrypted: true });
  assert.deepEqual(keyFileAttributes(await readFile(t.path)), { type: 'ENCRYPTED PRIVATE KEY', role: 'targets', gun: 'example.com/org/app', encrypted: true });
  assert.deepEqual((await readdir(td.privateDir)).sort(), [`${rootKey.canonicalKeyId}.key`, `${targets.canonicalKeyId}.key`].sort());
  await assert.rejects(td.addKey(generateKey(), { role: 'snapshot' }), code('INVALID_ARGUMENT'));
});

test('list, find, load (with the role passphrase), remove', async () => {
  const td = new TrustDir(await tmp(), { passphrases: createPassphraseSource({ env: notaryEnv }) });
  const a = generateKey('ed25519');
  const b = generateKey();
  await td.addKey(a, { role: 'targets/releases' });
  await td.addKey(b, { role: 'targets', gun: 'g/h' });
  const list = await td.listKeys();
  assert.deepEqual(list.map((k) => [k.role, k.gun, k.keyId]).sort(), [['targets', 'g/h', b.canonicalKeyId], ['targets/releases', undefined, a.canonicalKeyId]].sort());
  assert.deepEqual((await td.findKeys('targets', 'g/h')).map((k) => k.keyId), [b.canonicalKeyId]);
  assert.deepEqual(await td.findKeys('targets', 'other/gun'), []);
  const loaded = await td.loadKey(a.canonicalKeyId);
  assert.equal(loaded.key.keyId, a.keyId);
  assert.equal((await td.loadKeyFor('targets', 'g/h')).key.keyId, b.keyId);
  await assert.rejects(td.loadKeyFor('root'), code('KEY_NOT_FOUND'));
  // The passphrase comes from the role: a source without the delegation variable cannot decrypt it.
  await assert.rejects(td.loadKey(a.canonicalKeyId, createPassphraseSource({ env: { NOTARY_TARGETS_PASSPHRASE: 'notary-targets-pass' }, names: 'notary' })), code('NO_PASSPHRASE'));
  await td.removeKey(a.canonicalKeyId);
  assert.deepEqual((await td.listKeys()).map((k) => k.keyId), [b.canonicalKeyId]);
  await assert.rejects(td.removeKey(a.canonicalKeyId), code('KEY_NOT_FOUND'));
  await assert.rejects(td.loadKey(a.canonicalKeyId), code('KEY_NOT_FOUND'));
});

test('a key file whose content does not match its name is refused on load', async () => {
  const td = new TrustDir(await tmp(), { passphrases: fixedPassphrase('p') });
  const k = generateKey();
  const info = await td.addKey(k, { role: 'alice' });
  const other = generateKey();
  await writeFile(info.path, encodePrivateKeyFile(other, { role: 'alice', passphrase: 'p' }));
  await assert.rejects(td.loadKey(k.canonicalKeyId), code('KEYID_MISMATCH'));
});

test('a notary 0.7.0 trust dir: same keys, roles and GUNs as `notary key list`, all loadable', async () => {
  const root = await tmp();
  for (const f of keyFiles('notary-0.7.0')) await cp(fixtureDir('notary-0.7.0', f), join(root, 'private', f));
  const td = new TrustDir(root, { passphrases: createPassphraseSource({ env: notaryEnv, names: 'notary' }) });
  const list = await td.listKeys();
  assert.deepEqual(list.map((k) => ({ role: k.role, gun: k.gun, id: k.keyId })).sort((x, y) => x.id.localeCompare(y.id)),
    notaryKeyList().sort((x, y) => x.id.localeCompare(y.id)));
  for (const k of list) assert.equal((await td.loadKey(k.keyId)).key.canonicalKeyId, k.keyId);
  assert.ok(notaryPassFor('targets/x'));
});

test('legacy layout (private/root_keys, private/tuf_keys/<gun>) is listed with role and GUN from the path, and loads', async () => {
  const root = await tmp();
  await cp(fixtureDir('legacy'), root, { recursive: true });
  const td = new TrustDir(root, { passphrases: createPassphraseSource({ env: notaryEnv, names: 'notary' }) });
  const list = await td.listKeys();
  const listed = notaryKeyList();
  const want = listed.filter((r) => r.role === 'root' || r.role === 'targets');
  assert.deepEqual(list.map((k) => ({ role: k.role, gun: k.gun, id: k.keyId, legacy: k.legacy })).sort((x, y) => x.role.localeCompare(y.role)),
    want.map((r) => ({ ...r, legacy: true })).sort((x, y) => x.role.localeCompare(y.role)));
  for (const k of list) assert.equal((await td.loadKey(k.keyId)).key.canonicalKeyId, k.keyId);
  const targets = list.find((k) => k.role === 'targets')!;
  await td.removeKey(targets.keyId);
  assert.equal((await td.listKeys()).length, 1);
});

test('docker trust key load: refuses group/other-readable files, decrypts with the repository passphrase, stores role NAME', async () => {
  const root = await tmp();
  const file = join(root, 'in.pem');
  await cp(fixtureDir('openssl', 'ec-pbes2-aes256-sha256.pem'), file);
  await chmod(file, 0o644);
  const env = { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: OPENSSL_PASS };
  const td = new TrustDir(join(root, 'trust'), { passphrases: createPassphraseSource({ env, names: 'docker' }) });
  await assert.rejects(td.importKey(file, { name: 'bob' }), (e: unknown) => code('INSECURE_PERMISSIONS')(e) && /must not be readable or writable by others/.test((e as Error).message));
  await chmod(file, 0o600);
  await assert.rejects(td.importKey(file, { name: 'Bob' }), code('INVALID_ARGUMENT'));
  const got = await td.importKey(file, { name: 'bob' });
  assert.equal(got.info.role, 'bob');
  assert.equal(got.info.gun, undefined);
  const stored = await readFile(got.info.path, 'utf8');
  assert.match(stored, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: bob\n\n/);
  // Re-encrypted with the passphrase for role "bob" (docker: the repository variable).
  assert.equal((await td.loadKey(got.key.canonicalKeyId)).key.keyId, got.key.keyId);
  // A public key is not a private key.
  const pub = join(root, 'k.pub');
  await cp(fixtureDir('docker-28.2.2', 'alice.pub'), pub);
  await chmod(pub, 0o600);
  await assert.rejects(td.importKey(pub), (e: unknown) => code('INVALID_KEY')(e) && /docker trust signer add/.test((e as Error).message));
});

test('docker trust key load of a docker-written key and of an unencrypted key (default name "signer")', async () => {
  const root = await tmp();
  const [f] = keyFiles('docker-28.2.2');
  const file = join(root, 'alice.key');
  await cp(fixtureDir('docker-28.2.2', f!), file);
  await chmod(file, 0o600);
  const td = new TrustDir(join(root, 'trust'), { passphrases: createPassphraseSource({ env: { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: DOCKER_PASS } }) });
  const got = await td.importKey(file, { name: 'carol' });
  assert.equal(`${got.key.canonicalKeyId}.key`, f);
  const plain = join(root, 'plain.pem');
  await cp(fixtureDir('openssl', 'ed25519-rfc8410-plain.pem'), plain);
  await chmod(plain, 0o400);
  const s = await td.importKey(plain);
  assert.equal(s.info.role, 'signer');
  assert.equal(s.key.algorithm, 'ed25519');
});

test('docker trust key generate: private key with role NAME and NAME.pub with the same key', async () => {
  const root = await tmp();
  const td = new TrustDir(join(root, 'trust'), { passphrases: fixedPassphrase('gen-pass') });
  const out = await td.generateNamedKey('dave', root);
  assert.equal(out.publicKeyPath, join(root, 'dave.pub'));
  const pubText = await readFile(out.publicKeyPath, 'utf8');
  assert.match(pubText, /^-----BEGIN PUBLIC KEY-----\nrole: dave\n\n/);
  assert.deepEqual(decodePublicKeyFile(pubText), out.key.publicKey);
  assert.equal(out.info.role, 'dave');
  await assert.rejects(td.generateNamedKey('dave', root), code('CONFLICT'));
  await assert.rejects(td.generateNamedKey('-bad', root), code('INVALID_ARGUMENT'));
  await assert.rejects(td.generateNamedKey('erin', join(root, 'missing')), code('FILE_NOT_FOUND'));
});

test('metadata paths: tuf/<gun>/metadata/<role>.json, nested delegations, atomic writes', async () => {
  const root = await tmp();
  const td = new TrustDir(root);
  assert.equal(td.metadataPath('docker.io/library/alpine', 'root'), join(root, 'tuf', 'docker.io', 'library', 'alpine', 'metadata', 'root.json'));
  assert.equal(td.metadataPath('h:5000/a', 'targets/releases'), join(root, 'tuf', 'h:5000', 'a', 'metadata', 'targets', 'releases.json'));
  assert.equal(td.changelistDir('h:5000/a'), join(root, 'tuf', 'h:5000', 'a', 'changelist'));
  assert.equal(await td.readMetadata('h:5000/a', 'root'), undefined);
  await td.writeMetadata('h:5000/a', 'targets/releases', '{"a":1}');
  assert.equal((await td.readMetadata('h:5000/a', 'targets/releases'))?.toString(), '{"a":1}');
  await td.writeMetadata('h:5000/a', 'targets/releases', '{"a":2}');
  assert.equal((await td.readMetadata('h:5000/a', 'targets/releases'))?.toString(), '{"a":2}');
  assert.deepEqual(await readdir(join(root, 'tuf', 'h:5000', 'a', 'metadata', 'targets')), ['releases.json'], 'no temp files left');
  await td.removeMetadata('h:5000/a', 'targets/releases');
  assert.equal(await td.readMetadata('h:5000/a', 'targets/releases'), undefined);
});

test('a GUN or role cannot leave the trust dir: .., absolute paths, NUL and empty segments are refused', () => {
  const td = new TrustDir('/tmp/x');
  for (const gun of ['..', '../x', 'a/../../b', '/etc', 'a\0b', '', 'a//b', './a', 'a/.', 'C:\\x', '\\\\srv\\x', 'a\\..\\..']) {
    assert.throws(() => td.metadataDir(gun), code('INVALID_ARGUMENT'), JSON.stringify(gun));
  }
  assert.throws(() => td.metadataPath('a/b', '../../../root'), code('INVALID_ARGUMENT'));
  assert.throws(() => td.metadataPath('a/b', '/root'), code('INVALID_ARGUMENT'));
  assert.throws(() => td.keyPath('../x'), code('INVALID_ARGUMENT'));
});

test('writePrivateFile replaces the whole file and keeps mode 0600', async () => {
  const root = await tmp();
  const p = join(root, 'd', 'f');
  await writePrivateFile(p, 'first version, longer');
  await writePrivateFile(p, 'second');
  assert.equal(await readFile(p, 'utf8'), 'second');
  assert.equal(await mode(p), 0o600);
  assert.equal(await mode(join(root, 'd')), 0o700);
  assert.deepEqual(await readdir(join(root, 'd')), ['f']);
});
