// printable(): what reaches a terminal. C0 and C1 controls and DEL are escaped as JSON escapes
// them; newline, tab and every other character (other scripts, emoji) pass unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printable, printableIo, type Io } from '../../../src/cli/output.js';

test('printable escapes C0 and C1 controls and DEL, keeps newline, tab and other text', () => {
  assert.equal(printable('a\u001b[2Jb\u0007c\u0000d\re\u007ff\u0080g\u009bh\u009fi\u00a0j'), 'a\\u001b[2Jb\\u0007c\\u0000d\\u000de\\u007ff\\u0080g\\u009bh\\u009fi\u00a0j');
  assert.equal(printable('line\n\tindented — ünïcödé 漢字 🙂'), 'line\n\tindented — ünïcödé 漢字 🙂');
  // the escape is JSON's: a JSON text keeps its values
  const doc = JSON.stringify({ tag: 'v1\u001b]0;x\u0007\u0085' });
  assert.deepEqual(JSON.parse(printable(doc)), { tag: 'v1\u001b]0;x\u0007\u0085' });
});

test('printableIo escapes out and err and keeps the rest of the Io (input, terminal flags)', async () => {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, stdinIsTTY: true, stderrIsTTY: false, readLine: async () => 'y' };
  const safe = printableIo(io);
  safe.out('\u001b[31mred\n');
  safe.err('\u009b2J');
  assert.equal(out, '\\u001b[31mred\n');
  assert.equal(err, '\\u009b2J');
  assert.equal(safe.stdinIsTTY, true);
  assert.equal(await safe.readLine?.(), 'y');
});
