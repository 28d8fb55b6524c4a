// vouch's notation management commands against the real `notation` v1.3.2, both directions:
// what vouch writes in notation's config directory (trust stores, signingkeys.json, test keys,
// the trust policy) notation reads and uses, and what notation writes vouch reads; and `vouch
// notation inspect -o json` / `list` of signatures made by notation agree with `notation inspect
// -o json` / `notation ls` on the real docker-registry (tag fallback) and `vouch registry`
// (referrers API). A missing binary is a failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryClient } from '../../src/oci/client.js';
import { pushImage } from '../../src/oci/copy.js';
import { OciLayout } from '../../src/oci/layout.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { buildImageLayout } from '../support/image.js';
import { globalPolicy, issueSigningLeaf, makeNotationHome, makeRootCa, notationBinary, runNotation, type SigningIdentity } from '../support/notation.js';
import { startPeers, type Peers } from '../support/peers.js';
import { scratchDirs } from '../support/scratch.js';

const scratch = scratchDirs();
const tempDir = scratch.tempDir;

const show = (r: { code: number; stdout: string; stderr: string }): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const vouch = (e: Record<string, string>, args: string[]): Promise<CliResult> => runCli(['notation', ...args], e);
async function notation(e: Record<string, string>, args: string[]): Promise<CliResult> {
  const r = await runNotation(e, args);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}
/** Both succeed and print the same stdout. */
async function sameOutput(e: Record<string, string>, args: string[]): Promise<string> {
  const mine = await vouch(e, args);
  const theirs = await notation(e, args);
  assert.equal(mine.code, 0, show(mine));
  assert.equal(theirs.code, 0, show(theirs));
  assert.equal(mine.stdout, theirs.stdout, `vouch notation ${args.join(' ')} vs notation`);
  return mine.stdout;
}

let pki: string;
let rsa: SigningIdentity;
const newHome = async (): Promise<Record<string, string>> => makeNotationHome(await tempDir('vouch-nclihome-'), { trustStores: {}, policy: globalPolicy('strict', ['ca:none'], ['*']) });
const configDir = (e: Record<string, string>): string => join(e.XDG_CONFIG_HOME as string, 'notation');

before(async () => {
  await notationBinary();
  pki = await tempDir('vouch-nclipki-');
  await makeRootCa(pki, 'root', '/C=US/ST=WA/O=Vouch Test/CN=Vouch Test Root');
  rsa = await issueSigningLeaf(pki, 'root', 'rsa', 'rsa-2048', '/C=US/ST=WA/L=Seattle/O=Vouch Test/CN=rsa signer');
});

after(async () => {
  await scratch.removeAll();
});

describe('notation interop: trust stores (cert add/list/show/delete)', () => {
  test('vouch notation cert add → notation cert ls / show print the same; notation cert add → vouch notation cert ls', async () => {
    const e = await newHome();
    const added = await vouch(e, ['cert', 'add', '--type', 'ca', '--store', 'acme', join(pki, 'root.crt'), rsa.leaf]);
    assert.equal(added.code, 0, show(added));
    assert.match(added.stdout, /^Successfully added following certificates to named store acme of type ca:\n/);
    const theirs = await notation(e, ['cert', 'add', '-t', 'signingAuthority', '-s', 'wabbit', rsa.chain]);
    assert.equal(theirs.code, 0, show(theirs));
    const listed = await sameOutput(e, ['cert', 'ls']);
    assert.match(listed, /ca +acme +root\.crt/);
    assert.match(listed, /signingAuthority +wabbit +rsa\.chain\.crt/);
    await sameOutput(e, ['cert', 'ls', '--type', 'ca']);
    await sameOutput(e, ['cert', 'ls', '--store', 'wabbit']);
    await sameOutput(e, ['cert', 'ls', '--type', 'ca', '--store', 'acme']);
    const shown = await sameOutput(e, ['cert', 'show', '--type', 'signingAuthority', '--store', 'wabbit', 'rsa.chain.crt']);
    assert.match(shown, /Subject: CN=rsa signer,O=Vouch Test,L=Seattle,ST=WA,C=US\n/);
    // the same file again: refused by both
    const again = await vouch(e, ['cert', 'add', '-t', 'ca', '-s', 'acme', join(pki, 'root.crt')]);
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /certificate already exists in the Trust Store/);
    const deleted = await vouch(e, ['cert', 'delete', '-t', 'ca', '-s', 'acme', '-y', 'root.crt']);
    assert.equal(deleted.code, 0, show(deleted));
    assert.equal(deleted.stdout, 'Successfully deleted root.crt\n');
    assert.doesNotMatch((await notation(e, ['cert', 'ls'])).stdout, /root\.crt/);
    const all = await vouch(e, ['cert', 'delete', '-t', 'signingAuthority', '-s', 'wabbit', '--all', '--yes']);
    assert.equal(all.code, 0, show(all));
    assert.doesNotMatch((await notation(e, ['cert', 'ls'])).stdout, /wabbit/);
  });
});

describe('notation interop: signing keys (key add/list/update/delete, cert generate-test)', () => {
  test('vouch notation cert generate-test --default → notation key ls and cert ls agree, and notation signs with it and verifies', async () => {
    const e = await newHome();
    const gen = await vouch(e, ['cert', 'generate-test', '--default', 'wabbit-networks.io']);
    assert.equal(gen.code, 0, show(gen));
    assert.match(gen.stdout, /wabbit-networks\.io: mark as default signing key\n$/);
    // and one made by notation beside it: both tools list both alike
    const theirs = await notation(e, ['cert', 'generate-test', 'acme-rockets.io']);
    assert.equal(theirs.code, 0, show(theirs));
    assert.match(await sameOutput(e, ['key', 'ls']), /\* wabbit-networks\.io .*\nacme-rockets\.io /);
    assert.match(await sameOutput(e, ['cert', 'ls']), /ca +acme-rockets\.io +acme-rockets\.io\.crt/);
    await sameOutput(e, ['cert', 'show', '-t', 'ca', '-s', 'wabbit-networks.io', 'wabbit-networks.io.crt']);
    const policy = join(await tempDir('vouch-nclipol-'), 'policy.json');
    await writeFile(policy, JSON.stringify(globalPolicy('strict', ['ca:wabbit-networks.io'], ['*'])));
    const imported = await vouch(e, ['policy', 'import', '--force', policy]);
    assert.equal(imported.code, 0, show(imported));
    const img = await buildImageLayout(await tempDir('vouch-nclilayout-'), 'gen', 'v1');
    const ref = `${img.layout}@${img.digest}`;
    const signed = await notation(e, ['sign', '--oci-layout', ref]);
    assert.equal(signed.code, 0, show(signed));
    const verified = await notation(e, ['verify', '--oci-layout', '--scope', 'local/gen', ref]);
    assert.equal(verified.code, 0, show(verified));
    const mine = await vouch(e, ['verify', '--oci-layout', '--scope', 'local/gen', ref]);
    assert.equal(mine.code, 0, show(mine));
  });

  test('plugin keys: notation key add → vouch key ls; vouch key add / update / delete → notation key ls', async () => {
    const e = await newHome();
    // notation only checks that the plugin executable is there (notation-go plugin.NewCLIPlugin)
    const plugin = join(configDir(e), 'plugins', 'com.example.kms', 'notation-com.example.kms');
    await mkdir(join(plugin, '..'), { recursive: true });
    await writeFile(plugin, '#!/bin/sh\nexit 1\n');
    await chmod(plugin, 0o755);
    const theirs = await notation(e, ['key', 'add', '--plugin', 'com.example.kms', '--id', 'arn:key/1', '--plugin-config', 'region=eu', 'first']);
    assert.equal(theirs.code, 0, show(theirs));
    const mine = await vouch(e, ['key', 'add', '--plugin', 'com.example.kms', '--id', 'arn:key/2', '--default', 'second']);
    assert.equal(mine.code, 0, show(mine));
    assert.equal(mine.stdout, 'second: marked as default\n');
    assert.match(await sameOutput(e, ['key', 'ls']), /\* second +arn:key\/2 +com\.example\.kms/);
    const set = await vouch(e, ['key', 'update', '--default', 'first']);
    assert.equal(set.code, 0, show(set));
    assert.match(await sameOutput(e, ['key', 'ls']), /\* first/);
    const keys = JSON.parse(await readFile(join(configDir(e), 'signingkeys.json'), 'utf8')) as { keys: { name: string; pluginConfig?: Record<string, string> }[] };
    assert.deepEqual(keys.keys[0]?.pluginConfig, { region: 'eu' }, 'the plugin config notation wrote is kept');
    const missing = await vouch(e, ['key', 'add', '--plugin', 'com.example.absent', '--id', 'x', 'third']);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /plugin executable file is either not found or inaccessible/);
    const rm1 = await vouch(e, ['key', 'rm', 'first', 'second']);
    assert.equal(rm1.code, 0, show(rm1));
    assert.equal(rm1.stdout, 'Removed the following keys from Notation signing key list. The source keys still exist.\nfirst (default)\nsecond\n');
    assert.equal((await notation(e, ['key', 'ls'])).stdout.trim().split('\n').length, 1, 'only the header is left');
  });
});

describe('notation interop: the trust policy (policy import/show)', () => {
  test('vouch notation policy import → notation policy show prints it; notation policy import → vouch notation policy show', async () => {
    const e = await newHome();
    const file = join(await tempDir('vouch-nclipol-'), 'mine.json');
    const text = `${JSON.stringify(globalPolicy('audit', ['ca:acme'], ['x509.subject: C=US, ST=WA, O=Acme']), null, 2)}\n`;
    await writeFile(file, text);
    // a policy exists already (makeNotationHome wrote one): without --force the answer is "no"
    const asked = await vouch(e, ['policy', 'import', file]);
    assert.equal(asked.code, 0, show(asked));
    assert.equal(asked.stdout, 'The trust policy file already exists, do you want to overwrite it? [y/N] Operation cancelled.\n');
    const imported = await vouch(e, ['policy', 'import', '--force', file]);
    assert.equal(imported.code, 0, show(imported));
    assert.match(imported.stdout, /Trust policy configuration imported successfully\./);
    const shown = await notation(e, ['policy', 'show']);
    assert.equal(shown.code, 0, show(shown));
    assert.equal(shown.stdout, text);
    const theirsFile = join(await tempDir('vouch-nclipol-'), 'theirs.json');
    const theirsText = JSON.stringify(globalPolicy('strict', ['ca:other'], ['*']));
    await writeFile(theirsFile, theirsText);
    const nimport = await notation(e, ['policy', 'import', '--force', theirsFile]);
    assert.equal(nimport.code, 0, show(nimport));
    const vshow = await vouch(e, ['policy', 'show']);
    assert.equal(vshow.code, 0, show(vshow));
    assert.equal(vshow.stdout, theirsText);
    // an invalid policy is refused by both, nothing written
    const bad = join(await tempDir('vouch-nclipol-'), 'bad.json');
    await writeFile(bad, JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'a', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:x'], trustedIdentities: [] }] }));
    const mine = await vouch(e, ['policy', 'import', '--force', bad]);
    assert.equal(mine.code, 1, show(mine));
    assert.match(mine.stderr, /failed to validate trust policy/);
    const theirs = await notation(e, ['policy', 'import', '--force', bad]);
    assert.equal(theirs.code, 1, show(theirs));
    assert.equal(await readFile(join(configDir(e), 'trustpolicy.json'), 'utf8'), theirsText);
  });
});

interface InspectJson {
  mediaType: string;
  Signatures: { mediaType: string; digest: string; [k: string]: unknown }[];
  unreadableSignatures?: { digest: string; error: string }[];
}

describe('notation interop: inspect and list agree with notation', () => {
  let peers: Peers | undefined;
  let reg: RunningRegistry | undefined;
  let env: Record<string, string>;
  before(async () => {
    env = await makeNotationHome(await tempDir('vouch-nclihome-'), {
      trustStores: { test: [join(pki, 'root.crt')] }, policy: globalPolicy('strict', ['ca:test'], ['*']), signingKeys: { rsa },
    });
    peers = await startPeers({ registry: true });
    reg = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-nclireg-') });
  });
  after(async () => {
    await reg?.close();
    await peers?.stop();
  });

  for (const [label, host] of [['docker-registry (tag fallback)', () => peers?.registryHost as string], ['vouch registry (referrers API)', () => reg?.host as string]] as const) {
    test(`${label}: signatures by notation (JWS with metadata and expiry, COSE) and by vouch, inspected alike`, async () => {
      const repo = 'notation/inspect';
      const img = await buildImageLayout(await tempDir('vouch-nclimg-'), repo, 'v1', `inspect ${label}`);
      const c = new RegistryClient({ registry: host(), scheme: 'http' });
      try {
        const layout = await OciLayout.open(img.layout);
        await pushImage(c, repo, layout, layout.resolve('v1'), { tag: 'v1' });
      } finally { await c.close(); }
      const ref = `${host()}/${repo}@${img.digest}`;
      const none = await vouch(env, ['ls', '--plain-http', ref]);
      assert.equal(none.code, 0, show(none));
      assert.equal(none.stdout, `${ref} has no associated signature\n`);
      for (const args of [['-m', 'build=42', '-e', '720h'], ['--signature-format', 'cose']]) {
        const n = await notation(env, ['sign', '--insecure-registry', '--key', 'rsa', ...args, ref]);
        assert.equal(n.code, 0, show(n));
      }
      const v = await vouch(env, ['sign', '--plain-http', '--key', rsa.key, '--cert', rsa.chain, '-m', 'team=vouch', ref]);
      assert.equal(v.code, 0, show(v));

      const mineList = await vouch(env, ['ls', '--plain-http', ref]);
      const theirsList = await notation(env, ['ls', '--insecure-registry', ref]);
      assert.equal(mineList.code, 0, show(mineList));
      assert.equal(theirsList.code, 0, show(theirsList));
      assert.deepEqual(mineList.stdout.split('\n').sort(), theirsList.stdout.split('\n').sort(), `${mineList.stdout}\nvs\n${theirsList.stdout}`);
      assert.equal(mineList.stdout.split('\n').filter((l) => /sha256:/.test(l)).length, 4, 'the reference and three signatures');

      const theirs = await notation(env, ['inspect', '--insecure-registry', '-o', 'json', ref]);
      assert.equal(theirs.code, 0, show(theirs));
      const mine = await vouch(env, ['inspect', '--plain-http', '-o', 'json', ref]);
      // the COSE signature is read and shown as the JWS ones are
      assert.equal(mine.code, 0, show(mine));
      const t = JSON.parse(theirs.stdout) as InspectJson;
      const m = JSON.parse(mine.stdout) as InspectJson;
      assert.equal(m.mediaType, t.mediaType);
      assert.equal(t.Signatures.length, 3);
      assert.equal(m.unreadableSignatures, undefined);
      assert.equal(t.Signatures.filter((s) => s.mediaType === 'application/cose').length, 1);
      assert.equal(t.Signatures.filter((s) => s.mediaType === 'application/jose+json').length, 2);
      for (const s of t.Signatures) {
        const ours = m.Signatures.find((x) => x.digest === s.digest);
        assert.deepEqual(ours, s, `signature ${s.digest} (${s.mediaType}): every field notation prints`);
      }

      // the text tree: notation's layout, the same lines (Go prints map entries in random order)
      const text = await vouch(env, ['inspect', '--plain-http', ref]);
      const theirsText = await notation(env, ['inspect', '--insecure-registry', ref]);
      assert.match(text.stdout, /^Inspecting all signatures for signed artifact\n/);
      const lines = (out: string): string[] => out.split('\n').map((l) => l.replace(/^[│├└─ ]+/, '').trim()).filter(Boolean);
      const theirLines = new Set(lines(theirsText.stdout));
      // every line vouch prints is one of notation's
      const extra = lines(text.stdout).filter((l) => !theirLines.has(l));
      assert.deepEqual(extra, [], `${text.stdout}\nvs\n${theirsText.stdout}`);
      assert.ok(lines(text.stdout).length > 60, 'the two JWS signatures and the COSE one are shown in full');
    });
  }
});
