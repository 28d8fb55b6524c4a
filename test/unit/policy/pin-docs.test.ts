// Keeps docs/pin.md honest: its before/after examples are what pinText produces, and the check
// report and YAML error it quotes are what vouch prints (as src/cli/output.ts prints errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunOf, parseReference } from '../../../src/oci/reference.js';
import { checkPins, findImageReferences, pinProblemsError, pinTag, pinText } from '../../../src/policy/pin.js';
import type { PinResolver } from '../../../src/policy/pin.js';
import type { VouchError } from '../../../src/core/index.js';
import { projectRoot } from '../../support/paths.js';

const doc = readFileSync(join(projectRoot, 'docs', 'pin.md'), 'utf8');
const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] as string, body: m[2] as string }));
const block = (lang: string, start: string, nth = 0): string => {
  const found = blocks.filter((b) => b.lang === lang && b.body.startsWith(start));
  assert.ok(found[nth], `a ${lang} block starting with ${start}`);
  return (found[nth] as { body: string }).body;
};
const printed = (err: VouchError): string => `vouch: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`;

const WEB_BEFORE = block('yaml', '# deploy/web.yaml', 0);
const WEB_AFTER = block('yaml', '# deploy/web.yaml', 1);
const DOCKERFILE_BEFORE = block('dockerfile', '# syntax', 0);
const DOCKERFILE_AFTER = block('dockerfile', '# syntax', 1);

/** The signed digests are the ones the "after" examples show, per GUN:TAG. */
function signedIn(...texts: [string, string][]): Record<string, string> {
  const signed: Record<string, string> = {};
  for (const [file, text] of texts) {
    for (const f of findImageReferences(text, { file })) {
      const p = parseReference(f.reference);
      signed[`${gunOf(p)}:${pinTag(p) as string}`] = p.digest as string;
    }
  }
  return signed;
}
const resolver = (signed: Record<string, string>): PinResolver => (ref) => {
  const parsed = parseReference(ref);
  const digest = signed[`${gunOf(parsed)}:${pinTag(parsed) as string}`];
  return digest ? { parsed, signed: digest } : { error: 'not signed' };
};
const SIGNED = signedIn(['deploy/web.yaml', WEB_AFTER], ['Dockerfile', DOCKERFILE_AFTER]);

test('the before/after examples in docs/pin.md are what pinText produces', () => {
  assert.equal(Object.keys(SIGNED).length, 5);
  const web = pinText(WEB_BEFORE, { file: 'deploy/web.yaml', resolve: resolver(SIGNED) });
  assert.equal(web.text, WEB_AFTER);
  const df = pinText(DOCKERFILE_BEFORE, { file: 'Dockerfile', resolve: resolver(SIGNED) });
  assert.equal(df.text, DOCKERFILE_AFTER);
  assert.equal(pinText(WEB_AFTER, { file: 'deploy/web.yaml', resolve: resolver(SIGNED) }).changed, false, 'running it again changes nothing');
});

test('the check report in docs/pin.md is what vouch prints', () => {
  const moved = { ...SIGNED, 'registry.example.com/shop/web:prod-3': 'sha256:' + '5e'.repeat(32) };
  const problems = [
    ...checkPins(WEB_AFTER, { file: 'deploy/web.yaml', resolve: resolver(moved) }).problems,
    ...checkPins(DOCKERFILE_BEFORE, { file: 'Dockerfile', resolve: resolver(moved) }).problems,
  ];
  const err = pinProblemsError(problems);
  assert.ok(err);
  assert.equal(printed(err), block('text', 'vouch: 3 image references'));
});

test('the YAML error in docs/pin.md is what vouch prints', () => {
  const quoted = block('text', 'vouch: invalid YAML');
  // the web example with a pasted second `image:` in the proxy container
  const broken = WEB_BEFORE.replace('          image: nginx:1.25\n', '          image: nginx:1.25\n          image: nginx:1.27\n');
  assert.notEqual(broken, WEB_BEFORE);
  assert.throws(() => pinText(broken, { file: 'deploy/web.yaml', resolve: resolver(SIGNED) }), (err: VouchError) => {
    assert.equal(printed(err), quoted);
    return true;
  });
});
