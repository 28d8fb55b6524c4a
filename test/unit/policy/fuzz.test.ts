// Mutation fuzzing of the policy parser with a fixed seed: whatever the text, validation returns
// issues as data (never throws), every issue points inside the file, and every policy that
// validates can be evaluated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy } from '../../../src/policy/index.js';
import { validatePolicy } from '../../../src/policy/validate.js';

const SEED_POLICY = `version: 1
defaults:
  mode: enforce
  rejectUnsigned: true
  tags:
    - pattern: "*"
      signers: ["Repo Admin", ci]
rules:
  - name: payments
    repositories:
      - registry.example.com/payments/*
      - registry.example.com/payments/**
    signers: &managers [alice, bob, carol]
    tags:
      - pattern: staging-*
        signers: [ci]
      - pattern: prod-*
        signers: *managers
        threshold: 2
        requireAgreement: true
        requirePin: false
  - repositories: ["registry.example.com/sandbox/*"]
    mode: audit
    signers: any
`;

// mulberry32: a tiny deterministic PRNG so that a failure reproduces.
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [...' :-*&!|>[]{},"\'#\n\t0123456789.eftnuay@/?%', 'true', 'null', '~', 'prod-*', 'alice', '<<: *managers', 'threshold: 9', '  '];

function mutate(src: string, rnd: () => number): string {
  let s = src;
  const steps = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < steps; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const op = Math.floor(rnd() * 4);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 8));
    else if (op === 1) s = s.slice(0, at) + (ALPHABET[Math.floor(rnd() * ALPHABET.length)] as string) + s.slice(at);
    else {
      const lines = s.split('\n');
      const a = Math.floor(rnd() * lines.length);
      const b = Math.floor(rnd() * lines.length);
      if (op === 2) lines.splice(b, 0, lines[a] as string);
      else [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
      s = lines.join('\n');
    }
  }
  return s;
}

test('mutated policies never throw, and every issue points inside the file', () => {
  const rnd = prng(20261125);
  let valid = 0;
  for (let i = 0; i < 1500; i++) {
    const src = mutate(SEED_POLICY, rnd);
    const lineCount = src.split('\n').length;
    const v = validatePolicy(src);
    for (const issue of [...v.errors, ...v.warnings]) {
      assert.ok(issue.message.length > 0, src);
      if (issue.line !== undefined) {
        assert.ok(issue.line >= 1 && issue.line <= lineCount + 1, `line ${issue.line} of ${lineCount}: ${issue.message}\n${src}`);
        assert.ok((issue.column ?? 0) >= 1, src);
      }
    }
    assert.equal(v.policy === undefined, v.errors.length > 0, src);
    if (v.policy) {
      valid++;
      for (const tag of ['prod-1', 'staging-1', 'latest']) {
        const d = evaluatePolicy(v.policy, { gun: 'registry.example.com/payments/api', tag }, { signatures: [{ role: 'targets/alice', digest: 'sha256:' + 'a'.repeat(64), paths: [''] }] });
        assert.equal(d.reasons.length, 7);
      }
    }
  }
  // Both outcomes must be exercised, or the fuzzer tests nothing.
  assert.ok(valid > 20 && valid < 1480, `valid: ${valid}`);
});
