// Key files against the real tools, live: Debian's notary 0.7 and the Docker CLI (28.x on PATH,
// plus Debian's 20.10 at /usr/bin/docker when present). Keys written by vouch must be listed,
// decrypted and used for signing by notary and docker; keys they write must load and sign in vouch.
// A missing binary is a failure, not a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { verifySignature, type PublicKeyData } from '../../src/core/index.js';
import { canonicalKeyId, keyId } from '../../src/tuf/keyid.js';
import {
  TrustDir, createPassphraseSource, decodePrivateKeyFile, decodePublicKeyFile, dockerTrustDir, encodePrivateKeyFile, encodePublicKeyFile,
  generateKey, keyFileAttributes, type KeyAlgorithm, type KeyInfo, type PrivateKey,
} from '../../src/keys/index.js';
import { PEERS_PASSPHRASE, check, run, startPeers, type Peers } from '../support/peers.js';

const INSTALL_HINT = 'run scripts/install-deps.sh to install notary and the docker CLI';

function which(bin: string): string {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (d !== '' && existsSync(join(d, bin))) return join(d, bin);
  }
  throw new Error(`required binary "${bin}" not found on PATH: ${INSTALL_HINT}`);
}

const NOTARY_ENV = {
  NOTARY_ROOT_PASSPHRASE: 'interop-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'interop-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'interop-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'interop-delegation-pass',
};

interface Listed { role: string; gun: string | undefined; id: string }

/** Rows of `notary key list` (GUN column empty for root and delegation keys). */
function parseKeyList(out: string): Listed[] {
  const rows: Listed[] = [];
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const idAt = cols.findIndex((c) => /^[0-9a-f]{64}$/.test(c));
    if (idAt === 1) rows.push({ role: cols[0]!, gun: undefined, id: cols[1]! });
    else if (idAt === 2) rows.push({ role: cols[0]!, gun: cols[1], id: cols[2]! });
  }
  return rows.sort((a, b) => a.id.localeCompare(b.id));
}

const byId = (infos: KeyInfo[]): Listed[] => infos.map((k) => ({ role: k.role, gun: k.gun, id: k.keyId })).sort((a, b) => a.id.localeCompare(b.id));

function assertSigns(key: PrivateKey, pub: PublicKeyData = key.publicKey): void {
  const data = Buffer.from(`interop ${key.canonicalKeyId}`);
  const { method, sig } = key.sign(data);
  assert.equal(verifySignature(pub, method, sig, data), true);
}

let notaryBin: string;
let dockerBins: string[];
const made: string[] = [];
const tmp = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'vouch-keys-interop-')); made.push(d); return d; };

before(() => {
  notaryBin = which('notary');
  // The docker on PATH is required; Debian's 20.10 is tried too when it is installed.
  dockerBins = [...new Set([which('docker'), ...(existsSync('/usr/bin/docker') ? ['/usr/bin/docker'] : [])])];
});

const notary = (dir: string, args: string[], env: Record<string, string> = NOTARY_ENV) =>
  run(notaryBin, ['-d', dir, ...args], { env: { ...env, HOME: dir } });

test('notary key list shows vouch-written keys with their canonical ID, role and GUN; notary decrypts them (key passwd)', async () => {
  const dir = await tmp();
  const td = new TrustDir(dir, { passphrases: createPassphraseSource({ env: NOTARY_ENV, names: 'notary' }) });
  const specs: [KeyAlgorithm, string, string | undefined][] = [
    ['ecdsa', 'root', undefined],
    ['ecdsa', 'targets', 'example.com/org/app'],
    ['ecdsa', 'snapshot', 'example.com/org/app'],
    ['ed25519', 'targets/releases', undefined],
    ['rsa', 'targets/rsa', undefined],
    ['ecdsa', 'alice', undefined],
  ];
  const keys = new Map<string, PrivateKey>();
  for (const [alg, role, gun] of specs) {
    const key = generateKey(alg, { rsaBits: 2048 });
    keys.set(key.canonicalKeyId, key);
    await td.addKey(key, { role, ...(gun ? { gun } : {}) });
  }
  const listed = parseKeyList(check(await notary(dir, ['key', 'list']), 'notary key list'));
  assert.deepEqual(listed, byId(await td.listKeys()));
  assert.equal(listed.length, specs.length);

  // `key passwd` must decrypt each file (with the role's variable) before it re-encrypts it.
  for (const { id, role } of listed) {
    const wrong = await notary(dir, ['key', 'passwd', id], { ...NOTARY_ENV, NOTARY_ROOT_PASSPHRASE: 'x', NOTARY_TARGETS_PASSPHRASE: 'x', NOTARY_SNAPSHOT_PASSPHRASE: 'x', NOTARY_DELEGATION_PASSPHRASE: 'x' });
    assert.notEqual(wrong.code, 0, `notary must fail to decrypt ${role} with a wrong passphrase`);
    check(await notary(dir, ['key', 'passwd', id]), `notary key passwd ${role}`);
  }
  // Now every file is notary's own re-encryption; vouch still reads each one to the same key.
  for (const info of await td.listKeys()) {
    const { key } = await td.loadKey(info.keyId);
    assert.equal(key.keyId, keys.get(info.keyId)?.keyId);
    assertSigns(key);
  }
});

test('keys notary generates (key generate, init, key import) load in vouch with the same IDs and sign', async () => {
  const dir = await tmp();
  check(await notary(dir, ['key', 'generate', 'ecdsa', '--role', 'targets/releases']), 'notary key generate');
  await notary(dir, ['-s', 'https://127.0.0.1:1', 'init', 'example.com/org/app']); // fails offline after making the keys
  // An unencrypted Ed25519 key in notary's own PKCS#8 form, imported and encrypted by notary.
  const edFile = join(dir, 'ed.pem');
  const ed = generateKey('ed25519');
  await writeFile(edFile, encodePrivateKeyFile(ed, { passphrase: '' }), { mode: 0o600 });
  check(await notary(dir, ['key', 'import', edFile, '--role', 'targets/ed']), 'notary key import');
  await rm(edFile);
  const listed = parseKeyList(check(await notary(dir, ['key', 'list']), 'notary key list'));
  assert.deepEqual(listed.map((r) => r.role).sort(), ['root', 'snapshot', 'targets', 'targets/ed', 'targets/releases']);
  const td = new TrustDir(dir, { passphrases: createPassphraseSource({ env: NOTARY_ENV, names: 'notary' }) });
  assert.deepEqual(byId(await td.listKeys()), listed);
  for (const row of listed) {
    const { key, info } = await td.loadKey(row.id);
    assert.equal(info.encrypted, true);
    assert.equal(key.canonicalKeyId, row.id);
    assertSigns(key);
  }
  assert.equal((await td.loadKeyFor('targets/ed')).key.keyId, ed.keyId);
});

test('notary 0.7 reads the legacy layout that vouch lists (private/root_keys, private/tuf_keys/<gun>)', async () => {
  const dir = await tmp();
  const root = generateKey();
  const targets = generateKey();
  await mkdir(join(dir, 'private', 'root_keys'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'private', 'tuf_keys', 'example.com', 'app'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'private', 'root_keys', `${root.canonicalKeyId}_root.key`), encodePrivateKeyFile(root, { passphrase: NOTARY_ENV.NOTARY_ROOT_PASSPHRASE }), { mode: 0o600 });
  await writeFile(join(dir, 'private', 'tuf_keys', 'example.com', 'app', `${targets.canonicalKeyId}_targets.key`),
    encodePrivateKeyFile(targets, { passphrase: NOTARY_ENV.NOTARY_TARGETS_PASSPHRASE }), { mode: 0o600 });
  const td = new TrustDir(dir, { passphrases: createPassphraseSource({ env: NOTARY_ENV, names: 'notary' }) });
  const ours = byId(await td.listKeys());
  assert.deepEqual(ours, [{ role: 'root', gun: undefined, id: root.canonicalKeyId }, { role: 'targets', gun: 'example.com/app', id: targets.canonicalKeyId }]
    .sort((a, b) => a.id.localeCompare(b.id)));
  // notary migrates the layout when it opens the store; its listing must agree with ours.
  assert.deepEqual(parseKeyList(check(await notary(dir, ['key', 'list']), 'notary key list')), ours);
  assert.equal((await td.loadKey(targets.canonicalKeyId)).key.keyId, targets.keyId);
});

test('docker trust key generate: the key loads in vouch by ID and role, and signs for NAME.pub', async () => {
  for (const bin of dockerBins) {
    const config = await tmp();
    const pubDir = join(config, 'pub');
    await mkdir(pubDir);
    const env = { DOCKER_CONFIG: config, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'interop-docker-pass', HOME: config };
    check(await run(bin, ['trust', 'key', 'generate', 'alice', '--dir', pubDir], { env }), `${bin} trust key generate`);
    const td = new TrustDir(dockerTrustDir(env), { passphrases: createPassphraseSource({ env, names: 'docker' }) });
    const [info, ...rest] = await td.listKeys();
    assert.equal(rest.length, 0);
    assert.equal(info?.role, 'alice', bin);
    assert.equal(info?.gun, undefined);
    const pub = decodePublicKeyFile(await readFile(join(pubDir, 'alice.pub')));
    assert.equal(keyId(pub), info?.keyId);
    const { key } = await td.loadKeyFor('alice');
    assertSigns(key, pub);
    assert.equal(encodePublicKeyFile(key, 'alice'), await readFile(join(pubDir, 'alice.pub'), 'utf8'), 'vouch writes the same .pub');
  }
});

test('docker trust key load: decrypts vouch-encrypted keys (refuses a wrong passphrase) and stores vouch keys that vouch loads back', async () => {
  for (const bin of dockerBins) {
    const config = await tmp();
    const key = generateKey();
    const enc = join(config, 'enc.pem');
    const plain = join(config, 'plain.pem');
    await writeFile(enc, encodePrivateKeyFile(key, { passphrase: 'interop-load-pass' }), { mode: 0o600 });
    await writeFile(plain, encodePrivateKeyFile(key, { passphrase: '' }), { mode: 0o600 });
    const env = (pass: string) => ({ DOCKER_CONFIG: config, HOME: config, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: pass });
    const wrong = await run(bin, ['trust', 'key', 'load', enc, '--name', 'bob'], { env: env('not-it') });
    assert.notEqual(wrong.code, 0, `${bin} must not decrypt with a wrong passphrase`);
    assert.match(wrong.stderr, /could not decrypt key/);
    // With the right one docker decrypts it. (It then stores nothing: docker passes the decrypted
    // DER, not PEM, to notary's importer, which finds no PEM block. Seen with 20.10 and 28.2.)
    check(await run(bin, ['trust', 'key', 'load', enc, '--name', 'bob'], { env: env('interop-load-pass') }), `${bin} trust key load (encrypted)`);
    check(await run(bin, ['trust', 'key', 'load', plain, '--name', 'bob'], { env: env('interop-load-pass') }), `${bin} trust key load (plain)`);
    const files = await readdir(join(config, 'trust', 'private'));
    assert.deepEqual(files, [`${key.canonicalKeyId}.key`]);
    const td = new TrustDir(dockerTrustDir(env('')), { passphrases: createPassphraseSource({ env: env('interop-load-pass'), names: 'docker' }) });
    const { key: back, info } = await td.loadKey(key.canonicalKeyId);
    assert.equal(info.role, 'bob');
    assert.equal(back.keyId, key.keyId);
    assertSigns(back);
    // A group-readable file is refused by both.
    await chmod(plain, 0o640);
    const loose = await run(bin, ['trust', 'key', 'load', plain, '--name', 'bob'], { env: env('interop-load-pass') });
    assert.notEqual(loose.code, 0);
    await assert.rejects(td.importKey(plain, { name: 'bob' }), (e: unknown) => (e as { code?: string }).code === 'INSECURE_PERMISSIONS');
  }
});

// Live repositories: notary-server + signer and a registry started by the peers harness (test/support/peers.ts).
let peers: Peers | undefined;
const getPeers = async (): Promise<Peers> => (peers ??= await startPeers({ registry: true, notary: true, docker: true }));
after(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
  await peers?.stop();
});

test('notary init and delegation publishing use vouch-written root and delegation keys', { timeout: 600_000 }, async () => {
  const p = await getPeers();
  const trustDir = join(p.dir, 'vouch-notary-trust');
  const passphrases = createPassphraseSource({ env: {}, names: 'notary', prompt: async () => PEERS_PASSPHRASE });
  const td = new TrustDir(trustDir, { passphrases });
  const rootKey = generateKey();
  // notary cannot read an Ed25519 PUBLIC KEY for `delegation add`, so the signer is RSA (the
  // PKCS#8 form notary reads least leniently: rsaEncryption without NULL).
  const delegation = generateKey('rsa', { rsaBits: 2048 });
  await td.addKey(rootKey, { role: 'root' });
  await td.addKey(delegation, { role: 'targets/releases' });
  const pubFile = join(p.dir, 'releases.pub');
  await writeFile(pubFile, encodePublicKeyFile(delegation));
  const gun = p.gun('vouch/keys');
  const n = async (args: string[]) => check(await p.notary(args, { trustDir }), `notary ${args.join(' ')}`);
  await n(['init', '-p', gun]);
  await n(['delegation', 'add', '-p', gun, 'targets/releases', pubFile, '--all-paths']);
  await n(['addhash', '-p', gun, '1.0', '3', '--sha256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', '--roles', 'targets/releases']);
  assert.match(await n(['list', gun]), /^1\.0\s+ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\s+3\s+targets\/releases/m);

  // notary reused vouch's root key: root.json's certificate holds it (canonical ID = our file name).
  const meta = join(trustDir, 'tuf', ...gun.split('/'), 'metadata');
  const root = JSON.parse(await readFile(join(meta, 'root.json'), 'utf8')) as {
    signed: { keys: Record<string, { keytype: 'ecdsa-x509'; keyval: { public: string } }>; roles: { root: { keyids: string[] } } };
  };
  const rootKeyJson = root.signed.keys[root.signed.roles.root.keyids[0]!]!;
  const rootPub: PublicKeyData = { keytype: rootKeyJson.keytype, public: Buffer.from(rootKeyJson.keyval.public, 'base64') };
  assert.equal(canonicalKeyId(rootPub), rootKey.canonicalKeyId);
  // targets/releases.json is signed with vouch's RSA key.
  const releases = JSON.parse(await readFile(join(meta, 'targets', 'releases.json'), 'utf8')) as { signatures: { keyid: string; method: string }[] };
  assert.deepEqual(releases.signatures.map((s) => [s.keyid, s.method]), [[delegation.keyId, 'rsapss']]);
  assert.deepEqual(parseKeyList(await n(['key', 'list'])).filter((r) => r.role === 'root' || r.role === 'targets/releases').map((r) => r.id).sort(),
    [rootKey.canonicalKeyId, delegation.canonicalKeyId].sort());
});

test('docker trust signer add / sign use a vouch root key and a vouch-generated signer key', { timeout: 600_000 }, async () => {
  const p = await getPeers();
  const bin = dockerBins[0]!;
  const config = join(p.dir, 'vouch-docker');
  await mkdir(config, { recursive: true });
  const env = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: PEERS_PASSPHRASE, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: PEERS_PASSPHRASE };
  const td = new TrustDir(dockerTrustDir({ DOCKER_CONFIG: config }), { passphrases: createPassphraseSource({ env, names: 'docker' }) });
  const rootKey = generateKey();
  await td.addKey(rootKey, { role: 'root' });
  const signer = await td.generateNamedKey('vouchsigner', p.dir);
  const gun = p.gun('vouch/docker');
  const d = async (args: string[]) => check(await p.docker(args, { bin, config }), `docker ${args.join(' ')}`);
  await d(['trust', 'signer', 'add', '--key', signer.publicKeyPath, 'vouchsigner', gun]);
  // A tag in targets (added with notary and docker's own targets key), then signed by the vouch signer key.
  const img = await p.makeImage('vouch/docker', '1.0');
  check(await p.notary(['addhash', '-p', gun, '1.0', String(img.size), '--sha256', img.sha256], { trustDir: join(config, 'trust') }), 'notary addhash');
  await d(['trust', 'sign', `${gun}:1.0`]);
  const inspect = JSON.parse(await d(['trust', 'inspect', `${gun}:1.0`])) as {
    SignedTags: { SignedTag: string; Signers: string[] }[]; Signers: { Name: string; Keys: { ID: string }[] }[];
    AdministrativeKeys: { Name: string; Keys: { ID: string }[] }[];
  }[];
  const repo = inspect[0]!;
  assert.deepEqual(repo.SignedTags.find((t) => t.SignedTag === '1.0')?.Signers, ['vouchsigner']);
  assert.deepEqual(repo.Signers.find((s) => s.Name === 'vouchsigner')?.Keys.map((k) => k.ID), [signer.key.canonicalKeyId]);
  // Docker initialised the repository with vouch's root key (it shows the x509 ID; its canonical ID is ours).
  const meta = join(config, 'trust', 'tuf', ...gun.split('/'), 'metadata');
  const root = JSON.parse(await readFile(join(meta, 'root.json'), 'utf8')) as {
    signed: { keys: Record<string, { keytype: 'ecdsa-x509'; keyval: { public: string } }>; roles: { root: { keyids: string[] } } };
  };
  const rootId = root.signed.roles.root.keyids[0]!;
  const rootJson = root.signed.keys[rootId]!;
  assert.equal(canonicalKeyId({ keytype: rootJson.keytype, public: Buffer.from(rootJson.keyval.public, 'base64') }), rootKey.canonicalKeyId);
  assert.deepEqual(repo.AdministrativeKeys.find((k) => k.Name === 'Root')?.Keys.map((k) => k.ID), [rootId]);
  // And docker's own targets key for this GUN loads in vouch.
  const [targetsInfo] = await td.findKeys('targets', gun);
  assert.ok(targetsInfo, 'docker stored a targets key with gun header');
  assert.equal(keyFileAttributes(await readFile(targetsInfo.path)).gun, gun);
  assertSigns((await td.loadKey(targetsInfo.keyId)).key);
  assert.equal(decodePrivateKeyFile(await readFile(targetsInfo.path), PEERS_PASSPHRASE).canonicalKeyId, targetsInfo.keyId);
});
