// vouch trust archive and vouch verify --dct-archive against an in-process vouch server and
// registry: the archive holds the whole root chain and every verified role, verifies with no
// trust server (historical evidence, said so), and a forged, truncated, foreign or superseded
// archive is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createContext } from '../../../src/cli/context.js';
import { Session } from '../../../src/client/session.js';
import { loadArchive, parseArchiveLocation, storeArchive } from '../../../src/client/dctarchive.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import type { VerifyResult } from '../../../src/cli/commands/verify.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser, startSignedStack } from '../client/helpers.js';

let server: RunningServer;
let registry: RunningRegistry;
let owner: VouchUser;
let repo: string;
let dir: string;
let layoutArchive: string;
let registryArchive: string;

before(async () => {
  dir = await tempDir('vouch-archive-');
  ({ server, registry, repo, owner } = await startSignedStack(dir, ['1.0'], 'archive v1\n'));
  // a root rotation, so the archive carries a chain of two roots
  await owner.ok(['trust', 'key', 'rotate', repo, 'root']);
  layoutArchive = `oci:${join(dir, 'archive')}`;
  registryArchive = `${registry.host}/archives/team-app:2026-12`;
});

after(async () => {
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

const verify = async (who: VouchUser, args: string[]): Promise<{ code: number; results: VerifyResult[]; stderr: string }> => {
  const r = await who.run(['verify', '--json', ...args]);
  return { code: r.code, results: JSON.parse(r.stdout) as VerifyResult[], stderr: r.stderr };
};

describe('trust-data archives', () => {
  test('archive to an OCI layout and to a registry: every root version and every verified role', async () => {
    const a = await owner.ok(['trust', 'archive', repo, '--to', layoutArchive, '--json']);
    const made = JSON.parse(a.stdout) as { rootVersions: number; roles: string[]; location: string };
    assert.equal(made.rootVersions, 2);
    assert.deepEqual([...made.roles].sort(), ['snapshot', 'targets', 'targets/alice', 'targets/releases', 'timestamp']);
    assert.equal(made.location, `${layoutArchive}:dct-archive`);
    const b = await owner.ok(['trust', 'archive', repo, '--to', registryArchive]);
    assert.match(b.stdout, /Archived the trust data of .* 2 root versions/);
    assert.match(b.stdout, /vouch verify --dct-archive/);
  });

  test('verify --dct-archive: allowed with the archived signers, labelled historical, from the archive\'s first root, with the trust server gone', async () => {
    const stranger = await vouchUser('https://127.0.0.1:9'); // nothing listens there: the server is never asked
    for (const location of [layoutArchive, registryArchive]) {
      const { code, results, stderr } = await verify(stranger, ['--dct-archive', location, `${repo}:1.0`]);
      assert.equal(code, 0, stderr);
      const [r] = results;
      assert.equal(r?.allowed, true);
      assert.equal(r?.evidence?.kind, 'historical');
      assert.equal(r?.evidence?.anchor, 'first-root');
      assert.equal(r?.evidence?.rootVersion, 2);
      assert.deepEqual(r?.evidence?.signers.map((s) => s.role).sort(), ['targets/alice', 'targets/releases']);
      assert.ok(Date.parse(r?.evidence?.freshUntil ?? '') > Date.parse(r?.evidence?.archivedAt ?? ''));
    }
    const text = await stranger.run(['verify', '--dct-archive', layoutArchive, `${repo}:1.0`]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /ALLOWED \(historical evidence\)/);
    assert.match(text.stdout, /evidence\s+trust data archived \S+ from .* \(root v2, targets v\d+\), verified from the archive's first root \(trust on first use\)/);
    assert.match(text.stdout, /signed\s+targets\/alice sha256:[0-9a-f]{64}/);
    assert.match(text.stdout, /freshness\s+the archived trust data expires \S+; the archive cannot show whether it changed since/);
    // a tag nobody signed is denied by the default policy, as a live verify would
    const unsigned = await verify(stranger, ['--dct-archive', layoutArchive, `${repo}:9.9`]);
    assert.equal(unsigned.code, 1);
    // the machine that made it anchors on the root it trusts
    const own = await verify(owner, ['--dct-archive', layoutArchive, `${repo}:1.0`]);
    assert.equal(own.results[0]?.evidence?.anchor, 'trust-dir');
  });

  test('a forged archive (targets re-written, digests recomputed), another repository\'s archive, or a truncated root chain is refused', async () => {
    const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, owner.env, owner.dir);
    const s = new Session({ env: owner.env, trustDir: ctx.trustDir, now: ctx.now });
    try {
      const genuine = await loadArchive(s, parseArchiveLocation(layoutArchive));
      const targets = Buffer.from(genuine.files.get('targets/alice.json') as Uint8Array).toString('utf8');
      const forgedTargets = targets.replace(/"sha256":"[A-Za-z0-9+/=]+"/, `"sha256":"${Buffer.alloc(32, 7).toString('base64')}"`);
      assert.notEqual(forgedTargets, targets);
      const forged = { ...genuine, files: new Map(genuine.files).set('targets/alice.json', Buffer.from(forgedTargets)) };
      await storeArchive(s, forged, parseArchiveLocation(`oci:${join(dir, 'forged')}`));
      const truncated = { ...genuine, files: new Map([...genuine.files].filter(([n]) => n !== 'root.1.json')) };
      await storeArchive(s, truncated, parseArchiveLocation(`oci:${join(dir, 'truncated')}`));
      const other = { ...genuine, gun: `${registry.host}/team/other` };
      await storeArchive(s, other, parseArchiveLocation(`oci:${join(dir, 'other')}`));
    } finally {
      await s.close();
    }
    const stranger = await vouchUser('https://127.0.0.1:9');
    const forged = await verify(stranger, ['--dct-archive', `oci:${join(dir, 'forged')}`, `${repo}:1.0`]);
    assert.equal(forged.code, 1);
    assert.match(forged.results[0]?.error?.code ?? '', /HASH_MISMATCH|LENGTH_MISMATCH|INVALID_SIGNATURE|THRESHOLD_NOT_MET/);
    const truncated = await verify(stranger, ['--dct-archive', `oci:${join(dir, 'truncated')}`, `${repo}:1.0`]);
    assert.equal(truncated.code, 1);
    assert.match(truncated.results[0]?.error?.message ?? '', /lacks root version 1 of 2/);
    const foreign = await verify(stranger, ['--dct-archive', `oci:${join(dir, 'other')}`, `${repo}:1.0`]);
    assert.equal(foreign.code, 1);
    assert.match(foreign.results[0]?.error?.message ?? '', /archive is of .*team\/other, not of .*team\/app|root .* GUN|certificate/);
  });

  test('an archive older than a root rotation this machine has seen is refused (a rollback), not silently trusted', async () => {
    const old = `oci:${join(dir, 'before-rotation')}`;
    await owner.ok(['trust', 'archive', repo, '--to', old]);
    await owner.ok(['trust', 'key', 'rotate', repo, 'root']);
    await owner.ok(['trust', 'inspect', repo]); // the owner's cache now holds root version 3
    const r = await verify(owner, ['--dct-archive', old, `${repo}:1.0`]);
    assert.equal(r.code, 1);
    assert.equal(r.results[0]?.error?.code, 'ROLLBACK');
    assert.match(r.results[0]?.error?.message ?? '', /already trusts root version 3 .* archive ends at version 2/);
  });
});
