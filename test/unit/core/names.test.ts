// The one OCI name grammar (core/names.ts) that the client, the registry and the layouts share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRepositoryName, isTag } from '../../../src/core/index.js';

test('repository names: distribution-spec components joined by /', () => {
  for (const ok of ['a', 'library/alpine', 'team/app-1', 'a.b_c__d---e/f', 'x'.repeat(255)]) assert.ok(isRepositoryName(ok), ok);
  for (const bad of ['', 'A', '/a', 'a/', 'a//b', 'a/../b', '_a', 'a_', 'a-', 'a..b', 'a___b', 'x'.repeat(256), 'a:b', 'a b']) assert.ok(!isRepositoryName(bad), bad);
});

test('tags: a word character, then up to 127 of word characters, . and -', () => {
  for (const ok of ['latest', '1.0', '_x', 'v1-rc.2', `a${'b'.repeat(127)}`]) assert.ok(isTag(ok), ok);
  for (const bad of ['', '.x', '-x', 'a:b', 'a/b', `a${'b'.repeat(128)}`, 'a\n']) assert.ok(!isTag(bad), JSON.stringify(bad));
});
