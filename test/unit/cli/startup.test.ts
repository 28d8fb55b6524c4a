// What `vouch trust inspect` loads before it talks to the trust server: not @peculiar/x509 or the
// key file code (each is tens of milliseconds of start-up); see bench/inspect. asn1js
// stays: certificate fields come from a well-kept parser, not a hand-written one. Nor do commands
// that read no Sigstore bundle load @sigstore/* (about 130 ms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../support/paths.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

test.after(removeTempDirs);

/** Every module (ESM URLs and CommonJS paths) that loading `cli/main.js` and `cli/commands/<command>.js` pulls in. */
async function modulesLoadedBy(command: string): Promise<string[]> {
  const dir = await tempDir();
  await writeFile(join(dir, 'hooks.mjs'), `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(join(dir, 'loaded.txt'))}, url + '\\n'); return next(url, context); }
`);
  await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  const dist = join(projectRoot, 'dist', 'src', 'cli');
  const script = `await import(${JSON.stringify(pathToFileURL(join(dist, 'main.js')).href)}); await import(${JSON.stringify(pathToFileURL(join(dist, 'commands', `${command}.js`)).href)});`
    + ` const { createRequire } = await import('node:module'); console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const cjs = JSON.parse(execFileSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
  const esm = (await readFile(join(dir, 'loaded.txt'), 'utf8')).split('\n').filter(Boolean);
  return [...esm, ...cjs];
}

test('the trust inspect command loads no @peculiar/x509 or key file modules', async () => {
  const loaded = await modulesLoadedBy('trust-inspect');
  assert.ok(loaded.some((u) => u.includes('client/updater.js')), 'the hook saw the inspect modules');
  for (const unwanted of [/node_modules\/@peculiar\/(x509|asn1-)/, /keys\/(keyfile|pkcs8|der|pubfile)\.js/]) {
    assert.deepEqual(loaded.filter((u) => unwanted.test(u)), [], String(unwanted));
  }
});

test('the trust inspect and trust sign commands do not load pkijs: keys/cert.ts loads it when a root certificate is made', async () => {
  for (const command of ['trust-inspect', 'trust-sign']) {
    const loaded = await modulesLoadedBy(command);
    assert.ok(loaded.some((u) => u.includes('client/')), `the hook saw the ${command} modules`);
    assert.deepEqual(loaded.filter((u) => /node_modules\/pkijs\//.test(u)), [], command);
  }
});

test('the pull and push commands load the policy evaluator but not the YAML parser or the policy document reader', async () => {
  const loaded = await modulesLoadedBy('image');
  assert.ok(loaded.some((u) => u.includes('policy/evaluate.js')), 'the hook saw the policy evaluator');
  for (const unwanted of [/node_modules\/yaml\//, /policy\/(validate|pin)\.js/]) {
    assert.deepEqual(loaded.filter((u) => unwanted.test(u)), [], String(unwanted));
  }
});

test('the pull and push commands load no Notation or cosign verification (sig/, pkijs, CBOR, @sigstore): client/policy-oci.ts loads it for rules that name such signers', async () => {
  const loaded = await modulesLoadedBy('image');
  assert.ok(loaded.some((u) => u.includes('client/policy.js')), 'the hook saw the policy check');
  for (const unwanted of [/\/sig\//, /client\/(policy-oci|notation|cosign)\.js/, /node_modules\/(pkijs|cbor2|@sigstore)\//]) {
    assert.deepEqual(loaded.filter((u) => unwanted.test(u)), [], String(unwanted));
  }
});

test('commands that read no Sigstore bundle (notation verify, status) load no @sigstore module; cosign (bundles, keyless verification) does', async () => {
  for (const command of ['notation', 'status']) {
    const loaded = await modulesLoadedBy(command);
    assert.ok(loaded.some((u) => u.includes('/sig/index.js')), `${command}: the hook saw the signature formats`);
    assert.deepEqual(loaded.filter((u) => /node_modules\/@sigstore\//.test(u)), [], command);
  }
  assert.ok((await modulesLoadedBy('cosign')).some((u) => /node_modules\/@sigstore\/verify\//.test(u)), 'cosign loads @sigstore/verify');
});

test('the cosign commands load neither the Notation code (pkijs, CBOR) nor secretbox until a private key is read', async () => {
  const loaded = await modulesLoadedBy('cosign');
  assert.ok(loaded.some((u) => u.includes('sig/cosign/legacy.js')), 'the hook saw the cosign modules');
  for (const unwanted of [/sig\/notation\//, /node_modules\/(pkijs|cbor2)\//, /node_modules\/@noble\/ciphers\//]) {
    assert.deepEqual(loaded.filter((u) => unwanted.test(u)), [], String(unwanted));
  }
});
