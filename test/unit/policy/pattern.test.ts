import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkRepositoryPattern, checkTagPattern, compareSpecificity, lintRepositoryPattern, matchRepository, matchTag, specificity,
} from '../../../src/policy/pattern.js';
import { displaySigner, parseSigner, pathsAllow } from '../../../src/policy/signer.js';

test('repository patterns: * stays in one component, ** spans components', () => {
  const cases: [string, string, boolean][] = [
    ['registry.example.com/team/app', 'registry.example.com/team/app', true],
    ['registry.example.com/team/app', 'registry.example.com/team/app2', false],
    ['registry.example.com/team/*', 'registry.example.com/team/app', true],
    ['registry.example.com/team/*', 'registry.example.com/team/sub/app', false],
    ['registry.example.com/team/*', 'registry.example.com/team', false],
    ['registry.example.com/team/**', 'registry.example.com/team/sub/app', true],
    ['registry.example.com/team/**', 'registry.example.com/teamx/app', false],
    ['registry.example.com/**/app', 'registry.example.com/app', true],
    ['registry.example.com/**/app', 'registry.example.com/a/b/app', true],
    ['registry.example.com/**/app', 'registry.example.com/a/b/xapp', false],
    ['**/app', 'docker.io/library/app', true],
    ['**/app', 'docker.io/library/app2', false],
    ['**', 'anything.io/at/all', true],
    ['*.example.com/team/*', 'registry.example.com/team/app', true],
    ['*.example.com/team/*', 'example.com/team/app', false],
    ['registry.example.com:5000/team/app-*', 'registry.example.com:5000/team/app-web', true],
    ['registry.example.com:5000/team/app-*', 'registry.example.com/team/app-web', false],
    ['Registry.Example.com/team/app', 'registry.example.com/team/app', true],
    ['registry.example.com/team/app', 'REGISTRY.example.com/team/app', true],
    ['registry.example.com/te.m/app', 'registry.example.com/teAm/app', false],
    ['[::1]:5000/demo/*', '[::1]:5000/demo/app', true],
  ];
  for (const [pattern, gun, want] of cases) assert.equal(matchRepository(pattern, gun), want, `${pattern} ~ ${gun}`);
});

test('tag patterns: * matches any run, matching is case-sensitive', () => {
  const cases: [string, string, boolean][] = [
    ['*', 'latest', true],
    ['prod-*', 'prod-2026.11.25', true],
    ['prod-*', 'prod-', true],
    ['prod-*', 'preprod-1', false],
    ['v*', 'v1.2.3', true],
    ['v*.*', 'v1', false],
    ['*-rc*', '1.0-rc2', true],
    ['latest', 'latest', true],
    ['latest', 'Latest', false],
    ['1.0', '1x0', false],
  ];
  for (const [pattern, tag, want] of cases) assert.equal(matchTag(pattern, tag), want, `${pattern} ~ ${tag}`);
});

test('invalid repository patterns say why', () => {
  const cases: [string, RegExp][] = [
    ['', /cannot be empty/],
    ['registry.example.com/team/app:prod-*', /contains a tag/],
    ['registry.example.com/team/app@sha256:abc', /'@'/],
    ['registry.example.com/team app', /contains " "/],
    ['registry.example.com//app', /empty path component/],
    ['/registry.example.com/app', /empty path component/],
    ['registry.example.com/app/', /empty path component/],
    ['registry.example.com/team**', /whole path component/],
    ['registry.example.com/***', /whole path component/],
    ['registry.example.com/**/**', /repeats '\*\*'/],
    ['registry.example.com/' + 'a'.repeat(1100), /at most 1024/],
  ];
  for (const [p, re] of cases) assert.match(checkRepositoryPattern(p) ?? 'valid', re, p);
  for (const p of ['registry.example.com/**', '**', 'localhost:5000/a/b', '*.example.com/*/app-*']) assert.equal(checkRepositoryPattern(p), undefined, p);
});

test('repository patterns that can never match are flagged', () => {
  const cases: [string, string | undefined][] = [
    ['team/app', 'pattern-never-matches'],
    ['docker.io/alpine', 'pattern-never-matches'],
    ['index.docker.io/library/alpine', 'pattern-not-normalised'],
    ['registry-1.docker.io/team/*', 'pattern-not-normalised'],
    ['docker.io/library/alpine', undefined],
    ['docker.io/*', undefined],
    ['localhost/app', undefined],
    ['*/team/app', undefined],
    ['**', undefined],
  ];
  for (const [p, code] of cases) assert.equal(lintRepositoryPattern(p)?.code, code, p);
});

test('invalid tag patterns say why', () => {
  const cases: [string, RegExp][] = [
    ['', /cannot be empty/],
    ['prod/*', /not the repository/],
    ['app:prod', /not the repository/],
    ['prod-**', /write '\*'/],
    ['-prod', /can never match/],
    ['.hidden', /can never match/],
    ['prod+1', /contains "\+"/],
    ['x'.repeat(129), /at most 128/],
  ];
  for (const [p, re] of cases) assert.match(checkTagPattern(p) ?? 'valid', re, p);
  for (const p of ['*', 'prod-*', 'v*', '*-rc*', '_x', 'A.b-c_d', 'x'.repeat(128)]) assert.equal(checkTagPattern(p), undefined, p);
});

test('specificity: exact, then more literal characters, then fewer ** and *', () => {
  // Each list is in precedence order, most specific first.
  const ladders = [
    ['registry.example.com/team/app', 'registry.example.com/team/app*', 'registry.example.com/team/*', 'registry.example.com/team/**', 'registry.example.com/**', '**'],
    ['registry.example.com/team/*', 'registry.example.com/*/app'],
    ['prod-1', 'prod-*', 'prod*', 'p*', '*'],
    ['a*b*c', '*a*b*c'],
  ];
  for (const ladder of ladders) {
    for (let i = 0; i + 1 < ladder.length; i++) {
      const [a, b] = [ladder[i] as string, ladder[i + 1] as string];
      assert.ok(compareSpecificity(specificity(a), specificity(b)) < 0, `${a} before ${b}`);
      assert.ok(compareSpecificity(specificity(b), specificity(a)) > 0, `${b} after ${a}`);
    }
  }
  assert.equal(compareSpecificity(specificity('a.io/x/*'), specificity('a.io/y/*')), 0);
});

test('signer names map to Notary roles', () => {
  const ok: [string, string][] = [
    ['alice', 'targets/alice'],
    ['ci-bot_2', 'targets/ci-bot_2'],
    ['Repo Admin', 'targets'],
    ['targets', 'targets'],
    ['targets/alice', 'targets/alice'],
    ['targets/team/alice', 'targets/team/alice'],
  ];
  for (const [name, role] of ok) assert.deepEqual(parseSigner(name), { role }, name);
  const bad: [string, RegExp][] = [
    ['releases', /shared role/],
    ['targets/releases', /shared role/],
    ['Alice', /lowercase: 'alice'/],
    ['-alice', /not a signer/],
    ['repo admin', /not a signer/],
    ['targets/', /not a valid delegation role/],
    ['targets/a//b', /not a valid delegation role/],
    ['targets/../x', /not a valid delegation role/],
    ['targets/Bob', /not a valid delegation role/],
  ];
  for (const [name, re] of bad) {
    const r = parseSigner(name);
    assert.ok('error' in r, name);
    assert.match(r.error, re, name);
  }
  assert.equal(displaySigner('targets'), 'Repo Admin');
  assert.equal(displaySigner('targets/alice'), 'alice');
  assert.equal(displaySigner('targets/releases'), 'releases');
});

test('Notary paths are prefixes; "" allows every tag, none allows nothing', () => {
  assert.equal(pathsAllow(undefined, 'x'), true);
  assert.equal(pathsAllow([''], 'x'), true);
  assert.equal(pathsAllow(['prod-'], 'prod-1'), true);
  assert.equal(pathsAllow(['prod-'], 'staging-1'), false);
  assert.equal(pathsAllow(['staging-', 'prod-'], 'prod-1'), true);
  assert.equal(pathsAllow([], 'prod-1'), false);
});
