// vouch migrate against an in-process vouch server and registry: every DCT-signed (tag, role)
// becomes a cosign signature made with the role's mapped key, carrying its provenance; --dry-run
// and --check sign nothing; a second run signs nothing new; trust data that does not verify
// migrates nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { removeTempDirs, tempDir, startSignedStack, type VouchUser } from '../client/helpers.js';

let server: RunningServer;
let registry: RunningRegistry;
let owner: VouchUser;
let repo: string;
let dir: string;
const PASS = { COSIGN_PASSWORD: 'migrate-pass' };

before(async () => {
  dir = await tempDir('vouch-migrate-');
  ({ server, registry, repo, owner } = await startSignedStack(dir, ['1.0', '2.0'], 'migrate\n'));
  for (const prefix of ['alice', 'release']) {
    const r = await owner.run(['cosign', 'generate-key-pair', '--output-key-prefix', join(dir, prefix)], PASS);
    assert.equal(r.code, 0, r.stderr);
  }
  await writeFile(join(dir, 'alice-only.yaml'), 'signers:\n  alice: { cosign: alice.key }\n');
  await writeFile(join(dir, 'both.yaml'), 'signers:\n  alice: { cosign: alice.key }\n  targets/releases: { cosign: release.key }\n');
});

after(async () => {
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

interface Planned { items: Array<{ tag: string; role: string; action: string }>; summary: Record<string, number> }
const migrate = async (args: string[]): Promise<{ code: number; plans: Planned[]; stderr: string }> => {
  const r = await owner.run(['migrate', '--json', ...args], PASS);
  return { code: r.code, plans: r.stdout ? JSON.parse(r.stdout) as Planned[] : [], stderr: r.stderr };
};
const verifyAs = (pub: string, role: string, tag: string): ReturnType<VouchUser['run']> =>
  owner.run(['cosign', 'verify', '--key', join(dir, pub), '--insecure-ignore-tlog', '-a', `dev.vouch.dct.role=${role}`, '-a', `dev.vouch.dct.gun=${repo}`, `${repo}:${tag}`]);

test('--dry-run and --check plan without signing; --check fails while signatures are missing', async () => {
  const dry = await migrate(['--map', join(dir, 'alice-only.yaml'), '--dry-run', repo]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(dry.plans[0]?.summary, { migrated: 2, present: 0, unmapped: 2, refused: 0, unsigned: 0 });
  assert.deepEqual(dry.plans[0]?.items.filter((i) => i.action === 'sign').map((i) => `${i.tag} ${i.role}`), ['1.0 targets/alice', '2.0 targets/alice']);
  assert.equal((await verifyAs('alice.pub', 'targets/alice', '1.0')).code, 1, 'a dry run signs nothing');
  assert.equal((await migrate(['--map', join(dir, 'alice-only.yaml'), '--check', repo])).code, 1);
});

test('a run signs each mapped (tag, role) with provenance; the second run signs nothing new; --check passes once all are mapped and made', async () => {
  const first = await migrate(['--map', join(dir, 'alice-only.yaml'), repo]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.plans[0]?.summary.migrated, 2);
  for (const tag of ['1.0', '2.0']) {
    const v = await verifyAs('alice.pub', 'targets/alice', tag);
    assert.equal(v.code, 0, v.stderr);
    const [payload] = JSON.parse(v.stdout) as Array<{ optional: Record<string, string> }>;
    assert.equal(payload?.optional['dev.vouch.migrated-from'], 'dct');
    assert.match(payload?.optional['dev.vouch.dct.keyids'] ?? '', /^[0-9a-f]{64}$/);
    assert.match(payload?.optional['dev.vouch.dct.version'] ?? '', /^[1-9]\d*$/);
  }
  const again = await migrate(['--map', join(dir, 'alice-only.yaml'), repo]);
  assert.deepEqual(again.plans[0]?.summary, { migrated: 0, present: 2, unmapped: 2, refused: 0, unsigned: 0 });

  const text = await owner.run(['migrate', '--map', join(dir, 'both.yaml'), `${repo}:1.0`, `${repo}:9.9`], PASS);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /1\.0 +sha256:[0-9a-f]{12}…  targets\/alice +cosign +already signed/);
  assert.match(text.stdout, /1\.0 +sha256:[0-9a-f]{12}…  targets\/releases +cosign +signed/);
  assert.match(text.stdout, /9\.9 +not signed under DCT: nothing to migrate/);
  // 1.0 and 2.0 are one image (one digest): the releases signature made for 1.0 covers 2.0 too
  assert.equal((await migrate(['--map', join(dir, 'both.yaml'), repo])).plans[0]?.summary.migrated, 0);
  const done = await migrate(['--map', join(dir, 'both.yaml'), '--check', repo]);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.plans[0]?.summary.present, 4);
});

test('trust data that does not verify (a pinned root it does not match) migrates nothing', async () => {
  const pin = join(dir, 'pin.json');
  await writeFile(pin, JSON.stringify({ trust_pinning: { certs: { [repo]: ['0'.repeat(64)] } } }));
  const fresh = await startFresh();
  const r = await fresh(['migrate', '--map', join(dir, 'both.yaml'), '--trust-pinning', pin, `${repo}:1.0`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pin|root/i);
});

/** A user without cached trust data (so the pin applies), sharing the owner's environment otherwise. */
async function startFresh(): Promise<(args: string[]) => ReturnType<VouchUser['run']>> {
  const home = await tempDir('vouch-migrate-fresh-');
  return (args) => owner.run(args, { ...PASS, HOME: home, DOCKER_CONFIG: join(home, '.docker') });
}
