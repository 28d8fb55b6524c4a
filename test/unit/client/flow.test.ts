// vouch trust end to end through the CLI, against the in-process vouch server (memory store) and
// the embedded registry: initialisation on first sign (signer named after the registry user),
// digests read from the registry (OCI manifests and indexes), signer add/remove with the
// last-signer question, revoke, key rotation, usage errors and --help.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NotaryApp } from '../../../src/server/index.js';
import { createServer } from '../../../src/server/index.js';
import { openMemoryStore } from '../../../src/storage/index.js';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/output.js';
import { OCI_INDEX, OCI_MANIFEST } from '../../../src/oci/mediatypes.js';
import { makeImage, makeIndex, startLocalRegistry, type LocalRegistry } from '../oci/helpers.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser } from './helpers.js';
import { TrustDir, encodePrivateKeyFile, fixedPassphrase, generateKey } from '../../../src/keys/index.js';
import { RepoHandle } from '../../../src/client/repo.js';
import { sign } from '../../../src/client/sign.js';
import { Session, parseTrustReference } from '../../../src/client/session.js';
import { canonicalKeyId, parseRoot, setExpires } from '../../../src/tuf/index.js';
import { inject } from '../../support/inject.js';

let app: NotaryApp;
let server: string;
let registry: LocalRegistry;
let gun: string;
let imageDigest: string;
let indexDigest: string;

before(async () => {
  const store = openMemoryStore({ keySecret: 'flow-test-secret' });
  app = createServer({ store, keyStore: store.keys });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  server = `http://127.0.0.1:${addr.port}`;
  registry = await startLocalRegistry();
  gun = `${registry.host}/team/app`;
  const c = registry.client();
  const img = makeImage('flow');
  const img2 = makeImage('flow-arm', [500], 'arm64');
  for (const i of [img, img2]) {
    for (const [d, b] of i.blobs) await c.pushBlob('team/app', { digest: d, size: b.byteLength }, b);
    await c.putManifest('team/app', i.descriptor.digest, i.manifest, OCI_MANIFEST);
  }
  await c.putManifest('team/app', '1.0', img.manifest, OCI_MANIFEST);
  const idx = makeIndex([img, img2], ['amd64', 'arm64']);
  await c.putManifest('team/app', 'multi', idx.bytes, OCI_INDEX);
  imageDigest = img.descriptor.digest;
  indexDigest = idx.descriptor.digest;
});

after(async () => {
  await registry?.close();
  await app?.close();
  await removeTempDirs();
});

const hex = (d: string): string => d.replace(/^sha256:/, '');

interface Repo { Name: string; SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[]; Signers: { Name: string; Keys: { ID: string }[] }[] }
async function inspect(u: VouchUser, ...refs: string[]): Promise<Repo[]> {
  return JSON.parse((await u.ok(['trust', 'inspect', ...refs])).stdout) as Repo[];
}

let owner: VouchUser;

test('first sign initialises the repository with a signer named after the registry user, digest from the registry', async () => {
  owner = await vouchUser(server, { auths: { [registry.host]: 'ci-bot:secret' } });
  const r = await owner.ok(['trust', 'sign', `${gun}:1.0`]);
  assert.equal(r.stdout, [
    `Signing and pushing trust metadata for ${gun}:1.0`,
    'Created signer: ci-bot',
    `Finished initializing signed repository for ${gun}:1.0`,
    `Successfully signed ${gun}:1.0`,
  ].join('\n') + '\n');
  const m = await owner.ok(['trust', 'sign', `${gun}:multi`]);
  assert.match(m.stdout, /Successfully signed/);
  const [repo] = await inspect(owner, gun);
  assert.deepEqual(repo?.SignedTags, [
    { SignedTag: '1.0', Digest: hex(imageDigest), Signers: ['ci-bot'] },
    { SignedTag: 'multi', Digest: hex(indexDigest), Signers: ['ci-bot'] },
  ]);
  assert.deepEqual(repo?.Signers.map((s) => s.Name), ['ci-bot']);
});

test('signer add: a second signer with a generated key; signing an existing tag keeps its digest', async () => {
  await owner.ok(['trust', 'key', 'generate', 'bob', '--dir', owner.dir]);
  const add = await owner.ok(['trust', 'signer', 'add', '--key', join(owner.dir, 'bob.pub'), 'bob', gun]);
  assert.equal(add.stdout, `Adding signer "bob" to ${gun}...\nSuccessfully added signer: bob to ${gun}\n\n`);
  const s = await owner.ok(['trust', 'sign', `${gun}:1.0`]);
  assert.match(s.stdout, new RegExp(`Existing signatures for tag 1\\.0 digest ${hex(imageDigest)} from:\\nci-bot\\n`));
  const [repo] = await inspect(owner, `${gun}:1.0`);
  assert.deepEqual(repo?.SignedTags[0]?.Signers, ['ci-bot', 'bob']); // JSON keeps the delegation walk order
  assert.deepEqual(repo?.Signers.map((x) => x.Name), ['ci-bot', 'bob']); // docker: descending
  const pretty = await owner.ok(['trust', 'inspect', '--pretty', `${gun}:1.0`]);
  assert.match(pretty.stdout, new RegExp(`1\\.0 +${hex(imageDigest)} +bob, ci-bot\\n`));
});

test('a user without any signer key cannot sign, and is told how to get one', async () => {
  const stranger = await vouchUser(server);
  const r = await stranger.run(['trust', 'sign', `${gun}:1.0`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no valid signing keys for delegation roles/);
  assert.match(r.stderr, /hint: .*trust key load|signer add/);
});

test('revoke: one tag, then all tags (asks first; no answer means no)', async () => {
  const one = await owner.ok(['trust', 'revoke', `${gun}:multi`]);
  assert.equal(one.stdout, `Successfully deleted signature for ${gun}:multi\n`);
  assert.deepEqual((await inspect(owner, gun))[0]?.SignedTags.map((t) => t.SignedTag), ['1.0']);
  const asked = await owner.ok(['trust', 'revoke', gun]);
  assert.equal(asked.stdout, `Are you sure you want to revoke signature for ${gun}? [y/N] \nAborting action.\n`);
  assert.equal((await inspect(owner, gun))[0]?.SignedTags.length, 1);
  await owner.ok(['trust', 'revoke', '--yes', gun]);
  assert.deepEqual((await inspect(owner, gun))[0]?.SignedTags, []);
  const none = await owner.run(['trust', 'revoke', '-y', `${gun}:1.0`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /could not remove signature for .*:1\.0/);
});

test('signer remove: asks when the signer is the last one able to sign releases; "y" on stdin removes it', async () => {
  await owner.ok(['trust', 'sign', `${gun}:1.0`]); // signed by ci-bot and bob into targets/releases
  // removing bob leaves ci-bot's signature on targets/releases: no question
  const bob = await owner.ok(['trust', 'signer', 'remove', 'bob', gun]);
  assert.equal(bob.stdout, `Removing signer "bob" from ${gun}...\nSuccessfully removed bob from ${gun}\n\n`);
  let stdout = '';
  let stderr = '';
  const io: Io & { readLine: () => Promise<string> } = {
    out: (t) => { stdout += t; }, err: (t) => { stderr += t; }, stdinIsTTY: false, stderrIsTTY: false, readLine: async () => 'y',
  };
  const code = await main(['node', 'vouch', 'trust', 'signer', 'remove', 'ci-bot', gun], io, owner.env, owner.dir);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /The signer "ci-bot" signed the last released version of .* Are you sure you want to continue\? \[y\/N\] Successfully removed ci-bot/);
  const [repo] = await inspect(owner, gun);
  assert.deepEqual(repo?.Signers, []);
  const missing = await owner.run(['trust', 'signer', 'remove', '--force', 'nobody', gun]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No signer nobody for repository/);
});

test('key rotation of every role: the root lists new keys (the server\'s for timestamp and --server-managed snapshot); a fresh client and the old cache both verify', async () => {
  await owner.ok(['trust', 'signer', 'add', '--key', join(owner.dir, 'bob.pub'), 'bob', gun]);
  await owner.ok(['trust', 'sign', `${gun}:1.0`]);
  const fresh = await vouchUser(server);
  const before1 = await fresh.ok(['trust', 'inspect', gun]);
  // inspect prints while the cache is written, but returns only once every file is in place
  const cached = join(fresh.config, 'trust', 'tuf', ...gun.split('/'), 'metadata');
  for (const role of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases', 'targets/bob']) {
    assert.ok((await readFile(join(cached, `${role}.json`))).byteLength > 0, `${role} cached`);
  }
  // snapshot goes to the client first (so targets and root rotations publish a client-signed snapshot), then back to the server
  const currentRoot = async () => parseRoot((await inject(app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/root.json` })).rawPayload).signed;
  const serverKeyId = async (role: 'timestamp' | 'snapshot'): Promise<string> => {
    const body = JSON.parse((await inject(app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/${role}.key` })).body) as { keytype: string; keyval: { public: string } };
    return canonicalKeyId({ keytype: body.keytype, public: Buffer.from(body.keyval.public, 'base64') } as never);
  };
  for (const [role, extra] of [['timestamp', []], ['snapshot', []], ['targets', []], ['root', []], ['snapshot', ['--server-managed']]] as const) {
    const before = await currentRoot();
    const r = await owner.ok(['trust', 'key', 'rotate', gun, role, ...extra]);
    assert.equal(r.stdout, `Successfully rotated ${role} key for repository ${gun}\n`);
    const after = await currentRoot();
    assert.equal(after.version, before.version + 1, `${role}: a new root`);
    const ids = (root: typeof before) => root.roles[role].keyids.map((id) => canonicalKeyId(root.keys.get(id)!));
    assert.notDeepEqual(ids(after), ids(before), `${role}: the root lists a new key`);
    if (role === 'timestamp' || extra.length > 0) assert.deepEqual(ids(after), [await serverKeyId(role as 'timestamp' | 'snapshot')], `${role}: the server's key`);
    const again = await fresh.ok(['trust', 'inspect', gun]); // its cache holds the previous root
    assert.deepEqual(JSON.parse(again.stdout)[0].SignedTags, JSON.parse(before1.stdout)[0].SignedTags, `after ${role}`);
  }
  const [repo] = await inspect(await vouchUser(server), gun);
  assert.equal(repo?.SignedTags[0]?.Digest, hex(imageDigest));
  await owner.ok(['trust', 'sign', `${gun}:multi`]);
  const bad = await owner.run(['trust', 'key', 'rotate', gun, 'releases']);
  assert.equal(bad.code, 2);
  const bad2 = await owner.run(['trust', 'key', 'rotate', gun, 'root', '--server-managed']);
  assert.equal(bad2.code, 2);
});

test('usage errors are VouchErrors with docker\'s words', async () => {
  const u = await vouchUser(server);
  const noTag = await u.run(['trust', 'sign', gun]);
  assert.equal(noTag.code, 2);
  assert.match(noTag.stderr, /No tag specified for/);
  const reserved = await u.run(['trust', 'signer', 'add', '--key', 'x.pub', 'releases', gun]);
  assert.match(reserved.stderr, /releases is a reserved keyword/);
  const badName = await u.run(['trust', 'signer', 'add', '--key', 'x.pub', 'Bad', gun]);
  assert.match(badName.stderr, /must start with lowercase alphanumeric characters/);
  const noKey = await u.run(['trust', 'signer', 'add', 'carl', gun]);
  assert.match(noKey.stderr, /--key/);
  const digest = await u.run(['trust', 'sign', `${gun}@sha256:${'a'.repeat(64)}`]);
  assert.equal(digest.code, 2);
  const missing = await u.run(['trust', 'inspect', `${registry.host}/no/such`]);
  assert.equal(missing.stdout, '[]\n');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no signatures or cannot access/);
  await writeFile(join(u.dir, 'pin.json'), JSON.stringify({ trust_pinning: { certs: { [gun]: ['00'.repeat(32)] } } }));
  const pinned = await u.run(['trust', 'inspect', '--trust-pinning', join(u.dir, 'pin.json'), gun]);
  assert.equal(pinned.code, 1);
  assert.match(pinned.stderr, /trust pinning/i);
  // pinned to the repository's real root certificate key ID (the x509 ID root.json lists), a fresh client trusts it
  const rootJson = parseRoot((await inject(app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/root.json` })).rawPayload);
  await writeFile(join(u.dir, 'pin-ok.json'), JSON.stringify({ trust_pinning: { certs: { [`${registry.host}/team/*`]: rootJson.signed.roles.root.keyids }, disable_tofu: true } }));
  await u.ok(['trust', 'inspect', '--trust-pinning', join(u.dir, 'pin-ok.json'), gun]);
});

test('inspect --json (and --pretty --json) prints the JSON; one user reuses its root key for a second repository', async () => {
  const plain = await owner.ok(['trust', 'inspect', gun]);
  assert.equal((await owner.ok(['trust', 'inspect', '--json', gun])).stdout, plain.stdout);
  assert.equal((await owner.ok(['trust', 'inspect', '--pretty', '--json', gun])).stdout, plain.stdout);
  // a user initialising two repositories makes one root key and signs both roots with it
  const u = await vouchUser(server);
  const [first, second] = [`${registry.host}/team/first-of-two`, `${registry.host}/team/second-of-two`];
  for (const g of [first, second]) await u.ok(['trust', 'sign', `${g}:1.0`, '--digest', imageDigest, '--size', '10']);
  const rootIds = async (g: string): Promise<string[]> => {
    const root = parseRoot((await inject(app, { method: 'GET', url: `/v2/${g}/_trust/tuf/root.json` })).rawPayload).signed;
    return root.roles.root.keyids.map((id) => canonicalKeyId(root.keys.get(id)!));
  };
  assert.deepEqual(await rootIds(second), await rootIds(first), 'the same root key signs both repositories');
  const rootFiles: string[] = [];
  for (const f of await readdir(join(u.config, 'trust', 'private'))) if (/role: root/.test(await readFile(join(u.config, 'trust', 'private', f), 'utf8'))) rootFiles.push(f);
  assert.equal(rootFiles.length, 1, 'one root key file in the trust directory');
});

test('every trust command has --help', async () => {
  const u = await vouchUser(server);
  for (const cmd of [['inspect'], ['sign'], ['revoke'], ['signer', 'add'], ['signer', 'remove'], ['key', 'rotate'], ['key', 'generate'], ['key', 'load']]) {
    const r = await u.run(['trust', ...cmd, '--help']);
    assert.equal(r.code, 0, cmd.join(' '));
    assert.match(r.stdout, new RegExp(`Usage: vouch trust ${cmd.join(' ')}`));
  }
});

test('a root that expires within six months is re-signed with the next publish', async () => {
  const dir = new TrustDir(await tempDir(), { passphrases: fixedPassphrase('expiring-pass') });
  const s = new Session({ env: { DOCKER_CONTENT_TRUST_SERVER: server }, trustDir: dir, now: () => new Date() });
  try {
    const ref = parseTrustReference(`${registry.host}/team/expiring`, { tag: 'optional' });
    const repo = new RepoHandle(s, ref);
    const draft = await repo.initialize();
    draft.setRoot(setExpires(draft.root, new Date(Date.now() + 30 * 24 * 3600 * 1000)));
    await repo.publish(draft);
    await sign(s, () => undefined, `${registry.host}/team/expiring:1.0`, { ...ref, tag: '1.0' }, { target: { sha256Hex: hex(imageDigest), length: 100 } });
    const root = JSON.parse((await inject(app, { method: 'GET', url: `/v2/${registry.host}/team/expiring/_trust/tuf/root.json` })).body) as { signed: { version: number; expires: string } };
    assert.equal(root.signed.version, 2);
    assert.ok(new Date(root.signed.expires).getTime() > Date.now() + 9 * 365 * 24 * 3600 * 1000);
  } finally {
    await s.close();
  }
});

test('key rotate --key: the given root and targets keys are the ones the new root lists', async () => {
  const u = await vouchUser(server);
  const g = `${registry.host}/team/given-keys`;
  await u.ok(['trust', 'sign', `${g}:1.0`, '--digest', imageDigest, '--size', '10']);
  const rootKey = generateKey('ecdsa');
  const targetsKey = generateKey('ecdsa');
  await writeFile(join(u.dir, 'root.pem'), encodePrivateKeyFile(rootKey, { passphrase: '' }), { mode: 0o600 });
  await writeFile(join(u.dir, 'targets.pem'), encodePrivateKeyFile(targetsKey, { passphrase: 'file-pass' }), { mode: 0o600 });
  await u.ok(['trust', 'key', 'rotate', g, 'root', '--key', join(u.dir, 'root.pem')]);
  // an encrypted file is opened with the repository passphrase variable (docker's "encrypted" alias)
  const wrong = await u.run(['trust', 'key', 'rotate', g, 'targets', '--key', join(u.dir, 'targets.pem')]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /passphrase/);
  await u.ok(['trust', 'key', 'rotate', g, 'targets', '--key', join(u.dir, 'targets.pem')], { DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'file-pass' });
  const root = parseRoot((await inject(app, { method: 'GET', url: `/v2/${g}/_trust/tuf/root.json` })).rawPayload);
  const canon = (id: string): string => canonicalKeyId(root.signed.keys.get(id)!);
  assert.deepEqual(root.signed.roles.root.keyids.map(canon), [rootKey.canonicalKeyId]);
  assert.deepEqual(root.signed.roles.targets.keyids.map(canon), [targetsKey.canonicalKeyId]);
  const rotated = parseRoot((await inject(app, { method: 'GET', url: `/v2/${g}/_trust/tuf/2.root.json` })).rawPayload);
  assert.equal(rotated.signatures.length, 2, 'the root rotation is signed by the old and the new root key');
  assert.equal(root.signed.version, 3);
  const [repo] = await inspect(await vouchUser(server), g);
  assert.equal(repo?.SignedTags[0]?.Digest, hex(imageDigest));
});
