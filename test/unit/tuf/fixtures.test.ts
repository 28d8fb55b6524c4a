// Real notary 0.7.0 / docker metadata, as recorded by scripts/record-fixtures.sh (see
// test/fixtures/notary/README.md and the NOTES.md of each set): notary/ecdsa-remote/repos/full (root
// rotated twice, targets and snapshot keys rotated, nested, x509 and RSA delegations, client-held
// snapshot), notary/ecdsa-remote/repos/server-snapshot (`key rotate snapshot -r`) and the repositories
// docker 28.2.2 and 20.10.24 wrote with `trust signer add/sign/revoke` (docker/docker-<version>).
// Every served file parses and re-serialises to the bytes notary served, every version of every role
// verifies against the keys that delegated it, and tags resolve to the recorded image manifests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../../support/paths.js';
import { hash, toHex } from '../../../src/core/index.js';
import { decodePem } from '../../../src/keys/index.js';
import { parseServerKey } from '../../../src/client/remote.js';
import {
  TrustedMetadata, listTargets, loadTargetsTree, resolveDockerTag, baseKeyRole, delegationKeyRole, keyId, parseMetadata, parseRoot, parseSnapshot, parseTargets, parseTimestamp, validateRoot, verifySignatures,
  type FileMeta, type Metadata, type Root, type Snapshot, type Targets,
} from '../../../src/tuf/index.js';

interface IndexFile { path: string; kind: string; role: string; version?: number; status: number }
interface Repo { name: string; dir: string; gun: string; files: IndexFile[]; now: Date }

const DAY_MS = 24 * 60 * 60 * 1000;
const DOCKER_VERSIONS = ['28.2.2', '20.10.24'];

function openRepo(...parts: string[]): Repo {
  const dir = fixture(...parts);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { gun: string; files: IndexFile[] };
  // notary-server signs timestamps for 14 days: a day after the recording, everything is valid.
  const expires = parseTimestamp(readFileSync(join(dir, 'tuf', 'timestamp.json'))).signed.expires;
  return { name: parts.join('/'), dir, gun: index.gun, files: index.files, now: new Date(expires.getTime() - 13 * DAY_MS) };
}

const FULL = openRepo('notary', 'ecdsa-remote', 'repos', 'full');
const SERVER_SNAPSHOT = openRepo('notary', 'ecdsa-remote', 'repos', 'server-snapshot');
const DOCKER = new Map(DOCKER_VERSIONS.map((v) => [v, openRepo('docker', `docker-${v}`, 'repos', 'docker')]));
const REPOS = [FULL, SERVER_SNAPSHOT, ...DOCKER.values()];

/** A served file by its URL tail: `timestamp.json`, `3.root.json`, `targets/a/b.json`, `timestamp.key`. */
const read = (repo: Repo, tail: string): Buffer => readFileSync(join(repo.dir, 'tuf', tail));
const served = (repo: Repo): IndexFile[] => repo.files.filter((f) => f.status === 200 && f.kind !== 'key');
/** Every recorded version of a role, by version number. */
const versions = (repo: Repo, role: string): Map<number, Buffer> =>
  new Map(repo.files.filter((f) => f.kind === 'version' && f.status === 200 && f.role === role).map((f) => [f.version!, readFileSync(join(repo.dir, f.path))]));
const rootVersions = (repo: Repo): Metadata<Root>[] => [...versions(repo, 'root')].sort(([a], [b]) => a - b).map(([, b]) => parseRoot(b));
const TYPE: Record<string, string> = { root: 'Root', snapshot: 'Snapshot', timestamp: 'Timestamp' };
/** sha256 of an image manifest the recording signed, and its length. */
function manifest(setDir: string[], file: string): { digest: string; length: number } {
  const bytes = readFileSync(fixture(...setDir, 'inputs', file));
  return { digest: `sha256:${toHex(hash('sha256', bytes))}`, length: bytes.byteLength };
}

function assertMatches(meta: FileMeta | undefined, bytes: Uint8Array, what: string): void {
  assert.ok(meta, `${what} listed`);
  assert.equal(meta.length, bytes.byteLength, `${what}: length`);
  assert.ok(meta.hashes.has('sha256'), `${what}: sha256`);
  for (const [alg, h] of meta.hashes) {
    assert.ok(alg === 'sha256' || alg === 'sha512', `${what}: ${alg}`);
    assert.deepEqual(hash(alg, bytes), Buffer.from(h), `${what}: ${alg}`);
  }
}

for (const repo of REPOS) {
  test(`${repo.name}: every served file parses as its role and re-serialises to the bytes notary served`, () => {
    const files = served(repo);
    assert.ok(files.length >= 20, `${files.length} files`);
    for (const f of files) {
      const bytes = readFileSync(join(repo.dir, f.path));
      const md = parseMetadata(bytes, f.role);
      const compact = md.toBytes();
      assert.deepEqual(compact, bytes, `${f.path}: toBytes() is the served bytes`);
      assert.deepEqual(parseMetadata(compact, f.role).toBytes(), compact, `${f.path}: idempotent`);
      const text = compact.toString('utf8');
      assert.ok(text.startsWith(`{"signed":{"_type":"${TYPE[f.role] ?? 'Targets'}",`), `${f.path}: signed first, _type first`);
      assert.match(text, /"signatures":\[\{"keyid":"[0-9a-f]{64}","method":"[a-z]+","sig":"[A-Za-z0-9+/=]+"\}/, f.path);
      if (f.kind === 'version') assert.equal(md.signed.version, f.version, `${f.path}: version`);
    }
  });
}

// The roles each repository's current snapshot lists (test/fixtures/notary/ecdsa-remote/NOTES.md,
// docker/docker-<version>/NOTES.md): the 20.10.24 snapshot still lists targets/bob after `signer remove`.
const SNAPSHOT_ROLES = new Map<Repo, string[]>([
  [FULL, ['root', 'targets', 'targets/a', 'targets/a/b', 'targets/alice', 'targets/releases', 'targets/rsa', 'targets/x509']],
  [SERVER_SNAPSHOT, ['root', 'targets', 'targets/releases']],
  ...[...DOCKER.values()].map((r): [Repo, string[]] => [r, ['root', 'targets', 'targets/alice', 'targets/bob', 'targets/releases']]),
]);

for (const repo of REPOS) {
  test(`${repo.name}: the serialisation is the bytes notary served: timestamp → snapshot → every role (hashes and lengths)`, () => {
    const ts = parseTimestamp(read(repo, 'timestamp.json'));
    const snap = parseSnapshot(read(repo, 'snapshot.json'));
    assert.deepEqual([...ts.signed.meta.keys()], ['snapshot']);
    assertMatches(ts.signed.snapshot, snap.toBytes(), 'timestamp → snapshot');
    // …and the snapshot is served under the sha256 the timestamp lists.
    assert.deepEqual(read(repo, `snapshot.${toHex(ts.signed.snapshot.hashes.get('sha256')!)}.json`), snap.toBytes());
    assert.deepEqual([...snap.signed.meta.keys()].sort(), SNAPSHOT_ROLES.get(repo));
    for (const [role, meta] of snap.signed.meta) assertMatches(meta, parseMetadata(read(repo, `${role}.json`), role).toBytes(), `snapshot → ${role}`);
  });

  test(`${repo.name}: every recorded timestamp and snapshot version names recorded versions, each signed by the keys that delegated it`, () => {
    const byHash = (role: string, meta: FileMeta): Metadata => {
      const want = toHex(meta.hashes.get('sha256')!);
      const hit = [...versions(repo, role).values()].map((b) => parseMetadata(b, role)).find((md) => toHex(hash('sha256', md.toBytes())) === want);
      assert.ok(hit, `a recorded version of ${role} has sha256 ${want}`);
      assertMatches(meta, hit.toBytes(), role);
      return hit;
    };
    const snapshots = versions(repo, 'snapshot');
    const timestamps = versions(repo, 'timestamp');
    assert.ok(snapshots.size >= 6 && timestamps.size >= 6, `${snapshots.size} snapshots, ${timestamps.size} timestamps`);
    const undelegated: string[] = [];
    let checked = 0;
    for (const bytes of snapshots.values()) {
      const snap = parseSnapshot(bytes);
      const meta = snap.signed.meta;
      const root = byHash('root', meta.get('root')!).signed as Root;
      verifySignatures(snap, baseKeyRole(root, 'snapshot'));
      const files = new Map<string, Metadata<Targets>>();
      for (const role of [...meta.keys()].filter((r) => r !== 'root').sort((a, b) => a.split('/').length - b.split('/').length)) {
        const md = byHash(role, meta.get(role)!) as Metadata<Targets>;
        files.set(role, md);
        if (role === 'targets') {
          verifySignatures(md, baseKeyRole(root, 'targets'));
        } else {
          const parent = files.get(role.slice(0, role.lastIndexOf('/')));
          const d = parent?.signed.delegations.roles.find((r) => r.name === role);
          if (parent === undefined || d === undefined) {
            undelegated.push(role);
            continue;
          }
          verifySignatures(md, delegationKeyRole(parent.signed, d));
        }
        checked++;
      }
    }
    for (const bytes of timestamps.values()) {
      const ts = parseTimestamp(bytes);
      const snap = byHash('snapshot', ts.signed.snapshot);
      const root = byHash('root', (snap as Metadata<Snapshot>).signed.meta.get('root')!).signed as Root;
      verifySignatures(ts, baseKeyRole(root, 'timestamp'));
    }
    assert.ok(checked >= snapshots.size, `${checked} targets files verified`);
    // Only docker 20.10.24's `trust signer remove -f bob` leaves a role in the snapshot that nothing delegates.
    assert.deepEqual([...new Set(undelegated)], repo === DOCKER.get('20.10.24') ? ['targets/bob'] : []);
  });
}

test('notary/ecdsa-remote full: root v1 → v5 validates with certificates, each rotation signed by the previous root key only', () => {
  const roots = rootVersions(FULL);
  assert.deepEqual(roots.map((r) => r.signed.version), [1, 2, 3, 4, 5]);
  const { gun, now } = FULL;
  validateRoot(roots[0]!, { gun, now });
  for (let i = 1; i < roots.length; i++) validateRoot(roots[i]!, { gun, now, previous: roots[i - 1] });
  for (const md of roots) for (const [id, k] of md.signed.keys) assert.equal(keyId(k), id, `root v${md.signed.version}: every key ID recomputes`);
  const ids = (role: 'root' | 'targets' | 'snapshot' | 'timestamp'): string[] => roots.map((r) => r.signed.roles[role].keyids.join());
  const changes = (role: 'root' | 'targets' | 'snapshot' | 'timestamp'): number[] => ids(role).flatMap((k, i) => (i > 0 && k !== ids(role)[i - 1] ? [i + 1] : []));
  assert.deepEqual(changes('root'), [2, 3], 'root key rotated twice');
  assert.deepEqual(changes('targets'), [4], 'then the targets key');
  assert.deepEqual(changes('snapshot'), [5], 'then the snapshot key');
  assert.deepEqual(changes('timestamp'), [], 'the server timestamp key stays');
  // A root-key rotation is signed by the new key and the immediately previous one; a later root by the current key only.
  assert.deepEqual(roots.map((r) => r.signatures.length), [1, 2, 2, 1, 1]);
  for (const i of [1, 2]) {
    assert.deepEqual(verifySignatures(roots[i]!, baseKeyRole(roots[i - 1]!.signed, 'root')).validKeyIds, roots[i - 1]!.signed.roles.root.keyids);
    assert.deepEqual(verifySignatures(roots[i]!, baseKeyRole(roots[i]!.signed, 'root')).validKeyIds, roots[i]!.signed.roles.root.keyids);
  }
  assert.throws(() => verifySignatures(roots[2]!, baseKeyRole(roots[0]!.signed, 'root')), { code: 'THRESHOLD_NOT_MET' }, 'v3 is not signed by the v1 key');
  assert.throws(() => validateRoot(roots[2]!, { gun, now, previous: roots[0] }), { code: 'ROOT_ROTATION_FAILED' }, 'v1 → v3 skips a rotation');

  // The current root signs everything below it; the keys it replaced do not.
  const root = roots.at(-1)!.signed;
  verifySignatures(parseTimestamp(read(FULL, 'timestamp.json')), baseKeyRole(root, 'timestamp'));
  const snapshot = parseSnapshot(read(FULL, 'snapshot.json'));
  verifySignatures(snapshot, baseKeyRole(root, 'snapshot'));
  assert.throws(() => verifySignatures(snapshot, baseKeyRole(roots[3]!.signed, 'snapshot')), { code: 'THRESHOLD_NOT_MET' });
  const targets = parseTargets(read(FULL, 'targets.json'));
  verifySignatures(targets, baseKeyRole(root, 'targets'));
  assert.throws(() => verifySignatures(targets, baseKeyRole(roots[2]!.signed, 'targets')), { code: 'THRESHOLD_NOT_MET' });
  // Every delegation, nested targets/a/b included, with its parent's keys; x509 and RSA keys too.
  const methods: string[] = [];
  const queue: Metadata<Targets>[] = [targets];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const d of parent.signed.delegations.roles) {
      const md = parseTargets(read(FULL, `${d.name}.json`), d.name);
      assert.deepEqual(verifySignatures(md, delegationKeyRole(parent.signed, d)).validKeyIds, d.keyids, d.name);
      methods.push(`${d.name}:${parent.signed.delegations.keys.get(d.keyids[0]!)!.keytype}:${md.signatures[0]!.method}`);
      queue.push(md);
    }
  }
  assert.deepEqual(methods, [
    'targets/releases:ecdsa:ecdsa', 'targets/alice:ecdsa:ecdsa', 'targets/a:ecdsa:ecdsa', 'targets/x509:ecdsa-x509:ecdsa', 'targets/rsa:rsa:rsapss', 'targets/a/b:ecdsa:ecdsa',
  ]);
});

test('notary/ecdsa-remote server-snapshot: `key rotate snapshot -r` moves the snapshot key to the server in root v2', () => {
  const [v1, v2] = rootVersions(SERVER_SNAPSHOT);
  assert.deepEqual([v1?.signed.version, v2?.signed.version], [1, 2]);
  const { gun, now } = SERVER_SNAPSHOT;
  validateRoot(v1!, { gun, now });
  validateRoot(v2!, { gun, now, previous: v1 });
  assert.notDeepEqual(v1!.signed.roles.snapshot.keyids, v2!.signed.roles.snapshot.keyids);
  assert.deepEqual(v1!.signed.roles.root.keyids, v2!.signed.roles.root.keyids, 'same root key');
  for (const md of [v1!, v2!]) for (const [id, k] of md.signed.keys) assert.equal(keyId(k), id, 'every key ID recomputes');
  // The first snapshot (`init -p`) was signed by the client key of v1, the current one by the server key of v2.
  const first = parseSnapshot(versions(SERVER_SNAPSHOT, 'snapshot').get(2)!);
  verifySignatures(first, baseKeyRole(v1!.signed, 'snapshot'));
  assert.throws(() => verifySignatures(first, baseKeyRole(v2!.signed, 'snapshot')), { code: 'THRESHOLD_NOT_MET' });
  const current = parseSnapshot(read(SERVER_SNAPSHOT, 'snapshot.json'));
  verifySignatures(current, baseKeyRole(v2!.signed, 'snapshot'));
  assert.throws(() => verifySignatures(current, baseKeyRole(v1!.signed, 'snapshot')), { code: 'THRESHOLD_NOT_MET' });
  const targets = parseTargets(read(SERVER_SNAPSHOT, 'targets.json'));
  verifySignatures(targets, baseKeyRole(v2!.signed, 'targets'));
  const releases = parseTargets(read(SERVER_SNAPSHOT, 'targets/releases.json'), 'targets/releases');
  verifySignatures(releases, delegationKeyRole(targets.signed, targets.signed.delegations.roles[0]!));
});

test('the root certificate is for the GUN: another GUN is refused', () => {
  for (const repo of [FULL, DOCKER.get('28.2.2')!]) {
    const v1 = rootVersions(repo)[0]!;
    assert.throws(() => validateRoot(v1, { gun: `${repo.gun}-other`, now: repo.now }), { code: 'INVALID_CERTIFICATE' });
    assert.throws(() => validateRoot(v1, { gun: '127.0.0.1:5000/fixtures/elsewhere', now: repo.now }), { code: 'INVALID_CERTIFICATE' });
    validateRoot(v1, { gun: repo.gun, now: repo.now });
  }
});

for (const [v, repo] of DOCKER) {
  test(`docker ${v}: targets/alice, targets/bob and targets/releases verify with the keys docker delegated`, () => {
    const inputs = ['docker', `docker-${v}`];
    const pub = (name: string): Buffer => decodePem(readFileSync(fixture(...inputs, 'inputs', `${name}.pub`), 'utf8')).bytes;
    const targetsV = (n: number): Metadata<Targets> => parseTargets(versions(repo, 'targets').get(n)!);
    const delegated = (t: Metadata<Targets>, role: string) => t.signed.delegations.roles.find((d) => d.name === role)!;

    // `trust signer add alice` on a new GUN (targets v2; v3 adds tag 1.0 through the notary CLI):
    // alice's key, as given, delegated to targets/alice and targets/releases, all paths.
    const afterAlice = targetsV(3);
    assert.deepEqual(afterAlice.signed.delegations.roles.map((d) => [d.name, d.paths, d.threshold]), [['targets/alice', [''], 1], ['targets/releases', [''], 1]]);
    const alice = delegated(afterAlice, 'targets/alice').keyids;
    assert.equal(alice.length, 1);
    assert.deepEqual(delegated(afterAlice, 'targets/releases').keyids, alice);
    assert.deepEqual(afterAlice.signed.delegations.keys.get(alice[0]!), { keytype: 'ecdsa', public: pub('alice') });
    assert.equal(keyId({ keytype: 'ecdsa', public: pub('alice') }), alice[0]);

    // `trust sign :1.0` (version 1 of both delegations): the admin's tag, sha256 only.
    const m10 = manifest(inputs, 'manifest-fixtures_docker-1.0.json');
    for (const role of ['targets/alice', 'targets/releases']) {
      const md = parseTargets(versions(repo, role).get(1)!, role);
      assert.deepEqual(verifySignatures(md, delegationKeyRole(afterAlice.signed, delegated(afterAlice, role))).validKeyIds, alice, role);
      const t = md.signed.targets.get('1.0');
      assert.ok(t, `${role} holds 1.0`);
      assert.deepEqual([...t.hashes.keys()], ['sha256'], 'docker writes only sha256');
      assert.equal(`sha256:${toHex(t.hashes.get('sha256')!)}`, m10.digest);
      assert.equal(t.length, m10.length);
      assert.deepEqual(t, afterAlice.signed.targets.get('1.0'), 'the same target as the admin signed');
    }

    // `trust signer add bob` (targets v4): bob's key goes to targets/bob and joins targets/releases.
    const afterBob = targetsV(4);
    const bob = delegated(afterBob, 'targets/bob').keyids;
    assert.equal(keyId({ keytype: 'ecdsa', public: pub('bob') }), bob[0]);
    assert.deepEqual([...delegated(afterBob, 'targets/releases').keyids].sort(), [...alice, ...bob].sort());
    // `trust sign :2.0` with both signer keys: targets/releases v2 carries two signatures, both count.
    const releases2 = parseTargets(versions(repo, 'targets/releases').get(2)!, 'targets/releases');
    assert.deepEqual([...verifySignatures(releases2, delegationKeyRole(afterBob.signed, delegated(afterBob, 'targets/releases'))).validKeyIds].sort(), [...alice, ...bob].sort());
    assert.equal(releases2.signatures.length, 2);
    verifySignatures(parseTargets(versions(repo, 'targets/bob').get(1)!, 'targets/bob'), delegationKeyRole(afterBob.signed, delegated(afterBob, 'targets/bob')));

    // `trust signer remove -f bob`: a no-op in 28.2.2, removes bob in 20.10.24.
    const current = parseTargets(read(repo, 'targets.json'));
    assert.deepEqual(current.signed.delegations.roles.map((d) => d.name), v === '28.2.2' ? ['targets/alice', 'targets/releases', 'targets/bob'] : ['targets/alice', 'targets/releases']);
  });
}

test('keys served by GET …/timestamp.key and …/snapshot.key carry the IDs the root lists (public before private on the wire)', () => {
  const cases: [Repo, 'timestamp' | 'snapshot', boolean][] = [
    [FULL, 'timestamp', true], [SERVER_SNAPSHOT, 'timestamp', true], [SERVER_SNAPSHOT, 'snapshot', true],
    ...[...DOCKER.values()].flatMap((r): [Repo, 'timestamp' | 'snapshot', boolean][] => [[r, 'timestamp', true], [r, 'snapshot', true]]),
    // A client-held snapshot: the server still answers, with a key of its own that the root does not list.
    [FULL, 'snapshot', false],
  ];
  for (const [repo, role, listed] of cases) {
    const body = read(repo, `${role}.key`);
    const text = body.toString('utf8');
    assert.ok(text.indexOf('"public"') < text.indexOf('"private"'), `${repo.name} ${role}.key: not canonical`);
    const key = parseServerKey(body, role);
    assert.equal(key.keytype, 'ecdsa');
    const root = parseRoot(read(repo, 'root.json')).signed;
    assert.equal(root.roles[role].keyids.includes(keyId(key)), listed, `${repo.name} ${role}.key listed in root: ${listed}`);
    if (listed) assert.deepEqual(root.roles[role].keyids, [keyId(key)]);
    else assert.ok(!root.keys.has(keyId(key)));
  }
});

async function load(repo: Repo): Promise<{ tm: TrustedMetadata; fetched: string[] }> {
  const roots = versions(repo, 'root');
  const tm = TrustedMetadata.fromRoot(roots.get(1)!, { gun: repo.gun, now: repo.now });
  for (let v = 2; roots.has(v); v++) tm.updateRoot(roots.get(v)!);
  tm.updateTimestamp(read(repo, 'timestamp.json'));
  tm.updateSnapshot(read(repo, 'snapshot.json'));
  const fetched: string[] = [];
  const { warnings } = await loadTargetsTree(tm, (role) => {
    fetched.push(role);
    return read(repo, `${role}.json`);
  });
  assert.deepEqual(warnings, []);
  return { tm, fetched };
}

test('the state machine loads notary/ecdsa-remote full: root chain v1 → v5, timestamp → snapshot → targets → every delegation', async () => {
  const { tm, fetched } = await load(FULL);
  assert.equal(tm.root.signed.version, 5);
  assert.deepEqual(fetched, ['targets', 'targets/releases', 'targets/alice', 'targets/a', 'targets/x509', 'targets/rsa', 'targets/a/b']);
  const set = ['notary', 'ecdsa-remote'];
  for (const [tag, role] of [['1.0', 'targets'], ['1.1', 'targets/releases'], ['2.0', 'targets']] as const) {
    const m = manifest(set, `manifest-fixtures_full-${tag}.json`);
    assert.deepEqual(resolveDockerTag(tm, tag), { tag, digest: m.digest, length: m.length, role });
  }
  // Signed by targets/alice: listed, but docker only accepts targets and targets/releases.
  assert.throws(() => resolveDockerTag(tm, '1.2'), { code: 'TAG_NOT_FOUND' });
  assert.throws(() => resolveDockerTag(tm, 'nope'), { code: 'TAG_NOT_FOUND' });
  assert.throws(() => resolveDockerTag(tm, 'sha512-only'), { code: 'TAG_NOT_FOUND' }, 'removed in the last publish');
  const listed = listTargets(tm);
  assert.deepEqual(listed.map((t) => `${t.role}:${t.name}`), [
    'targets:1.0', 'targets:1.0-add', 'targets:1.0-custom', 'targets:2.0', 'targets/releases:1.1', 'targets/alice:1.2', 'targets/a:a/one', 'targets/x509:x509-signed', 'targets/rsa:rsa-signed', 'targets/a/b:a/b/two',
  ]);
  const m12 = manifest(set, 'manifest-fixtures_full-1.2.json');
  const alice = listed.find((t) => t.name === '1.2')!.meta;
  assert.equal(`sha256:${toHex(alice.hashes.get('sha256')!)}`, m12.digest);
  // `notary add` of the 1.0 manifest file: sha256 and sha512 of the same bytes.
  const added = listed.find((t) => t.name === '1.0-add')!.meta;
  assertMatches(added, readFileSync(fixture(...set, 'inputs', 'manifest-fixtures_full-1.0.json')), '1.0-add');
  assert.deepEqual([...added.hashes.keys()].sort(), ['sha256', 'sha512']);
});

for (const [v, repo] of DOCKER) {
  test(`the state machine loads docker ${v}'s repository; tags resolve as docker's own DCT pull did`, async () => {
    const { tm, fetched } = await load(repo);
    assert.deepEqual(fetched, ['targets', ...parseTargets(read(repo, 'targets.json')).signed.delegations.roles.map((d) => d.name)]);
    const inputs = ['docker', `docker-${v}`];
    // `trust revoke -y :1.0` removed it from the signers only: the admin's signature in targets still resolves,
    // to the digest docker pulled after the revoke.
    const pulled = /:1\.0@(sha256:[0-9a-f]{64})/.exec(readFileSync(join(repo.dir, `docker-${v}`, 'pull-1.0-after-revoke.txt'), 'utf8'))?.[1];
    const m10 = manifest(inputs, 'manifest-fixtures_docker-1.0.json');
    assert.equal(pulled, m10.digest);
    assert.deepEqual(resolveDockerTag(tm, '1.0'), { tag: '1.0', digest: m10.digest, length: m10.length, role: 'targets' });
    const m20 = manifest(inputs, 'manifest-fixtures_docker-2.0.json');
    assert.deepEqual(resolveDockerTag(tm, '2.0'), { tag: '2.0', digest: m20.digest, length: m20.length, role: 'targets/releases' });
    assert.throws(() => resolveDockerTag(tm, '3.0'), { code: 'TAG_NOT_FOUND' }, 'signing 3.0 needed the daemon');
    assert.deepEqual(listTargets(tm).map((t) => `${t.role}:${t.name}`), [
      'targets:1.0', 'targets:2.0', 'targets/alice:2.0', 'targets/releases:2.0', ...(v === '28.2.2' ? ['targets/bob:2.0'] : []),
    ]);
  });
}
