// Keeps docs/policy.md honest: its example policies validate cleanly, and the messages it
// quotes are the ones vouch prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluatePolicy } from '../../../src/policy/index.js';
import { formatPolicyIssue, parsePolicy, validatePolicy } from '../../../src/policy/validate.js';
import type { TagSignature } from '../../../src/policy/index.js';
import { projectRoot } from '../../support/paths.js';

const doc = readFileSync(join(projectRoot, 'docs', 'policy.md'), 'utf8');
const blocks = [...doc.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] as string, body: m[2] as string }));
const D1 = 'sha256:' + '3f'.repeat(32);
const D2 = 'sha256:' + '9a'.repeat(32);
const sig = (name: string, digest: string): TagSignature => ({ role: `targets/${name}`, digest, paths: [''] });

test('every example policy in docs/policy.md validates without errors or warnings', () => {
  const examples = blocks.filter((b) => (b.lang === 'yaml' || b.lang === 'json') && /^\s*"?version"?:/m.test(b.body) && !b.body.startsWith('# bad-policy.yaml'));
  assert.ok(examples.length >= 6, `found ${examples.length} examples`);
  for (const b of examples) {
    const v = validatePolicy(b.body);
    assert.deepEqual([...v.errors, ...v.warnings].map((i) => formatPolicyIssue(i)), [], b.body);
  }
});

test('the error listing in docs/policy.md is what validation prints', () => {
  const i = blocks.findIndex((b) => b.body.startsWith('# bad-policy.yaml'));
  assert.ok(i >= 0);
  const listing = blocks[i + 1];
  assert.equal(listing?.lang, 'text');
  const v = validatePolicy((blocks[i] as { body: string }).body);
  assert.equal(v.errors.map((e) => formatPolicyIssue(e, 'bad-policy.yaml')).join('\n') + '\n', listing?.body);
});

test('the decisions quoted in docs/policy.md are what evaluation prints', () => {
  const twoEnv = parsePolicy(blocks.find((b) => b.lang === 'yaml' && b.body.includes('requireAgreement: true') && b.body.includes('"staging-*"'))?.body ?? '');
  const d = evaluatePolicy(twoEnv, { gun: 'registry.example.com/payments/api', tag: 'prod-2026-11-25' }, { signatures: [sig('alice', D1), sig('bob', D1), sig('carol', D2)] });
  const table = d.reasons.map((r) => `${r.check.padEnd(12)} ${r.status.padEnd(5)} ${r.message}`).join('\n') + '\n';
  assert.ok(blocks.some((b) => b.lang === 'text' && b.body === table), table);

  const audit = parsePolicy(blocks.find((b) => b.body.includes('name: platform'))?.body ?? '');
  const a = evaluatePolicy(audit, { gun: 'registry.example.com/web/shop', tag: '1.4' }, { signatures: [] });
  assert.ok(doc.includes(a.summary.slice(0, 90)), a.summary);
  assert.equal(a.allowed, true);
  const hub = evaluatePolicy(audit, { gun: 'docker.io/library/alpine', tag: '3' }, { signatures: [] });
  assert.equal(hub.reasons[0]?.status, 'warn');

  const pinning = parsePolicy(blocks.find((b) => b.body.includes('name: production'))?.body ?? '');
  const facts = { signatures: [sig('alice', D1), sig('bob', D1)] };
  const unpinned = evaluatePolicy(pinning, { gun: 'registry.example.com/shop/api', tag: 'prod-3' }, facts);
  assert.ok(doc.includes(unpinned.reasons.find((r) => r.check === 'pinned')?.message ?? '-'), unpinned.reasons[5]?.message);
  const moved = evaluatePolicy(pinning, { gun: 'registry.example.com/shop/api', tag: 'prod-3', digest: D2 }, facts);
  assert.ok(doc.includes(moved.reasons.find((r) => r.check === 'pin-matches')?.message ?? '-'), moved.reasons[6]?.message);
});
