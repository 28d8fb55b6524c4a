// The README's first command: the whole story must work on embedded defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runCli } from '../../support/cli.js';

test('vouch quickstart: signed push, verified pull, three attacks refused, inspect; cleans up', async () => {
  const r = await runCli(['quickstart'], { HOME: '/nonexistent-home-for-quickstart' });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const dir = /in (\/\S+vouch-quickstart-\S+)\n/.exec(r.stdout)?.[1];
  assert.ok(dir, r.stdout);
  assert.match(r.stdout, /Successfully signed .*\/demo\/hello:1\.0/);
  assert.match(r.stdout, /verified sha256:[0-9a-f]{64} \(signed in targets\/releases\)/);
  const refusals = r.stdout.match(/^ {2}refused: .*$/gm) ?? [];
  assert.deepEqual(refusals, [
    '  refused: the tag was moved to unsigned content',
    '  refused: a layer was tampered with in the registry',
    '  refused: the repository has no trust data',
  ]);
  assert.match(r.stdout, /HASH_MISMATCH: .* was moved/);
  assert.match(r.stdout, /HASH_MISMATCH: blob sha256:[0-9a-f]{64} has digest/);
  assert.match(r.stdout, /REPOSITORY_NOT_FOUND: remote trust data does not exist/);
  assert.match(r.stdout, /SIGNED TAG +DIGEST +SIGNERS\n {2}1\.0 +[0-9a-f]{64} +alice\n/);
  assert.match(r.stdout, /Done: signed push, verified pull, and three attacks refused\./);
  assert.equal(existsSync(dir), false, 'the temporary directory is removed');
});
