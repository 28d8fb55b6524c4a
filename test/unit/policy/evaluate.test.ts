import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY, decisionError, evaluatePolicy, resolveSettings } from '../../../src/policy/index.js';
import { parsePolicy } from '../../../src/policy/validate.js';
import type { CheckStatus, Decision, ImageRef, Policy, TagSignature } from '../../../src/policy/index.js';
import { isVouchError } from '../../../src/core/index.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const D3 = 'sha256:' + '3'.repeat(64);
const APP = 'registry.example.com/team/app';

const POLICY = parsePolicy(`
version: 1
defaults:
  rejectUnsigned: true
rules:
  - name: app
    repositories: [registry.example.com/team/*]
    signers: ["Repo Admin"]
    tags:
      - pattern: staging-*
        signers: [ci]
      - pattern: prod-*
        signers: [alice, bob, carol]
        threshold: 2
      - pattern: prod-critical-*
        signers: [alice, bob, carol]
        threshold: 2
        requireAgreement: true
  - name: web
    repositories: [registry.example.com/team/web]
    requirePin: true
  - name: sandbox
    repositories: [registry.example.com/sandbox/**]
    mode: audit
    signers: [ci]
  - name: legacy
    repositories: [registry.example.com/legacy/*]
    rejectUnsigned: false
`);

/** A signature as a client reports it; delegations get docker's default paths [""]. */
function sig(role: string, digest: string, extra: Partial<TagSignature> = {}): TagSignature {
  const name = role === 'Repo Admin' ? 'targets' : role === 'releases' ? 'targets/releases' : `targets/${role}`;
  return { role: name, digest, ...(name === 'targets' ? {} : { paths: [''] }), ...extra };
}

const ORDER = ['signed', 'signer', 'paths', 'threshold', 'agreement', 'pinned', 'pin-matches'];
type Statuses = [CheckStatus, CheckStatus, CheckStatus, CheckStatus, CheckStatus, CheckStatus, CheckStatus];

interface Case {
  name: string;
  policy?: Policy;
  ref: ImageRef;
  sigs: TagSignature[];
  allowed: boolean;
  compliant?: boolean;
  digest?: string;
  statuses: Statuses;
  /** check name -> pattern its message must match */
  messages?: Record<string, RegExp>;
}

const P: CheckStatus = 'pass';
const F: CheckStatus = 'fail';
const W: CheckStatus = 'warn';
const S: CheckStatus = 'skip';

const cases: Case[] = [
  // who may sign which tags
  {
    name: 'staging tag signed by ci', ref: { gun: APP, tag: 'staging-7' }, sigs: [sig('ci', D1), sig('releases', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S],
    messages: { signed: /^tag 'staging-7' is signed by ci$/ },
  },
  {
    name: 'staging tag signed only by a release manager', ref: { gun: APP, tag: 'staging-7' }, sigs: [sig('alice', D1), sig('releases', D1)], allowed: false, statuses: [P, F, S, F, S, S, S],
    messages: { signer: /^tag 'staging-7' is signed only by alice, but only ci may sign it \(rule 'app', tags 'staging-\*'\)$/ },
  },
  {
    name: 'prod tag with 2 of 3', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('bob', D1), sig('releases', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S],
    messages: { threshold: /^2 distinct signers \(2 required\) signed sha256:111111111111…: alice, bob$/ },
  },
  {
    name: 'prod tag with 3 of 3', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('bob', D1), sig('carol', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S],
    messages: { threshold: /^3 distinct signers \(2 required\) signed sha256:111111111111…: alice, bob, carol$/ },
  },
  {
    name: 'prod tag with 1 of 3', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('releases', D1)], allowed: false, digest: D1, statuses: [P, P, P, F, P, S, S],
    messages: { threshold: /^needs 2 distinct signers on one digest out of alice, bob, carol, but sha256:111111111111… has 1 \(alice\)$/ },
  },
  { name: 'the same signer listed twice counts once', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('alice', D1)], allowed: false, statuses: [P, P, P, F, P, S, S], digest: D1 },
  { name: 'two delegations sharing a key count once', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1, { keyIds: ['k1'] }), sig('bob', D1, { keyIds: ['k1', 'k2'] })], allowed: false, digest: D1, statuses: [P, P, P, F, P, S, S] },
  { name: 'two delegations with their own keys count twice', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1, { keyIds: ['k1'] }), sig('bob', D1, { keyIds: ['k2'] })], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S] },
  {
    name: 'a signer outside the list is not counted', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('mallory', D1)], allowed: false, digest: D1, statuses: [P, P, P, F, P, S, S],
    messages: { signer: /^signed by alice; may sign: alice, bob, carol \(rule 'app', tags 'prod-\*'\); not counted: mallory \(not accepted here\)$/ },
  },
  // signers disagreeing on the digest
  {
    name: 'two signers, two digests: the threshold is not met on one digest', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('bob', D2)], allowed: false, statuses: [P, P, P, F, F, S, S],
    messages: {
      threshold: /^needs 2 distinct signers on one digest out of alice, bob, carol, but the signers are split: sha256:111111111111… \(alice\), sha256:222222222222… \(bob\)$/,
      agreement: /no digest has more signers than the others, so none can be chosen/,
    },
  },
  {
    name: 'a stale minority is reported but the majority digest is used', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('bob', D1), sig('carol', D2)], allowed: true, digest: D1, statuses: [P, P, P, P, W, S, S],
    messages: { agreement: /^signers disagree on 'prod-1': sha256:111111111111… \(alice, bob\), sha256:222222222222… \(carol\); using sha256:111111111111…, the others are not counted$/ },
  },
  {
    name: 'requireAgreement turns a minority into a failure', ref: { gun: APP, tag: 'prod-critical-1' }, sigs: [sig('alice', D1), sig('bob', D1), sig('carol', D2)], allowed: false, digest: D1, statuses: [P, P, P, P, F, S, S],
    messages: { agreement: /; requireAgreement is true here \(rule 'app', tags 'prod-critical-\*'\)$/ },
  },
  // paths
  {
    name: 'a signer outside its delegated paths is refused', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('bob', D1, { paths: ['staging-'] }), sig('carol', D1)], allowed: false, digest: D1, statuses: [P, P, F, P, P, S, S],
    messages: { paths: /^tag 'prod-1' is signed outside the signer's delegated paths by bob \(paths: "staging-"\); Notary clients ignore such signatures$/ },
  },
  { name: 'a signature outside paths does not count toward k', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('bob', D1, { paths: ['staging-'] })], allowed: false, digest: D1, statuses: [P, P, F, F, P, S, S] },
  { name: 'a delegation with no paths may sign nothing', ref: { gun: APP, tag: 'staging-1' }, sigs: [sig('ci', D1, { paths: [] })], allowed: false, statuses: [P, P, F, F, S, S, S], messages: { paths: /ci \(paths: none\)/ } },
  { name: 'paths that are prefixes of the tag allow it', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1, { paths: ['staging-', 'prod-'] }), sig('bob', D1, { paths: ['prod'] })], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S] },
  { name: 'an unlisted signer outside its paths is only ignored', ref: { gun: APP, tag: 'prod-1' }, sigs: [sig('alice', D1), sig('bob', D1), sig('mallory', D2, { paths: ['x'] })], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S] },
  // the repository key
  { name: 'other tags need the repository key', ref: { gun: APP, tag: 'dev-1' }, sigs: [sig('Repo Admin', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S] },
  { name: 'other tags signed by a delegation only', ref: { gun: APP, tag: 'dev-1' }, sigs: [sig('alice', D1), sig('releases', D1)], allowed: false, statuses: [P, F, S, F, S, S, S] },
  // unsigned
  {
    name: 'unsigned tag, enforce', ref: { gun: APP, tag: 'prod-1' }, sigs: [], allowed: false, statuses: [F, S, S, S, S, S, S],
    messages: { signed: /^no trust data for tag 'prod-1' in registry.example.com\/team\/app: it is not signed, and unsigned tags are rejected here \(rule 'app', tags 'prod-\*'\)$/ },
  },
  { name: 'unsigned tag where unsigned is allowed', ref: { gun: 'registry.example.com/legacy/old', tag: 'v1' }, sigs: [], allowed: true, compliant: true, statuses: [W, S, S, S, S, S, S], messages: { signed: /allowed because rejectUnsigned is false here \(rule 'legacy'\)$/ } },
  { name: 'unsigned tag, audit', ref: { gun: 'registry.example.com/sandbox/a/b', tag: 'x' }, sigs: [], allowed: true, compliant: false, statuses: [F, S, S, S, S, S, S] },
  { name: 'wrong signer, audit', ref: { gun: 'registry.example.com/sandbox/a', tag: 'x' }, sigs: [sig('alice', D1)], allowed: true, compliant: false, statuses: [P, F, S, F, S, S, S] },
  { name: 'a digest alone has no tag to check', ref: { gun: APP, digest: D1 }, sigs: [], allowed: false, digest: D1, statuses: [F, S, S, S, S, P, S], messages: { signed: /has no tag; Notary v1 signs tags/ } },
  { name: 'a digest alone where unsigned is allowed', ref: { gun: 'registry.example.com/legacy/old', digest: D1 }, sigs: [], allowed: true, digest: D1, statuses: [W, S, S, S, S, P, S] },
  { name: 'unsigned but pinned where unsigned is allowed', ref: { gun: 'registry.example.com/legacy/old', tag: 'v1', digest: D2 }, sigs: [], allowed: true, digest: D2, statuses: [W, S, S, S, S, P, S] },
  // pinning
  {
    name: 'pin required, reference unpinned', ref: { gun: 'registry.example.com/team/web', tag: 'v1' }, sigs: [sig('alice', D1), sig('releases', D1)], allowed: false, digest: D1, statuses: [P, P, P, P, P, F, S],
    messages: { pinned: new RegExp(`^'registry.example.com/team/web:v1' is not pinned to a digest, which is required here \\(rule 'web'\\); use registry.example.com/team/web:v1@${D1}$`) },
  },
  { name: 'pin required and matching', ref: { gun: 'registry.example.com/team/web', tag: 'v1', digest: D1 }, sigs: [sig('alice', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, P, P] },
  {
    name: 'pin that the tag no longer points to', ref: { gun: 'registry.example.com/team/web', tag: 'v1', digest: D2 }, sigs: [sig('alice', D1)], allowed: false, digest: D2, statuses: [P, P, P, F, P, P, F],
    messages: { 'pin-matches': /^the pinned digest sha256:222222222222… is not signed for 'v1' by an accepted signer \(signed: sha256:111111111111… \(alice\)\): the tag has moved or the pin is wrong$/ },
  },
  { name: 'pin chooses among disagreeing signers', ref: { gun: 'registry.example.com/team/web', tag: 'v1', digest: D2 }, sigs: [sig('alice', D1), sig('bob', D2)], allowed: true, digest: D2, statuses: [P, P, P, P, W, P, P] },
  { name: 'pin of a digest only an unlisted signer signed', ref: { gun: APP, tag: 'prod-1', digest: D2 }, sigs: [sig('alice', D1), sig('bob', D1), sig('mallory', D2)], allowed: false, digest: D2, statuses: [P, P, P, F, P, P, F] },
  { name: 'pins compare case-insensitively', ref: { gun: 'registry.example.com/team/web', tag: 'v1', digest: D1.toUpperCase().replace('SHA256', 'sha256') }, sigs: [sig('alice', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, P, P] },
  // the built-in default policy: docker's semantics
  { name: 'default policy: signed in targets', policy: DEFAULT_POLICY, ref: { gun: 'docker.io/library/alpine', tag: '3' }, sigs: [sig('Repo Admin', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S] },
  {
    name: 'default policy: signed in targets/releases only', policy: DEFAULT_POLICY, ref: { gun: 'docker.io/library/alpine', tag: '3' }, sigs: [sig('releases', D1)], allowed: true, digest: D1, statuses: [P, P, P, P, P, S, S],
    messages: { signed: /^tag '3' is signed by releases$/, threshold: /^1 distinct signer \(1 required\) signed sha256:111111111111…: releases$/ },
  },
  { name: 'default policy: unsigned', policy: DEFAULT_POLICY, ref: { gun: 'docker.io/library/alpine', tag: '3' }, sigs: [], allowed: false, statuses: [F, S, S, S, S, S, S], messages: { signed: /unsigned tags are rejected here \(defaults\)$/ } },
  {
    name: 'default policy: a moved tag with a stale signer resolves as docker does', policy: DEFAULT_POLICY, ref: { gun: 'docker.io/team/app', tag: 'latest' },
    sigs: [sig('bob', D1), sig('alice', D2), sig('releases', D2)], allowed: true, digest: D2, statuses: [P, P, P, P, W, S, S],
  },
  { name: 'default policy: a tie nobody resolves', policy: DEFAULT_POLICY, ref: { gun: 'docker.io/team/app', tag: 'latest' }, sigs: [sig('bob', D1), sig('alice', D2)], allowed: false, statuses: [P, P, P, P, F, S, S] },
  { name: 'default policy: a three-way split with a majority', policy: DEFAULT_POLICY, ref: { gun: 'docker.io/team/app', tag: 'latest' }, sigs: [sig('bob', D1), sig('carol', D1), sig('alice', D2), sig('dave', D3)], allowed: true, digest: D1, statuses: [P, P, P, P, W, S, S] },
];

function statuses(d: Decision): CheckStatus[] {
  assert.deepEqual(d.reasons.map((r) => r.check), ORDER);
  return d.reasons.map((r) => r.status);
}

test('evaluation: one result per check, for every rule', () => {
  for (const c of cases) {
    const d = evaluatePolicy(c.policy ?? POLICY, c.ref, { signatures: c.sigs });
    const why = `${c.name}\n${d.reasons.map((r) => `  ${r.check}: ${r.status}: ${r.message}`).join('\n')}`;
    assert.deepEqual(statuses(d), c.statuses, why);
    assert.equal(d.allowed, c.allowed, why);
    assert.equal(d.compliant, c.compliant ?? c.allowed, why);
    assert.equal(d.digest, c.digest, why);
    for (const [check, re] of Object.entries(c.messages ?? {})) assert.match(d.reasons.find((r) => r.check === check)?.message ?? '', re, why);
    for (const r of d.reasons) assert.ok(r.message.length > 0, why);
  }
});

test('the most specific repository pattern wins, then the most specific tag pattern', () => {
  const cases: [string, string | undefined, { name: string; repository?: string; tag?: string }][] = [
    [APP, 'prod-1', { name: 'app', repository: 'registry.example.com/team/*', tag: 'prod-*' }],
    [APP, 'prod-critical-9', { name: 'app', repository: 'registry.example.com/team/*', tag: 'prod-critical-*' }],
    [APP, 'dev-1', { name: 'app', repository: 'registry.example.com/team/*' }],
    [APP, undefined, { name: 'app', repository: 'registry.example.com/team/*' }],
    // The exact rule wins over the glob and replaces it whole: its tags do not carry over.
    ['registry.example.com/team/web', 'prod-1', { name: 'web', repository: 'registry.example.com/team/web' }],
    ['registry.example.com/sandbox/deep/er', 'x', { name: 'sandbox', repository: 'registry.example.com/sandbox/**' }],
    ['registry.example.com/team/sub/app', 'prod-1', { name: 'defaults' }],
    ['elsewhere.example.com/x', 'prod-1', { name: 'defaults' }],
  ];
  for (const [gun, tag, rule] of cases) {
    const { rule: got } = resolveSettings(POLICY, gun, tag);
    const { line: _line, ...rest } = got;
    assert.deepEqual(rest, rule, `${gun}:${tag}`);
  }
  const web = resolveSettings(POLICY, 'registry.example.com/team/web', 'prod-1').settings;
  assert.deepEqual(web, { mode: 'enforce', rejectUnsigned: true, requirePin: true, requireAgreement: false, signers: 'any', threshold: 1 });
});

test('ties in specificity go to the earlier rule, and more literal text beats fewer wildcards', () => {
  const first = parsePolicy('version: 1\nrules:\n  - {name: one, repositories: [a.io/x/*]}\n  - {name: two, repositories: [a.io/*/x]}\n');
  const second = parsePolicy('version: 1\nrules:\n  - {name: two, repositories: [a.io/*/x]}\n  - {name: one, repositories: [a.io/x/*]}\n');
  assert.equal(resolveSettings(first, 'a.io/x/x').rule.name, 'one');
  assert.equal(resolveSettings(second, 'a.io/x/x').rule.name, 'two');
  const p = parsePolicy([
    'version: 1',
    'rules:',
    '  - {name: any-host, repositories: ["*.example.com/team/app"]}',
    '  - {name: registry, repositories: ["registry.example.com/**"]}',
    '  - {name: team, repositories: ["registry.example.com/team/*", "**/nothing"]}',
    '  - {name: everything, repositories: ["**"]}',
  ].join('\n'));
  assert.equal(resolveSettings(p, 'registry.example.com/team/app').rule.name, 'team');
  assert.equal(resolveSettings(p, 'registry.example.com/other/app').rule.name, 'registry');
  assert.equal(resolveSettings(p, 'mirror.example.com/team/app').rule.name, 'any-host');
  assert.equal(resolveSettings(p, 'docker.io/library/alpine').rule.name, 'everything');
});

test('settings cascade: built-in < defaults < rule < tag entry; defaults tags only where no rule matches', () => {
  const p = parsePolicy(`
version: 1
defaults:
  mode: audit
  requirePin: true
  signers: [ci]
  tags:
    - pattern: "release-*"
      signers: [alice]
rules:
  - name: team
    repositories: [a.io/team/*]
    rejectUnsigned: false
    tags:
      - pattern: "prod-*"
        mode: enforce
        threshold: 1
`);
  const s = (gun: string, tag: string) => resolveSettings(p, gun, tag).settings;
  assert.deepEqual(s('a.io/team/x', 'dev'), { mode: 'audit', rejectUnsigned: false, requirePin: true, requireAgreement: false, signers: ['targets/ci'], threshold: 1 });
  assert.deepEqual(s('a.io/team/x', 'prod-1'), { mode: 'enforce', rejectUnsigned: false, requirePin: true, requireAgreement: false, signers: ['targets/ci'], threshold: 1 });
  assert.deepEqual(s('a.io/team/x', 'release-1').signers, ['targets/ci']);
  assert.deepEqual(s('b.io/other', 'release-1').signers, ['targets/alice']);
  assert.deepEqual(s('b.io/other', 'dev').signers, ['targets/ci']);
  assert.equal(resolveSettings(p, 'b.io/other', 'release-1').rule.tag, 'release-*');
});

test('a pin is suggested only for a digest the policy accepts', () => {
  const p = parsePolicy('version: 1\ndefaults:\n  requirePin: true\n  signers: [alice, bob]\n  threshold: 2\n');
  const ref = { gun: 'docker.io/team/app', tag: 'v1' };
  const pinned = (sigs: TagSignature[]) => evaluatePolicy(p, ref, { signatures: sigs }).reasons.find((r) => r.check === 'pinned')?.message;
  assert.equal(pinned([sig('alice', D1), sig('bob', D1)]), `'docker.io/team/app:v1' is not pinned to a digest, which is required here (defaults); use docker.io/team/app:v1@${D1}`);
  assert.equal(pinned([sig('alice', D1)]), "'docker.io/team/app:v1' is not pinned to a digest, which is required here (defaults)");
  assert.equal(pinned([]), "'docker.io/team/app:v1' is not pinned to a digest, which is required here (defaults)");
});

test('targets/releases never adds a signer to a threshold', () => {
  const p = parsePolicy('version: 1\ndefaults:\n  threshold: 2\n');
  const ref = { gun: 'docker.io/team/app', tag: 'v1' };
  assert.equal(evaluatePolicy(p, ref, { signatures: [sig('alice', D1), sig('releases', D1)] }).allowed, false);
  assert.equal(evaluatePolicy(p, ref, { signatures: [sig('alice', D1), sig('Repo Admin', D1)] }).allowed, true);
  assert.equal(evaluatePolicy(p, ref, { signatures: [sig('alice', D1), sig('bob', D1), sig('releases', D1)] }).allowed, true);
});

test('summaries say the verdict and the first failure', () => {
  const allowed = evaluatePolicy(POLICY, { gun: APP, tag: 'prod-1' }, { signatures: [sig('alice', D1), sig('bob', D1)] });
  assert.equal(allowed.summary, `allowed: ${APP}:prod-1 -> ${D1} (rule 'app', tags 'prod-*')`);
  const denied = evaluatePolicy(POLICY, { gun: APP, tag: 'prod-1' }, { signatures: [] });
  assert.equal(denied.summary, `denied: ${APP}:prod-1: no trust data for tag 'prod-1' in ${APP}: it is not signed, and unsigned tags are rejected here (rule 'app', tags 'prod-*')`);
  const audit = evaluatePolicy(POLICY, { gun: 'registry.example.com/sandbox/a', tag: 'x' }, { signatures: [] });
  assert.match(audit.summary, /^allowed \(audit\): registry.example.com\/sandbox\/a:x would be denied: no trust data/);
  assert.equal(audit.mode, 'audit');
});

test('decisionError turns a denial into POLICY_DENIED and lets allowed decisions through', () => {
  const denied = evaluatePolicy(POLICY, { gun: APP, tag: 'prod-1' }, { signatures: [sig('alice', D1), sig('bob', D2)] });
  const err = decisionError(denied);
  assert.ok(isVouchError(err, 'POLICY_DENIED'));
  assert.equal(err.message, denied.summary);
  assert.match(err.hint ?? '', /^failed checks:\n {2}threshold: .*\n {2}agreement: /);
  assert.equal(err.details['decision'], denied);
  assert.equal(decisionError(evaluatePolicy(POLICY, { gun: APP, tag: 'staging-1' }, { signatures: [sig('ci', D1)] })), undefined);
  assert.equal(decisionError(evaluatePolicy(POLICY, { gun: 'registry.example.com/sandbox/a', tag: 'x' }, { signatures: [] })), undefined);
});

test('a decision is plain data', () => {
  const d = evaluatePolicy(POLICY, { gun: APP, tag: 'prod-1' }, { signatures: [sig('alice', D1), sig('bob', D1)] });
  assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
  assert.deepEqual(d.rule, { name: 'app', repository: 'registry.example.com/team/*', tag: 'prod-*', line: 12 });
});

test('evaluation needs a repository name', () => {
  assert.throws(() => evaluatePolicy(POLICY, { gun: '' }, { signatures: [] }), (e) => isVouchError(e, 'INVALID_ARGUMENT'));
});
