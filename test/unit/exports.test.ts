// package.json's exports map: every entry point names a built module that loads, and the module
// graph's pure entries (tuf, sig, policy) are among them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../support/paths.js';

test('every entry of the exports map is a built module that loads', async () => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  assert.ok(Object.keys(pkg.exports).length >= 5);
  for (const [name, target] of Object.entries(pkg.exports)) {
    const file = join(projectRoot, target);
    assert.ok(existsSync(file), `${name} -> ${target} does not exist (npm run build)`);
    if (!target.endsWith('.js')) continue;
    const mod = await import(pathToFileURL(file).href) as Record<string, unknown>;
    assert.ok(Object.keys(mod).length > 0, `${name} exports nothing`);
  }
  for (const pure of ['./tuf', './sig', './policy']) assert.ok(pure in pkg.exports, pure);
});
