// Checks that every fixture set recorded by scripts/record-fixtures.sh is complete and internally
// consistent (files present, JSON parses, NOTES.md, timestamp → snapshot → role hashes over the raw
// bytes), plus a self-check of the peers harness (test/support/peers.ts) against the real tools.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixturesDir } from '../support/paths.js';
import { startPeers, type Peers } from '../support/peers.js';

const NOTARY_SETS = ['ecdsa-remote', 'ed25519-remote', 'ed25519-local', 'encoding'];
const DOCKER_SETS = ['docker-28.2.2', 'docker-20.10.24'];
const BASE_ROLES = ['root', 'targets', 'snapshot', 'timestamp'];

interface IndexEntry {
  path: string;
  url: string;
  kind: 'current' | 'version' | 'checksum-sha256' | 'checksum-sha512' | 'key' | 'missing';
  role: string;
  version?: number;
  status: number;
  sha256?: string;
  length?: number;
}
interface RepoIndex { name: string; gun: string; files: IndexEntry[] }
interface Signed { _type: string; version: number; expires: string; [k: string]: unknown }
interface Envelope { signed: Signed; signatures: { keyid: string; method: string; sig: string }[] }
interface FileMeta { hashes: Record<string, string>; length: number }
interface DelegationRole { name: string; keyids: string[]; threshold: number; paths?: string[] }

const sha = (alg: 'sha256' | 'sha512', b: Buffer): Buffer => createHash(alg).update(b).digest();
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
const typeOf = (role: string): string =>
  role === 'root' ? 'Root' : role === 'snapshot' ? 'Snapshot' : role === 'timestamp' ? 'Timestamp' : 'Targets';

function checkMeta(what: string, meta: FileMeta, bytes: Buffer): void {
  assert.equal(meta.length, bytes.length, `${what}: length`);
  assert.ok(meta.hashes.sha256, `${what}: sha256 listed`);
  for (const [alg, b64] of Object.entries(meta.hashes)) {
    if (alg !== 'sha256' && alg !== 'sha512') continue;
    assert.equal(sha(alg, bytes).toString('base64'), b64, `${what}: ${alg}`);
  }
}

/** Checks one recorded repository; returns its current documents by role. */
function checkRepo(repoDir: string): Map<string, Envelope> {
  const indexPath = join(repoDir, 'index.json');
  assert.ok(existsSync(indexPath), `${indexPath} exists`);
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as RepoIndex;
  assert.match(index.gun, /^127\.0\.0\.1:5000\/fixtures\//);
  const raw = new Map<string, Buffer>();
  for (const f of index.files) {
    const p = join(repoDir, f.path);
    assert.ok(existsSync(p), `${f.path} listed in index.json exists`);
    assert.ok(f.url.startsWith(`/v2/${index.gun}/_trust/tuf/`), `${f.url} is a tuf URL of the gun`);
    if (f.status !== 200) continue;
    const bytes = readFileSync(p);
    assert.equal(bytes.length, f.length, `${f.path}: length in index`);
    assert.equal(sha('sha256', bytes).toString('hex'), f.sha256, `${f.path}: sha256 in index`);
    raw.set(f.path, bytes);
    const doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    if (f.kind === 'key') {
      assert.ok(typeof doc.keytype === 'string', `${f.path}: keytype`);
      continue;
    }
    const env = doc as unknown as Envelope;
    assert.deepEqual(Object.keys(env), ['signed', 'signatures'], `${f.path}: envelope, signed first`);
    assert.equal(env.signed._type, typeOf(f.role), `${f.path}: _type`);
    assert.ok(env.signatures.length >= 1, `${f.path}: signed`);
    if (f.kind === 'version') assert.equal(env.signed.version, f.version, `${f.path}: version`);
  }
  // every file under tuf/ is listed
  const listed = new Set(index.files.map((f) => f.path));
  for (const p of walk(join(repoDir, 'tuf'))) assert.ok(listed.has(relative(repoDir, p)), `${relative(repoDir, p)} is in index.json`);

  const current = new Map<string, Envelope>();
  const currentRaw = new Map<string, Buffer>();
  for (const f of index.files) {
    if (f.kind !== 'current' || f.status !== 200) continue;
    const b = raw.get(f.path);
    assert.ok(b);
    currentRaw.set(f.role, b);
    current.set(f.role, JSON.parse(b.toString('utf8')) as Envelope);
  }
  for (const r of BASE_ROLES) assert.ok(current.has(r), `current ${r}.json recorded`);

  // timestamp → snapshot
  const ts = current.get('timestamp')!.signed as Signed & { meta: Record<string, FileMeta> };
  assert.deepEqual(Object.keys(ts.meta), ['snapshot']);
  checkMeta('timestamp → snapshot', ts.meta.snapshot!, currentRaw.get('snapshot')!);
  // snapshot → root, targets and every delegation
  const snap = current.get('snapshot')!.signed as Signed & { meta: Record<string, FileMeta> };
  assert.ok(snap.meta.root && snap.meta.targets, 'snapshot lists root and targets');
  assert.ok(!('timestamp' in snap.meta), 'snapshot does not list timestamp');
  for (const [role, meta] of Object.entries(snap.meta)) {
    const b = currentRaw.get(role);
    assert.ok(b, `snapshot role ${role} recorded`);
    checkMeta(`snapshot → ${role}`, meta, b);
  }
  for (const role of current.keys()) {
    if (role !== 'timestamp' && role !== 'snapshot') assert.ok(role in snap.meta, `${role} is in the snapshot`);
  }
  // checksum URLs serve the same bytes; the name carries the hash
  for (const f of index.files) {
    if (f.kind !== 'checksum-sha256' || f.status !== 200) continue;
    const hex = /\.([0-9a-f]{64})\.json$/.exec(f.path)?.[1];
    assert.ok(hex, f.path);
    assert.equal(sha('sha256', raw.get(f.path)!).toString('hex'), hex, `${f.path}: name = sha256`);
    assert.ok(raw.get(f.path)!.equals(currentRaw.get(f.role)!), `${f.path} = current ${f.role}`);
  }
  // delegations form a tree whose every role is recorded; every root version is kept
  const queue = ['targets'];
  while (queue.length > 0) {
    const role = queue.shift()!;
    const doc = current.get(role);
    assert.ok(doc, `delegated role ${role} recorded`);
    const deleg = (doc.signed as Signed & { delegations: { keys: Record<string, unknown>; roles: DelegationRole[] } }).delegations;
    assert.ok(deleg && Array.isArray(deleg.roles), `${role}: delegations present`);
    for (const d of deleg.roles) {
      assert.ok(d.name.startsWith(`${role}/`) && !d.name.slice(role.length + 1).includes('/'), `${d.name} is a direct child of ${role}`);
      for (const k of d.keyids) assert.ok(k in deleg.keys, `${d.name}: key ${k} listed`);
      queue.push(d.name);
    }
  }
  const rootVersion = current.get('root')!.signed.version;
  for (let v = 1; v <= rootVersion; v++) assert.ok(raw.has(`tuf/${v}.root.json`), `${v}.root.json recorded`);
  return current;
}

/** Passphrase for a key file, as given in each NOTES.md (docker uses one for every non-root key). */
function passphraseFor(setDir: string, role: string): string {
  if (role === 'root') return 'vouch-root-passphrase';
  if (setDir.includes(`${join('fixtures', 'docker')}`)) return 'vouch-repository-passphrase';
  if (role === 'targets') return 'vouch-targets-passphrase';
  if (role === 'snapshot') return 'vouch-snapshot-passphrase';
  return 'vouch-delegation-passphrase';
}

function checkTrustDirs(setDir: string): void {
  const trust = join(setDir, 'trust');
  assert.ok(existsSync(trust), 'trust/ recorded');
  for (const label of readdirSync(trust)) {
    const listing = readFileSync(join(trust, label, 'listing.txt'), 'utf8');
    const keys = readdirSync(join(trust, label, 'private'));
    assert.ok(keys.length > 0, `${label}: private keys recorded`);
    for (const k of keys) {
      assert.match(k, /^[0-9a-f]{64}\.key$/);
      assert.ok(listing.includes(`-rw------- private/${k}`), `${label}: ${k} in listing with mode 0600`);
      const pem = readFileSync(join(trust, label, 'private', k), 'utf8');
      assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n(gun: .+\n)?role: .+\n\n/);
      assert.match(pem, /-----END ENCRYPTED PRIVATE KEY-----\n$/);
      // OpenSSL rejects PEM headers other than Proc-Type: strip gun/role, then decrypt with the documented passphrase
      const role = /\nrole: (.+)\n/.exec(pem)?.[1] ?? '';
      const bare = pem.split('\n').filter((l) => !/^(gun|role): /.test(l)).join('\n').replace('-----\n\n', '-----\n');
      const key = createPrivateKey({ key: bare, format: 'pem', passphrase: passphraseFor(setDir, role) });
      assert.ok(['ec', 'rsa'].includes(key.asymmetricKeyType ?? ''), `${k}: ${key.asymmetricKeyType}`);
    }
  }
}

function checkSetBasics(setDir: string): void {
  const notes = readFileSync(join(setDir, 'NOTES.md'), 'utf8');
  for (const s of ['## Passphrases', '## Tool versions', '## Files and the commands that produced them', 'notary 0.7.0']) {
    assert.ok(notes.includes(s), `NOTES.md mentions ${s}`);
  }
  assert.ok(statSync(join(setDir, 'transcript.txt')).size > 0, 'transcript.txt');
  assert.ok(!readFileSync(join(setDir, 'transcript.txt'), 'utf8').includes('/tmp/vouch-fixtures.'), 'transcript sanitized');
}

const signatureMethod = (e: Envelope): string => e.signatures[0]!.method;

describe('notary fixture sets', () => {
  for (const set of NOTARY_SETS) {
    const dir = join(fixturesDir, 'notary', set);
    test(`notary/${set} is complete and consistent`, () => {
      assert.ok(existsSync(dir), `${dir} exists (run scripts/record-fixtures.sh ${set})`);
      checkSetBasics(dir);
      checkTrustDirs(dir);
      const repos = readdirSync(join(dir, 'repos'));
      assert.ok(repos.length > 0);
      for (const r of repos) checkRepo(join(dir, 'repos', r));
    });
  }

  const serverMethod: Record<string, string> = { 'ecdsa-remote': 'ecdsa', 'ed25519-remote': 'eddsa', 'ed25519-local': 'eddsa' };
  for (const [set, method] of Object.entries(serverMethod)) {
    test(`notary/${set}: full repo has every role kind, server keys sign with ${method}`, () => {
      const full = checkRepo(join(fixturesDir, 'notary', set, 'repos', 'full'));
      for (const r of ['targets/releases', 'targets/alice', 'targets/a', 'targets/a/b', 'targets/x509', 'targets/rsa']) assert.ok(full.has(r), r);
      const root = full.get('root')!.signed as Signed & { keys: Record<string, { keytype: string }> };
      assert.ok(root.version >= 5, 'root rotated twice + targets and snapshot rotations');
      assert.equal(signatureMethod(full.get('timestamp')!), method);
      const delegKeys = (full.get('targets')!.signed as Signed & { delegations: { keys: Record<string, { keytype: string }> } }).delegations.keys;
      const types = new Set(Object.values(delegKeys).map((k) => k.keytype));
      for (const t of ['ecdsa', 'ecdsa-x509', 'rsa']) assert.ok(types.has(t), `delegation keytype ${t}`);
      assert.equal(signatureMethod(full.get('targets/rsa')!), 'rsapss');
      const targets = (full.get('targets')!.signed as Signed & { targets: Record<string, FileMeta & { custom?: unknown }> }).targets;
      assert.ok(targets['1.0-add']?.hashes.sha512, 'notary add writes sha512');
      assert.ok(targets['1.0-custom']?.custom !== undefined, 'custom data');
      const ss = checkRepo(join(fixturesDir, 'notary', set, 'repos', 'server-snapshot'));
      assert.equal(signatureMethod(ss.get('snapshot')!), method, 'server-held snapshot signed by the server key');
      assert.equal(signatureMethod(full.get('snapshot')!), 'ecdsa', 'client-held snapshot signed by the client key');
    });
  }

  test('notary/encoding: target lengths as published by the real client and server', () => {
    const dir = join(fixturesDir, 'notary', 'encoding', 'repos');
    for (const n of ['100000000', '9007199254740992']) {
      const raw = readFileSync(join(dir, `length-${n}`, 'tuf', 'targets.json'), 'utf8');
      assert.ok(raw.includes(`"length":${n}}`), `length ${n} published as a plain integer`);
      assert.ok(!existsSync(join(dir, `length-${n}`, 'cli', 'addhash.txt.exit')));
    }
    for (const n of ['9007199254740993', '9223372036854775807']) {
      assert.ok(existsSync(join(dir, `length-${n}`, 'cli', 'addhash.txt.exit')), `length ${n} rejected`);
      const raw = readFileSync(join(dir, `length-${n}`, 'tuf', 'targets.json'), 'utf8');
      assert.ok(!raw.includes(`"length":${n}`), `length ${n} not served`);
    }
    // signed over the float64-rounded spelling: accepted, served byte-exact, listed exactly by the client
    const crafted = join(dir, 'crafted-9007199254740993-signed-as-9007199254740992');
    assert.match(readFileSync(join(crafted, 'cli', 'post.txt'), 'utf8'), / 200 $/m);
    assert.ok(readFileSync(join(crafted, 'tuf', 'targets.json'), 'utf8').includes('"length":9007199254740993}'));
    assert.match(readFileSync(join(crafted, 'cli', 'list-fresh-client.txt'), 'utf8'), /\s9007199254740993\s+targets/);
    const exact = join(dir, 'crafted-9007199254740993-signed-as-9007199254740993');
    assert.match(readFileSync(join(exact, 'cli', 'post.txt'), 'utf8'), / 400 \{"errors":\[\{"code":"INVALID_UPDATE"/);
  });
});

describe('docker fixture sets', () => {
  for (const set of DOCKER_SETS) {
    const dir = join(fixturesDir, 'docker', set);
    test(`docker/${set} is complete and consistent`, () => {
      assert.ok(existsSync(dir), `${dir} exists (run scripts/record-fixtures.sh ${set})`);
      checkSetBasics(dir);
      checkTrustDirs(dir);
      const repo = checkRepo(join(dir, 'repos', 'docker'));
      for (const r of ['targets/releases', 'targets/alice']) assert.ok(repo.has(r), r);
      const g = join(dir, 'repos', 'docker', set);
      for (const stage of ['after-sign', 'after-bob', 'after-revoke', 'after-signer-remove']) {
        const inspect = JSON.parse(readFileSync(join(g, stage, 'inspect.json'), 'utf8')) as { Name: string }[];
        assert.equal(inspect[0]?.Name, '127.0.0.1:5000/fixtures/docker', `${stage}/inspect.json`);
        assert.ok(statSync(join(g, stage, 'inspect-pretty.txt')).size > 0, `${stage}/inspect-pretty.txt`);
      }
      assert.match(readFileSync(join(g, 'pull-1.0.txt'), 'utf8'), /Pull \(1 of 1\): 127\.0\.0\.1:5000\/fixtures\/docker:1\.0@sha256:[0-9a-f]{64}/);
    });
  }
});

describe('peers harness self-check (real notary-server + notary CLI)', () => {
  let peers: Peers;
  before(async () => {
    peers = await startPeers({ notary: { trustService: 'local' } });
  });
  after(async () => {
    await peers?.stop();
  });
  test('starts notary on a free port, runs the notary CLI, serves what the fixtures describe', async () => {
    assert.match(peers.notaryUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(peers.ca));
    const gun = peers.gun('selfcheck/app');
    const init = await peers.notary(['init', '-p', gun]);
    assert.equal(init.code, 0, init.stderr);
    const add = await peers.notary(['addhash', '-p', gun, 'v1', '100000000', '--sha256', 'ab'.repeat(32)]);
    assert.equal(add.code, 0, add.stderr);
    const fresh = await peers.notary(['list', gun], { trustDir: join(peers.dir, 'fresh') });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /v1\s+(ab){32}\s+100000000\s+targets/);
    const root = await peers.notaryGet(`/v2/${gun}/_trust/tuf/root.json`);
    assert.equal(root.status, 200);
    assert.equal((JSON.parse(root.body.toString('utf8')) as Envelope).signed._type, 'Root');
    assert.equal((await peers.notaryGet(`/v2/${gun}x/_trust/tuf/root.json`)).status, 404);
  });
});
