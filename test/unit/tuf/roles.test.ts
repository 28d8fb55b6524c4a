import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertRoleName, delegationDepth, isBaseRole, isDelegationName, isDirectChild, isPathAllowed, isTargetsRole, isValidRoleName, parentRole, restrictPaths,
} from '../../../src/tuf/index.js';

test('delegation names follow notary IsDelegation (notary tuf/data/roles.go; docker/cli cli/command/trust/signer_add.go)', () => {
  const cases: [string, boolean][] = [
    ['targets/releases', true],
    ['targets/a/b/c', true],
    ['targets/with-dash_and_09', true],
    ['targets', false],
    ['targets/', false],
    ['targets//a', false],
    ['targets/a/', false],
    ['targets/./a', false],
    ['targets/../root', false],
    ['targets/Bad', false],
    ['targets/Bad Name', false],
    ['targets/a.b', false],
    ['targets/é', false],
    ['root', false],
    ['releases', false],
    ['targetsx/a', false],
    [`targets/${'a'.repeat(247)}`, true], // 255 bytes
    [`targets/${'a'.repeat(248)}`, false], // 256 bytes
  ];
  for (const [name, want] of cases) assert.equal(isDelegationName(name), want, name);
});

test('base roles, valid role names, targets roles', () => {
  for (const r of ['root', 'targets', 'snapshot', 'timestamp']) {
    assert.ok(isBaseRole(r) && isValidRoleName(r));
  }
  assert.equal(isBaseRole('targets/releases'), false);
  assert.ok(isTargetsRole('targets') && isTargetsRole('targets/x'));
  assert.equal(isTargetsRole('snapshot'), false);
  assert.throws(() => assertRoleName('Root'), { code: 'INVALID_ROLE' });
  assert.throws(() => assertRoleName('targets/'), { code: 'INVALID_ROLE' });
});

test('parent and child helpers', () => {
  const cases: [string, string | undefined, number][] = [
    ['targets/a', 'targets', 1],
    ['targets/a/b', 'targets/a', 2],
    ['targets', undefined, 0],
    ['root', undefined, 1],
  ];
  for (const [name, parent, depth] of cases) {
    assert.equal(parentRole(name), parent, name);
    if (name !== 'root') assert.equal(delegationDepth(name), depth, name);
  }
  assert.ok(isDirectChild('targets', 'targets/a'));
  assert.ok(isDirectChild('targets/a', 'targets/a/b'));
  assert.equal(isDirectChild('targets', 'targets/a/b'), false);
  assert.equal(isDirectChild('targets/a', 'targets/ab'), false);
  assert.equal(isDirectChild('root', 'targets/a'), false);
});

test('paths are prefixes; "" allows everything; no paths allow nothing', () => {
  const cases: [string, string[], boolean][] = [
    ['v1', [''], true],
    ['app/v1', ['app/'], true],
    ['app', ['app/'], false],
    ['other', ['app/', 'lib/'], false],
    ['lib/x', ['app/', 'lib/'], true],
    ['v1', [], false],
  ];
  for (const [target, paths, want] of cases) assert.equal(isPathAllowed(target, paths), want, `${target} in ${JSON.stringify(paths)}`);
});

test('a child\'s paths only count within its parent\'s (notary RestrictDelegationPathPrefixes)', () => {
  const cases: [string[], string[], string[]][] = [
    [[''], ['a/', ''], ['a/', '']],
    [['a/'], [''], []],
    [['a/'], ['a/b/', 'c/'], ['a/b/']],
    [['a/', 'c/'], ['c/x', 'a'], ['c/x']],
    [['a/'], [], []],
  ];
  for (const [parent, child, want] of cases) assert.deepEqual(restrictPaths(parent, child), want, `${JSON.stringify(parent)} ∩ ${JSON.stringify(child)}`);
});
