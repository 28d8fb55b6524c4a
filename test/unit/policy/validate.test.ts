import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPolicyIssue, parsePolicy, validatePolicy, validatePolicyObject, MAX_POLICY_CHARS } from '../../../src/policy/validate.js';
import type { PolicyIssue, PolicyIssueCode } from '../../../src/policy/index.js';
import { isVouchError } from '../../../src/core/index.js';

// Builds a policy from lines so that line numbers in the cases are easy to read.
const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
const RULE = ['rules:', '  - repositories: [registry.example.com/team/*]'];

interface Case {
  name: string;
  source: string;
  code: PolicyIssueCode;
  line: number;
  column: number;
  path?: string;
  message: RegExp;
}

const errorCases: Case[] = [
  // YAML itself
  { name: 'unquoted * starts an alias', source: yaml('version: 1', ...RULE, '    tags:', '      - pattern: *', '        signers: any'), code: 'yaml-syntax', line: 5, column: 18, message: /must be quoted in YAML: "\*"/ },
  { name: 'duplicate key', source: yaml('version: 1', 'version: 1'), code: 'yaml-syntax', line: 2, column: 1, message: /Map keys must be unique/ },
  { name: 'unclosed quote', source: yaml('version: 1', 'defaults:', '  mode: "enforce'), code: 'yaml-syntax', line: 4, column: 1, message: /Missing closing "quote/ },
  { name: 'two documents', source: yaml('version: 1', '---', 'version: 1'), code: 'yaml-syntax', line: 2, column: 1, message: /multiple documents/ },
  { name: 'JSON with a doubled comma', source: '{\n  "version": 1,\n  "rules": [1, 2,, 3]\n}\n', code: 'yaml-syntax', line: 3, column: 18, message: /Unexpected , in flow sequence/ },
  // shape
  { name: 'empty file', source: '', code: 'empty', line: 1, column: 1, message: /needs at least `version: 1`/ },
  { name: 'only comments', source: '# nothing yet\n', code: 'empty', line: 1, column: 1, message: /is empty/ },
  { name: 'top level is a list', source: yaml('- version: 1'), code: 'wrong-type', line: 1, column: 1, message: /a policy must be a mapping .* got a list/ },
  { name: 'non-text key', source: yaml('version: 1', '7: x'), code: 'wrong-type', line: 2, column: 1, message: /keys in the policy must be text, got the number 7/ },
  // version
  { name: 'missing version', source: yaml(...RULE), code: 'missing-key', line: 1, column: 1, message: /needs `version: 1`/ },
  { name: 'version 2', source: yaml('version: 2'), code: 'unsupported-version', line: 1, column: 10, path: 'version', message: /unsupported policy version 2/ },
  { name: 'quoted version', source: yaml('version: "1"'), code: 'wrong-type', line: 1, column: 10, path: 'version', message: /must be the number 1 \(unquoted\), got the text "1"/ },
  // unknown keys, with suggestions
  { name: 'unknown top-level key', source: yaml('version: 1', 'rule:', '  - repositories: [a.io/x]'), code: 'unknown-key', line: 2, column: 1, path: 'rule', message: /unknown key `rule` in the policy; did you mean `rules`\?/ },
  { name: 'snake_case key in defaults', source: yaml('version: 1', 'defaults:', '  reject_unsigned: true'), code: 'unknown-key', line: 3, column: 3, path: 'defaults.reject_unsigned', message: /did you mean `rejectUnsigned`\?/ },
  { name: 'singular repository in a rule', source: yaml('version: 1', 'rules:', '  - repository: a.io/x'), code: 'unknown-key', line: 3, column: 5, path: 'rules[0].repository', message: /did you mean `repositories`\?/ },
  { name: 'typo in a tag entry', source: yaml('version: 1', ...RULE, '    tags:', '      - pattern: v*', '        treshold: 1'), code: 'unknown-key', line: 6, column: 9, path: 'rules[0].tags[0].treshold', message: /did you mean `threshold`\?/ },
  { name: 'key with no near match', source: yaml('version: 1', 'defaults:', '  colour: blue'), code: 'unknown-key', line: 3, column: 3, message: /unknown key `colour` in `defaults`; expected one of: mode, / },
  // missing keys
  { name: 'rule without repositories', source: yaml('version: 1', 'rules:', '  - name: x', '    mode: audit'), code: 'missing-key', line: 3, column: 5, path: 'rules[0]', message: /a rule needs `repositories`/ },
  { name: 'tag entry without pattern', source: yaml('version: 1', ...RULE, '    tags:', '      - signers: [ci]'), code: 'missing-key', line: 5, column: 9, path: 'rules[0].tags[0]', message: /needs `pattern`/ },
  // wrong types and bad values
  { name: 'mode typo', source: yaml('version: 1', 'defaults:', '  mode: enforced'), code: 'bad-value', line: 3, column: 9, path: 'defaults.mode', message: /'enforce' or 'audit', got the text "enforced"; did you mean 'enforce'\?/ },
  { name: 'mode as boolean', source: yaml('version: 1', 'defaults:', '  mode: true'), code: 'wrong-type', line: 3, column: 9, message: /'enforce' or 'audit', got true/ },
  { name: 'yes is not a boolean', source: yaml('version: 1', 'defaults:', '  rejectUnsigned: yes'), code: 'wrong-type', line: 3, column: 19, path: 'defaults.rejectUnsigned', message: /must be true or false, got the text "yes"/ },
  { name: 'empty boolean', source: yaml('version: 1', 'defaults:', '  requirePin:'), code: 'wrong-type', line: 3, column: 14, message: /`requirePin` must be true or false, got an empty value/ },
  { name: 'threshold as text', source: yaml('version: 1', 'defaults:', '  threshold: "2"'), code: 'wrong-type', line: 3, column: 14, message: /whole number of at least 1 .*got the text "2"/ },
  { name: 'threshold zero', source: yaml('version: 1', 'defaults:', '  threshold: 0'), code: 'bad-value', line: 3, column: 14, path: 'defaults.threshold', message: /at least 1 .*got the number 0/ },
  { name: 'fractional threshold', source: yaml('version: 1', 'defaults:', '  threshold: 1.5'), code: 'bad-value', line: 3, column: 14, message: /whole number/ },
  { name: 'signers as one string', source: yaml('version: 1', 'defaults:', '  signers: alice'), code: 'wrong-type', line: 3, column: 12, message: /list of signer names .* or `any`, got the text "alice"/ },
  { name: 'signer as a number', source: yaml('version: 1', 'defaults:', '  signers: [alice, 42]'), code: 'wrong-type', line: 3, column: 20, path: 'defaults.signers[1]', message: /a signer must be text .*got the number 42/ },
  { name: 'repositories as one string', source: yaml('version: 1', 'rules:', '  - repositories: a.io/x'), code: 'wrong-type', line: 3, column: 19, path: 'rules[0].repositories', message: /must be a list .*got the text "a.io\/x"/ },
  { name: 'empty repositories', source: yaml('version: 1', 'rules:', '  - repositories: []'), code: 'bad-value', line: 3, column: 19, message: /matches nothing/ },
  { name: 'rules as a mapping', source: yaml('version: 1', 'rules:', '  team: {}'), code: 'wrong-type', line: 3, column: 3, path: 'rules', message: /`rules` must be a list .*got a mapping/ },
  { name: 'rule as text', source: yaml('version: 1', 'rules:', '  - a.io/x'), code: 'wrong-type', line: 3, column: 5, path: 'rules[0]', message: /a rule must be a mapping .*got the text "a.io\/x"/ },
  { name: 'defaults as a list', source: yaml('version: 1', 'defaults: [enforce]'), code: 'wrong-type', line: 2, column: 11, path: 'defaults', message: /`defaults` must be a mapping/ },
  { name: 'tags as a mapping', source: yaml('version: 1', ...RULE, '    tags:', '      prod-*: {}'), code: 'wrong-type', line: 5, column: 7, path: 'rules[0].tags', message: /`tags` must be a list/ },
  { name: 'tag entry as text', source: yaml('version: 1', ...RULE, '    tags:', '      - prod-*'), code: 'wrong-type', line: 5, column: 9, path: 'rules[0].tags[0]', message: /a tag entry must be a mapping/ },
  { name: 'tag pattern YAML read as a number', source: yaml('version: 1', ...RULE, '    tags:', '      - pattern: 1.10', '        signers: any'), code: 'wrong-type', line: 5, column: 18, path: 'rules[0].tags[0].pattern', message: /got the number 1.10; quote it to make it text: "1.10"/ },
  { name: 'name as a number', source: yaml('version: 1', 'rules:', '  - name: 7', '    repositories: [a.io/x]'), code: 'wrong-type', line: 3, column: 11, path: 'rules[0].name', message: /`name` must be text/ },
  { name: 'empty name', source: yaml('version: 1', 'rules:', '  - name: ""', '    repositories: [a.io/x]'), code: 'bad-value', line: 3, column: 11, message: /cannot be empty/ },
  // patterns
  { name: 'repository pattern with a tag', source: yaml('version: 1', 'rules:', '  - repositories: [a.io/x, "a.io/y:prod-*"]'), code: 'bad-repository-pattern', line: 3, column: 28, path: 'rules[0].repositories[1]', message: /contains a tag/ },
  { name: 'repository pattern with bad **', source: yaml('version: 1', 'rules:', '  - repositories:', '      - a.io/team**'), code: 'bad-repository-pattern', line: 4, column: 9, message: /whole path component/ },
  { name: 'tag pattern with a slash', source: yaml('version: 1', ...RULE, '    tags:', '      - pattern: team/prod-*'), code: 'bad-tag-pattern', line: 5, column: 18, path: 'rules[0].tags[0].pattern', message: /not the repository/ },
  // signers
  { name: 'empty signer list', source: yaml('version: 1', ...RULE, '    signers: []'), code: 'empty-signers', line: 4, column: 14, path: 'rules[0].signers', message: /is empty, so nothing could ever be accepted/ },
  { name: 'uppercase signer', source: yaml('version: 1', ...RULE, '    signers: [alice, Bob]'), code: 'bad-signer', line: 4, column: 22, path: 'rules[0].signers[1]', message: /lowercase: 'bob'/ },
  { name: 'releases as a signer', source: yaml('version: 1', ...RULE, '    signers: [releases]'), code: 'bad-signer', line: 4, column: 15, message: /shared role/ },
  { name: 'same signer twice', source: yaml('version: 1', ...RULE, '    signers: [alice, targets/alice]'), code: 'duplicate-signer', line: 4, column: 22, path: 'rules[0].signers[1]', message: /'alice' is listed twice \(as 'alice' and 'targets\/alice'\)/ },
  { name: 'Repo Admin twice', source: yaml('version: 1', ...RULE, '    signers: ["Repo Admin", targets]'), code: 'duplicate-signer', line: 4, column: 29, message: /'Repo Admin' is listed twice/ },
  // k of n
  { name: 'k > n on one level', source: yaml('version: 1', ...RULE, '    tags:', '      - pattern: prod-*', '        signers: [alice, bob]', '        threshold: 3'), code: 'threshold-exceeds-signers', line: 7, column: 20, path: 'rules[0].tags[0].threshold', message: /threshold 3 is more than the 2 signers allowed here \(alice, bob\)/ },
  { name: 'k > n with the threshold from defaults', source: yaml('version: 1', 'defaults:', '  threshold: 2', ...RULE, '    signers: [ci]'), code: 'threshold-exceeds-signers', line: 6, column: 14, path: 'rules[0].signers', message: /threshold 2 \(threshold from defaults, line 3\) is more than the 1 signer allowed here \(ci\)/ },
  { name: 'k > n with the signers from the rule', source: yaml('version: 1', ...RULE, '    signers: [alice, bob]', '    tags:', '      - pattern: prod-*', '        threshold: 3'), code: 'threshold-exceeds-signers', line: 7, column: 20, message: /\(alice, bob\) \(signers from rule 'registry.example.com\/team\/\*', line 4\)/ },
  { name: 'k > n in defaults tags', source: yaml('version: 1', 'defaults:', '  tags:', '    - pattern: "*"', '      signers: ["Repo Admin"]', '      threshold: 2'), code: 'threshold-exceeds-signers', line: 6, column: 18, path: 'defaults.tags[0].threshold', message: /more than the 1 signer allowed here \(Repo Admin\)/ },
  // duplicates
  { name: 'two rules for one pattern', source: yaml('version: 1', 'rules:', '  - name: a', '    repositories: [a.io/team/*]', '  - name: b', '    repositories: [a.io/other, A.io/team/*]'), code: 'duplicate-rule', line: 6, column: 32, path: 'rules[1].repositories[1]', message: /'A.io\/team\/\*' is already used by rule 'a' \(line 4\)/ },
  { name: 'one pattern twice in a rule', source: yaml('version: 1', 'rules:', '  - repositories: [a.io/x, a.io/x]'), code: 'duplicate-rule', line: 3, column: 28, message: /'a.io\/x' is listed twice in this rule/ },
  { name: 'one tag pattern twice', source: yaml('version: 1', ...RULE, '    tags:', '      - pattern: prod-*', '        signers: [ci]', '      - pattern: prod-*', '        threshold: 1'), code: 'duplicate-tag-pattern', line: 7, column: 18, path: 'rules[0].tags[1].pattern', message: /'prod-\*' appears twice in rule .* \(first at line 5\)/ },
  { name: 'two rules with one name', source: yaml('version: 1', 'rules:', '  - name: team', '    repositories: [a.io/x]', '  - name: team', '    repositories: [a.io/y]'), code: 'duplicate-name', line: 5, column: 11, path: 'rules[1].name', message: /'team' is already used at line 3/ },
];

function only(issues: PolicyIssue[], name: string): PolicyIssue {
  assert.equal(issues.length, 1, `${name}: expected one issue, got:\n${issues.map((i) => formatPolicyIssue(i)).join('\n')}`);
  return issues[0] as PolicyIssue;
}

test('every validation error names its line, column and what is expected', () => {
  for (const c of errorCases) {
    const v = validatePolicy(c.source);
    assert.equal(v.policy, undefined, c.name);
    const e = only(v.errors, c.name);
    assert.equal(e.code, c.code, c.name);
    assert.deepEqual([e.line, e.column], [c.line, c.column], `${c.name}: ${formatPolicyIssue(e)}`);
    assert.match(e.message, c.message, c.name);
    if (c.path !== undefined) assert.equal(formatPolicyIssue(e).split(': ')[1], c.path, c.name);
  }
});

test('all errors of a file are reported at once, in file order', () => {
  const v = validatePolicy(yaml(
    'version: 1',
    'defaults:',
    '  mode: strict',
    'rules:',
    '  - repositories: [a.io/x]',
    '    signers: []',
    '    tags:',
    '      - pattern: "prod-**"',
    '        threshold: -1',
  ));
  assert.deepEqual(v.errors.map((e) => [e.code, e.line]), [['bad-value', 3], ['empty-signers', 6], ['bad-tag-pattern', 8], ['bad-value', 9]]);
});

test('an alias bomb is refused', () => {
  // 60 rules x 60 tag entries x 60 signers from a few lines of aliases.
  const n = 60;
  const v = validatePolicy(yaml(
    'version: 1',
    'rules:',
    '  - &R',
    '    repositories: [a.io/x]',
    '    tags:',
    '      - &T',
    '        pattern: x',
    `        signers: [${Array(n).fill('a').join(', ')}]`,
    ...Array(n - 1).fill('      - *T'),
    ...Array(n - 1).fill('  - *R'),
  ));
  assert.deepEqual(v.errors.map((e) => e.code), ['too-large']);
});

test('a file with many errors reports the first hundred', () => {
  const v = validatePolicy(yaml('version: 1', 'defaults:', `  signers: [${Array(300).fill('X').join(', ')}]`));
  assert.equal(v.errors.length, 100);
});

test('an oversized source is refused before parsing', () => {
  const v = validatePolicy('#'.repeat(MAX_POLICY_CHARS + 1));
  assert.deepEqual(v.errors.map((e) => e.code), ['too-large']);
});

test('warnings: patterns that never match, entries with no effect, no rules', () => {
  const cases: { source: string; code: PolicyIssueCode; line: number; column: number; message: RegExp }[] = [
    { source: yaml('version: 1', 'rules:', '  - repositories: [team/app]'), code: 'pattern-never-matches', line: 3, column: 20, message: /'docker.io\/team\/app'/ },
    { source: yaml('version: 1', 'rules:', '  - repositories: [docker.io/alpine]'), code: 'pattern-never-matches', line: 3, column: 20, message: /docker.io\/library\/alpine/ },
    { source: yaml('version: 1', 'rules:', '  - repositories: [index.docker.io/team/*]'), code: 'pattern-not-normalised', line: 3, column: 20, message: /write 'docker.io\/team\/\*'/ },
    { source: yaml('version: 1', ...RULE, '    tags:', '      - pattern: v*'), code: 'no-effect', line: 5, column: 9, message: /sets nothing/ },
    { source: yaml('version: 1', 'defaults:', '  mode: audit'), code: 'no-rules', line: 1, column: 1, message: /every repository gets the defaults/ },
    { source: yaml('version: 1', 'rules: []'), code: 'no-rules', line: 2, column: 8, message: /no rules/ },
  ];
  for (const c of cases) {
    const v = validatePolicy(c.source);
    assert.deepEqual(v.errors, [], c.source);
    assert.ok(v.policy, c.source);
    const w = only(v.warnings, c.source);
    assert.equal(w.code, c.code, c.source);
    assert.deepEqual([w.line, w.column], [c.line, c.column], c.source);
    assert.match(w.message, c.message, c.source);
  }
});

const FULL = yaml(
  '# Production needs two of three release managers; staging is signed by CI.',
  'version: 1',
  'defaults:',
  '  mode: enforce',
  '  rejectUnsigned: true',
  '  tags:',
  '    - pattern: "*"',
  '      signers: ["Repo Admin", ci]',
  'rules:',
  '  - name: payments',
  '    repositories:',
  '      - registry.example.com/payments/*',
  '      - registry.example.com/payments/**',
  '    requirePin: false',
  '    signers: &managers [alice, bob, carol]',
  '    tags:',
  '      - pattern: staging-*',
  '        signers: [ci]',
  '      - pattern: prod-*',
  '        signers: *managers',
  '        threshold: 2',
  '        requireAgreement: true',
  '  - repositories: [registry.example.com/sandbox/*]',
  '    mode: audit',
  '    rejectUnsigned: false',
  '    signers: any',
);

test('a valid policy normalises to roles, inherits nothing at parse time, and keeps lines', () => {
  const v = validatePolicy(FULL);
  assert.deepEqual(v.errors, []);
  assert.deepEqual(v.warnings, []);
  assert.deepEqual(v.policy, {
    version: 1,
    defaults: { mode: 'enforce', rejectUnsigned: true, tags: [{ pattern: '*', signers: ['targets', 'targets/ci'], line: 7 }] },
    rules: [
      {
        name: 'payments',
        repositories: ['registry.example.com/payments/*', 'registry.example.com/payments/**'],
        requirePin: false,
        signers: ['targets/alice', 'targets/bob', 'targets/carol'],
        tags: [
          { pattern: 'staging-*', signers: ['targets/ci'], line: 17 },
          { pattern: 'prod-*', signers: ['targets/alice', 'targets/bob', 'targets/carol'], threshold: 2, requireAgreement: true, line: 19 },
        ],
        index: 0,
        line: 10,
      },
      { name: 'registry.example.com/sandbox/*', repositories: ['registry.example.com/sandbox/*'], mode: 'audit', rejectUnsigned: false, signers: 'any', tags: [], index: 1, line: 23 },
    ],
  });
});

test('JSON policies are read the same way, with positions', () => {
  const json = JSON.stringify({
    version: 1,
    rules: [{ name: 'app', repositories: ['registry.example.com/team/*'], tags: [{ pattern: 'prod-*', signers: ['alice', 'bob'], threshold: 2 }] }],
  }, null, 2);
  const v = validatePolicy(json);
  assert.deepEqual(v.errors, []);
  assert.deepEqual(v.policy?.rules[0]?.tags[0], { pattern: 'prod-*', signers: ['targets/alice', 'targets/bob'], threshold: 2, line: 10 });
  const bad = validatePolicy(json.replace('"threshold": 2', '"threshold": 3'));
  const e = only(bad.errors, 'json k > n');
  assert.equal(e.code, 'threshold-exceeds-signers');
  assert.deepEqual([e.line, e.column], [16, 24]);
});

test('plain objects validate with paths but no positions', () => {
  const ok = validatePolicyObject({ version: 1, rules: [{ repositories: ['a.io/x'], signers: ['alice'] }] });
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.policy?.rules[0]?.signers, ['targets/alice']);
  const bad = validatePolicyObject({ version: 1, rules: [{ repositories: ['a.io/x'], signers: ['alice'], threshold: 2 }] });
  const e = only(bad.errors, 'object');
  assert.equal(e.line, undefined);
  assert.equal(formatPolicyIssue(e, 'config'), "config: rules[0].threshold: threshold 2 is more than the 1 signer allowed here (alice): k of n needs k ≤ n, or no digest could ever be accepted");
  assert.equal(validatePolicyObject(undefined).errors[0]?.code, 'empty');
});

test('parsePolicy returns the policy or throws INVALID_POLICY with every error', () => {
  assert.equal(parsePolicy(FULL).rules.length, 2);
  assert.throws(
    () => parsePolicy(yaml('version: 1', 'defaults:', '  mode: strict', '  threshold: 0'), 'team.yaml'),
    (err) => {
      assert.ok(isVouchError(err, 'INVALID_POLICY'));
      assert.equal(err.message, [
        'invalid policy (2 errors):',
        "  team.yaml:3:9: defaults.mode: `mode` must be 'enforce' or 'audit', got the text \"strict\"",
        '  team.yaml:4:14: defaults.threshold: `threshold` must be a whole number of at least 1 (how many distinct signers must sign one digest) or `all`, got the number 0',
      ].join('\n'));
      assert.equal((err.details['errors'] as unknown[]).length, 2);
      return true;
    },
  );
  assert.throws(() => parsePolicy('version: 3\n'), /^VouchError: invalid policy: policy:1:10: version: unsupported policy version 3/);
});
