// Trust facts from verified metadata (src/client/policy.ts), against an in-process vouch server:
// which roles list a tag, with their effective paths (nested delegations restricted by their
// parent) and canonical key IDs; shared keys count once; docker's resolution must agree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import { createContext } from '../../../src/cli/context.js';
import { RepoHandle } from '../../../src/client/repo.js';
import { checkPolicy, policyImage, resolveAllowed, trustFacts } from '../../../src/client/policy.js';
import { Draft } from '../../../src/client/publish.js';
import { Session } from '../../../src/client/session.js';
import { fromHex, isVouchError } from '../../../src/core/index.js';
import { readPublicKeyFile } from '../../../src/keys/index.js';
import { parseReference } from '../../../src/oci/reference.js';
import { DEFAULT_POLICY, evaluatePolicy, type Policy } from '../../../src/policy/index.js';
import { validatePolicyObject } from '../../../src/policy/validate.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { addDelegation, addTargets, dockerTarget } from '../../../src/tuf/index.js';
import { removeTempDirs, tempDir, vouchUser, type VouchUser, startLocalStack } from './helpers.js';

let server: RunningServer;
let registry: RunningRegistry;
let owner: VouchUser;
const users: Record<string, VouchUser> = {};
const keyIds: Record<string, string> = {};
let repo: string;
let v1: DemoImage;
let v2: DemoImage;
const silent = { out: () => {}, err: () => {}, stdinIsTTY: false, stderrIsTTY: false };

function session(u: VouchUser): Session {
  const ctx = createContext(silent, u.env, u.dir);
  return new Session({ env: u.env, trustDir: ctx.trustDir, now: ctx.now });
}

async function withRepo<T>(u: VouchUser, fn: (s: Session, h: RepoHandle) => Promise<T>): Promise<T> {
  const s = session(u);
  try {
    return await fn(s, new RepoHandle(s, parseReference(repo)));
  } finally {
    await s.close();
  }
}

const target = (img: DemoImage) => dockerTarget(fromHex(img.manifest.digest.slice(7), 'digest'), img.manifest.size);

/** Writes tags straight into a role (a tool that ignores paths; servers do not check them). */
async function write(u: VouchUser, role: string, tags: Record<string, DemoImage>): Promise<void> {
  await withRepo(u, async (s, h) => {
    const draft = new Draft(h.gun, s.now(), await h.loadExisting());
    draft.edit(role, (md) => addTargets(md, Object.fromEntries(Object.entries(tags).map(([t, img]) => [t, target(img)]))));
    await h.publish(draft);
  });
}

const facts = (tag: string) => withRepo(owner, async (_s, h) => trustFacts(await h.loadExisting(), tag));

function policy(value: unknown): Policy {
  const v = validatePolicyObject(value);
  assert.deepEqual(v.errors, []);
  return v.policy as Policy;
}

before(async () => {
  const dir = await tempDir('vouch-facts-');
  ({ server, registry } = await startLocalStack(dir));
  repo = `${registry.host}/team/app`;
  owner = await vouchUser(server.url);
  v1 = await writeDemoImage(join(dir, 'v1'), '1.0', 'facts v1\n');
  v2 = await writeDemoImage(join(dir, 'v2'), '1.0', 'facts v2\n');
  for (const name of ['ci', 'alice', 'bob']) {
    const u = await vouchUser(server.url);
    const r = await u.ok(['trust', 'key', 'generate', name, '--dir', u.dir, '--json']);
    keyIds[name] = (JSON.parse(r.stdout) as { keyId: string }).keyId;
    users[name] = u;
  }
  await owner.ok(['trust', 'signer', 'add', '--key', join(users.ci!.dir, 'ci.pub'), '--paths', 'staging-', 'ci', repo]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(users.alice!.dir, 'alice.pub'), '--paths', 'prod-', '--paths', 'rc-', 'alice', repo]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(users.bob!.dir, 'bob.pub'), 'bob', repo]);
  // dave is alice's key under a second name: one person, two delegations.
  await owner.ok(['trust', 'signer', 'add', '--key', join(users.alice!.dir, 'alice.pub'), '--paths', 'prod-', 'dave', repo]);
  for (const tag of ['staging-1', 'prod-1', 'prod-2']) {
    await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust']);
  }
  await users.ci!.ok(['trust', 'sign', `${repo}:staging-1`]);
  await users.alice!.ok(['trust', 'sign', `${repo}:prod-1`]);
});

after(async () => {
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

test('every role that lists the tag, with its effective paths and canonical key IDs; targets has neither', async () => {
  const f = await facts('prod-1');
  const byRole = new Map(f.signatures.map((s) => [s.role, s]));
  assert.deepEqual([...byRole.keys()].sort(), ['targets/alice', 'targets/dave', 'targets/releases']);
  assert.deepEqual(byRole.get('targets/alice'), { role: 'targets/alice', digest: v1.manifest.digest, paths: ['prod-', 'rc-'], keyIds: [keyIds.alice] });
  assert.deepEqual(byRole.get('targets/dave')?.keyIds, [keyIds.alice]);
  assert.deepEqual(byRole.get('targets/releases')?.paths, ['']);
  assert.deepEqual(new Set(byRole.get('targets/releases')?.keyIds), new Set([keyIds.ci, keyIds.alice, keyIds.bob]));
  // The repository key signs without delegations being involved.
  const h = await tempDir('vouch-facts-admin-');
  const solo = await vouchUser(server.url, { config: join(h, 'docker') });
  const soloRepo = `${registry.host}/team/solo`;
  const img = await writeDemoImage(join(h, 'img'), '1', 'solo\n');
  await solo.ok(['push', `${soloRepo}:1`, '--from', `oci:${join(h, 'img')}`, '--sign']);
  const s = session(solo);
  try {
    const v = await new RepoHandle(s, parseReference(soloRepo)).loadExisting();
    assert.deepEqual(trustFacts(v, '1'), { signatures: [{ role: 'targets', digest: img.manifest.digest }] });
    assert.deepEqual(trustFacts(v, 'nope'), { signatures: [] });
  } finally {
    await s.close();
  }
});

test('two delegations with one key count as one signer toward k of n', async () => {
  const f = await facts('prod-1');
  const p = policy({ version: 1, rules: [{ repositories: [`${registry.host}/team/*`], signers: ['alice', 'dave'], threshold: 2 }] });
  const d = evaluatePolicy(p, { gun: repo, tag: 'prod-1' }, f);
  assert.equal(d.allowed, false);
  assert.match(d.reasons.find((r) => r.check === 'threshold')?.message ?? '', /has 1 \(alice, dave\)/);
});

test('roles whose paths do not cover the tag are reported, and the policy refuses them', async () => {
  await write(users.ci!, 'targets/ci', { 'prod-2': v2 });
  const f = await facts('prod-2');
  assert.deepEqual(f.signatures, [{ role: 'targets/ci', digest: v2.manifest.digest, paths: ['staging-'], keyIds: [keyIds.ci] }]);
  const d = evaluatePolicy(DEFAULT_POLICY, { gun: repo, tag: 'prod-2' }, f);
  assert.equal(d.allowed, false);
  assert.equal(d.reasons.find((r) => r.check === 'paths')?.status, 'fail');
});

test("a nested delegation's paths are restricted by its parent's", async () => {
  await withRepo(users.ci!, async (s, h) => {
    const ci = await readPublicKeyFile(join(users.ci!.dir, 'ci.pub'));
    const draft = new Draft(h.gun, s.now(), await h.loadExisting());
    draft.edit('targets/ci', (md) => addDelegation(md, 'targets/ci/nightly', { keys: [ci], paths: ['staging-n', 'prod-'] }));
    draft.edit('targets/ci/nightly', (md) => addTargets(md, { 'staging-n1': target(v1) }));
    await h.publish(draft);
  });
  const f = await facts('staging-n1');
  assert.deepEqual(f.signatures, [{ role: 'targets/ci/nightly', digest: v1.manifest.digest, paths: ['staging-n'], keyIds: [keyIds.ci] }]);
});

test("checkPolicy: no trust data means no facts; docker's resolution must agree with the policy's digest", async () => {
  const none = await withRepo(owner, (s) => checkPolicy(s, parseReference(`${registry.host}/team/none:1`), DEFAULT_POLICY));
  assert.equal(none.repo, undefined);
  assert.deepEqual(none.facts, { signatures: [] });
  assert.equal(none.decision.allowed, false);
  assert.deepEqual(policyImage(parseReference('alpine')), { gun: 'docker.io/library/alpine', tag: 'latest' });
  assert.deepEqual(policyImage(parseReference(`alpine@sha256:${'a'.repeat(64)}`)), { gun: 'docker.io/library/alpine', digest: `sha256:${'a'.repeat(64)}` });

  // targets/releases says v1 (alice, via docker sign); bob and ci write v2 into their own roles.
  await write(users.alice!, 'targets/releases', { 'staging-split': v1 });
  await write(users.bob!, 'targets/bob', { 'staging-split': v2 });
  await write(users.ci!, 'targets/ci', { 'staging-split': v2 });
  const c = await withRepo(owner, (s) => checkPolicy(s, parseReference(`${repo}:staging-split`), DEFAULT_POLICY));
  assert.equal(c.decision.digest, v2.manifest.digest);
  assert.throws(() => resolveAllowed(c, () => {}), (e: unknown) => isVouchError(e, 'POLICY_DENIED') && /the policy accepts sha256:[0-9a-f]{64}, but the trust data resolves the tag to sha256:/.test(e.message));
  const ok = await withRepo(owner, (s) => checkPolicy(s, parseReference(`${repo}:prod-1`), DEFAULT_POLICY));
  assert.equal(resolveAllowed(ok, () => {}).digest, v1.manifest.digest);
});
