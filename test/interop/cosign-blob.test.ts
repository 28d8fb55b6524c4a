// vouch cosign sign-blob / verify-blob against the real cosign v2 and v3 (scripts/install-go-peers.sh):
// key-based signatures both ways (signature files, cosign's older bundle file, Sigstore bundles
// with --new-bundle-format), without a transparency log; and keyless verification of a bundle
// recorded by the Sigstore tooling (test/fixtures/cosign-keyless/NOTES.md) offline against its
// trusted root, where both tools must agree on the good identity and on a wrong one. A missing
// peer is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { goPeerBinary } from '../support/gopeers.js';
import { run, type RunResult } from '../support/peers.js';
import { runCli } from '../support/cli.js';
import { projectRoot } from '../support/paths.js';
import { removeTempDirs, tempDir } from '../unit/client/helpers.js';

const F = join(projectRoot, 'test', 'fixtures', 'cosign-keyless');
const IDENTITY = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
let dir: string;
let env: Record<string, string>;
const cosigns: Record<string, string> = {};

before(async () => {
  [cosigns.v2, cosigns.v3] = await Promise.all([goPeerBinary('cosign'), goPeerBinary('cosign3')]) as [string, string];
  dir = await tempDir('cosign-blob-interop-');
  env = { HOME: dir, COSIGN_PASSWORD: 'interop-blob' };
  await writeFile(join(dir, 'blob.txt'), 'a blob to sign\n');
  await writeFile(join(dir, 'other.txt'), 'another blob\n');
  assert.equal((await vouch(['cosign', 'generate-key-pair', '--output-key-prefix', 'vouch'])).code, 0);
  assert.equal((await cosign('v2', ['generate-key-pair', '--output-key-prefix', 'cosign'])).code, 0);
});

after(async () => {
  await removeTempDirs();
});

const vouch = (args: string[]): Promise<RunResult> => runCli(args, env, dir);
const cosign = (version: string, args: string[]): Promise<RunResult> =>
  run(cosigns[version] as string, args, { env: { ...env, COSIGN_YES: 'true' }, cwd: dir, timeoutMs: 120_000 });
const ok = (r: RunResult, what: string): void => {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  assert.match(r.stderr, /Verified OK/, what);
};

test('cosign v2 and v3 sign-blob --key (signature, bundle file, Sigstore bundle) verify in vouch; the wrong blob or key does not', async () => {
  const v2 = await cosign('v2', ['sign-blob', '--key', 'cosign.key', '--tlog-upload=false', '--output-signature', 'c2.sig', '--bundle', 'c2.bundle', 'blob.txt']);
  assert.equal(v2.code, 0, v2.stderr);
  const v3 = await cosign('v3', ['sign-blob', '--key', 'cosign.key', '--tlog-upload=false', '--use-signing-config=false', '--bundle', 'c3.bundle', 'blob.txt']);
  assert.equal(v3.code, 0, v3.stderr);
  const flags = ['--key', 'cosign.pub', '--insecure-ignore-tlog=true'];
  ok(await vouch(['cosign', 'verify-blob', ...flags, '--signature', 'c2.sig', 'blob.txt']), 'v2 signature');
  ok(await vouch(['cosign', 'verify-blob', ...flags, '--bundle', 'c2.bundle', 'blob.txt']), 'v2 bundle file');
  ok(await vouch(['cosign', 'verify-blob', ...flags, '--bundle', 'c3.bundle', 'blob.txt']), 'v3 Sigstore bundle');
  for (const args of [['--signature', 'c2.sig', 'other.txt'], ['--bundle', 'c3.bundle', 'other.txt']]) {
    const bad = await vouch(['cosign', 'verify-blob', ...flags, ...args]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.doesNotMatch(bad.stderr, /Verified OK/);
  }
  const wrongKey = await vouch(['cosign', 'verify-blob', '--key', 'vouch.pub', '--insecure-ignore-tlog=true', '--bundle', 'c3.bundle', 'blob.txt']);
  assert.equal(wrongKey.code, 1, wrongKey.stderr);
  const noFlag = await vouch(['cosign', 'verify-blob', '--key', 'cosign.pub', '--signature', 'c2.sig', 'blob.txt']);
  assert.equal(noFlag.code, 2, noFlag.stderr);
  assert.match(noFlag.stderr, /--insecure-ignore-tlog=true/);
});

test('vouch sign-blob --key verifies in cosign v2 and v3 (signature, bundle file, --new-bundle-format); the wrong blob does not', async () => {
  const signed = await vouch(['cosign', 'sign-blob', '--key', 'vouch.key', '--tlog-upload=false', '--output-signature', 'v.sig', '--bundle', 'v.bundle', 'blob.txt']);
  assert.equal(signed.code, 0, signed.stderr);
  const printed = await vouch(['cosign', 'sign-blob', '--key', 'vouch.key', '--tlog-upload=false', 'blob.txt']);
  assert.match(printed.stdout, /^[A-Za-z0-9+/]+=*\n$/);
  assert.equal((await vouch(['cosign', 'sign-blob', '--key', 'vouch.key', '--tlog-upload=false', '--new-bundle-format', '--bundle', 'vn.bundle', 'blob.txt'])).code, 0);
  const flags = ['--key', 'vouch.pub', '--insecure-ignore-tlog=true'];
  ok(await cosign('v2', ['verify-blob', ...flags, '--signature', 'v.sig', 'blob.txt']), 'cosign v2, signature');
  ok(await cosign('v2', ['verify-blob', ...flags, '--bundle', 'v.bundle', 'blob.txt']), 'cosign v2, bundle file');
  ok(await cosign('v3', ['verify-blob', ...flags, '--bundle', 'vn.bundle', 'blob.txt']), 'cosign v3, Sigstore bundle');
  ok(await cosign('v3', ['verify-blob', ...flags, '--new-bundle-format=false', '--signature', 'v.sig', 'blob.txt']), 'cosign v3, signature');
  const bad = await cosign('v3', ['verify-blob', ...flags, '--bundle', 'vn.bundle', 'other.txt']);
  assert.notEqual(bad.code, 0);
  const refused = await vouch(['cosign', 'sign-blob', '--key', 'vouch.key', 'blob.txt']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--tlog-upload=false/);
});

test('a recorded keyless bundle: vouch and the real cosign v2 and v3 verify it offline with --trusted-root, and both refuse a wrong identity', async () => {
  const args = (identity: string): string[] => ['verify-blob', join(F, 'conformance', 'a.txt'), '--bundle', join(F, 'conformance', 'happy-path-v0.3', 'bundle.sigstore.json'),
    '--certificate-identity', identity, '--certificate-oidc-issuer', ISSUER, '--trusted-root', join(F, 'trusted_root.public-good.json')];
  ok(await vouch(['cosign', ...args(IDENTITY), '--certificate-github-workflow-trigger', 'workflow_dispatch']), 'vouch');
  ok(await cosign('v2', [...args(IDENTITY), '--new-bundle-format']), 'cosign v2');
  ok(await cosign('v3', args(IDENTITY)), 'cosign v3');
  const wrong = 'https://github.com/someone/else/.github/workflows/release.yml@refs/heads/main';
  for (const r of [await vouch(['cosign', ...args(wrong)]), await cosign('v2', [...args(wrong), '--new-bundle-format']), await cosign('v3', args(wrong))]) {
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /Verified OK/);
  }
});
