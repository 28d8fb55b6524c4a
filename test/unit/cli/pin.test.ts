// vouch pin against an in-process vouch server (memory storage) and the embedded registry: files
// rewritten in place with only the references changed, --check, --update after a tag moved, the
// policy deciding which digests may be pinned, and the exit codes of docs/pin.md.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { runCli } from '../../support/cli.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser, startLocalStack } from '../client/helpers.js';

let server: RunningServer;
let registry: RunningRegistry;
let dir: string;
let owner: VouchUser;
let host: string;
let v1: DemoImage;
let v2: DemoImage;
let v3: DemoImage;

before(async () => {
  dir = await tempDir('vouch-pin-');
  ({ server, registry } = await startLocalStack(dir));
  host = registry.host;
  owner = await vouchUser(server.url);
  v1 = await writeDemoImage(join(dir, 'v1'), '1.0', 'pin v1\n');
  v2 = await writeDemoImage(join(dir, 'v2'), '1.0', 'pin v2\n');
  v3 = await writeDemoImage(join(dir, 'v3'), '1.0', 'pin v3\n');
  // Signed by the repository key (no delegations): push --sign.
  await owner.ok(['push', `${host}/shop/web:prod-3`, '--from', `oci:${join(dir, 'v1')}`, '--sign']);
  await owner.ok(['push', `${host}/shop/migrate:prod-3`, '--from', `oci:${join(dir, 'v2')}`, '--sign']);
  await owner.ok(['push', `${host}/base/runtime:2`, '--from', `oci:${join(dir, 'v3')}`, '--sign']);
  await owner.ok(['push', `${host}/base/runtime:latest`, '--from', `oci:${join(dir, 'v3')}`, '--sign']);
  await owner.ok(['push', `${host}/shop/web:unsigned`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
});

after(async () => {
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

const manifest = (h: string): string => `# deploy/web.yaml: the shop's web tier\r
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: "${h}/shop/migrate:prod-3"   # schema first
      containers:
        - name: web
          image: ${h}/shop/web:prod-3
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-an-image}
data:
  image: ${h}/shop/web:prod-3
`;

const dockerfile = (h: string): string => `# syntax=docker/dockerfile:1
FROM ${h}/base/runtime AS build
RUN echo building

FROM ${h}/base/runtime:2
COPY --from=build /out /out
`;

/** A fresh working directory with the two files; returns their paths. */
function workspace(name: string): { cwd: string; yaml: string; docker: string } {
  const cwd = join(dir, name);
  mkdirSync(join(cwd, 'deploy'), { recursive: true });
  writeFileSync(join(cwd, 'deploy', 'web.yaml'), manifest(host));
  writeFileSync(join(cwd, 'Dockerfile'), dockerfile(host));
  return { cwd, yaml: join(cwd, 'deploy', 'web.yaml'), docker: join(cwd, 'Dockerfile') };
}

const pin = (cwd: string, args: string[], env: Record<string, string> = {}) => runCli(['pin', ...args], { ...owner.env, ...env }, cwd);

describe('vouch pin', () => {
  test('pins every reference to its signed digest, changing nothing else; a second run changes nothing', async () => {
    const w = workspace('pin-basic');
    chmodSync(w.yaml, 0o640);
    const r = await pin(w.cwd, ['deploy/web.yaml', 'Dockerfile']);
    assert.equal(r.code, 0, r.stderr);
    const expectYaml = manifest(host)
      .replace(`"${host}/shop/migrate:prod-3"`, `"${host}/shop/migrate:prod-3@${v2.manifest.digest}"`)
      .replace(`image: ${host}/shop/web:prod-3\n          ports`, `image: ${host}/shop/web:prod-3@${v1.manifest.digest}\n          ports`);
    assert.equal(readFileSync(w.yaml, 'utf8'), expectYaml);
    const expectDocker = dockerfile(host)
      .replace(`FROM ${host}/base/runtime AS`, `FROM ${host}/base/runtime:latest@${v3.manifest.digest} AS`)
      .replace(`FROM ${host}/base/runtime:2\n`, `FROM ${host}/base/runtime:2@${v3.manifest.digest}\n`);
    assert.equal(readFileSync(w.docker, 'utf8'), expectDocker);
    assert.match(r.stdout, /deploy\/web\.yaml:11:19: Deployment web, init container migrate: .*migrate:prod-3 pinned to /);
    assert.match(r.stdout, /pinned 4 of 4 image references in 2 files\n$/);
    // Written by rename: same mode, no temporary file left behind.
    assert.equal(statSync(w.yaml).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(join(w.cwd, 'deploy')), ['web.yaml']);
    // A symlinked file is rewritten in its target; the link stays a link.
    const linked = workspace('pin-symlink');
    symlinkSync(join(linked.cwd, 'Dockerfile'), join(linked.cwd, 'Dockerfile.link'));
    assert.equal((await pin(linked.cwd, ['Dockerfile.link'])).code, 0);
    assert.ok(lstatSync(join(linked.cwd, 'Dockerfile.link')).isSymbolicLink());
    assert.equal(readFileSync(linked.docker, 'utf8'), expectDocker);
    const again = await pin(w.cwd, ['deploy/web.yaml', 'Dockerfile']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /4 image references in 2 files: every one is already pinned to its signed digest/);
    assert.equal(readFileSync(w.yaml, 'utf8'), expectYaml);
    const check = await pin(w.cwd, ['--check', 'deploy/web.yaml', 'Dockerfile']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /4 image references in 2 files: every one is pinned to its signed digest/);
  });

  test('--check reports unpinned references with file:line:col and changes nothing; --json gives them as data', async () => {
    const w = workspace('pin-check');
    const r = await pin(w.cwd, ['--check', 'deploy/web.yaml', 'Dockerfile']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^vouch: 4 image references are not pinned to the signed digest \(2 files\):\n/);
    assert.match(r.stderr, new RegExp(`  deploy/web\\.yaml:14:18: Deployment web, container web: ${host.replace(/\./g, '\\.')}/shop/web:prod-3 is not pinned by digest; the signed digest of tag prod-3 is ${v1.manifest.digest}\\n`));
    assert.match(r.stderr, /  Dockerfile:2:6: FROM, build: .*\/base\/runtime is not pinned by digest; the signed digest of tag latest is /);
    assert.match(r.stderr, /hint: run `vouch pin FILE\.\.\.` to pin them/);
    assert.equal(readFileSync(w.yaml, 'utf8'), manifest(host));
    const j = await pin(w.cwd, ['--check', '--json', 'deploy/web.yaml']);
    assert.equal(j.code, 1);
    const err = JSON.parse(j.stderr) as { error: { code: string; details: { problems: { code: string; file: string; line: number; column: number }[] } } };
    assert.equal(err.error.code, 'NOT_PINNED');
    assert.deepEqual(err.error.details.problems.map((p) => [p.code, p.file, p.line, p.column]), [['unpinned', 'deploy/web.yaml', 11, 19], ['unpinned', 'deploy/web.yaml', 14, 18]]);
    const out = JSON.parse(j.stdout) as { check: boolean; files: { file: string; changed: boolean; references: { status: string }[] }[] };
    assert.equal(out.check, true);
    assert.deepEqual(out.files[0]?.references.map((x) => x.status), ['unpinned', 'unpinned']);
  });

  test('after the tag is re-signed: --check says stale, pin leaves it (exit 1), pin --update replaces it', async () => {
    const w = workspace('pin-stale');
    writeFileSync(w.yaml, `kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: ${host}/shop/web:prod-4\n`);
    await owner.ok(['push', `${host}/shop/web:prod-4`, '--from', `oci:${join(dir, 'v1')}`, '--sign']);
    assert.equal((await pin(w.cwd, ['deploy/web.yaml'])).code, 0);
    assert.equal((await pin(w.cwd, ['--check', 'deploy/web.yaml'])).code, 0);
    await owner.ok(['push', `${host}/shop/web:prod-4`, '--from', `oci:${join(dir, 'v2')}`, '--sign']);
    const check = await pin(w.cwd, ['--check', 'deploy/web.yaml']);
    assert.equal(check.code, 1);
    assert.match(check.stderr, new RegExp(`deploy/web\\.yaml:6:14: Pod p, container a: .*/shop/web:prod-4 is pinned to ${v1.manifest.digest}, but the signed digest of tag prod-4 is ${v2.manifest.digest} \\(vouch pin --update replaces it\\)`));
    const before = readFileSync(w.yaml, 'utf8');
    const plain = await pin(w.cwd, ['deploy/web.yaml']);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /is pinned to .* but the signed digest/);
    assert.equal(readFileSync(w.yaml, 'utf8'), before);
    const upd = await pin(w.cwd, ['--update', 'deploy/web.yaml']);
    assert.equal(upd.code, 0, upd.stderr);
    assert.match(readFileSync(w.yaml, 'utf8'), new RegExp(`image: .*/shop/web:prod-4@${v2.manifest.digest}\\n`));
    assert.equal((await pin(w.cwd, ['--check', 'deploy/web.yaml'])).code, 0);
  });

  test('an unsigned tag is unresolved: reported, exit 1, and the other references are still written', async () => {
    const w = workspace('pin-unsigned');
    writeFileSync(w.yaml, `services:\n  web:\n    image: ${host}/shop/web:unsigned\n  db:\n    image: ${host}/base/runtime:2\n`);
    const r = await pin(w.cwd, ['deploy/web.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /deploy\/web\.yaml:3:12: service web: .*\/shop\/web:unsigned: denied: .*no trust data for tag 'unsigned'/);
    assert.match(readFileSync(w.yaml, 'utf8'), new RegExp(`image: ${host.replace(/\./g, '\\.')}/base/runtime:2@${v3.manifest.digest}\\n`));
  });

  test('the policy decides: a signer the policy does not accept yields no digest to pin', async () => {
    const w = workspace('pin-policy');
    const policy = join(w.cwd, 'policy.yaml');
    writeFileSync(policy, `version: 1\nrules:\n  - name: shop\n    repositories: ["${host}/shop/*"]\n    signers: [alice]\n`);
    const r = await pin(w.cwd, ['--check', 'deploy/web.yaml', '--policy', 'policy.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unresolved|denied: .*only alice may sign it/);
    assert.match(r.stderr, /only alice may sign it/);
    const viaEnv = await pin(w.cwd, ['deploy/web.yaml'], { VOUCH_POLICY: 'policy.yaml' });
    assert.equal(viaEnv.code, 1);
    assert.equal(readFileSync(w.yaml, 'utf8'), manifest(host));
  });

  test('invalid YAML is reported with line and column and the file is not touched', async () => {
    const w = workspace('pin-invalid');
    const bad = `kind: Pod\nspec:\n  containers:\n    - name: a\n      image: ${host}/shop/web:prod-3\n      image: ${host}/shop/web:prod-3\n`;
    writeFileSync(w.yaml, bad);
    const r = await pin(w.cwd, ['deploy/web.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^vouch: invalid YAML: deploy\/web\.yaml:6:7: Map keys must be unique\nhint: fix the YAML syntax/);
    assert.equal(readFileSync(w.yaml, 'utf8'), bad);
    // With another file that can be pinned: that one is written, the bad one reported.
    const both = await pin(w.cwd, ['deploy/web.yaml', 'Dockerfile']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /^vouch: invalid YAML: deploy\/web\.yaml:6:7: /);
    assert.match(readFileSync(w.docker, 'utf8'), /runtime:2@sha256:/);
    const missing = await pin(w.cwd, ['nope.yaml']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read nope\.yaml/);
    writeFileSync(join(w.cwd, 'Dockerfile.unpinned'), `FROM ${host}/base/runtime:2\n`);
    const mixed = await pin(w.cwd, ['--check', 'nope.yaml', 'Dockerfile.unpinned']);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /1 file could not be pinned, and 1 image reference is not pinned to the signed digest:\n  cannot read nope\.yaml: .*\n  Dockerfile\.unpinned:1:6: FROM, stage 0: /);
  });

  test('usage errors exit 2', async () => {
    const w = workspace('pin-usage');
    assert.equal((await pin(w.cwd, [])).code, 2);
    assert.equal((await pin(w.cwd, ['--check', '--update', 'Dockerfile'])).code, 2);
    assert.equal((await pin(w.cwd, ['--frobnicate', 'Dockerfile'])).code, 2);
    const help = await pin(w.cwd, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--check/);
  });
});
