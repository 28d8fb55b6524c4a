// The project stands alone: a clone of this repository is all a user has, so no tracked file may
// point outside it at a sibling folder of notes or scripts (the peers harness is test/support/peers.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../support/paths.js';

// Spelled in pieces so that this file does not match itself.
const SIBLING = ['..', 'shared'].join('/');
const FORBIDDEN = [`${SIBLING}/`, `${SIBLING}\``, `${SIBLING})`, `${SIBLING}'`, `${SIBLING}"`, ['shared', 'peers'].join('/'), ['VOUCH', 'PEERS', 'HOME'].join('_')];

test('no tracked file refers to a folder outside the repository', () => {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: projectRoot, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  assert.ok(files.length > 100, `git ls-files listed only ${files.length} files: run the tests from a git clone`);
  const hits: string[] = [];
  for (const file of files) {
    let text: string;
    try { text = readFileSync(join(projectRoot, file), 'latin1'); } catch { continue; } // deleted in the work tree
    text.split('\n').forEach((line, i) => {
      if (FORBIDDEN.some((f) => line.includes(f))) hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 160)}`);
    });
  }
  assert.deepEqual(hits, [], 'tracked files name a sibling folder a fresh clone does not have');
});
