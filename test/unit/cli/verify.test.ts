// vouch verify and the policy on vouch pull, against an in-process vouch server (memory storage)
// and the embedded registry: signers restricted by --paths, k of n, signers not named for a tag,
// signatures outside a delegation's paths, unsigned tags, audit mode, policy file errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import { createContext } from '../../../src/cli/context.js';
import { RepoHandle } from '../../../src/client/repo.js';
import { Draft } from '../../../src/client/publish.js';
import { Session } from '../../../src/client/session.js';
import { fromHex } from '../../../src/core/index.js';
import { parseReference } from '../../../src/oci/reference.js';
import type { Decision } from '../../../src/policy/index.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { addTargets, dockerTarget } from '../../../src/tuf/index.js';
import { projectRoot } from '../../support/paths.js';
import { assertNothingWritten } from '../../support/fstree.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser, startLocalStack } from '../client/helpers.js';

let server: RunningServer;
let registry: RunningRegistry;
let dir: string;
let owner: VouchUser;
const signers: Record<string, VouchUser> = {};
let repo: string;
let v1: DemoImage;
let v2: DemoImage;
let policyFile: string;
let auditFile: string;

const silent = { out: () => {}, err: () => {}, stdinIsTTY: false, stderrIsTTY: false };

/** A signer whose tool ignores delegation paths: writes the tag straight into `role` (servers do not check paths). */
async function signIntoRole(user: VouchUser, image: string, tag: string, role: string, img: DemoImage): Promise<void> {
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

function policyText(host: string, mode: 'enforce' | 'audit'): string {
  return `# test policy
version: 1
defaults:
  mode: enforce
  rejectUnsigned: true
rules:
  - name: payments
    repositories:
      - ${host}/payments/*
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
  - name: public
    repositories: [${host}/public/*]
    rejectUnsigned: false
`;
}

before(async () => {
  dir = await tempDir('vouch-verify-');
  ({ server, registry } = await startLocalStack(dir));
  repo = `${registry.host}/payments/api`;
  owner = await vouchUser(server.url);
  v1 = await writeDemoImage(join(dir, 'v1'), '1.0', 'payments v1\n');
  v2 = await writeDemoImage(join(dir, 'v2'), '1.0', 'payments v2\n');
  for (const name of ['ci', 'alice', 'bob', 'carol']) {
    const u = await vouchUser(server.url);
    await u.ok(['trust', 'key', 'generate', name, '--dir', u.dir]);
    signers[name] = u;
  }
  // The first signer add initialises the repository (the owner holds root and targets keys).
  await owner.ok(['trust', 'signer', 'add', '--key', join(signers.ci!.dir, 'ci.pub'), '--paths', 'staging-,hotfix-', 'ci', repo]);
  for (const name of ['alice', 'bob', 'carol']) {
    await owner.ok(['trust', 'signer', 'add', '--key', join(signers[name]!.dir, `${name}.pub`), '--paths', 'prod-', name, repo]);
  }
  for (const tag of ['staging-1', 'staging-2', 'staging-unsigned', 'prod-1', 'prod-2', 'hotfix-1', 'hotfix-2']) {
    await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${join(dir, tag === 'prod-2' ? 'v2' : 'v1')}`, '--disable-content-trust']);
  }
  await owner.ok(['push', `${registry.host}/public/tool:1`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
  policyFile = join(dir, 'policy.yaml');
  auditFile = join(dir, 'audit.yaml');
  writeFileSync(policyFile, policyText(registry.host, 'enforce'));
  writeFileSync(auditFile, policyText(registry.host, 'audit'));

  await signers.ci!.ok(['trust', 'sign', `${repo}:staging-1`]);
  await signers.alice!.ok(['trust', 'sign', `${repo}:prod-1`]);
  await signers.alice!.ok(['trust', 'sign', `${repo}:prod-2`]);
  await signers.bob!.ok(['trust', 'sign', `${repo}:prod-2`]);
  // alice may only sign prod-*: her signature of a staging tag lands in targets/releases only.
  await signers.alice!.ok(['trust', 'sign', `${repo}:staging-2`]);
  // ci's delegation covers staging- and hotfix-, but ci signing hotfix-1 directly into targets/ci is fine;
  // alice writing hotfix-2 into targets/alice (paths prod-) is outside her paths.
  await signers.ci!.ok(['trust', 'sign', `${repo}:hotfix-1`]);
  await signIntoRole(signers.alice!, repo, 'hotfix-2', 'targets/alice', v1);
});

after(async () => {
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

const verify = (args: string[], env: Record<string, string> = {}) => owner.run(['verify', ...args], env);
const decisions = (stdout: string): { image: string; reference: string; allowed: boolean; decision?: Decision; error?: { code: string; outcome?: string; message: string } }[] => JSON.parse(stdout);
const status = (d: Decision | undefined, check: string): string | undefined => d?.reasons.find((r) => r.check === check)?.status;

describe('vouch verify', () => {
  test('staging signed by ci is allowed, with a human report of every check', async () => {
    const r = await verify([`${repo}:staging-1`, '--policy', policyFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${repo}:staging-1: ALLOWED\\n`));
    assert.match(r.stdout, /policy\s+rule 'payments' \(.*\/payments\/\*\), tags 'staging-\*', line \d+; mode enforce/);
    assert.match(r.stdout, new RegExp(`digest\\s+${v1.manifest.digest}`));
    for (const c of ['signed', 'signer', 'paths', 'threshold', 'agreement']) assert.match(r.stdout, new RegExp(`\\n  ${c}\\s+pass  `));
    assert.match(r.stdout, /pinned\s+skip/);
  });

  test('prod-1 with 1 of 3 signatures is denied; prod-2 with 2 of 3 is allowed', async () => {
    const r = await verify([`${repo}:prod-1`, `${repo}:prod-2`, '--policy', policyFile, '--json']);
    assert.equal(r.code, 1);
    const [p1, p2] = decisions(r.stdout);
    assert.equal(p1?.allowed, false);
    assert.equal(status(p1?.decision, 'threshold'), 'fail');
    assert.match(p1?.decision?.reasons.find((x) => x.check === 'threshold')?.message ?? '', /needs 2 distinct signers on one digest out of alice, bob, carol, but sha256:[0-9a-f]{12}… has 1 \(alice\)/);
    assert.equal(p2?.allowed, true);
    assert.equal(p2?.decision?.digest, v2.manifest.digest);
    assert.equal(status(p2?.decision, 'threshold'), 'pass');
    assert.match(r.stderr, /1 of 2 images are denied by the trust policy/);
    assert.match(JSON.parse(r.stderr).error.code, /POLICY_DENIED/);
  });

  test('a staging tag signed by alice, whom the policy does not name for it, is denied', async () => {
    const r = await verify([`${repo}:staging-2`, '--policy', policyFile]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /: DENIED\n/);
    assert.match(r.stdout, /signer\s+fail  tag 'staging-2' is signed only by releases, but only ci may sign it/);
    assert.match(r.stderr, /staging-2 is denied by the trust policy/);
  });

  test("a tag signed outside the signer's delegated paths is refused", async () => {
    const policy = join(dir, 'hotfix-alice.yaml');
    // Name alice for hotfix-* so that only her paths stand in the way.
    writeFileSync(policy, `version: 1\nrules:\n  - name: hotfix\n    repositories: ["${registry.host}/payments/*"]\n    tags:\n      - pattern: "hotfix-*"\n        signers: [alice]\n`);
    const r = await verify([`${repo}:hotfix-2`, '--policy', policy, '--json']);
    assert.equal(r.code, 1);
    const [d] = decisions(r.stdout);
    assert.equal(status(d?.decision, 'paths'), 'fail');
    assert.match(d?.decision?.reasons.find((x) => x.check === 'paths')?.message ?? '', /signed outside the signer's delegated paths by alice \(paths: "prod-"\)/);
    // ci signs hotfix-1 within its paths: allowed under the main policy.
    const ok = await verify([`${repo}:hotfix-1`, '--policy', policyFile]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });

  test('unsigned: a tag without trust data, and a repository without any, are denied with the reason', async () => {
    const r = await verify([`${repo}:staging-unsigned`, `${registry.host}/payments/none:1`, '--policy', policyFile, '--json']);
    assert.equal(r.code, 1);
    const [a, b] = decisions(r.stdout);
    assert.equal(status(a?.decision, 'signed'), 'fail');
    assert.match(a?.decision?.summary ?? '', /no trust data for tag 'staging-unsigned'/);
    assert.equal(status(b?.decision, 'signed'), 'fail');
    assert.match(b?.decision?.summary ?? '', /denied: .*\/payments\/none:1: no trust data for tag '1' .*unsigned tags are rejected here/);
  });

  test('rejectUnsigned: false allows an unsigned image with a warning', async () => {
    const r = await verify([`${registry.host}/public/tool:1`, '--policy', policyFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /signed\s+warn  no trust data for tag '1'/);
  });

  test('audit mode reports the failures but allows, exit 0', async () => {
    const r = await verify([`${repo}:prod-1`, `${repo}:staging-2`, '--policy', auditFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /prod-1: ALLOWED \(audit mode: not compliant\)/);
    assert.match(r.stdout, /threshold\s+fail/);
    assert.match(r.stdout, /allowed \(audit\): .*prod-1 would be denied: needs 2 distinct signers/);
  });

  test('VOUCH_POLICY is used without --policy; --policy wins over it; without either, the built-in policy', async () => {
    const viaEnv = await verify([`${repo}:prod-1`], { VOUCH_POLICY: policyFile });
    assert.equal(viaEnv.code, 1);
    const flagWins = await verify([`${repo}:prod-1`, '--policy', auditFile], { VOUCH_POLICY: policyFile });
    assert.equal(flagWins.code, 0, flagWins.stderr);
    // Built-in: any signer, threshold 1.
    const builtin = await verify([`${repo}:prod-1`, `${repo}:staging-2`]);
    assert.equal(builtin.code, 0, builtin.stderr);
    assert.match(builtin.stdout, /policy\s+defaults; mode enforce/);
    const missing = await verify([`${repo}:prod-1`], { VOUCH_POLICY: join(dir, 'nope.yaml') });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read the policy file .*nope\.yaml \(from VOUCH_POLICY\)/);
  });

  test('a policy file with errors is refused with file:line:col for each error; warnings are printed', async () => {
    // Named relative to the working directory, as messages show it.
    const bad = join(owner.dir, 'bad-policy.yaml');
    writeFileSync(bad, 'version: 1\ndefaults:\n  mode: enforced\nrules:\n  - repositories: [x.example.com/a/*]\n    tags:\n      - pattern: staging-*\n        signers: [ci]\n        threshold: 2\n');
    const r = await owner.run(['verify', `${repo}:prod-1`, '--policy', 'bad-policy.yaml'], {});
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /invalid policy \(2 errors\)/);
    assert.match(r.stderr, /bad-policy\.yaml:3:9: defaults\.mode: `mode` must be 'enforce' or 'audit'/);
    assert.match(r.stderr, /bad-policy\.yaml:9:20: rules\[0\]\.tags\[0\]\.threshold: threshold 2 is more than/);
    const warned = join(dir, 'warn-policy.yaml');
    writeFileSync(warned, 'version: 1\nrules:\n  - repositories: [team/app]\n');
    const w = await verify([`${repo}:staging-1`, '--policy', warned]);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stderr, /warning: .*warn-policy\.yaml:3:20: rules\[0\]\.repositories\[0\]: /);
  });

  test('usage: a bad reference is exit 2; --help documents the exit codes', async () => {
    const r = await verify(['Not A Reference']);
    assert.equal(r.code, 2);
    const h = await owner.run(['verify', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Usage: vouch verify \[options\] <image\.\.\.>/);
    assert.match(h.stdout, /Exit status: 0 when every image is allowed/);
    const none = await owner.run(['verify']);
    assert.equal(none.code, 2);
  });

  test('trust data that cannot be fetched or verified denies the image with the error (exit 1, not a crash)', async () => {
    const closed = await new Promise<number>((res) => {
      const srv = createNetServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => res(port));
      });
    });
    // A fresh user: with cached trust data the updater falls back to the cache, as notary does.
    const fresh = await vouchUser(`http://127.0.0.1:${closed}`);
    const r = await fresh.run(['verify', `${repo}:staging-1`, '--policy', policyFile, '--json']);
    assert.equal(r.code, 1);
    const [d] = decisions(r.stdout);
    assert.equal(d?.allowed, false);
    assert.equal(d?.decision, undefined);
    assert.match(d?.error?.message ?? '', /cannot reach http:\/\/127\.0\.0\.1:\d+/);
    assert.deepEqual([d?.error?.code, d?.error?.outcome], ['UNREACHABLE', 'inconclusive'], 'no verdict: an admission controller may fail open on it');
    assert.match(JSON.parse(r.stderr).error.message, /staging-1 is denied \(/);
  });

  test('a pinned reference is checked against the signed digest', async () => {
    const ok = await verify([`${repo}:prod-2@${v2.manifest.digest}`, '--policy', policyFile, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(status(decisions(ok.stdout)[0]?.decision, 'pin-matches'), 'pass');
    const stale = await verify([`${repo}:prod-2@${v1.manifest.digest}`, '--policy', policyFile, '--json']);
    assert.equal(stale.code, 1);
    assert.equal(status(decisions(stale.stdout)[0]?.decision, 'pin-matches'), 'fail');
  });
});

describe('vouch pull applies the policy', () => {
  const pull = (image: string, policy: string | undefined, name: string, extra: string[] = []) =>
    owner.run(['pull', image, '--verify', '--to', `oci:${join(dir, 'pulled', name)}`, ...(policy ? ['--policy', policy] : []), ...extra]);

  test('allowed: 2 of 3 on prod-2 is pulled', async () => {
    const r = await pull(`${repo}:prod-2`, policyFile, 'prod-2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${v2.manifest.digest}`));
  });

  test('denied in enforce mode: POLICY_DENIED, nothing written', async () => {
    const r = await pull(`${repo}:prod-1`, policyFile, 'prod-1', ['--json']);
    assert.equal(r.code, 1);
    const err = JSON.parse(r.stderr.trim().split('\n').at(-1) as string) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'POLICY_DENIED');
    assert.match(err.error.message, /needs 2 distinct signers/);
    assertNothingWritten(join(dir, 'pulled', 'prod-1'));
    const viaEnv = await owner.run(['pull', `${repo}:staging-2`, '--verify', '--to', `oci:${join(dir, 'pulled', 'staging-2')}`], { VOUCH_POLICY: policyFile });
    assert.equal(viaEnv.code, 1);
    assert.match(viaEnv.stderr, /only ci may sign it/);
  });

  test('audit mode: the pull goes ahead and the failures are reported on stderr', async () => {
    const r = await pull(`${repo}:prod-1`, auditFile, 'prod-1-audit');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARN: allowed \(audit\): .*prod-1 would be denied/);
    assert.match(r.stdout, new RegExp(`Digest: ${v1.manifest.digest}`));
    const json = await pull(`${repo}:prod-1`, auditFile, 'prod-1-audit-json', ['--json']);
    assert.equal(json.code, 0, json.stderr);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; decision?: Decision });
    // docker's order first (resolved), then the decision.
    assert.deepEqual(events.slice(0, 2).map((e) => e.event), ['resolved', 'policy']);
    assert.equal(events[1]?.decision?.compliant, false);
  });

  test('unsigned: refused by default; pulled with a warning where the policy allows unsigned tags', async () => {
    const r = await pull(`${repo}:staging-unsigned`, policyFile, 'unsigned');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No trust data for staging-unsigned/);
    const pub = await pull(`${registry.host}/public/tool:1`, policyFile, 'public');
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stderr, /is not signed; pulled without verification because the policy allows unsigned tags here/);
  });

  test('by digest: docker semantics without a policy file; with one, a digest alone has no trust data', async () => {
    const plain = await pull(`${repo}@${v1.manifest.digest}`, undefined, 'digest-plain');
    assert.equal(plain.code, 0, plain.stderr);
    const denied = await pull(`${repo}@${v1.manifest.digest}`, policyFile, 'digest-policy');
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /has no tag; Notary v1 signs tags/);
    const pinned = await pull(`${repo}:prod-2@${v2.manifest.digest}`, policyFile, 'digest-pinned');
    assert.equal(pinned.code, 0, pinned.stderr);
  });
});

describe('docs/verify.md', () => {
  const doc = readFileSync(join(projectRoot, 'docs', 'verify.md'), 'utf8');

  test('the report shown is the one vouch verify prints, line by line', async () => {
    const block = /The report, one block per image:\n\n```text\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(block, 'report example not found');
    const r = await verify([`${repo}:prod-1`, '--policy', policyFile]);
    const shape = (text: string): string[] => text.trimEnd().split('\n').map((l) => /^(\S+: (DENIED|ALLOWED)|  (\S+)\s+(pass|fail|warn|skip)?)/.exec(l)?.[0].replace(/\s+/g, ' ').replace(/^\S+: /, 'IMAGE: ') ?? l);
    const want = shape(block);
    const got = shape(r.stdout);
    assert.equal(got.length, want.length, r.stdout);
    assert.deepEqual(got.slice(0, 2), want.slice(0, 2));
    assert.deepEqual(got.slice(3, -1), want.slice(3, -1));
  });

  test('the usage line and the flags it documents match --help', async () => {
    const usage = /```\n(vouch verify IMAGE\[:TAG\]\.\.\. .*)\n```/.exec(doc)?.[1];
    assert.ok(usage);
    const help = (await owner.run(['verify', '--help'])).stdout;
    for (const flag of usage.match(/--[a-z-]+/g) ?? []) assert.match(help, new RegExp(`${flag}\\b`));
    const signerHelp = (await owner.run(['trust', 'signer', 'add', '--help'])).stdout;
    assert.match(signerHelp, /--paths <prefixes>/);
  });
});
