// The trust-policy story end to end (issue 6), run twice: against vouch server and against the
// REAL notary-server (with notary-signer), with the REAL CNCF registry (docker-registry), all on
// loopback via test/support/peers.ts. Two signers' environments: `staging-*` is signed by ci,
// `prod-*` needs 2 of 3 of {alice, bob, carol}; every signer is restricted by `--paths`. The vouch
// CLI signs, verifies, pulls and pins; the real notary client reads the delegations' paths back.
// A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../src/cli/demoimage.js';
import { createContext } from '../../src/cli/context.js';
import { RepoHandle } from '../../src/client/repo.js';
import { Draft } from '../../src/client/publish.js';
import { Session } from '../../src/client/session.js';
import { fromHex } from '../../src/core/index.js';
import { parseReference } from '../../src/oci/reference.js';
import type { Decision } from '../../src/policy/index.js';
import { loadServerConfig, runServer, type RunningServer } from '../../src/server/index.js';
import { addTargets, dockerTarget } from '../../src/tuf/index.js';
import { startPeers, type Peers } from '../support/peers.js';
import { runCli } from '../support/cli.js';
import { assertNothingWritten } from '../support/fstree.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser } from '../unit/client/helpers.js';

let peers: Peers;
let vouchServer: RunningServer;
let images: Record<'v1' | 'v2' | 'v3', DemoImage>;
let imageDir: string;

before(async () => {
  peers = await startPeers({ registry: true, notary: true });
  const dir = await tempDir('vouch-policy-e2e-');
  vouchServer = await runServer(loadServerConfig({
    cwd: dir, env: {}, readFile: () => '',
    overrides: { addr: '127.0.0.1:0', storage: 'memory', dataDir: join(dir, 'server'), logLevel: 'silent' },
  }), { handleSignals: false, logger: false });
  imageDir = join(dir, 'images');
  images = {
    v1: await writeDemoImage(join(imageDir, 'v1'), '1.0', 'payments api, build 1\n'),
    v2: await writeDemoImage(join(imageDir, 'v2'), '1.0', 'payments api, build 2\n'),
    v3: await writeDemoImage(join(imageDir, 'v3'), '1.0', 'payments api, hotfix build\n'),
  };
});

after(async () => {
  await vouchServer?.close();
  await peers?.stop();
  await removeTempDirs();
});

const silent = { out: () => {}, err: () => {}, stdinIsTTY: false, stderrIsTTY: false };

/** A signer whose tool ignores delegation paths writes `tag` straight into `role`; neither server checks paths. */
async function writeIntoRole(user: VouchUser, image: string, tag: string, role: string, img: DemoImage): Promise<void> {
  const ctx = createContext(silent, user.env, user.dir);
  const s = new Session({ env: user.env, trustDir: ctx.trustDir, now: ctx.now });
  try {
    const handle = new RepoHandle(s, parseReference(`${image}:${tag}`));
    const draft = new Draft(handle.gun, s.now(), await handle.loadExisting());
    draft.edit(role, (md) => addTargets(md, { [tag]: dockerTarget(fromHex(img.manifest.digest.slice(7), 'digest'), img.manifest.size) }));
    await handle.publish(draft);
  } finally {
    await s.close();
  }
}

function policyYaml(host: string, backend: string, mode: 'enforce' | 'audit'): string {
  return `# payments: CI signs staging, two of three release managers sign production
version: 1
defaults:
  mode: enforce
  rejectUnsigned: true
rules:
  - name: payments
    repositories:
      - ${host}/${backend}/payments/*
    mode: ${mode}
    signers: ["Repo Admin"]
    tags:
      - pattern: "staging-*"
        signers: [ci]
      - pattern: "hotfix-*"
        signers: [ci]
      - pattern: "prod-*"
        signers: [alice, bob, carol]
        threshold: 2
        requireAgreement: true
`;
}

type VerifyJson = { reference: string; allowed: boolean; decision?: Decision }[];
const check = (d: Decision | undefined, name: string) => d?.reasons.find((r) => r.check === name);

for (const backend of ['vouch-server', 'notary-server'] as const) {
  describe(`trust policy end to end against ${backend}`, () => {
    let server: string;
    let owner: VouchUser;
    const signer: Record<string, VouchUser> = {};
    let repo: string;
    let policy: string;
    let audit: string;

    const sign = (name: string, tag: string) => signer[name]!.ok(['trust', 'sign', `${repo}:${tag}`]);
    const verify = (...args: string[]) => owner.run(['verify', ...args]);

    before(async () => {
      server = backend === 'vouch-server' ? vouchServer.url : peers.notaryUrl as string;
      const ca = backend === 'notary-server' ? { ca: peers.ca } : {};
      owner = await vouchUser(server, ca);
      for (const name of ['ci', 'alice', 'bob', 'carol']) {
        signer[name] = await vouchUser(server, ca);
        await signer[name]!.ok(['trust', 'key', 'generate', name, '--dir', signer[name]!.dir]);
      }
      repo = peers.gun(`${backend}/payments/api`);
      policy = join(owner.dir, 'policy.yaml');
      audit = join(owner.dir, 'audit.yaml');
      writeFileSync(policy, policyYaml(peers.registryHost as string, backend, 'enforce'));
      writeFileSync(audit, policyYaml(peers.registryHost as string, backend, 'audit'));
      for (const [tag, img] of [['staging-1', 'v1'], ['staging-2', 'v2'], ['prod-1', 'v1'], ['hotfix-1', 'v3'], ['hotfix-2', 'v3']] as const) {
        await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${join(imageDir, img)}`, '--disable-content-trust']);
      }
    });

    test('signers are added with --paths; the real notary client reads the paths back', async () => {
      const add = await owner.ok(['trust', 'signer', 'add', '--key', join(signer.ci!.dir, 'ci.pub'), '--paths', 'staging-', 'ci', repo]);
      assert.match(add.stdout, /Successfully initialized/);
      for (const name of ['alice', 'bob', 'carol']) {
        await owner.ok(['trust', 'signer', 'add', '--key', join(signer[name]!.dir, `${name}.pub`), '--paths', 'prod-', name, repo]);
      }
      const list = await peers.notary(['delegation', 'list', repo], { trustDir: join(owner.dir, 'notary-reader'), env: { NOTARY_URL: server, NOTARY_CA: peers.ca } });
      assert.equal(list.code, 0, list.stdout + list.stderr);
      const rows = list.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/)).filter((c) => c[0]?.startsWith('targets/'));
      const paths = Object.fromEntries(rows.map((c) => [c[0], c[1]]));
      assert.deepEqual(paths, { 'targets/alice': 'prod-', 'targets/bob': 'prod-', 'targets/carol': 'prod-', 'targets/ci': 'staging-', 'targets/releases': '"" <all paths>' });
    });

    test('staging-1 signed by ci is allowed', async () => {
      await sign('ci', 'staging-1');
      const r = await verify(`${repo}:staging-1`, '--policy', policy);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /: ALLOWED\n/);
      assert.match(r.stdout, new RegExp(`digest\\s+${images.v1.manifest.digest}`));
    });

    test('prod-1: 1 of 3 signatures is denied, 2 of 3 is allowed', async () => {
      await sign('alice', 'prod-1');
      const one = await verify(`${repo}:prod-1`, '--policy', policy, '--json');
      assert.equal(one.code, 1);
      const [d1] = JSON.parse(one.stdout) as VerifyJson;
      assert.equal(d1?.allowed, false);
      assert.equal(check(d1?.decision, 'threshold')?.status, 'fail');
      assert.match(check(d1?.decision, 'threshold')?.message ?? '', /needs 2 distinct signers on one digest out of alice, bob, carol, but sha256:\S+ has 1 \(alice\)/);
      await sign('bob', 'prod-1');
      const two = await verify(`${repo}:prod-1`, '--policy', policy, '--json');
      assert.equal(two.code, 0, two.stderr);
      const [d2] = JSON.parse(two.stdout) as VerifyJson;
      assert.equal(d2?.allowed, true);
      assert.equal(d2?.decision?.digest, images.v1.manifest.digest);
      assert.match(check(d2?.decision, 'threshold')?.message ?? '', /2 distinct signers \(2 required\) signed sha256:\S+: alice, bob/);
    });

    test('staging-2 signed by alice, whom the policy does not name for staging, is denied', async () => {
      // alice's delegation covers prod- only, so docker's signing puts it in targets/releases alone.
      await sign('alice', 'staging-2');
      const r = await verify(`${repo}:staging-2`, '--policy', policy);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /: DENIED\n/);
      assert.match(r.stdout, /signer\s+fail  tag 'staging-2' is signed only by releases, but only ci may sign it/);
    });

    test("a tag outside the signer's paths is refused", async () => {
      // ci may sign staging- only. Signed the docker way, hotfix-1 lands in targets/releases and does not count;
      await sign('ci', 'hotfix-1');
      const viaDocker = await verify(`${repo}:hotfix-1`, '--policy', policy);
      assert.equal(viaDocker.code, 1);
      assert.match(viaDocker.stdout, /signer\s+fail  tag 'hotfix-1' is signed only by releases, but only ci may sign it/);
      // written straight into targets/ci by a tool that ignores paths, the paths check refuses it.
      await writeIntoRole(signer.ci!, repo, 'hotfix-2', 'targets/ci', images.v3);
      const r = await verify(`${repo}:hotfix-2`, '--policy', policy, '--json');
      assert.equal(r.code, 1);
      const [d] = JSON.parse(r.stdout) as VerifyJson;
      assert.equal(check(d?.decision, 'paths')?.status, 'fail');
      assert.match(check(d?.decision, 'paths')?.message ?? '', /tag 'hotfix-2' is signed outside the signer's delegated paths by ci \(paths: "staging-"\)/);
      const pull = await owner.run(['pull', `${repo}:hotfix-2`, '--verify', '--policy', policy, '--to', `oci:${join(owner.dir, 'pulled-hotfix-2')}`]);
      assert.equal(pull.code, 1);
      assert.match(pull.stderr, /signed outside the signer's delegated paths/);
    });

    test('audit mode reports every failure but allows (exit 0)', async () => {
      const r = await verify(`${repo}:staging-2`, `${repo}:hotfix-1`, `${repo}:prod-1`, '--policy', audit);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /staging-2: ALLOWED \(audit mode: not compliant\)/);
      assert.match(r.stdout, /hotfix-1: ALLOWED \(audit mode: not compliant\)/);
      assert.match(r.stdout, /prod-1: ALLOWED\n/);
      assert.match(r.stdout, /allowed \(audit\): .*staging-2 would be denied/);
      const pull = await owner.run(['pull', `${repo}:staging-2`, '--verify', '--policy', audit, '--to', `oci:${join(owner.dir, 'pulled-audit')}`]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.match(pull.stderr, /WARN: allowed \(audit\)/);
      // Audit mode does not make a tag docker cannot resolve pullable: hotfix-2 is only in targets/ci.
      const unresolvable = await verify(`${repo}:hotfix-2`, '--policy', audit, '--json');
      assert.equal(unresolvable.code, 1);
      const [h] = JSON.parse(unresolvable.stdout) as (VerifyJson[number] & { error?: { message: string } })[];
      assert.equal(h?.decision?.allowed, true);
      assert.match(h?.error?.message ?? '', /No trust data for hotfix-2: .* is not signed in targets or targets\/releases/);
    });

    test('pull enforces the policy: the allowed digest is pulled, a denied tag writes nothing', async () => {
      const ok = await owner.run(['pull', `${repo}:prod-1`, '--verify', '--policy', policy, '--to', `oci:${join(owner.dir, 'pulled-prod-1')}`]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`Digest: ${images.v1.manifest.digest}`));
      const out = join(owner.dir, 'pulled-staging-2');
      const denied = await owner.run(['pull', `${repo}:staging-2`, '--policy', policy, '--to', `oci:${out}`], { DOCKER_CONTENT_TRUST: '1' });
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /^vouch: denied: .*staging-2: tag 'staging-2' is signed only by releases/);
      assertNothingWritten(out);
    });

    test('pin round trip: manifest, Dockerfile and Compose file pinned to the signed digests; a re-sign makes --check fail', async () => {
      const work = join(owner.dir, 'deploy');
      mkdirSync(work, { recursive: true });
      const manifest = `# payments api
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: "${repo}:prod-1"   # production
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: smoke
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: smoke
              image: ${repo}:staging-1
`;
      const dockerfile = `FROM ${repo}:staging-1 AS test\nRUN true\n\nFROM ${repo}:prod-1\n`;
      const compose = `services:\n  web:\n    image: ${repo}:prod-1 # the web tier\n    ports: ["8080:80"]\n`;
      writeFileSync(join(work, 'api.yaml'), manifest);
      writeFileSync(join(work, 'Dockerfile'), dockerfile);
      writeFileSync(join(work, 'compose.yaml'), compose);
      const pin = (...args: string[]) => runCli(['pin', '--policy', policy, ...args], owner.env, work);

      const unpinned = await pin('--check', 'api.yaml', 'Dockerfile', 'compose.yaml');
      assert.equal(unpinned.code, 1);
      assert.match(unpinned.stderr, /5 image references are not pinned to the signed digest \(3 files\)/);

      const r = await pin('api.yaml', 'Dockerfile', 'compose.yaml');
      assert.equal(r.code, 0, r.stderr);
      const v1 = images.v1.manifest.digest;
      assert.equal(readFileSync(join(work, 'api.yaml'), 'utf8'), manifest.replace(`"${repo}:prod-1"`, `"${repo}:prod-1@${v1}"`).replace(`image: ${repo}:staging-1`, `image: ${repo}:staging-1@${v1}`));
      assert.equal(readFileSync(join(work, 'Dockerfile'), 'utf8'), `FROM ${repo}:staging-1@${v1} AS test\nRUN true\n\nFROM ${repo}:prod-1@${v1}\n`);
      assert.equal(readFileSync(join(work, 'compose.yaml'), 'utf8'), compose.replace(`${repo}:prod-1`, `${repo}:prod-1@${v1}`), 'Compose file pinned, comment kept');
      const ok = await pin('--check', 'api.yaml', 'Dockerfile', 'compose.yaml');
      assert.equal(ok.code, 0, ok.stderr);

      // prod-1 is re-signed to build 2 by alice (push --sign) and bob: 2 of 3 on the new digest.
      const pushed = await signer.alice!.ok(['push', `${repo}:prod-1`, '--from', `oci:${join(imageDir, 'v2')}`, '--sign']);
      assert.match(pushed.stdout, /Successfully signed/);
      await sign('bob', 'prod-1');
      const v2 = images.v2.manifest.digest;
      const moved = await verify(`${repo}:prod-1`, '--policy', policy, '--json');
      assert.equal((JSON.parse(moved.stdout) as VerifyJson)[0]?.decision?.digest, v2, moved.stdout);

      const stale = await pin('--check', 'api.yaml', 'Dockerfile', 'compose.yaml');
      assert.equal(stale.code, 1);
      assert.match(stale.stderr, /3 image references are not pinned to the signed digest \(3 files\)/);
      assert.match(stale.stderr, new RegExp(`api\\.yaml:11:19: Deployment api, container api: .*prod-1 is pinned to ${v1}, but the signed digest of tag prod-1 is ${v2}`));
      assert.match(stale.stderr, new RegExp(`Dockerfile:4:6: FROM, stage 1: .*prod-1 is pinned to ${v1}, but the signed digest of tag prod-1 is ${v2}`));
      // The pinned old digest is also refused on pull, by the pin-matches check.
      const oldPull = await owner.run(['pull', `${repo}:prod-1@${v1}`, '--verify', '--policy', policy, '--to', `oci:${join(owner.dir, 'pulled-old')}`]);
      assert.equal(oldPull.code, 1);
      assert.match(oldPull.stderr, /the tag has moved or the pin is wrong/);

      const upd = await pin('--update', 'api.yaml', 'Dockerfile', 'compose.yaml');
      assert.equal(upd.code, 0, upd.stderr);
      assert.match(readFileSync(join(work, 'Dockerfile'), 'utf8'), new RegExp(`FROM .*:prod-1@${v2}\\n$`));
      assert.equal(readFileSync(join(work, 'compose.yaml'), 'utf8'), compose.replace(`${repo}:prod-1`, `${repo}:prod-1@${v2}`));
      assert.equal((await pin('--check', 'api.yaml', 'Dockerfile', 'compose.yaml')).code, 0);
    });
  });
}
