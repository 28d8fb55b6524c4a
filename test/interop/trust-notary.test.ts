// vouch trust against the real tools, live: Debian's notary-server 0.7 (with notary-signer), the
// notary client, the CNCF registry, and the Docker CLI (28.2.2 at /usr/local/bin/docker and
// Debian's 20.10 at /usr/bin/docker), all on loopback through test/support/peers.ts. Both
// directions: what vouch publishes, notary and docker read; what they publish, vouch reads; and
// `vouch trust inspect` prints byte for byte what `docker trust inspect` prints.
// A missing peer is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { check, startPeers, type ImageInfo, type Peers, type RunResult } from '../support/peers.js';
import { REPO_PASS, ROOT_PASS, removeTempDirs, tempDir, vouchUser, type VouchUser } from '../unit/client/helpers.js';

const DOCKERS = ['/usr/local/bin/docker', '/usr/bin/docker'];
const NOTARY_PASS = {
  NOTARY_ROOT_PASSPHRASE: ROOT_PASS,
  NOTARY_TARGETS_PASSPHRASE: REPO_PASS,
  NOTARY_SNAPSHOT_PASSPHRASE: REPO_PASS,
  NOTARY_DELEGATION_PASSPHRASE: REPO_PASS,
};
const DOCKER_PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS };

let peers: Peers;
let img1: ImageInfo;
let img2: ImageInfo;
let imgV2: ImageInfo;

before(async () => {
  for (const bin of DOCKERS) if (!existsSync(bin)) throw new Error(`docker CLI ${bin} is missing (install docker 28.2.2 and Debian's docker.io): a failure, not a skip`);
  peers = await startPeers({ registry: true, notary: true, docker: true });
  img1 = await peers.makeImage('vouch/app', '1.0');
  img2 = await peers.makeImage('vouch/app', '2.0', 'second image');
  imgV2 = await peers.makeImage('vouch/app', 'v2s2', 'docker media types', { format: 'v2s2' });
});

after(async () => {
  await peers?.stop();
  await removeTempDirs();
});

const docker = (bin: string, config: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> =>
  peers.docker(args, { bin, config, env: { ...DOCKER_PASS, ...env } });

const notary = (trustDir: string, args: string[], input?: Buffer): Promise<RunResult> =>
  peers.notary(args, { trustDir, env: NOTARY_PASS, ...(input ? { input } : {}) });

const user = (opts: { config?: string } = {}): Promise<VouchUser> => vouchUser(peers.notaryUrl as string, { ca: peers.ca, ...opts });

/** `docker trust inspect` (both CLIs, fresh trust dirs) and `vouch trust inspect` (fresh) print the same bytes. */
async function sameInspect(refs: string[], label: string): Promise<string> {
  const v = await user();
  const vj = await v.run(['trust', 'inspect', ...refs]);
  const vp = await v.run(['trust', 'inspect', '--pretty', ...refs]);
  assert.equal(vj.code, 0, `${label}: ${vj.stderr}`);
  assert.equal(vp.code, 0, `${label}: ${vp.stderr}`);
  // a second run reads from vouch's cache and must print the same
  assert.equal((await v.run(['trust', 'inspect', ...refs])).stdout, vj.stdout, `${label}: cached run`);
  for (const bin of DOCKERS) {
    const cfg = await tempDir('docker-cfg-');
    const dj = await docker(bin, cfg, ['trust', 'inspect', ...refs]);
    const dp = await docker(bin, cfg, ['trust', 'inspect', '--pretty', ...refs]);
    assert.equal(dj.code, 0, `${label} ${bin}: ${dj.stderr}`);
    assert.equal(vj.stdout, dj.stdout, `${label}: inspect JSON differs from ${bin}`);
    assert.equal(vp.stdout, dp.stdout, `${label}: inspect --pretty differs from ${bin}`);
  }
  return vj.stdout;
}

interface ListRow { name: string; digest: string; size: number; role: string }
function notaryList(out: string): ListRow[] {
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c.length === 4 && /^[0-9a-f]{64}$/.test(c[1] ?? ''))
    .map((c) => ({ name: c[0]!, digest: c[1]!, size: Number(c[2]), role: c[3]! }));
}

let alice: VouchUser;
let aliceGun: string;
let notaryCache: string;

test('vouch initialises and signs from the registry; notary lists and verifies it, docker resolves and inspects it identically', async () => {
  aliceGun = peers.gun('vouch/app');
  alice = await user();
  await alice.ok(['trust', 'key', 'generate', 'alice', '--dir', alice.dir]);
  const add = await alice.ok(['trust', 'signer', 'add', '--key', join(alice.dir, 'alice.pub'), 'alice', aliceGun]);
  assert.equal(add.stdout, `Adding signer "alice" to ${aliceGun}...\nInitializing signed repository for ${aliceGun}...\nSuccessfully initialized "${aliceGun}"\nSuccessfully added signer: alice to ${aliceGun}\n\n`);
  const s1 = await alice.ok(['trust', 'sign', `${aliceGun}:1.0`]);
  assert.equal(s1.stdout, `Signing and pushing trust metadata for ${aliceGun}:1.0\nSuccessfully signed ${aliceGun}:1.0\n`);
  await alice.ok(['trust', 'sign', `${aliceGun}:2.0`]);
  await alice.ok(['trust', 'sign', `${aliceGun}:v2s2`]); // Docker schema 2 media type
  assert.match(imgV2.mediaType, /vnd\.docker\.distribution\.manifest\.v2/);
  // signing an already released tag keeps its digest and says who signed it
  const again = await alice.ok(['trust', 'sign', `${aliceGun}:1.0`]);
  assert.match(again.stdout, new RegExp(`Existing signatures for tag 1\\.0 digest ${img1.sha256} from:\\nalice\\n`));

  notaryCache = await tempDir('notary-cache-');
  const rows = notaryList(check(await notary(notaryCache, ['list', aliceGun]), 'notary list'));
  const byName = new Map(rows.map((r) => [r.name, r]));
  assert.equal(byName.get('1.0')?.digest, img1.sha256);
  assert.equal(byName.get('1.0')?.size, img1.size);
  assert.equal(byName.get('2.0')?.digest, img2.sha256);
  const manifest = await readFile(img1.manifestPath);
  const verified = await notary(notaryCache, ['verify', aliceGun, '1.0'], manifest);
  assert.equal(verified.code, 0, verified.stderr);
  assert.ok(Buffer.from(verified.stdout).equals(manifest), 'notary verify passes the manifest through');
  const delegations = check(await notary(notaryCache, ['delegation', 'list', aliceGun]), 'delegation list');
  assert.match(delegations, /targets\/alice/);
  assert.match(delegations, /targets\/releases/);

  for (const bin of DOCKERS) {
    const pull = await docker(bin, await tempDir('docker-cfg-'), ['pull', `${aliceGun}:1.0`], { DOCKER_CONTENT_TRUST: '1' });
    assert.match(pull.stdout + pull.stderr, new RegExp(`Pull \\(1 of 1\\): ${aliceGun.replace(/\./g, '\\.')}:1\\.0@${img1.digest}`), `${bin} resolves 1.0 to vouch's digest`);
    const pv2 = await docker(bin, await tempDir('docker-cfg-'), ['pull', `${aliceGun}:v2s2`], { DOCKER_CONTENT_TRUST: '1' });
    assert.match(pv2.stdout + pv2.stderr, new RegExp(`@${imgV2.digest}`), `${bin} resolves v2s2 to vouch's digest`);
  }
  const json = await sameInspect([aliceGun], 'vouch-made repo');
  assert.match(json, /"SignedTag": "2\.0"/);
  await sameInspect([`${aliceGun}:1.0`, `${aliceGun}:2.0`], 'vouch-made repo, tags');
});

let dockerCfg: string;
let dockerGun: string;

test('what docker and the notary client publish, vouch verifies and inspects identically', async () => {
  dockerGun = peers.gun('docker/app');
  dockerCfg = await tempDir('docker-shared-');
  const keys = join(dockerCfg, 'keys');
  await mkdir(keys, { recursive: true });
  const d = DOCKERS[0] as string;
  check(await docker(d, dockerCfg, ['trust', 'key', 'generate', 'bob', '--dir', keys]), 'docker trust key generate');
  check(await docker(d, dockerCfg, ['trust', 'signer', 'add', '--key', join(keys, 'bob.pub'), 'bob', dockerGun]), 'docker trust signer add');
  check(await notary(join(dockerCfg, 'trust'), ['addhash', '-p', dockerGun, '1.0', String(img1.size), '--sha256', img1.sha256]), 'notary addhash');
  check(await notary(join(dockerCfg, 'trust'), ['addhash', '-p', dockerGun, '2.0', String(img2.size), '--sha256', img2.sha256]), 'notary addhash');
  check(await docker(d, dockerCfg, ['trust', 'sign', `${dockerGun}:1.0`]), 'docker trust sign');
  const json = await sameInspect([dockerGun], 'docker-made repo');
  assert.match(json, /"Signers": \[\n\s+"bob"\n/);
  await sameInspect([`${dockerGun}:2.0`], 'docker-made repo, unsigned-by-bob tag');
});

test('a key from docker trust key generate signs with vouch; a vouch-generated key signs with docker', async () => {
  // vouch works in docker's own config dir: docker's keys are vouch's keys
  const v = await user({ config: dockerCfg });
  await v.ok(['trust', 'key', 'generate', 'carol', '--dir', v.dir]);
  await v.ok(['trust', 'signer', 'add', '--key', join(v.dir, 'carol.pub'), 'carol', dockerGun]);
  await v.ok(['trust', 'sign', `${dockerGun}:2.0`]); // vouch holds bob's (docker-made) and carol's keys
  let json = await sameInspect([`${dockerGun}:2.0`], 'signed by vouch with a docker key');
  assert.match(json, /"bob",\n\s+"carol"/);

  await v.ok(['trust', 'key', 'generate', 'dave', '--dir', v.dir]);
  await v.ok(['trust', 'signer', 'add', '--key', join(v.dir, 'dave.pub'), 'dave', dockerGun]);
  for (const bin of DOCKERS) {
    check(await docker(bin, dockerCfg, ['trust', 'sign', `${dockerGun}:1.0`]), `${bin} trust sign with a vouch key`);
  }
  json = await sameInspect([`${dockerGun}:1.0`], 'signed by docker with a vouch key');
  assert.match(json, /"bob",\n\s+"carol",\n\s+"dave"/);
});

test('revoke and signer remove (with the last-signer question) agree with docker; --force really removes', async () => {
  const r = await alice.ok(['trust', 'revoke', '-y', `${aliceGun}:1.0`]);
  assert.equal(r.stdout, `Successfully deleted signature for ${aliceGun}:1.0\n`);
  let json = await sameInspect([aliceGun], 'after revoke');
  assert.doesNotMatch(json, /"SignedTag": "1\.0"/);
  // alice is the only key of targets/releases: without --force vouch asks, and no answer is "no"
  const asked = await alice.run(['trust', 'signer', 'remove', 'alice', aliceGun]);
  assert.equal(asked.code, 0, asked.stderr);
  assert.match(asked.stdout, /The signer "alice" signed the last released version of .*Are you sure you want to continue\? \[y\/N\] \nAborting action\.\n$/s);
  json = await sameInspect([aliceGun], 'after declined removal');
  assert.match(json, /"Name": "alice"/);
  const forced = await alice.ok(['trust', 'signer', 'remove', '--force', 'alice', aliceGun]);
  assert.equal(forced.stdout, `Removing signer "alice" from ${aliceGun}...\nSuccessfully removed alice from ${aliceGun}\n\n`);
  json = await sameInspect([aliceGun], 'after forced removal');
  assert.doesNotMatch(json, /"Name": "alice"/);
});

test('key rotation (timestamp, snapshot to the server, targets, root) keeps notary and docker clients with old caches working', async () => {
  // alice was removed above, so targets/releases has no keys left: add her back and re-sign 2.0
  await alice.ok(['trust', 'signer', 'add', '--key', join(alice.dir, 'alice.pub'), 'alice', aliceGun]);
  await alice.ok(['trust', 'sign', `${aliceGun}:2.0`]);
  const dockerCache = await tempDir('docker-cached-');
  for (const bin of DOCKERS) check(await docker(bin, dockerCache, ['trust', 'inspect', aliceGun]), 'warm docker cache');
  for (const role of ['timestamp', 'snapshot', 'targets', 'root']) {
    const args = ['trust', 'key', 'rotate', aliceGun, role, ...(role === 'snapshot' ? ['--server-managed'] : [])];
    const r = await alice.ok(args);
    assert.equal(r.stdout, `Successfully rotated ${role} key for repository ${aliceGun}\n`);
    // notary's cached trust dir follows the root chain; so do docker's and vouch's own caches
    const rows = notaryList(check(await notary(notaryCache, ['list', aliceGun]), `notary list after ${role} rotation`));
    assert.ok(rows.some((x) => x.name === '2.0' && x.digest === img2.sha256), `2.0 still listed after ${role} rotation`);
    const mine = await alice.ok(['trust', 'inspect', aliceGun]);
    for (const bin of DOCKERS) {
      const d = await docker(bin, dockerCache, ['trust', 'inspect', aliceGun]);
      assert.equal(d.code, 0, `${bin} with a cache after ${role} rotation: ${d.stderr}`);
      assert.equal(mine.stdout, d.stdout, `${bin} after ${role} rotation`);
    }
  }
  const root = JSON.parse((await peers.notaryGet(`/v2/${aliceGun}/_trust/tuf/root.json`)).body.toString()) as { signed: { version: number }; signatures: unknown[] };
  assert.equal(root.signatures.length, 2, 'the rotated root is signed by the old and the new root key');
  await sameInspect([aliceGun], 'after rotations');
  // the signer can still sign after all of it
  await alice.ok(['trust', 'sign', `${aliceGun}:1.0`]);
  assert.match(await sameInspect([`${aliceGun}:1.0`], 'signed after rotations'), /"Signers": \[\n\s+"alice"/);
});

test('a repository made by notary init (client-held snapshot key) is signed by vouch into targets', async () => {
  const gun = peers.gun('notary/app');
  const cfg = await tempDir('notary-made-');
  const trust = join(cfg, 'trust');
  check(await notary(trust, ['init', '-p', gun]), 'notary init');
  check(await notary(trust, ['addhash', '-p', gun, '1.0', String(img1.size), '--sha256', img1.sha256]), 'notary addhash');
  const v = await user({ config: cfg });
  const s = await v.ok(['trust', 'sign', `${gun}:2.0`, '--digest', img2.digest, '--size', String(img2.size)]);
  assert.match(s.stdout, /Successfully signed/);
  const rows = notaryList(check(await notary(await tempDir('notary-fresh-'), ['list', gun]), 'notary list'));
  assert.deepEqual(rows.map((x) => [x.name, x.digest, x.role]).sort(), [['1.0', img1.sha256, 'targets'], ['2.0', img2.sha256, 'targets']]);
  await sameInspect([gun], 'notary-made repo signed by vouch');
});

test('inspect of a repository without trust data: [] and an error, as docker', async () => {
  const gun = peers.gun('nothing/here');
  const v = await user();
  const j = await v.run(['trust', 'inspect', gun]);
  const p = await v.run(['trust', 'inspect', '--pretty', gun]);
  for (const bin of DOCKERS) {
    const cfg = await tempDir('docker-cfg-');
    const dj = await docker(bin, cfg, ['trust', 'inspect', gun]);
    const dp = await docker(bin, cfg, ['trust', 'inspect', '--pretty', gun]);
    assert.equal(j.stdout, dj.stdout);
    assert.equal(p.stdout, dp.stdout);
    assert.equal(j.code, dj.code);
    assert.equal(p.code, dp.code);
    assert.ok(j.stderr.toLowerCase().includes(dj.stderr.trim().toLowerCase()), `vouch says what docker says: ${dj.stderr}`);
  }
});
