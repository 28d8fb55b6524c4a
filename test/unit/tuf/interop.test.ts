// Every repository recorded from the real notary 0.7.0 and docker CLIs (test/fixtures/notary,
// test/fixtures/docker; see the README there) loads through the state machine from root v1, every
// served file re-serialises to its exact bytes, and the targets we list are what `notary list` printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../../support/paths.js';
import { parseTime, TrustedMetadata, listTargets, loadTargetsTree, parseMetadata } from '../../../src/tuf/index.js';

interface IndexFile { path: string; kind: string; role: string; version?: number; status: number }
interface RepoIndex { gun: string; files: IndexFile[] }

const DAY_MS = 24 * 60 * 60 * 1000;

function repos(): string[] {
  const out: string[] = [];
  for (const kind of ['notary', 'docker']) {
    for (const set of readdirSync(fixture(kind), { withFileTypes: true })) {
      const dir = fixture(kind, set.name, 'repos');
      if (!set.isDirectory() || !existsSync(dir)) continue;
      for (const r of readdirSync(dir)) if (existsSync(join(dir, r, 'index.json'))) out.push(join(dir, r));
    }
  }
  return out.sort();
}

/** Rows of `notary list`: name, hex digest, size, role. */
function notaryList(text: string): string[] {
  return text.split('\n').slice(2).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/).join(' '));
}

const all = repos();

test('the recorded fixture sets are there', () => {
  assert.ok(all.length >= 10, `found ${all.length} repositories`);
  assert.ok(all.some((d) => d.endsWith('ecdsa-remote/repos/full')));
});

for (const dir of all) {
  const name = dir.slice(fixture().length + 1);
  test(`${name}: loads from root v1 like a fresh notary client and re-serialises byte-exact`, async () => {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as RepoIndex;
    const read = (p: string): Buffer => readFileSync(join(dir, p));
    // Lengths above 2^53 - 1 cannot be represented exactly in JavaScript: vouch refuses such documents
    // (notary signs over the float64 value but serves and lists the int64 one).
    const unsafe = (b: Buffer): boolean => [...b.toString('utf8').matchAll(/"length":(-?\d+)/g)].some((m) => !Number.isSafeInteger(Number(m[1])) || BigInt(m[1]!) !== BigInt(Number(m[1])));
    let served = 0;
    for (const f of index.files) {
      if (f.status !== 200 || f.kind === 'key' || !f.path.startsWith('tuf/')) continue;
      const bytes = read(f.path);
      if (unsafe(bytes)) {
        assert.throws(() => parseMetadata(bytes, f.role), { code: 'INVALID_METADATA' }, f.path);
        continue;
      }
      assert.deepEqual(parseMetadata(bytes, f.role).toBytes(), bytes, `${f.path} re-serialises to the served bytes`);
      served++;
    }
    assert.ok(served > 0);

    const ts = parseMetadata(read('tuf/timestamp.json'), 'timestamp');
    const now = new Date(ts.signed.expires.getTime() - 13 * DAY_MS);
    const roots = index.files.filter((f) => f.kind === 'version' && f.role === 'root' && f.status === 200).map((f) => f.version!).sort((a, b) => a - b);
    const tm = TrustedMetadata.fromRoot(read('tuf/1.root.json'), { gun: index.gun, now });
    for (const v of roots.slice(1)) tm.updateRoot(read(`tuf/${v}.root.json`));
    assert.equal(tm.root.signed.version, roots.at(-1));
    tm.updateTimestamp(read('tuf/timestamp.json'));
    tm.updateSnapshot(read('tuf/snapshot.json'));
    const load = (): Promise<unknown> => loadTargetsTree(tm, (role) => read(`tuf/${role}.json`));
    if (index.files.some((f) => f.kind === 'current' && f.status === 200 && unsafe(read(f.path)))) {
      await assert.rejects(load(), { code: 'INVALID_METADATA' });
      return;
    }
    const { warnings } = (await load()) as { warnings: unknown[] };
    assert.deepEqual(warnings, []);
    // Every delegation reachable from targets and listed in the snapshot is loaded (the snapshot may
    // still list the file of a removed delegation, which is then not reachable).
    const meta = tm.snapshot!.signed.meta;
    const reachable = ['targets', ...tm.loadedTargetsRoles.flatMap((r) => tm.targetsRole(r)!.metadata.signed.delegations.roles.map((d) => d.name))];
    assert.deepEqual([...tm.loadedTargetsRoles].sort(), reachable.filter((r) => meta.has(r)).sort());
    assert.ok(parseTime(ts.signedJson.expires as string) > now);

    const golden = join(dir, 'cli', 'list-fresh-client.txt');
    if (existsSync(golden)) {
      // notary list: one row per name, the first role of the breadth-first walk wins.
      const seen = new Set<string>();
      const rows = listTargets(tm).filter((t) => !seen.has(t.name) && seen.add(t.name))
        .map((t) => `${t.name} ${Buffer.from(t.meta.hashes.get('sha256') ?? new Uint8Array()).toString('hex')} ${t.meta.length} ${t.role}`);
      assert.deepEqual(rows.sort(), notaryList(readFileSync(golden, 'utf8')).sort());
    }
  });
}
