// checkPolicy with Notation and cosign signers against the embedded registry: the signatures of
// a digest are read once and shared by every signer, and a registry that cannot be read makes the
// decision inconclusive, not failed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import { createContext } from '../../../src/cli/context.js';
import { checkPolicy } from '../../../src/client/policy.js';
import { Session } from '../../../src/client/session.js';
import { decisionError } from '../../../src/policy/index.js';
import { parsePolicy } from '../../../src/policy/validate.js';
import type { RegistryClient } from '../../../src/oci/client.js';
import { runRegistry, type RunningRegistry } from '../../../src/registry/index.js';
import { runCli } from '../../support/cli.js';
import { removeTempDirs, tempDir } from './helpers.js';

let registry: RunningRegistry;
let dir: string;
let env: Record<string, string>;
let image: DemoImage;

before(async () => {
  dir = await tempDir('vouch-policy-oci-');
  registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: 'policy-oci' };
  image = await writeDemoImage(join(dir, 'img'), '1.0', 'shared reads\n');
  const push = await runCli(['push', `${registry.host}/team/app:1.0`, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust'], env, dir);
  assert.equal(push.code, 0, push.stderr);
  for (const k of ['a', 'b']) {
    assert.equal((await runCli(['cosign', 'generate-key-pair', '--output-key-prefix', k], env, dir)).code, 0);
    const signed = await runCli(['cosign', 'sign', '--key', `${k}.key`, '--tlog-upload=false', '--new-bundle-format=false', `${registry.host}/team/app:1.0`], env, dir);
    assert.equal(signed.code, 0, signed.stderr);
  }
});

after(async () => {
  await registry?.close();
  await removeTempDirs();
});

const POLICY = `version: 1
signers:
  a: { cosign: { key: a.pub } }
  b: { cosign: { key: b.pub } }
rules:
  - repositories: ["**"]
    signers: [a, b]
    threshold: 2
`;

function session(): { s: Session; reads: string[] } {
  const ctx = createContext({ out: () => {}, err: () => {}, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const s = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  const reads: string[] = [];
  const original = s.registryFor.bind(s);
  s.registryFor = (host, opts) => {
    const client = original(host, opts);
    return new Proxy(client, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (prop === 'getManifest' || prop === 'readBlob') reads.push(`${String(prop)} ${JSON.stringify(args[1])}`);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as RegistryClient;
  };
  return { s, reads };
}

test('two cosign signers on one digest: the .sig manifest and each payload are read once', async () => {
  const { s, reads } = session();
  try {
    const check = await checkPolicy(s, { registry: registry.host, repository: 'team/app', digest: image.manifest.digest }, { ...parsePolicy(POLICY), baseDir: dir });
    assert.equal(check.decision.allowed, true, check.decision.summary);
    assert.deepEqual(check.ociSigners, ['a', 'b']);
    // each signer sees both layers: its own passes, the other's fails
    assert.deepEqual(check.decision.signatures.map((x) => `${x.signer}:${x.status}`), ['a:passed', 'a:failed', 'b:failed', 'b:passed']);
    const sig = reads.filter((r) => r.startsWith('getManifest') && r.includes('.sig'));
    assert.equal(sig.length, 1, reads.join('\n'));
    const blobs = reads.filter((r) => r.startsWith('readBlob'));
    assert.equal(blobs.length, new Set(blobs).size, reads.join('\n'));
    assert.equal(blobs.length, 1, 'both layers sign the same simple-signing payload: one blob');
  } finally {
    await s.close();
  }
});

test('a registry that cannot be read: the decision is inconclusive (POLICY_INCONCLUSIVE), not failed', async () => {
  const { s } = session();
  try {
    const check = await checkPolicy(s, { registry: '127.0.0.1:1', repository: 'team/app', digest: image.manifest.digest }, { ...parsePolicy(POLICY), baseDir: dir });
    assert.equal(check.decision.allowed, false);
    assert.equal(check.decision.outcome, 'inconclusive', check.decision.summary);
    assert.deepEqual(check.decision.signatures.map((x) => x.status), ['inconclusive', 'inconclusive']);
    assert.equal(decisionError(check.decision)?.code, 'POLICY_INCONCLUSIVE');
  } finally {
    await s.close();
  }
});

test('a relative key path without the policy file directory is inconclusive, with what to do', async () => {
  const { s } = session();
  try {
    const check = await checkPolicy(s, { registry: registry.host, repository: 'team/app', digest: image.manifest.digest }, parsePolicy(POLICY));
    assert.equal(check.decision.outcome, 'inconclusive');
    assert.match(check.decision.signatures[0]?.message ?? '', /signer 'a': the relative path a.pub needs the policy file's directory/);
  } finally {
    await s.close();
  }
});

test('a hostile .sig manifest of 300 layers: reads stop at the budget, the report stays bounded, and the decision is not allowed', async () => {
  const { OCI_MANIFEST } = await import('../../../src/oci/mediatypes.js');
  const { cosign } = await import('../../../src/sig/index.js');
  const { digestOf } = await import('../../../src/core/index.js');
  const { MAX_POLICY_READS } = await import('../../../src/client/policy.js');
  const { s: pusher } = session();
  const repo = 'team/hostile';
  try {
    const client = pusher.registryFor(registry.host);
    const push = await runCli(['push', `${registry.host}/${repo}:1.0`, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust'], env, dir);
    assert.equal(push.code, 0, push.stderr);
    const layers = [];
    for (let i = 0; i < 300; i++) {
      const payload = Buffer.from(`{"n":${i}}`);
      await client.pushBlob(repo, { digest: digestOf(payload), size: payload.byteLength }, payload);
      layers.push(cosign.signatureLayer(payload, Buffer.from('not a signature')));
    }
    const built = cosign.buildLegacySignatureManifest(layers.slice(0, -1), layers[layers.length - 1] as (typeof layers)[number]);
    await client.pushBlob(repo, built.config.descriptor, built.config.bytes);
    await client.putManifest(repo, cosign.signatureTag(image.manifest.digest), built.bytes, OCI_MANIFEST);
  } finally {
    await pusher.close();
  }
  const { s, reads } = session();
  try {
    const check = await checkPolicy(s, { registry: registry.host, repository: repo, digest: image.manifest.digest }, { ...parsePolicy(POLICY), baseDir: dir });
    assert.equal(check.decision.allowed, false);
    assert.ok(reads.length <= MAX_POLICY_READS, `${reads.length} reads`);
    assert.ok(check.decision.signatures.length <= 2 * 10, `${check.decision.signatures.length} facts`);
  } finally {
    await s.close();
  }
});
