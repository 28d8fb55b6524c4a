import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { runCli } from '../../support/cli.js';

function setup(): { dir: string; env: { DOCKER_CONFIG: string; DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: string; HOME: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-cli-key-'));
  return { dir, env: { DOCKER_CONFIG: join(dir, 'docker'), DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'repo-pass-123', HOME: dir } };
}

test('trust key generate writes an encrypted 0600 private key and NAME.pub', async () => {
  const { dir, env } = setup();
  const r = await runCli(['trust', 'key', 'generate', 'alice', '--dir', dir], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Generating key for alice\.\.\.\nSuccessfully generated and loaded private key\. Corresponding public key available: .*alice\.pub\n$/);
  const pub = readFileSync(join(dir, 'alice.pub'), 'utf8');
  assert.match(pub, /^-----BEGIN PUBLIC KEY-----\nrole: alice\n\n/);
  const priv = join(env.DOCKER_CONFIG, 'trust', 'private');
  const [file] = readdirSync(priv);
  assert.ok(file && /^[0-9a-f]{64}\.key$/.test(file));
  assert.equal(statSync(join(priv, file)).mode & 0o777, 0o600);
  assert.equal(statSync(priv).mode & 0o777, 0o700);
  const text = readFileSync(join(priv, file), 'utf8');
  assert.match(text, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n/);
  assert.ok(!r.stdout.includes('PRIVATE KEY') && !r.stderr.includes('repo-pass-123'));
});

test('trust key generate --json, bad names, existing .pub, missing passphrase', async () => {
  const { dir, env } = setup();
  const j = await runCli(['trust', 'key', 'generate', 'bob', '--dir', dir, '--json'], env);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { name: string; keyId: string };
  assert.equal(out.name, 'bob');
  assert.match(out.keyId, /^[0-9a-f]{64}$/);
  const again = await runCli(['trust', 'key', 'generate', 'bob', '--dir', dir], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
  const bad = await runCli(['trust', 'key', 'generate', 'Bad_Name', '--dir', dir], env);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /must start with lowercase/);
  const nopass = await runCli(['trust', 'key', 'generate', 'carol', '--dir', dir], { DOCKER_CONFIG: env.DOCKER_CONFIG, HOME: dir });
  assert.equal(nopass.code, 1);
  assert.match(nopass.stderr, /DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE/);
  const jsonErr = await runCli(['trust', 'key', 'generate', 'carol', '--dir', dir, '--json'], { DOCKER_CONFIG: env.DOCKER_CONFIG, HOME: dir });
  assert.equal((JSON.parse(jsonErr.stderr) as { error: { code: string } }).error.code, 'NO_PASSPHRASE');
});

test('trust key load imports a PEM key under a name and refuses group-readable files', async () => {
  const { dir, env } = setup();
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const file = join(dir, 'key.pem');
  writeFileSync(file, pem, { mode: 0o644 });
  chmodSync(file, 0o644);
  const refused = await runCli(['trust', 'key', 'load', file, '--name', 'ci'], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /readable or writable by others/);
  assert.match(refused.stderr, /chmod 600/);
  chmodSync(file, 0o600);
  const ok = await runCli(['trust', 'key', 'load', file, '--name', 'ci'], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `Loading key from "${file}"...\nSuccessfully imported key from ${file}\n`);
  const priv = join(env.DOCKER_CONFIG, 'trust', 'private');
  const stored = readFileSync(join(priv, readdirSync(priv)[0] as string), 'utf8');
  assert.match(stored, /ENCRYPTED PRIVATE KEY-----\nrole: ci\n/);
  mkdirSync(join(dir, 'empty'));
  const missing = await runCli(['trust', 'key', 'load', join(dir, 'nope.pem')], env);
  assert.equal(missing.code, 1);
});

test('every command has --help', async () => {
  for (const args of [['--help'], ['trust', '--help'], ['trust', 'key', '--help'], ['trust', 'key', 'generate', '--help'], ['trust', 'key', 'load', '--help']]) {
    const r = await runCli(args, {});
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /Usage: vouch/);
  }
});
