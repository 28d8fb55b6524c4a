// checkPolicy with Notation and cosign signers against the embedded registry: the signatures of
// a digest are read once and shared by every signer, and a registry that cannot be read makes the
// decision inconclusive, not failed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../../src/cli/demoimage.js';
import { createContext } from '../../../src/cli/context.js';
import { checkPolicy } from '../../../src/client/policy.js';
import { Session } from '../../../src/client/session.js';
import { decisionError } from '../../../src/policy/index.js';
import { parsePolicy } from '../../../src/policy/validate.js';
import type { RegistryClient } from '../../../src/oci/client.js';
import { runRegistry, type RunningRegistry } from '../../../src/registry/index.js';
import * as cosign from '../../../src/sig/cosign/index.js';
import { runCli } from '../../support/cli.js';
import { projectRoot } from '../../support/paths.js';
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

test('a cosign key signer is satisfied by a Sigstore bundle referring to the digest, checked as vouch cosign verify checks it', async () => {
  const repo = `${registry.host}/team/bundled`;
  const pushed = await runCli(['push', `${repo}:1.0`, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust'], env, dir);
  assert.equal(pushed.code, 0, pushed.stderr);
  // the default format: a bundle as an OCI referrer, no .sig tag
  assert.equal((await runCli(['cosign', 'sign', '--key', 'a.key', '--tlog-upload=false', `${repo}:1.0`], env, dir)).code, 0);
  const { s } = session();
  try {
    const check = await checkPolicy(s, { registry: registry.host, repository: 'team/bundled', digest: image.manifest.digest }, { ...parsePolicy(POLICY.replace('threshold: 2', 'threshold: 1')), baseDir: dir });
    assert.equal(check.decision.allowed, true, check.decision.summary);
    const a = check.decision.signatures.filter((x) => x.signer === 'a');
    assert.deepEqual(a.map((x) => x.status), ['passed']);
    assert.deepEqual(a[0]?.checks?.map((c) => `${c.check}:${c.status}`), ['signature:passed', 'claims:passed']);
    // b's key does not verify a's bundle
    assert.deepEqual(check.decision.signatures.filter((x) => x.signer === 'b').map((x) => x.status), ['failed']);
  } finally {
    await s.close();
  }
});

test('a keyless cosign signer (trustedRoot, issuer, subject or subjectRegExp) verifies the real cosign keyless .sig layer; another identity fails, a missing root is inconclusive', async () => {
  // test/fixtures/cosign-keyless/NOTES.md: the keyless layer of a real `.sig` manifest (the image itself is not published)
  const fixtures = join(projectRoot, 'test', 'fixtures', 'cosign-keyless');
  const recorded = cosign.parseLegacySignatureManifest(await readFile(join(fixtures, 'sig-layer', 'signature-manifest.json')));
  const payload = await readFile(join(fixtures, 'sig-layer', 'payload.json'));
  const digest = 'sha256:5ce2d8cd8e366d76ce012edc346daeb15a5643c26b9b24a2b731e97a99c6de52';
  const keylessLayer = recorded.layers[1]?.payload as cosign.Descriptor;
  const { s } = session();
  try {
    const client = s.registryFor(registry.host);
    await client.pushBlob('recorded/keyless', keylessLayer, payload);
    const built = cosign.buildLegacySignatureManifest([], keylessLayer);
    await client.pushBlob('recorded/keyless', built.config.descriptor, built.config.bytes);
    await client.putManifest('recorded/keyless', cosign.signatureTag(digest), built.bytes, 'application/vnd.oci.image.manifest.v1+json');
  } finally {
    await s.close();
  }
  await copyFile(join(fixtures, 'trusted_root.public-good.json'), join(dir, 'trusted_root.json'));
  const keylessPolicy = (identity: string): string => `version: 1
signers:
  gcp: { cosign: { trustedRoot: trusted_root.json, issuer: https://accounts.google.com, ${identity} } }
rules:
  - repositories: ["**"]
    signers: [gcp]
    threshold: 1
`;
  const check = async (policy: string): Promise<Awaited<ReturnType<typeof checkPolicy>>> => {
    const { s: session2 } = session();
    try {
      return await checkPolicy(session2, { registry: registry.host, repository: 'recorded/keyless', digest }, { ...parsePolicy(policy), baseDir: dir });
    } finally {
      await session2.close();
    }
  };
  for (const identity of ['subject: cosign@cosign-test-384419.iam.gserviceaccount.com', 'subjectRegExp: "^cosign@cosign-test-[0-9]+\\\\.iam\\\\.gserviceaccount\\\\.com$"']) {
    const ok = await check(keylessPolicy(identity));
    assert.equal(ok.decision.allowed, true, `${identity}: ${ok.decision.summary}`);
    assert.deepEqual(ok.decision.signatures.map((x) => `${x.signer}:${x.status}`), ['gcp:passed']);
    assert.match(ok.decision.signatures[0]?.message ?? '', /signed by cosign@cosign-test-384419\.iam\.gserviceaccount\.com \(issuer https:\/\/accounts\.google\.com\)/);
    assert.deepEqual(ok.decision.signatures[0]?.checks?.map((c) => `${c.check}:${c.status}`), ['signature:passed', 'claims:passed', 'tlog:passed']);
  }
  const other = await check(keylessPolicy('subject: someone@example.com'));
  assert.equal(other.decision.allowed, false);
  assert.equal(other.decision.outcome, 'failed');
  assert.match(other.decision.signatures[0]?.message ?? '', /identity \(subject alternative name\) is 'cosign@cosign-test-384419/);
  const noRoot = await check(keylessPolicy('subject: cosign@cosign-test-384419.iam.gserviceaccount.com').replace('trusted_root.json', 'missing-root.json'));
  assert.equal(noRoot.decision.outcome, 'inconclusive');
  assert.match(noRoot.decision.signatures[0]?.message ?? '', /no trusted root at .*missing-root\.json/);
});
