// One policy over DCT, Notation and cosign signers (docs/policy.md, "Signers of every kind"):
// the `signers:` map's validation with positions, and k of n counted over distinct passed signers
// of any kind on one digest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decisionError, evaluatePolicy } from '../../../src/policy/index.js';
import { parsePolicy, validatePolicy } from '../../../src/policy/validate.js';
import type { OciSignatureFact, TagSignature } from '../../../src/policy/index.js';
import { ERROR_OUTCOMES } from '../../../src/core/index.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const GUN = 'registry.example.com/payments/api';

const MIXED = `version: 1
signers:
  release-bot: { dct: release-bot }
  ci:
    notation:
      trustStore: ca:acme
      identities: ["x509.subject: C=US, ST=WA, O=Acme, CN=ci"]
      level: strict
  security:
    cosign: { key: keys/security.pub }
rules:
  - name: prod
    repositories: [registry.example.com/payments/*]
    signers: [release-bot, ci, security]
    threshold: 2
    tags:
      - pattern: "all-*"
        threshold: all
  - name: staging
    repositories: [registry.example.com/staging/*]
    signers: [release-bot, ci, security]
    threshold: 1
`;
const policy = parsePolicy(MIXED);
const dct = (name: string, digest: string): TagSignature => ({ role: `targets/${name}`, digest, paths: [''] });
const oci = (kind: 'notation' | 'cosign', signer: string, digest: string | undefined, status: OciSignatureFact['status'], message?: string): OciSignatureFact =>
  ({ kind, signer, ...(digest !== undefined ? { digest } : {}), status, checks: [{ check: 'signature', status }], ...(message ? { message } : {}) });
const check = (d: ReturnType<typeof evaluatePolicy>, name: string) => d.reasons.find((r) => r.check === name);

test('the signers map normalises: DCT entries to roles, OCI signers by name, threshold all kept for the cascade', () => {
  assert.deepEqual(policy.signers?.['release-bot'], { kind: 'dct', role: 'targets/release-bot', line: 3 });
  assert.deepEqual(policy.signers?.security, { kind: 'cosign', key: 'keys/security.pub', line: 9 });
  assert.equal(policy.signers?.ci?.kind, 'notation');
  assert.deepEqual(policy.rules[0]?.signers, ['targets/release-bot', 'ci', 'security']);
  assert.equal(policy.rules[0]?.tags[0]?.threshold, 'all');
});

test('2 of 3 across kinds: any two pass, one does not', () => {
  const pairs: [TagSignature[], OciSignatureFact[]][] = [
    [[dct('release-bot', D1)], [oci('notation', 'ci', D1, 'passed')]],
    [[dct('release-bot', D1)], [oci('cosign', 'security', D1, 'passed')]],
    [[], [oci('notation', 'ci', D1, 'passed'), oci('cosign', 'security', D1, 'passed')]],
  ];
  for (const [signatures, facts] of pairs) {
    const d = evaluatePolicy(policy, { gun: GUN, tag: '1.0' }, { signatures, oci: facts });
    assert.equal(d.allowed, true, d.summary);
    assert.equal(d.outcome, 'passed');
    assert.equal(d.digest, D1);
    assert.equal(d.rule.name, 'prod');
    assert.equal(d.signatures.filter((s) => s.counted).length, 2);
  }
  const one = evaluatePolicy(policy, { gun: GUN, tag: '1.0' }, { signatures: [dct('release-bot', D1)], oci: [oci('notation', 'ci', D1, 'failed', 'authenticity: not trusted'), oci('cosign', 'security', D1, 'failed')] });
  assert.equal(one.allowed, false);
  assert.equal(one.outcome, 'failed');
  assert.equal(check(one, 'threshold')?.status, 'fail');
  assert.match(check(one, 'threshold')?.message ?? '', /needs 2 distinct signers on one digest out of ci \(notation\), release-bot, security \(cosign\), but sha256:111111111111… has 1 \(release-bot\); ci \(notation\) did not verify \(authenticity: not trusted\)/);
  assert.equal(decisionError(one)?.code, 'POLICY_DENIED');
  // a DCT signer that did not sign is named as the OCI ones are
  const cosignOnly = evaluatePolicy(policy, { gun: GUN, tag: '1.0' }, { signatures: [], oci: [oci('cosign', 'security', D1, 'passed')] });
  assert.match(check(cosignOnly, 'threshold')?.message ?? '', /^needs 2 distinct signers on one digest out of ci \(notation\), release-bot, security \(cosign\), but sha256:111111111111… has 1 \(security \(cosign\)\); release-bot \(dct\) did not sign sha256:111111111111…; ci \(notation\) was not checked$/);
  // every signature is reported, with its kind, status and checks
  assert.deepEqual(one.signatures.map((s) => [s.kind, s.signer, s.status, s.counted]), [['dct', 'release-bot', 'passed', true], ['notation', 'ci', 'failed', false], ['cosign', 'security', 'failed', false]]);
});

test('signatures count per digest across kinds: agreement is checked across kinds', () => {
  const d = evaluatePolicy(policy, { gun: GUN, tag: '1.0' }, { signatures: [dct('release-bot', D1)], oci: [oci('notation', 'ci', D2, 'passed'), oci('cosign', 'security', D2, 'passed')] });
  assert.equal(d.allowed, true);
  assert.equal(d.digest, D2);
  assert.equal(check(d, 'agreement')?.status, 'warn');
  assert.match(check(d, 'agreement')?.message ?? '', /signers disagree on '1.0': sha256:222222222222… \(ci \(notation\), security \(cosign\)\), sha256:111111111111… \(release-bot\)/);
  const split = evaluatePolicy(policy, { gun: GUN, tag: '1.0' }, { signatures: [dct('release-bot', D1)], oci: [oci('notation', 'ci', D2, 'passed')] });
  assert.equal(split.allowed, false);
  assert.equal(check(split, 'agreement')?.status, 'fail');
});

test('threshold all needs every listed signer; threshold 1 accepts any one, of any kind', () => {
  const two = { signatures: [dct('release-bot', D1)], oci: [oci('notation', 'ci', D1, 'passed')] };
  const all = evaluatePolicy(policy, { gun: GUN, tag: 'all-1' }, two);
  assert.equal(all.allowed, false);
  assert.equal(all.settings.threshold, 3);
  const three = evaluatePolicy(policy, { gun: GUN, tag: 'all-1' }, { ...two, oci: [...two.oci, oci('cosign', 'security', D1, 'passed')] });
  assert.equal(three.allowed, true);
  for (const only of [oci('notation', 'ci', D1, 'passed'), oci('cosign', 'security', D1, 'passed')]) {
    assert.equal(evaluatePolicy(policy, { gun: 'registry.example.com/staging/api', tag: 'x' }, { signatures: [], oci: [only] }).allowed, true);
  }
});

test('a signature that could not be verified makes a denial inconclusive only when it would have decided', () => {
  const facts = { signatures: [dct('release-bot', D1)], oci: [oci('notation', 'ci', undefined, 'inconclusive', 'the registry could not be read'), oci('cosign', 'security', D1, 'failed')] };
  const d = evaluatePolicy(policy, { gun: GUN, tag: '1.0' }, facts);
  assert.equal(d.allowed, false);
  assert.equal(d.outcome, 'inconclusive');
  assert.match(d.summary, /^denied \(inconclusive\): .*could not verify ci \(notation\): the registry could not be read/);
  const err = decisionError(d);
  assert.equal(err?.code, 'POLICY_INCONCLUSIVE');
  assert.equal(ERROR_OUTCOMES.POLICY_INCONCLUSIVE, 'inconclusive');
  // under threshold all, one undecided signer cannot rescue a second failure: failed
  const all = evaluatePolicy(policy, { gun: GUN, tag: 'all-1' }, facts);
  assert.equal(all.outcome, 'failed');
  assert.equal(decisionError(all)?.code, 'POLICY_DENIED');
});

test('OCI signatures of signers the rule does not name do not count, and never under signers: any', () => {
  const p = parsePolicy(`version: 1
signers:
  ci: { cosign: { key: ci.pub } }
rules:
  - repositories: [registry.example.com/a/*]
    signers: [ci]
  - repositories: [registry.example.com/b/*]
    signers: any
`);
  const facts = { signatures: [], oci: [oci('cosign', 'ci', D1, 'passed')] };
  assert.equal(evaluatePolicy(p, { gun: 'registry.example.com/a/x', tag: '1' }, facts).allowed, true);
  assert.equal(evaluatePolicy(p, { gun: 'registry.example.com/b/x', tag: '1' }, facts).allowed, false);
});

test('a digest-only reference can be allowed by OCI signatures (they sign digests, not tags)', () => {
  const d = evaluatePolicy(policy, { gun: 'registry.example.com/staging/api', digest: D1 }, { signatures: [], oci: [oci('cosign', 'security', D1, 'passed')] });
  assert.equal(d.allowed, true, d.summary);
  assert.equal(check(d, 'pin-matches')?.message, 'the pinned digest sha256:111111111111… is signed by security (cosign)');
  const none = evaluatePolicy(policy, { gun: 'registry.example.com/staging/api', digest: D1 }, { signatures: [], oci: [oci('cosign', 'security', D1, 'failed', 'wrong key')] });
  assert.equal(none.allowed, false);
  assert.match(check(none, 'signed')?.message ?? '', /has no tag; .*security \(cosign\) did not verify \(wrong key\)/);
});

interface Bad { name: string; body: string; code: string; line: number; column: number; message: RegExp }
const bad: Bad[] = [
  { name: 'unknown kind', body: 'signers:\n  x: { gpg: { key: a } }\n', code: 'unknown-key', line: 3, column: 8, message: /unknown key `gpg` in signer 'x'; expected one of: dct, notation, cosign/ },
  { name: 'two kinds', body: 'signers:\n  x: { dct: alice, cosign: { key: a } }\n', code: 'bad-signer-definition', line: 3, column: 6, message: /a signer is of one kind/ },
  { name: 'bad identity', body: 'signers:\n  x: { notation: { trustStore: ca:acme, identities: ["x509.subject: CN=ci,O=Acme"] } }\n', code: 'bad-identity', line: 3, column: 54, message: /lacks C, ST: notation requires C, ST \(or S\) and O/ },
  { name: 'identity without prefix', body: 'signers:\n  x: { notation: { trustStore: ca:acme, identities: ["CN=ci"] } }\n', code: 'bad-identity', line: 3, column: 54, message: /must be '\*' or 'x509.subject: DN'/ },
  { name: 'bad trust store', body: 'signers:\n  x: { notation: { trustStore: acme, identities: ["*"] } }\n', code: 'bad-value', line: 3, column: 32, message: /must be written TYPE:NAME/ },
  { name: 'notation level skip', body: 'signers:\n  x: { notation: { trustStore: ca:a, identities: ["*"], level: skip } }\n', code: 'bad-value', line: 3, column: 64, message: /'skip' would accept anything/ },
  { name: 'regexp that does not compile', body: 'signers:\n  x: { cosign: { trustedRoot: r.json, issuer: https://i, subjectRegExp: "^(a" } }\n', code: 'bad-regexp', line: 3, column: 73, message: /does not compile as a regular expression/ },
  { name: 'keyless without subject', body: 'signers:\n  x: { cosign: { trustedRoot: r.json, issuer: https://i } }\n', code: 'missing-key', line: 3, column: 16, message: /needs `subject` or `subjectRegExp`/ },
  { name: 'key and identity', body: 'signers:\n  x: { cosign: { key: k.pub, issuer: https://i } }\n', code: 'bad-signer-definition', line: 3, column: 30, message: /`issuer` is for keyless signers/ },
  { name: 'unknown notation: reference', body: 'signers:\n  x: { cosign: { key: k.pub } }\nrules:\n  - repositories: [a.io/x]\n    signers: [x, "notation:y"]\n', code: 'unknown-signer', line: 6, column: 18, message: /'notation:y': 'y' is not defined in the top-level `signers:` map/ },
  { name: 'kind mismatch', body: 'signers:\n  x: { cosign: { key: k.pub } }\nrules:\n  - repositories: [a.io/x]\n    signers: ["notation:x"]\n', code: 'unknown-signer', line: 6, column: 15, message: /'x' is a cosign signer/ },
  { name: 'threshold over n counts every kind', body: 'signers:\n  x: { cosign: { key: k.pub } }\nrules:\n  - repositories: [a.io/x]\n    signers: [x, alice]\n    threshold: 3\n', code: 'threshold-exceeds-signers', line: 7, column: 16, message: /threshold 3 is more than the 2 signers allowed here \(x, alice\)/ },
  { name: 'threshold all with any', body: 'rules:\n  - repositories: [a.io/x]\n    threshold: all\n', code: 'bad-value', line: 4, column: 16, message: /`threshold: all` needs a list of signers/ },
  { name: 'duplicate across spellings', body: 'signers:\n  bot: { dct: alice }\nrules:\n  - repositories: [a.io/x]\n    signers: [bot, "dct:alice"]\n', code: 'duplicate-signer', line: 6, column: 20, message: /listed twice/ },
  { name: 'bad map name', body: 'signers:\n  Release: { dct: alice }\n', code: 'bad-signer', line: 3, column: 3, message: /is not a signer name/ },
];

for (const c of bad) {
  test(`invalid: ${c.name}`, () => {
    const v = validatePolicy(`version: 1\n${c.body}`);
    assert.equal(v.policy, undefined);
    const hit = v.errors.find((e) => e.code === c.code);
    assert.ok(hit, JSON.stringify(v.errors));
    assert.match(hit.message, c.message);
    assert.deepEqual([hit.line, hit.column], [c.line, c.column], hit.message);
  });
}

test('warnings: a defined signer no rule lists; a bare name close to a defined one', () => {
  const v = validatePolicy('version: 1\nsigners:\n  security: { cosign: { key: k.pub } }\nrules:\n  - repositories: [a.io/x]\n    signers: [securty]\n');
  assert.ok(v.policy);
  assert.deepEqual(v.warnings.map((w) => [w.code, w.line]), [['unused-signer', 3], ['signer-not-defined', 6]]);
});

test('docs/policy.md: the mixed-kind example validates and decides as the page says', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { projectRoot } = await import('../../support/paths.js');
  const doc = readFileSync(join(projectRoot, 'docs', 'policy.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Signers of every kind'));
  const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const p = parsePolicy(example);
  const D3F = 'sha256:' + '3f'.repeat(32);
  const D9A = 'sha256:' + '9a'.repeat(32);
  const facts = { signatures: [dct('release-bot', D9A)], oci: [oci('notation', 'ci', D3F, 'passed'), oci('cosign', 'security', D3F, 'passed')] };
  const d = evaluatePolicy(p, { gun: GUN, tag: '1.4' }, facts);
  assert.equal(d.allowed, true);
  const threshold = check(d, 'threshold')?.message ?? '-';
  assert.ok(section.includes(threshold), threshold);
  assert.deepEqual(d.signatures.map((s) => [s.kind, s.counted]), [['dct', false], ['notation', true], ['cosign', true]]);
  const one = { signatures: [], oci: [oci('cosign', 'security', D3F, 'passed')] };
  assert.equal(evaluatePolicy(p, { gun: GUN, tag: '1.4' }, one).allowed, false);
  assert.equal(evaluatePolicy(p, { gun: 'registry.example.com/staging/api', tag: '1.4' }, one).allowed, true);
});

test('a registry that could not resolve the tag (facts without a digest, no DCT data) is inconclusive, not failed', () => {
  const unread = { signatures: [], oci: [oci('notation', 'ci', undefined, 'inconclusive', 'UNREACHABLE'), oci('cosign', 'security', undefined, 'inconclusive', 'UNREACHABLE')] };
  const d = evaluatePolicy(policy, { gun: GUN, tag: '1.0' }, unread);
  assert.equal(d.allowed, false);
  assert.equal(d.outcome, 'inconclusive', d.summary);
  assert.equal(d.digest, undefined);
  assert.equal(d.signatures.some((s) => s.digest !== undefined), false);
});

test('require: "all of" groups must each hold on the decision digest, besides the threshold', () => {
  const p = parsePolicy(`version: 1
signers:
  ci: { notation: { trustStore: "ca:acme", identities: ["*"] } }
  security: { cosign: { key: security.pub } }
rules:
  - name: prod
    repositories: [registry.example.com/payments/*]
    signers: [alice, bob, ci, security]
    threshold: 2
    require:
      - { signers: [alice, bob], threshold: 1 }
      - { signers: [ci, security], threshold: 1 }
`);
  const ref = { gun: GUN, tag: '1.0' };
  const ok = evaluatePolicy(p, ref, { signatures: [dct('alice', D1)], oci: [oci('cosign', 'security', D1, 'passed')] });
  assert.equal(ok.allowed, true, ok.summary);
  assert.deepEqual(ok.reasons.map((r) => r.check), ['signed', 'signer', 'paths', 'threshold', 'require', 'agreement', 'pinned', 'pin-matches']);
  assert.match(check(ok, 'require')?.message ?? '', /^every group is met on sha256:111111111111…: group 1 \(1 of alice, bob\): 1 \(alice\); group 2 \(1 of ci \(notation\), security \(cosign\)\): 1 \(security \(cosign\)\)$/);
  // two people, but no OCI signature: the threshold holds, the second group does not
  const people = evaluatePolicy(p, ref, { signatures: [dct('alice', D1), dct('bob', D1)], oci: [oci('cosign', 'security', D1, 'failed', 'wrong key')] });
  assert.equal(people.allowed, false);
  assert.equal(check(people, 'threshold')?.status, 'pass');
  assert.match(check(people, 'require')?.message ?? '', /^group 2 \(1 of ci \(notation\), security \(cosign\)\): 0 on sha256:111111111111…; ci \(notation\) was not checked; security \(cosign\) did not verify \(wrong key\)$/);
  // a group signing another digest does not count
  const elsewhere = evaluatePolicy(p, ref, { signatures: [dct('alice', D1), dct('bob', D1)], oci: [oci('cosign', 'security', D2, 'passed')] });
  assert.equal(check(elsewhere, 'require')?.status, 'fail');
  // without require, the seven checks stay as they were
  assert.equal(evaluatePolicy(policy, ref, { signatures: [dct('release-bot', D1)] }).reasons.length, 7);
});

test('require: validation', () => {
  const base = 'version: 1\nrules:\n  - repositories: [a.io/x]\n';
  const cases: [string, string, RegExp][] = [
    [`${base}    signers: [alice]\n    require:\n      - { signers: [alice, bob], threshold: 1 }\n`, 'bad-value', /`require` names bob, who may not sign here/],
    [`${base}    require:\n      - { signers: [alice], threshold: 1 }\n`, 'bad-value', /`signers` is `any` here/],
    [`${base}    signers: [alice, bob]\n    require:\n      - { signers: [alice], threshold: 2 }\n`, 'threshold-exceeds-signers', /group threshold 2 is more than its 1 signer/],
    [`${base}    signers: [alice, bob]\n    require:\n      - { signers: [alice] }\n`, 'missing-key', /needs `threshold`/],
    [`${base}    signers: [alice, bob]\n    require: []\n`, 'bad-value', /between 1 and 100 groups/],
  ];
  for (const [source, code, message] of cases) {
    const v = validatePolicy(source);
    assert.equal(v.policy, undefined, source);
    assert.ok(v.errors.some((e) => e.code === code && message.test(e.message)), JSON.stringify(v.errors));
  }
  const ok = validatePolicy(`${base}    signers: [alice, bob]\n    require:\n      - { signers: [alice, bob], threshold: all }\n`);
  assert.deepEqual(ok.policy?.rules[0]?.require, [{ signers: ['targets/alice', 'targets/bob'], threshold: 'all' }]);
});
