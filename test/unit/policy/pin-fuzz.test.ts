// Mutation fuzzing of `vouch pin` with a fixed seed: whatever the text, pinning either refuses the
// file with INVALID_YAML or changes nothing but reference characters, and pinning its own output
// changes nothing. Never an internal error, never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { isVouchError } from '../../../src/core/index.js';
import { parseReference } from '../../../src/oci/reference.js';
import { findImageReferences, pinTag, pinText } from '../../../src/policy/pin.js';
import type { PinResolver } from '../../../src/policy/pin.js';
import { fixture } from '../../support/paths.js';

const SIGNED = 'sha256:' + 'e7'.repeat(32);
/** Every valid reference is "signed" for one digest; invalid ones fail as the CLI's would. */
const resolve: PinResolver = (ref) => {
  try {
    const parsed = parseReference(ref);
    return pinTag(parsed) === undefined ? { parsed } : { parsed, signed: SIGNED };
  } catch (err) {
    return { error: (err as Error).message };
  }
};

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

const PIECES = [...' :-#"\'\\`$@/{}[],&*|>\n\t\r', 'FROM ', 'FROM a:1 AS x', 'AS ', '--from=', '<<EOF', 'EOF', 'image: ', '  - image: b:2', '---', 'kind: Pod', '<<: *app', '${X}', '@sha256:' + '1'.repeat(64), 'scratch'];

function mutate(src: string, rnd: () => number): string {
  let s = src;
  // Few, mostly small edits: most YAML mutants must still parse for the fuzz to reach the rewriting.
  const steps = 1 + Math.floor(rnd() * 2);
  for (let i = 0; i < steps; i++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const op = Math.floor(rnd() * 8);
    if (op < 2) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 4));
    else if (op < 6) s = s.slice(0, at) + (PIECES[Math.floor(rnd() * PIECES.length)] as string) + s.slice(at);
    else {
      const lines = s.split('\n');
      const a = Math.floor(rnd() * lines.length);
      const b = Math.floor(rnd() * lines.length);
      if (op === 6) lines.splice(b, 0, lines[a] as string);
      else [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
      s = lines.join('\n');
    }
  }
  return s;
}

/** The pinned text with the original references put back. */
function unpin(pinned: string, original: string, file: string): string {
  const before = findImageReferences(original, { file });
  const after = findImageReferences(pinned, { file });
  assert.equal(after.length, before.length);
  let out = '';
  let pos = 0;
  const seen = new Set<number>();
  after.forEach((f, i) => {
    if (f.length === 0 || seen.has(f.offset)) return;
    seen.add(f.offset);
    out += pinned.slice(pos, f.offset) + (before[i] as { reference: string }).reference;
    pos = f.offset + f.length;
  });
  return out + pinned.slice(pos);
}

const FILES = readdirSync(fixture('pin', 'in')).sort();
const ROUNDS = 100;

for (const [n, name] of FILES.entries()) {
  test(`fuzz ${name}: ${ROUNDS} mutations pin cleanly or fail with INVALID_YAML`, () => {
    const seedText = readFileSync(fixture('pin', 'in', name), 'utf8');
    const rnd = prng(0x5eed + n);
    let pinned = 0;
    let rewrites = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const src = mutate(seedText, rnd);
      let r;
      try {
        r = pinText(src, { file: name, resolve });
      } catch (err) {
        assert.ok(isVouchError(err, 'INVALID_YAML'), `round ${i}: ${String(err)}\n${src}`);
        continue;
      }
      pinned++;
      assert.equal(unpin(r.text, src, name), src, `round ${i}: only references changed\n${src}`);
      for (const o of r.outcomes) {
        assert.ok(o.line >= 1 && o.column >= 1, `round ${i}: position`);
        if (o.rewritten) {
          rewrites++;
          assert.match(o.replacement ?? '', /@sha256:(e7){32}$/);
        }
      }
      const again = pinText(r.text, { file: name, resolve });
      assert.equal(again.text, r.text, `round ${i}: idempotent\n${src}`);
    }
    assert.ok(rewrites > 0, 'some references were rewritten');
    assert.ok(pinned >= ROUNDS / 4, `only ${pinned} of ${ROUNDS} mutations parsed: the fuzz would test little`);
  });
}
