// vouch notation cert / key / policy in-process: what each command writes in notation's config
// directory (layout, file modes, signingkeys.json), notation's messages and prompts, usage
// errors (exit 2), and the refusals: symlinks, names that would leave the store, a name or file
// that exists already, invalid input. Nothing is written when a command refuses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseCertificates, validateCodeSigningChain } from '../../../src/sig/index.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { buildImageLayout } from '../../support/image.js';
import { makeChain } from '../../support/x509.js';

let dir: string;
let rootPem: string;
let leafPem: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-nmanage-'));
  const chain = await makeChain('ec-256');
  rootPem = join(dir, 'root.pem');
  leafPem = join(dir, 'leaf.pem');
  await writeFile(rootPem, chain.root.toString('pem'));
  await writeFile(leafPem, chain.leaf.toString('pem'));
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
async function home(): Promise<{ env: Record<string, string>; cfg: string }> {
  const h = join(dir, `home${++n}`);
  await mkdir(h);
  return { env: { HOME: h, XDG_CONFIG_HOME: join(h, 'config') }, cfg: join(h, 'config', 'notation') };
}
const vouch = (env: Record<string, string>, args: string[], input?: string): Promise<CliResult> => runCli(['notation', ...args], env, dir, input);
const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;
const show = (r: CliResult): string => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

test('cert add copies the files into truststore/x509/TYPE/STORE/ (0600, directories 0700) and cert ls / show read them', async () => {
  const { env, cfg } = await home();
  const r = await vouch(env, ['cert', 'add', '--type', 'ca', '--store', 'acme', rootPem, leafPem]);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, `Successfully added following certificates to named store acme of type ca:\n${rootPem}\n${leafPem}\n`);
  const store = join(cfg, 'truststore', 'x509', 'ca', 'acme');
  assert.deepEqual((await readdir(store)).sort(), ['leaf.pem', 'root.pem']);
  assert.equal(await mode(join(store, 'root.pem')), 0o600);
  for (const d of [cfg, join(cfg, 'truststore'), join(cfg, 'truststore', 'x509'), join(cfg, 'truststore', 'x509', 'ca'), store]) assert.equal(await mode(d), 0o700, d);
  assert.equal(await readFile(join(store, 'root.pem'), 'utf8'), await readFile(rootPem, 'utf8'));
  const ls = await vouch(env, ['cert', 'ls']);
  assert.equal(ls.stdout, 'STORE TYPE   STORE NAME   CERTIFICATE   \nca           acme         leaf.pem      \nca           acme         root.pem      \n');
  assert.equal((await vouch(env, ['cert', 'ls', '--type', 'tsa'])).stdout, '');
  assert.equal((await vouch(env, ['cert', 'ls', '--type', 'nonsense'])).stdout, '', 'notation lists nothing for an unknown type');
  const shown = await vouch(env, ['cert', 'show', '-t', 'ca', '-s', 'acme', 'leaf.pem']);
  assert.equal(shown.code, 0, show(shown));
  assert.match(shown.stdout, /^Certificate details\n-{80}\nIssuer: CN=Test Root,O=Vouch Test,ST=WA,C=US\nSubject: CN=signer,O=Vouch Test,L=Seattle,ST=WA,C=US\nValid from: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC\nValid to: [^\n]+\nIsCA: false\nSHA256 Thumbprint: [0-9a-f]{64}\n$/);
});

test('cert add refuses: an unknown type or a bad store name (usage, exit 2), a file that is no certificate, one that is there already', async () => {
  const { env, cfg } = await home();
  const badType = await vouch(env, ['cert', 'add', '-t', 'root', '-s', 'acme', rootPem]);
  assert.equal(badType.code, 2, show(badType));
  assert.match(badType.stderr, /unsupported store type: root/);
  for (const name of ['..', '.', 'a/b', 'a b']) {
    const bad = await vouch(env, ['cert', 'add', '-t', 'ca', '-s', name, rootPem]);
    assert.equal(bad.code, 2, `${name}: ${show(bad)}`);
    assert.match(bad.stderr, /named store name needs to follow \[a-zA-Z0-9_.-\]\+ format/);
  }
  const missingFlags = await vouch(env, ['cert', 'add', rootPem]);
  assert.equal(missingFlags.code, 2, show(missingFlags));
  await assert.rejects(lstat(cfg), 'nothing written');
  const junk = join(dir, 'junk.crt');
  await writeFile(junk, 'not a certificate');
  const r = await vouch(env, ['cert', 'add', '-t', 'ca', '-s', 'acme', junk, rootPem]);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stdout, /Successfully added following certificates to named store acme of type ca:\n.*root\.pem\n/);
  assert.match(r.stderr, /Failed to add following certificates to named store acme of type ca:\n.*junk\.crt, with error ".*neither PEM nor DER/);
  const again = await vouch(env, ['cert', 'add', '-t', 'ca', '-s', 'acme', rootPem]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /certificate already exists in the Trust Store/);
  await writeFile(join(cfg, 'truststore', 'x509', 'ca', 'acme', 'notes.txt'), 'not a certificate');
  const listed = await vouch(env, ['cert', 'ls', '--type', 'ca']);
  assert.equal(listed.code, 1, show(listed));
  assert.match(listed.stderr, /failed to list all certificates stored of type ca, with error: notes\.txt is neither PEM nor DER/);
});

test('cert add does not write through a symlinked store directory', async () => {
  const { env, cfg } = await home();
  const elsewhere = join(dir, `elsewhere${n}`);
  await mkdir(elsewhere);
  await mkdir(join(cfg, 'truststore', 'x509', 'ca'), { recursive: true });
  await symlink(elsewhere, join(cfg, 'truststore', 'x509', 'ca', 'linked'));
  const r = await vouch(env, ['cert', 'add', '-t', 'ca', '-s', 'linked', rootPem]);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /is not a regular directory \(symlinks are not supported\)/);
  assert.deepEqual(await readdir(elsewhere), []);
  // a linked source file is read, as notation reads it (system CA bundles are links); the copy is a file
  const link = join(elsewhere, 'link.pem');
  await symlink(rootPem, link);
  const added = await vouch(env, ['cert', 'add', '-t', 'ca', '-s', 'real', link]);
  assert.equal(added.code, 0, show(added));
  const copy = join(cfg, 'truststore', 'x509', 'ca', 'real', 'link.pem');
  assert.ok((await lstat(copy)).isFile());
  // a link inside a store is not read
  await symlink(rootPem, join(cfg, 'truststore', 'x509', 'ca', 'real', 'inner.pem'));
  const shown = await vouch(env, ['cert', 'show', '-t', 'ca', '-s', 'real', 'inner.pem']);
  assert.equal(shown.code, 1, show(shown));
  assert.match(shown.stderr, /inner\.pem is not a regular file \(symlinks are not supported\)/);
  assert.doesNotMatch((await vouch(env, ['cert', 'ls'])).stdout, /inner\.pem/);
});

test('cert delete asks first (no answer: cancelled, nothing removed), --yes removes a file, --all the store; names cannot leave the store', async () => {
  const { env, cfg } = await home();
  assert.equal((await vouch(env, ['cert', 'add', '-t', 'tsa', '-s', 'ts', rootPem, leafPem])).code, 0);
  const store = join(cfg, 'truststore', 'x509', 'tsa', 'ts');
  const asked = await vouch(env, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', 'root.pem']);
  assert.equal(asked.code, 0, show(asked));
  assert.equal(asked.stdout, 'Are you sure you want to delete "root.pem" in "ts" of type "tsa"? [y/N] Operation cancelled.\n');
  assert.deepEqual((await readdir(store)).sort(), ['leaf.pem', 'root.pem']);
  const yes = await vouch(env, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', 'root.pem'], 'y\n');
  assert.equal(yes.code, 0, show(yes));
  assert.match(yes.stdout, /\[y\/N\] Successfully deleted root\.pem\n$/);
  const escape = await vouch(env, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', '-y', '../../ca']);
  assert.equal(escape.code, 2, show(escape));
  const both = await vouch(env, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', '--all', 'leaf.pem']);
  assert.equal(both.code, 2, show(both));
  assert.match(both.stderr, /cannot delete a single certificate file when --all flag is set/);
  const absent = await vouch(env, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', '-y', 'nope.pem']);
  assert.equal(absent.code, 1, show(absent));
  assert.match(absent.stderr, /failed to delete the certificate file: stat .*nope\.pem: no such file or directory/);
  const all = await vouch(env, ['cert', 'delete', '-t', 'tsa', '-s', 'ts', '--all', '-y']);
  assert.equal(all.code, 0, show(all));
  assert.equal(all.stdout, `Successfully deleted ${store}\n`);
  await assert.rejects(lstat(store));
});

test('cert generate-test writes the key (0600), the certificate (0644), signingkeys.json and the ca store, and the certificate is a valid one-certificate chain', async () => {
  const { env, cfg } = await home();
  const r = await vouch(env, ['cert', 'generate-test', '--default', 'wabbit-networks.io']);
  assert.equal(r.code, 0, show(r));
  const key = join(cfg, 'localkeys', 'wabbit-networks.io.key');
  const crt = join(cfg, 'localkeys', 'wabbit-networks.io.crt');
  assert.match(r.stdout, new RegExp(`^generating RSA Key with 2048 bits\ngenerated certificate expiring on \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\nwrote key: ${key}\nwrote certificate: ${crt}\nSuccessfully added wabbit-networks.io.crt to named store wabbit-networks.io of type ca\nwabbit-networks.io: added to the key list\nwabbit-networks.io: mark as default signing key\n$`));
  assert.equal(await mode(key), 0o600);
  assert.equal(await mode(crt), 0o644);
  assert.equal(await mode(join(cfg, 'signingkeys.json')), 0o600);
  assert.equal(await readFile(join(cfg, 'signingkeys.json'), 'utf8'), `{\n    "default": "wabbit-networks.io",\n    "keys": [\n        {\n            "name": "wabbit-networks.io",\n            "keyPath": "${key}",\n            "certPath": "${crt}"\n        }\n    ]\n}\n`);
  assert.equal(await readFile(join(cfg, 'truststore', 'x509', 'ca', 'wabbit-networks.io', 'wabbit-networks.io.crt'), 'utf8'), await readFile(crt, 'utf8'));
  const [cert] = await parseCertificates([Buffer.from((await readFile(crt, 'utf8')).replace(/-----[^-]+-----|\s/g, ''), 'base64')]);
  assert.ok(cert);
  validateCodeSigningChain([cert], new Date());
  assert.equal(cert.subject, 'C=US, ST=WA, L=Seattle, O=Notary, CN=wabbit-networks.io');
  assert.equal(cert.notAfter.getTime() - cert.notBefore.getTime(), 24 * 3600 * 1000);
  // it signs, and the policy that trusts its store verifies it
  await writeFile(join(cfg, 'trustpolicy.json'), JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:wabbit-networks.io'], trustedIdentities: ['*'] }] }));
  const img = await buildImageLayout(join(dir, `gen${n}`), 'gen', 'v1');
  assert.equal((await vouch(env, ['sign', '--oci-layout', `${img.layout}@${img.digest}`])).code, 0);
  const v = await vouch(env, ['verify', '--oci-layout', '--scope', 'local/gen', `${img.layout}@${img.digest}`]);
  assert.equal(v.code, 0, show(v));
});

test('cert generate-test\'s certificate as openssl reads it: v3, sha256WithRSAEncryption, notation\'s test subject, one day, critical digitalSignature, codeSigning', async () => {
  const { env, cfg } = await home();
  const r = await vouch(env, ['cert', 'generate-test', '--bits', '3072', 'openssl.example']);
  assert.equal(r.code, 0, show(r));
  const crt = join(cfg, 'localkeys', 'openssl.example.crt');
  const openssl = (...args: string[]): string => execFileSync('openssl', ['x509', '-in', crt, '-noout', ...args], { encoding: 'utf8' });
  assert.equal(openssl('-text', '-certopt', 'no_serial,no_validity,no_pubkey,no_sigdump'), [
    'Certificate:',
    '    Data:',
    '        Version: 3 (0x2)',
    '        Signature Algorithm: sha256WithRSAEncryption',
    '        Issuer: C = US, ST = WA, L = Seattle, O = Notary, CN = openssl.example',
    '        Subject: C = US, ST = WA, L = Seattle, O = Notary, CN = openssl.example',
    '        X509v3 extensions:',
    '            X509v3 Key Usage: critical',
    '                Digital Signature',
    '            X509v3 Extended Key Usage: ',
    '                Code Signing',
    '',
  ].join('\n'));
  const dates = /^notBefore=(.+)\nnotAfter=(.+)\n$/.exec(openssl('-dates'));
  assert.ok(dates, 'openssl prints both dates');
  assert.equal(Date.parse(dates[2] as string) - Date.parse(dates[1] as string), 86_400_000);
  assert.match(openssl('-serial'), /^serial=01[0-9A-F]{16}\n$/);
  assert.match(execFileSync('openssl', ['rsa', '-in', join(cfg, 'localkeys', 'openssl.example.key'), '-noout', '-text'], { encoding: 'utf8' }), /Private-Key: \(3072 bit, 2 primes\)/);
});

test('cert generate-test refuses a name in use (nothing replaced), a bad name or key size (usage)', async () => {
  const { env, cfg } = await home();
  assert.equal((await vouch(env, ['cert', 'generate-test', 'dup'])).code, 0);
  const key = join(cfg, 'localkeys', 'dup.key');
  const before = await readFile(key);
  const keys = await readFile(join(cfg, 'signingkeys.json'));
  const again = await vouch(env, ['cert', 'generate-test', '--default', 'dup']);
  assert.equal(again.code, 1, show(again));
  assert.match(again.stderr, /signing key with name "dup" already exists/);
  assert.deepEqual(await readFile(key), before);
  assert.deepEqual(await readFile(join(cfg, 'signingkeys.json')), keys);
  assert.equal(again.stdout, '', 'refused before anything was generated');
  for (const args of [['..'], ['a/b'], ['--bits', '1024', 'small'], ['--bits', 'x', 'nan']]) {
    const r = await vouch(env, ['cert', 'generate-test', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${show(r)}`);
  }
  await assert.rejects(lstat(join(cfg, 'localkeys', 'small.key')));
});

test('key add (plugin keys), ls, update, delete: notation-go config/keys.go rules and notation\'s output', async () => {
  const { env, cfg } = await home();
  const absent = await vouch(env, ['key', 'add', '--plugin', 'kms', '--id', 'k1', 'one']);
  assert.equal(absent.code, 1, show(absent));
  assert.match(absent.stderr, /plugin executable file is either not found or inaccessible/);
  const plugin = join(cfg, 'plugins', 'kms', 'notation-kms');
  await mkdir(join(cfg, 'plugins', 'kms'), { recursive: true });
  await writeFile(plugin, '#!/bin/sh\n', { mode: 0o755 });
  const noId = await vouch(env, ['key', 'add', '--plugin', 'kms', 'one']);
  assert.equal(noId.code, 2, show(noId));
  assert.match(noId.stderr, /missing key id/);
  const badConfig = await vouch(env, ['key', 'add', '--plugin', 'kms', '--id', 'k1', '--plugin-config', 'novalue', 'one']);
  assert.equal(badConfig.code, 2, show(badConfig));
  assert.match(badConfig.stderr, /could not parse flag plugin-config: key-value pair requires "=" as separator/);
  assert.equal((await vouch(env, ['key', 'add', '--plugin', 'kms', '--id', 'k1', '--plugin-config', 'a=b', 'one'])).stdout, 'one\n');
  assert.equal((await vouch(env, ['key', 'add', '--plugin', 'kms', '--id', 'k2', '--default', 'two'])).stdout, 'two: marked as default\n');
  const dup = await vouch(env, ['key', 'add', '--plugin', 'kms', '--id', 'k3', 'two']);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /signing key with name "two" already exists/);
  assert.deepEqual(JSON.parse(await readFile(join(cfg, 'signingkeys.json'), 'utf8')), {
    default: 'two',
    keys: [{ name: 'one', id: 'k1', pluginName: 'kms', pluginConfig: { a: 'b' } }, { name: 'two', id: 'k2', pluginName: 'kms' }],
  });
  assert.equal((await vouch(env, ['key', 'ls'])).stdout, 'NAME    KEY PATH   CERTIFICATE PATH   ID   PLUGIN NAME   \none                                   k1   kms           \n* two                                 k2   kms           \n');
  const noop = await vouch(env, ['key', 'update', 'one']);
  assert.equal(noop.code, 0);
  assert.match(noop.stderr, /--default flag is not set, command did not take effect/);
  assert.equal((await vouch(env, ['key', 'set', '--default', 'one'])).stdout, 'one: marked as default\n');
  const unknown = await vouch(env, ['key', 'update', '--default', 'zzz']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /signing key zzz not found/);
  const partly = await vouch(env, ['key', 'delete', 'two', 'zzz']);
  assert.equal(partly.code, 1, show(partly));
  assert.equal(JSON.parse(await readFile(join(cfg, 'signingkeys.json'), 'utf8')).keys.length, 2, 'nothing removed when one name is unknown');
  assert.equal((await vouch(env, ['key', 'rm', 'one'])).stdout, 'Removed default key one from Notation signing key list. The source key still exists.\n');
  assert.deepEqual(JSON.parse(await readFile(join(cfg, 'signingkeys.json'), 'utf8')), { keys: [{ name: 'two', id: 'k2', pluginName: 'kms' }] });
});

test('signingkeys.json: a malformed file is refused with notation\'s message, a symlinked one is not read or replaced', async () => {
  const { env, cfg } = await home();
  await mkdir(cfg, { recursive: true });
  await writeFile(join(cfg, 'signingkeys.json'), JSON.stringify({ keys: [{ name: 'a', keyPath: '/k', certPath: '/c' }, { name: 'a', keyPath: '/k', certPath: '/c' }] }));
  const dup = await vouch(env, ['key', 'ls']);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /malformed signingkeys\.json: multiple keys with name 'a' found/);
  await writeFile(join(cfg, 'signingkeys.json'), JSON.stringify({ default: 'zz', keys: [] }));
  assert.match((await vouch(env, ['key', 'ls'])).stderr, /malformed signingkeys\.json: default key 'zz' not found/);
  const real = join(dir, `real-keys${n}.json`);
  await writeFile(real, JSON.stringify({ keys: [] }));
  await rm(join(cfg, 'signingkeys.json'));
  await symlink(real, join(cfg, 'signingkeys.json'));
  const linked = await vouch(env, ['cert', 'generate-test', 'x']);
  assert.equal(linked.code, 1, show(linked));
  assert.match(linked.stderr, /is not a regular file \(symlinks are not supported\)/);
  assert.equal(await readFile(real, 'utf8'), JSON.stringify({ keys: [] }));
  assert.ok((await lstat(join(cfg, 'signingkeys.json'))).isSymbolicLink());
});

const POLICY = { version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:acme'], trustedIdentities: ['*'] }] };

test('policy import validates, asks before replacing, writes trustpolicy.json (0600) as given, and a trustpolicy.oci.json too when there is one; policy show prints it', async () => {
  const { env, cfg } = await home();
  const missing = await vouch(env, ['policy', 'show']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /failed to show trust policy as the trust policy file does not exist\.\nYou can import one using `notation policy import <path-to-policy.json>`/);
  const bad = join(dir, 'bad-policy.json');
  await writeFile(bad, JSON.stringify({ ...POLICY, trustPolicies: [{ ...POLICY.trustPolicies[0], registryScopes: ['not a scope'] }] }));
  const refused = await vouch(env, ['policy', 'import', bad]);
  assert.equal(refused.code, 1, show(refused));
  assert.match(refused.stderr, /failed to validate trust policy/);
  await assert.rejects(lstat(join(cfg, 'trustpolicy.json')));
  const good = join(dir, 'good-policy.json');
  const text = `${JSON.stringify(POLICY, null, 3)}\n`;
  await writeFile(good, text);
  const first = await vouch(env, ['policy', 'import', good]);
  assert.equal(first.stdout, 'Trust policy configuration imported successfully.\n', 'no question when there is no policy yet');
  assert.equal(await readFile(join(cfg, 'trustpolicy.json'), 'utf8'), text);
  assert.equal(await mode(join(cfg, 'trustpolicy.json')), 0o600);
  assert.equal((await vouch(env, ['policy', 'show'])).stdout, text);
  await writeFile(join(cfg, 'trustpolicy.oci.json'), JSON.stringify(POLICY));
  const second = JSON.stringify({ ...POLICY, trustPolicies: [{ ...POLICY.trustPolicies[0], name: 'second' }] });
  await writeFile(good, second);
  const yes = await vouch(env, ['policy', 'import', good], 'yes\n');
  assert.match(yes.stdout, /^The trust policy file already exists, do you want to overwrite it\? \[y\/N\] Trust policy configuration imported successfully\.\n$/);
  assert.equal(await readFile(join(cfg, 'trustpolicy.json'), 'utf8'), second);
  assert.equal(await readFile(join(cfg, 'trustpolicy.oci.json'), 'utf8'), second);
  // an invalid policy in place: shown all the same, with notation's warning
  await writeFile(join(cfg, 'trustpolicy.oci.json'), '{"version": "9"}');
  const shown = await vouch(env, ['policy', 'show']);
  assert.equal(shown.code, 0);
  assert.equal(shown.stdout, '{"version": "9"}');
  assert.match(shown.stderr, /Existing trust policy configuration is invalid/);
});

test('the debug and verbose flags are accepted where notation has them', async () => {
  const { env } = await home();
  for (const args of [['cert', 'ls', '-d'], ['cert', 'ls', '--verbose'], ['cert', 'ls', '-v']]) {
    const r = await vouch(env, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${show(r)}`);
    assert.doesNotMatch(r.stdout, /^\d+\.\d+\.\d+/, 'not the version');
  }
  const rm1 = await vouch(env, ['key', 'delete', '-v', 'x']);
  assert.equal(rm1.code, 1, show(rm1));
  assert.match(rm1.stderr, /signing key x not found/);
  assert.match((await runCli(['-v'], env)).stdout, /^\d+\.\d+\.\d+/, 'vouch -v is still the version');
});
