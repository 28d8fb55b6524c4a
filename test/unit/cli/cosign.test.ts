// vouch cosign against the embedded registry: key pairs, sign and verify in the legacy .sig format
// (--new-bundle-format=false; bundles are test/unit/cli/cosign-bundle.test.ts),
// and the refusals (wrong key, a payload for another digest, a tampered payload, missing
// annotations, no tlog flags), plus two signers writing the same .sig tag at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import type { RunningRegistry } from '../../../src/registry/index.js';
import { runRegistry } from '../../../src/registry/index.js';
import { createContext } from '../../../src/cli/context.js';
import { Session } from '../../../src/client/session.js';
import { signCosign } from '../../../src/client/cosign.js';
import { decryptCosignKey } from '../../../src/keys/cosign.js';
import { parseReference } from '../../../src/oci/reference.js';
import { runCli } from '../../support/cli.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

let registry: RunningRegistry;
let dir: string;
let env: Record<string, string>;
let image: string;
let other: string;

before(async () => {
  dir = await tempDir('vouch-cosign-');
  registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: 'cosign-pass' };
  await writeDemoImage(join(dir, 'img'), '1.0', 'cosign one\n');
  await writeDemoImage(join(dir, 'img2'), '2.0', 'cosign two\n');
  image = `${registry.host}/team/app:1.0`;
  other = `${registry.host}/team/app:2.0`;
  for (const [ref, from] of [[image, 'img'], [other, 'img2']] as const) {
    const r = await runCli(['push', ref, '--from', `oci:${join(dir, from)}`, '--disable-content-trust'], env, dir);
    assert.equal(r.code, 0, r.stderr);
  }
  for (const prefix of ['cosign', 'other']) {
    const r = await runCli(['cosign', 'generate-key-pair', '--output-key-prefix', prefix], env, dir);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await registry?.close();
  await removeTempDirs();
});

const cli = (args: string[], extra: Record<string, string> = {}): ReturnType<typeof runCli> => runCli(args, { ...env, ...extra }, dir);

test('generate-key-pair writes cosign.key (0600, encrypted) and cosign.pub, and will not overwrite them', async () => {
  assert.equal((await stat(join(dir, 'cosign.key'))).mode & 0o777, 0o600);
  assert.match(await readFile(join(dir, 'cosign.key'), 'utf8'), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
  assert.match(await readFile(join(dir, 'cosign.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  const again = await cli(['cosign', 'generate-key-pair']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
});

test('sign then verify: the payload names the digest, annotations are signed, the JSON payload array is printed', async () => {
  const signed = await cli(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', '--new-bundle-format=false', '-a', 'build=42', image]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stderr, /Pushing signature to: /);
  const v = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog=true', '-a', 'build=42', image]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr, /The cosign claims were validated/);
  const payloads = JSON.parse(v.stdout) as Array<{ critical: { image: { 'docker-manifest-digest': string }; type: string }; optional: Record<string, string> }>;
  assert.equal(payloads.length, 1);
  assert.match(payloads[0]?.critical.image['docker-manifest-digest'] ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(payloads[0]?.critical.type, 'cosign container image signature');
  assert.equal(payloads[0]?.optional.build, '42');
});

test('refused: another key, an annotation not signed, an unsigned image, and no tlog flags', async () => {
  const wrongKey = await cli(['cosign', 'verify', '--key', 'other.pub', '--insecure-ignore-tlog', image]);
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.stderr, /no matching signatures: .*does not verify with the given public key/);
  const missing = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', '-a', 'build=43', image]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /annotation build=43 is not in the signed payload/);
  const unsigned = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', other]);
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stderr, /no signatures found \(sha256-[0-9a-f]{64}\.sig or a Sigstore bundle referring to sha256:[0-9a-f]{64}\)/);
  assert.equal((await cli(['cosign', 'sign', '--key', 'cosign.key', other])).code, 2);
  assert.equal((await cli(['cosign', 'verify', '--key', 'cosign.pub', image])).code, 2);
  const badPassword = await cli(['cosign', 'sign', '--key', 'cosign.key', '--tlog-upload=false', other], { COSIGN_PASSWORD: 'nope' });
  assert.equal(badPassword.code, 1);
  assert.match(badPassword.stderr, /decryption failed/);
});

test("a signature moved to another image's .sig tag is refused: the payload names the other digest", async () => {
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const s = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  try {
    const client = s.registryFor(registry.host);
    const one = await client.getManifest('team/app', '1.0');
    const two = await client.getManifest('team/app', '2.0');
    const sig = await client.getManifest('team/app', `sha256-${one.digest.slice(7)}.sig`);
    await client.putManifest('team/app', `sha256-${two.digest.slice(7)}.sig`, sig.bytes, sig.mediaType);
  } finally {
    await s.close();
  }
  const v = await cli(['cosign', 'verify', '--key', 'cosign.pub', '--insecure-ignore-tlog', other]);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /the payload signs sha256:[0-9a-f]{64}, not sha256:/);
});

test('two signers writing the same .sig tag at once both end up in it (read, write, read back, retry)', async () => {
  const ctx = createContext({ out: () => undefined, err: () => undefined, stdinIsTTY: false, stderrIsTTY: false }, env, dir);
  const key = await decryptCosignKey(await readFile(join(dir, 'cosign.key')), 'cosign-pass');
  const otherKey = await decryptCosignKey(await readFile(join(dir, 'other.key')), 'cosign-pass');
  const s1 = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  const s2 = new Session({ env, trustDir: ctx.trustDir, now: ctx.now });
  const target = parseReference(`${registry.host}/team/app:2.0`);
  try {
    await Promise.all([
      signCosign(s1, target, key, { annotations: { who: 'one' } }),
      signCosign(s2, target, otherKey, { annotations: { who: 'two' } }),
    ]);
  } finally {
    await s1.close();
    await s2.close();
  }
  for (const [pub, who] of [['cosign.pub', 'one'], ['other.pub', 'two']] as const) {
    const v = await cli(['cosign', 'verify', '--key', pub, '--insecure-ignore-tlog', '-a', `who=${who}`, other]);
    assert.equal(v.code, 0, `${pub}: ${v.stderr}`);
  }
});
