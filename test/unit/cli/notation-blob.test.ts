// vouch notation blob sign|verify|inspect and blob policy import|show in-process: notation's
// (v2.0.0-alpha.1 cmd/notation/blob) file names, flags, messages and exit codes; nothing is
// written by a failed verification; an existing signature or policy is replaced only with --force.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../../support/cli.js';
import { projectRoot } from '../../support/paths.js';
import { makeChain, type Kind } from '../../support/x509.js';

let dir: string;
let env: Record<string, string>;
let cfg: string;
const keys = new Map<Kind, { key: string; cert: string }>();

const POLICY = {
  version: '1.0',
  trustPolicies: [
    { name: 'global', signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Vouch Test'], globalPolicy: true },
    { name: 'someone-else', signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Somebody Else'] },
    { name: 'audit', signatureVerification: { level: 'audit' }, trustStores: ['ca:absent'], trustedIdentities: ['*'] },
    { name: 'skip', signatureVerification: { level: 'skip' } },
  ],
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-nblob-'));
  cfg = join(dir, 'config', 'notation');
  for (const kind of ['ec-384', 'rsa-2048'] as Kind[]) {
    const chain = await makeChain(kind);
    const key = join(dir, `${kind}.key`);
    const cert = join(dir, `${kind}.crt`);
    await writeFile(key, chain.key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await writeFile(cert, `${chain.leaf.toString('pem')}\n${chain.root.toString('pem')}\n`);
    keys.set(kind, { key, cert });
    await mkdir(join(cfg, 'truststore', 'x509', 'ca', 'test'), { recursive: true });
    await writeFile(join(cfg, 'truststore', 'x509', 'ca', 'test', `root-${kind}.pem`), chain.root.toString('pem'));
  }
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config') };
  await writeFile(join(dir, 'policy.json'), JSON.stringify(POLICY));
  const imported = await runCli(['notation', 'blob', 'policy', 'import', join(dir, 'policy.json')], env);
  assert.equal(imported.code, 0, imported.stderr);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
async function blob(content = 'a release tarball\n'): Promise<string> {
  const d = join(dir, `b${++n}`);
  await mkdir(d);
  const path = join(d, 'app.tar.gz');
  await writeFile(path, content);
  return path;
}

/** Signs from the blob's directory: the signature lands in the current directory, as with notation v2.0.0-alpha.1. */
const sign = (path: string, kind: Kind, args: string[] = []): ReturnType<typeof runCli> =>
  runCli(['notation', 'blob', 'sign', '--key', keys.get(kind)?.key as string, '--cert', keys.get(kind)?.cert as string, ...args, path], env, dirname(path));

for (const format of ['jws', 'cose']) {
  for (const kind of ['ec-384', 'rsa-2048'] as Kind[]) {
    test(`blob sign (${format}, ${kind}) writes <file name>.${format}.sig in the current directory; blob verify accepts it`, async () => {
      const path = await blob();
      const signed = await sign(path, kind, ['--signature-format', format, '-m', 'build=9', '--media-type', 'application/gzip']);
      assert.equal(signed.code, 0, signed.stderr);
      assert.equal(signed.stdout, `Successfully signed ${path}\n Signature file written to app.tar.gz.${format}.sig\n`);
      const ok = await runCli(['notation', 'blob', 'verify', '--signature', `${path}.${format}.sig`, '-m', 'build=9', '--media-type', 'application/gzip', path], env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, `Successfully verified signature for ${path}\n\nThe artifact was signed with the following user metadata.\n\nKEY     VALUE\nbuild   9\n`);
      const json = await runCli(['notation', 'blob', 'verify', '--signature', `${path}.${format}.sig`, '-o', 'json', path], env);
      assert.equal(json.code, 0, json.stderr);
      const digest = (JSON.parse(json.stdout) as { verdict: { checks: { check: string; status: string }[] } }).verdict.checks.find((c) => c.check === 'targetArtifact');
      assert.equal(digest?.status, 'passed');
    });
  }
}

test('blob inspect: notation\'s tree and JSON; the digest uses the key\'s hash (sha384 for P-384)', async () => {
  const path = await blob();
  assert.equal((await sign(path, 'ec-384', ['--signature-format', 'cose', '-m', 'z=1'])).code, 0);
  const tree = await runCli(['notation', 'blob', 'inspect', `${path}.cose.sig`], env);
  assert.equal(tree.code, 0, tree.stderr);
  assert.match(tree.stdout, new RegExp(`^${path.replace(/[.]/g, '\\.')}\\.cose\\.sig\\n├── signature algorithm: ECDSA-SHA-384\\n├── signature envelope type: application/cose\\n├── signed attributes\\n│   ├── content type: application/vnd\\.cncf\\.notary\\.payload\\.v1\\+json\\n│   ├── signing scheme: notary\\.x509\\n│   └── signing time: \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}\\n├── user defined attributes\\n│   └── z: 1\\n`));
  assert.match(tree.stdout, /│   ├── SHA256 fingerprint: [0-9a-f]{64}\n│   │   ├── issued to: CN=signer,O=Vouch Test,L=Seattle,ST=WA,C=US\n/);
  assert.match(tree.stdout, /└── signed artifact\n    ├── media type: application\/octet-stream\n    ├── digest: sha384:[0-9a-f]{96}\n    └── size: 18\n$/);
  const json = await runCli(['notation', 'blob', 'inspect', '-o', 'json', `${path}.cose.sig`], env);
  const parsed = JSON.parse(json.stdout) as { signatureAlgorithm: string; userDefinedAttributes: Record<string, string>; signedArtifact: { digest: string }; certificates: unknown[] };
  assert.deepEqual([parsed.signatureAlgorithm, parsed.userDefinedAttributes, parsed.certificates.length], ['ECDSA-SHA-384', { z: '1' }, 2]);
  assert.match(parsed.signedArtifact.digest, /^sha384:/);
});

test('blob inspect shows what a signature claims without verifying it, as notation does (a JWS whose signature is broken)', async () => {
  const path = await blob();
  assert.equal((await sign(path, 'rsa-2048')).code, 0);
  const sig = `${path}.jws.sig`;
  const jws = JSON.parse(await readFile(sig, 'utf8')) as { signature: string };
  jws.signature = Buffer.alloc(256, 7).toString('base64url');
  await writeFile(sig, JSON.stringify(jws));
  const shown = await runCli(['notation', 'blob', 'inspect', '-o', 'json', sig], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal((JSON.parse(shown.stdout) as { signatureAlgorithm: string }).signatureAlgorithm, 'RSASSA-PSS-SHA-256');
  const verified = await runCli(['notation', 'blob', 'verify', '--signature', sig, path], env, dirname(path));
  assert.equal(verified.code, 1, 'and verify refuses it');
});

test('refused with notation\'s message: a tampered blob, another media type, an untrusted identity, an unknown statement; nothing written', async () => {
  const path = await blob();
  assert.equal((await sign(path, 'rsa-2048')).code, 0);
  const sig = `${path}.jws.sig`;
  const before = await readdir(join(path, '..'));
  await writeFile(path, 'a release tarball, changed\n');
  const tampered = await runCli(['notation', 'blob', 'verify', '--signature', sig, path], env);
  assert.equal(tampered.code, 1);
  assert.match(tampered.stderr, /signature verification failed: targetArtifact failed: integrity check failed\. signature does not match the given blob/);
  await writeFile(path, 'a release tarball\n');
  const mediaType = await runCli(['notation', 'blob', 'verify', '--signature', sig, '--media-type', 'text/plain', path], env);
  assert.equal(mediaType.code, 1);
  assert.match(mediaType.stderr, /integrity check failed\. signature does not match the given blob/);
  const identity = await runCli(['notation', 'blob', 'verify', '--signature', sig, '--policy-name', 'someone-else', path], env);
  assert.equal(identity.code, 1);
  assert.match(identity.stderr, /signature verification failed: authenticity failed: .*does not match the X\.509 trusted identities defined in the trust policy "someone-else"/);
  const unknown = await runCli(['notation', 'blob', 'verify', '--signature', sig, '--policy-name', 'nope', path], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /signature verification failed: no applicable blob trust policy with name "nope"/);
  const metadata = await runCli(['notation', 'blob', 'verify', '--signature', sig, '-m', 'build=1', path], env);
  assert.equal(metadata.code, 1);
  assert.match(metadata.stderr, /unable to find specified metadata in the signature: build=1/);
  assert.deepEqual(await readdir(join(path, '..')), before, 'verification writes nothing');
  // audit logs authenticity and passes; skip verifies nothing
  const audit = await runCli(['notation', 'blob', 'verify', '--signature', sig, '--policy-name', 'audit', path], env);
  assert.equal(audit.code, 0, audit.stderr);
  assert.match(audit.stderr, /^Warning: authenticity was set to "log" and failed with error: the trust store "absent" of type "ca" does not exist/m);
  const skip = await runCli(['notation', 'blob', 'verify', '--signature', sig, '--policy-name', 'skip', path], env);
  assert.equal(skip.stdout, `Trust policy is configured to skip signature verification for ${path}\n`);
});

test('signature files: names as notation reads them, an existing one replaced only with --force, --signature-directory', async () => {
  const path = await blob();
  assert.equal((await sign(path, 'ec-384')).code, 0);
  const again = await sign(path, 'ec-384');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /the signature file .*app\.tar\.gz\.jws\.sig already exists/);
  // without --signature-directory, the current directory: not the blob's
  const cwdSigned = await runCli(['notation', 'blob', 'sign', '--key', keys.get('ec-384')?.key as string, '--cert', keys.get('ec-384')?.cert as string, path], env, dir);
  assert.equal(cwdSigned.code, 0, cwdSigned.stderr);
  assert.ok((await readdir(dir)).includes('app.tar.gz.jws.sig'));
  const forced = await sign(path, 'ec-384', ['--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /Warning: existing signature file will be overwritten/);
  const out = join(dir, 'sigs', 'nested');
  const elsewhere = await sign(path, 'ec-384', ['--signature-directory', out, '--signature-format', 'cose']);
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
  assert.ok((await readFile(join(out, 'app.tar.gz.cose.sig')))[0] === 0xd2);
  for (const [name, pattern] of [['app.sig', /A valid signature file name must contain signature format and \.sig file extension/], ['app.jws.txt', /The file extension must be \.sig/], ['app.pgp.sig', /signature format "pgp" not supported/]] as const) {
    const r = await runCli(['notation', 'blob', 'verify', '--signature', join(dir, name), path], env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
  // the signature file's name decides the format: a COSE envelope named .jws.sig fails integrity
  const misnamed = join(dir, 'misnamed.jws.sig');
  await writeFile(misnamed, await readFile(join(out, 'app.tar.gz.cose.sig')));
  const r = await runCli(['notation', 'blob', 'verify', '--signature', misnamed, path], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /integrity failed/);
  // a signature file over notation-go's 32 MiB envelope bound is refused before it is read
  const huge = join(dir, 'huge.jws.sig');
  await writeFile(huge, '');
  await truncate(huge, 32 * 1024 * 1024 + 1);
  const tooLarge = await runCli(['notation', 'blob', 'verify', '--signature', huge, path], env);
  assert.equal(tooLarge.code, 1);
  assert.match(tooLarge.stderr, /is 33554433 bytes, over the limit of 33554432/);
  const noSig = await runCli(['notation', 'blob', 'verify', path], env);
  assert.equal(noSig.code, 2);
  assert.match(noSig.stderr, /filepath of the signature cannot be empty/);
  const badType = await sign(path, 'ec-384', ['--force', '--media-type', 'not a type']);
  assert.equal(badType.code, 2);
  assert.match(badType.stderr, /invalid content media-type "not a type"/);
  const reserved = await sign(path, 'ec-384', ['--force', '-m', 'io.cncf.notary.x=1']);
  assert.match(reserved.stderr, /has reserved prefix io\.cncf\.notary/);
});

test('blob policy import validates and refuses to replace without --force; show prints it, and says when it is invalid', async () => {
  const home = await mkdtemp(join(tmpdir(), 'vouch-nblobp-'));
  try {
    const e = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
    const missing = await runCli(['notation', 'blob', 'policy', 'show'], e);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /failed to show blob trust policy as the configuration does not exist/);
    const bad = join(home, 'bad.json');
    await writeFile(bad, JSON.stringify({ version: '1.0', trustPolicies: [{ ...POLICY.trustPolicies[0], globalPolicy: true }, { ...POLICY.trustPolicies[1], globalPolicy: true }] }));
    const refused = await runCli(['notation', 'blob', 'policy', 'import', bad], e);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /failed to validate blob trust policy configuration: multiple blob trust policy statements have globalPolicy set to true/);
    const good = join(home, 'good.json');
    await writeFile(good, JSON.stringify(POLICY));
    assert.equal((await runCli(['notation', 'blob', 'policy', 'import', good], e)).code, 0);
    const twice = await runCli(['notation', 'blob', 'policy', 'import', good], e);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already exists/);
    const forced = await runCli(['notation', 'blob', 'policy', 'import', '--force', good], e);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /Warning: existing blob trust policy configuration will be overwritten/);
    assert.equal(forced.stdout, `Successfully imported blob trust policy configuration to ${join(home, 'config', 'notation', 'trustpolicy.blob.json')}.\n`);
    const shown = await runCli(['notation', 'blob', 'policy', 'show'], e);
    assert.equal(shown.stdout, JSON.stringify(POLICY));
    // an invalid file in place (edited by hand): shown, with notation's warning, and exit 1
    await writeFile(join(home, 'config', 'notation', 'trustpolicy.blob.json'), '{"version":"1.0","trustPolicies":[]}');
    const invalid = await runCli(['notation', 'blob', 'policy', 'show'], e);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /Existing blob trust policy configuration is invalid/);
    assert.equal(invalid.stdout, '{"version":"1.0","trustPolicies":[]}');
    // a symlinked policy is refused, as notation refuses it
    await rm(join(home, 'config', 'notation', 'trustpolicy.blob.json'));
    await symlink(good, join(home, 'config', 'notation', 'trustpolicy.blob.json'));
    const path = await blob();
    assert.equal((await sign(path, 'ec-384')).code, 0);
    const linked = await runCli(['notation', 'blob', 'verify', '--signature', `${path}.jws.sig`, path], e);
    assert.equal(linked.code, 1);
    assert.match(linked.stderr, /is not a regular file \(symlinks are not supported\)/);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('signatures made by the real notation v2.0.0-alpha.1 (recorded: test/fixtures/notation-blob) verify, and are refused where notation refused them', async () => {
  const fixtures = join(projectRoot, 'test', 'fixtures', 'notation-blob');
  const home = await mkdtemp(join(tmpdir(), 'vouch-nblobfix-'));
  try {
    const e = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
    const store = join(home, 'config', 'notation', 'truststore', 'x509', 'ca', 'blob');
    await mkdir(store, { recursive: true });
    await writeFile(join(store, 'root.crt'), await readFile(join(fixtures, 'root.crt')));
    assert.equal((await runCli(['notation', 'blob', 'policy', 'import', join(fixtures, 'trustpolicy.blob.json')], e)).code, 0);
    const data = join(home, 'data.bin');
    await writeFile(data, await readFile(join(fixtures, 'data.bin')));
    for (const f of ['data.bin.jws.sig', 'data.bin.cose.sig']) await writeFile(join(home, f), await readFile(join(fixtures, f)));
    const jws = await runCli(['notation', 'blob', 'verify', '--signature', join(home, 'data.bin.jws.sig'), '-m', 'build=42', data], e);
    assert.equal(jws.code, 0, jws.stderr);
    const cose = await runCli(['notation', 'blob', 'verify', '--signature', join(home, 'data.bin.cose.sig'), '--media-type', 'application/x-tar', data], e);
    assert.equal(cose.code, 0, cose.stderr);
    const other = await runCli(['notation', 'blob', 'verify', '--policy-name', 'someone-else', '--signature', join(home, 'data.bin.jws.sig'), data], e);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /does not match the X\.509 trusted identities/);
    await writeFile(data, 'something else');
    const tampered = await runCli(['notation', 'blob', 'verify', '--signature', join(home, 'data.bin.cose.sig'), data], e);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /integrity check failed\. signature does not match the given blob/);
    // inspect prints notation's tree, line for line
    const transcript = (await readFile(join(fixtures, 'transcript.txt'), 'utf8')).split('$ notation blob inspect data.bin.cose.sig\n')[1]?.replace(/\(exit 0\)\n$/, '');
    const inspected = await runCli(['notation', 'blob', 'inspect', 'data.bin.cose.sig'], e, home);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.equal(inspected.stdout, transcript);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('a plugin key of signingkeys.json is refused by name for blobs (vouch signs blobs with key files only); nothing written', async () => {
  const home = await mkdtemp(join(tmpdir(), 'vouch-nblob-plugin-'));
  try {
    const pluginEnv = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
    await mkdir(join(home, 'config', 'notation'), { recursive: true });
    await writeFile(join(home, 'config', 'notation', 'signingkeys.json'), JSON.stringify({ default: 'kms', keys: [{ name: 'kms', id: 'arn:x', pluginName: 'com.example.kms' }] }));
    const path = await blob();
    const r = await runCli(['notation', 'blob', 'sign', path], pluginEnv, dirname(path));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /signing key kms is held by the plugin com\.example\.kms, and vouch signs blobs with key files only/);
    assert.deepEqual((await readdir(dirname(path))).sort(), ['app.tar.gz']);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
