// vouch trust inspect on repositories recorded from the real tools (test/fixtures/notary and
// test/fixtures/docker, see their NOTES.md): the recorded server files are served as they were,
// and vouch's JSON and --pretty output must equal the recorded `docker trust inspect` output of
// Docker 28.2.2 and 20.10.24, byte for byte. These repositories carry what vouch itself never
// makes: rotated roots, nested and path-restricted delegations, x509 and RSA delegation keys,
// sha512-only and custom targets, client-held snapshots.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TrustDir, fixedPassphrase } from '../../../src/keys/index.js';
import { writeInspect } from '../../../src/cli/render/inspect.js';
import { Session, parseTrustReference } from '../../../src/client/session.js';
import { fixturesDir } from '../../support/paths.js';
import { FakeNotary } from './fake.js';
import { removeTempDirs, tempDir } from './helpers.js';

after(removeTempDirs);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

interface Golden { repo: string; tuf: string; gun: string; file: string; pretty: boolean }

/** Every recorded `docker trust inspect` golden next to a recorded repository. */
function goldens(): Golden[] {
  const out: Golden[] = [];
  for (const set of ['notary', 'docker']) {
    for (const file of walk(join(fixturesDir, set))) {
      const m = /\/repos\/([^/]+)\/docker-[\d.]+\/(?:after-signer-remove\/)?(inspect(-pretty)?(-[^/]*)?\.(json|txt))$/.exec(file);
      if (!m || /nonexistent|before-init/.test(file)) continue;
      if (set === 'docker' && !file.includes('after-signer-remove')) continue; // the final state of the recorded history
      const repo = file.slice(0, file.indexOf(`/repos/${m[1]}/`) + `/repos/${m[1]}`.length);
      const index = JSON.parse(readFileSync(join(repo, 'index.json'), 'utf8')) as { gun: string };
      out.push({ repo, tuf: join(repo, 'tuf'), gun: index.gun, file, pretty: m[3] !== undefined });
    }
  }
  return out;
}

const all = goldens();

test('fixtures: recorded docker inspect goldens are present for both docker versions', () => {
  assert.ok(all.length >= 20, `found ${all.length}`);
  assert.ok(all.some((g) => g.file.includes('docker-20.10.24')) && all.some((g) => g.file.includes('docker-28.2.2')));
});

for (const repo of [...new Set(all.map((g) => g.repo))]) {
  test(`inspect of ${relative(fixturesDir, repo)} equals docker's recorded output (JSON and --pretty)`, async () => {
    const gun = all.find((g) => g.repo === repo)?.gun as string;
    const fake = new FakeNotary(gun);
    for (const f of walk(join(repo, 'tuf'))) fake.files.set(relative(join(repo, 'tuf'), f), readFileSync(f));
    await fake.start();
    try {
      const ts = JSON.parse(readFileSync(join(repo, 'tuf', 'timestamp.json'), 'utf8')) as { signed: { expires: string } };
      const now = new Date(new Date(ts.signed.expires).getTime() - 7 * 24 * 3600 * 1000); // within the recorded validity
      for (const g of all.filter((x) => x.repo === repo)) {
        const golden = readFileSync(g.file, 'utf8');
        const names = g.pretty
          ? [...golden.matchAll(/^Signatures for (\S+)$|^No signatures for (\S+)$/gm)].map((x) => (x[1] ?? x[2]) as string)
          : (JSON.parse(golden) as { Name: string }[]).map((x) => x.Name);
        assert.ok(names.length > 0, g.file);
        const dir = new TrustDir(await tempDir(), { passphrases: fixedPassphrase('unused') });
        const s = new Session({ env: {}, trustDir: dir, now: () => now, server: fake.url });
        let out = '';
        try {
          await writeInspect(s, names.map((input) => ({ input, ref: parseTrustReference(input, { tag: 'optional' }) })), g.pretty, (t) => { out += t; });
        } finally {
          await s.close();
        }
        assert.equal(out, golden, relative(fixturesDir, g.file));
      }
    } finally {
      await fake.stop();
    }
  });
}

test('fixtures: the recorded repositories include rotated roots and nested delegations', () => {
  const full = all.find((g) => g.repo.endsWith('ecdsa-remote/repos/full'));
  assert.ok(full && existsSync(join(full.tuf, '3.root.json')) && existsSync(join(full.tuf, 'targets', 'a', 'b.json')));
});
