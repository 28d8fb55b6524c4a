// The wiring docker users rely on: which trust server and TLS material a repository gets, trust
// pinning files in notary's client-config format, trust references, and the key ring's lookup of
// listed keys by canonical ID (x509-listed keys sign under their listed ID).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isVouchError, verifySignature } from '../../../src/core/index.js';
import { TrustDir, fixedPassphrase, generateKey, generateRootKey } from '../../../src/keys/index.js';
import { KeyRing } from '../../../src/client/keyring.js';
import { Session, parseTrustReference } from '../../../src/client/session.js';
import { readTrustPinning } from '../../../src/cli/commands/trust-common.js';
import { removeTempDirs, tempDir } from './helpers.js';

after(removeTempDirs);

test('trust server per registry: DOCKER_CONTENT_TRUST_SERVER, notary.docker.io for Docker Hub, else the registry host', async () => {
  const dir = new TrustDir(await tempDir());
  const mk = (env: Record<string, string>): Session => new Session({ env, trustDir: dir, now: () => new Date() });
  assert.equal(mk({}).serverFor('docker.io'), 'https://notary.docker.io');
  assert.equal(mk({}).serverFor('registry.example.com:5000'), 'https://registry.example.com:5000');
  assert.equal(mk({ DOCKER_CONTENT_TRUST_SERVER: 'https://notary.example.com/' }).serverFor('r.example.com'), 'https://notary.example.com');
  assert.throws(() => mk({ DOCKER_CONTENT_TRUST_SERVER: 'http://notary.example.com' }).serverFor('r.example.com'), /must be an https/);
  const remote = mk({}).remoteFor(parseTrustReference('registry.example.com:5000/team/app', { tag: 'optional' }));
  assert.equal(remote.gun, 'registry.example.com:5000/team/app');
});

test('trust references: tags required for sign, digests refused, docker.io normalised', () => {
  assert.deepEqual(parseTrustReference('alpine', { tag: 'optional' }), { registry: 'docker.io', repository: 'library/alpine' });
  assert.throws(() => parseTrustReference('alpine', { tag: 'required' }), /No tag specified for alpine/);
  assert.throws(() => parseTrustReference(`alpine@sha256:${'a'.repeat(64)}`, { tag: 'optional' }), (e: unknown) => isVouchError(e, 'INVALID_ARGUMENT'));
});

test('trust pinning files: notary client config or a bare object; CA paths relative to the file; mistakes are CONFIG errors', async () => {
  const d = await tempDir();
  await mkdir(join(d, 'cas'));
  await writeFile(join(d, 'cas', 'root.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  await writeFile(join(d, 'config.json'), JSON.stringify({ trust_pinning: { certs: { 'example.com/app': ['ab'.repeat(32)] }, ca: { 'example.com/': 'cas/root.pem' }, disable_tofu: true } }));
  const p = readTrustPinning(join(d, 'config.json'));
  assert.deepEqual(p.certs, { 'example.com/app': ['ab'.repeat(32)] });
  assert.match(p.ca?.['example.com/'] ?? '', /BEGIN CERTIFICATE/);
  assert.equal(p.disableTofu, true);
  await writeFile(join(d, 'bare.json'), JSON.stringify({ certs: { 'x/*': ['cd'.repeat(32)] } }));
  assert.deepEqual(readTrustPinning(join(d, 'bare.json')).certs, { 'x/*': ['cd'.repeat(32)] });
  for (const bad of [{ certs: { a: 'not-a-list' } }, { ca: { a: 'missing.pem' } }, { disable_tofu: 'yes' }]) {
    await writeFile(join(d, 'bad.json'), JSON.stringify({ trust_pinning: bad }));
    assert.throws(() => readTrustPinning(join(d, 'bad.json')), (e: unknown) => isVouchError(e, 'CONFIG'));
  }
  assert.throws(() => readTrustPinning(join(d, 'none.json')), (e: unknown) => isVouchError(e, 'CONFIG'));
});

test('key ring: listed keys are found by canonical ID, and x509-listed keys sign under their listed (x509) ID', async () => {
  const dir = new TrustDir(await tempDir(), { passphrases: fixedPassphrase('ring-pass') });
  const bare = generateKey('ecdsa');
  await dir.addKey(bare, { role: 'root' });
  const cert = await generateRootKey({ gun: 'example.com/app', now: new Date(), key: bare });
  const ring = new KeyRing(dir);
  const s = await ring.signerFor(cert.keyId, cert.publicKey);
  assert.ok(s);
  assert.equal(s.keyId, cert.keyId);
  assert.notEqual(s.keyId, bare.canonicalKeyId);
  const data = Buffer.from('payload');
  const { method, sig } = await s.sign(data);
  assert.equal(verifySignature(cert.publicKey, method, sig, data), true);
  const other = generateKey('ecdsa');
  assert.equal(await ring.signerFor(other.keyId, other.publicKey), undefined);
  await assert.rejects(ring.signersFor('targets', [other.keyId], new Map([[other.keyId, other.publicKey]])), (e: unknown) =>
    isVouchError(e, 'KEY_NOT_FOUND') && /at least one of these keys must be available/.test(e.message) && e.hint !== undefined);
});

test('registry clients the caller configured (the registry gate\'s upstreams) serve their hosts; other hosts get docker\'s', async () => {
  const dir = new TrustDir(await tempDir());
  const { RegistryClient } = await import('../../../src/oci/client.js');
  const upstream = new RegistryClient({ registry: 'upstream.example', scheme: 'https' });
  const s = new Session({ env: {}, trustDir: dir, now: () => new Date(), registries: new Map([['upstream.example', upstream]]) });
  assert.equal(s.registryFor('upstream.example'), upstream);
  assert.notEqual(s.registryFor('other.example'), upstream);
  assert.notEqual(s.registryFor('upstream.example', { plainHttp: true }), upstream);
  await s.close();
  await upstream.close();
});
