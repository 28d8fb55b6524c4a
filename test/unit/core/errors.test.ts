// The error catalogue: docs/errors.md and src/core/errors.ts list the same codes with the same
// outcomes and exit statuses, every code is thrown somewhere, the internal error types are the
// documented ones, and the outcome reaches the CLI's --json output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ERROR_CODES, ERROR_OUTCOMES, VouchError, isVouchError, type ErrorCode } from '../../../src/core/index.js';
import { exitCodeFor, reportError, type Io } from '../../../src/cli/output.js';
import { projectRoot } from '../../support/paths.js';

interface DocRow { code: string; outcome: string; exit: string }

async function docSection(title: string): Promise<string[][]> {
  const text = await readFile(join(projectRoot, 'docs', 'errors.md'), 'utf8');
  const start = text.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/errors.md has a "## ${title}" section`);
  const end = text.indexOf('\n## ', start + 1);
  const rows = text.slice(start, end < 0 ? undefined : end).split('\n').filter((l) => l.startsWith('| `'));
  return rows.map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

async function documentedCodes(): Promise<DocRow[]> {
  return (await docSection('Codes')).map(([code, outcome, exit]) => ({ code: (code ?? '').replace(/`/g, ''), outcome: outcome ?? '', exit: exit ?? '' }));
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('docs/errors.md lists every code of src/core/errors.ts once, and no other', async () => {
  const rows = await documentedCodes();
  const documented = rows.map((r) => r.code);
  assert.deepEqual(documented.filter((c, i) => documented.indexOf(c) !== i), [], 'listed twice');
  assert.deepEqual(ERROR_CODES.filter((c) => !documented.includes(c)), [], 'in the code but not in docs/errors.md');
  assert.deepEqual(documented.filter((c) => !(ERROR_CODES as readonly string[]).includes(c)), [], 'in docs/errors.md but not in the code');
});

test('docs/errors.md gives each code the outcome and the exit status the code has', async () => {
  for (const row of await documentedCodes()) {
    const code = row.code as ErrorCode;
    assert.equal(row.outcome, ERROR_OUTCOMES[code], `outcome of ${code}`);
    assert.equal(row.exit, String(exitCodeFor(code)), `exit status of ${code}`);
  }
});

test('every code is thrown somewhere in src (no catalogue entry that nothing produces)', async () => {
  const files = (await sourceFiles(join(projectRoot, 'src'))).filter((f) => !f.endsWith(join('core', 'errors.ts')));
  const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
  assert.deepEqual(ERROR_CODES.filter((c) => !text.includes(`'${c}'`)), []);
});

test('the error classes other than VouchError are the internal ones docs/errors.md lists', async () => {
  const documented = (await docSection('Internal error types')).flatMap(([types]) => (types ?? '').match(/`(\w+)`/g)?.map((t) => t.slice(1, -1)) ?? []);
  const declared: string[] = [];
  for (const f of await sourceFiles(join(projectRoot, 'src'))) {
    for (const m of (await readFile(f, 'utf8')).matchAll(/\bclass (\w+) extends (\w+)/g)) {
      if (m[2] === 'Error' || m[2] === 'VouchError') declared.push(m[1] as string);
    }
  }
  assert.deepEqual(declared.filter((c) => c !== 'VouchErrorClass').sort(), [...documented].sort());
});

test('outcome: a verdict is failed, a failure to decide is inconclusive', () => {
  assert.equal(new VouchError('THRESHOLD_NOT_MET', 'x', { details: { role: 'targets', threshold: 2, valid: 1, rejected: [] } }).outcome, 'failed');
  assert.equal(new VouchError('REPOSITORY_NOT_FOUND', 'x').outcome, 'failed', 'an unsigned repository must not fail open');
  assert.equal(new VouchError('UNREACHABLE', 'x').outcome, 'inconclusive');
  assert.equal(new VouchError('EXPIRED', 'x', { details: { expires: '2020-01-01T00:00:00.000Z' } }).outcome, 'inconclusive');
});

test('details are typed per code, and isVouchError narrows to them', () => {
  // @ts-expect-error STORAGE carries no `unavailable` detail: STORAGE_UNAVAILABLE is its own code
  void new VouchError('STORAGE', 'x', { details: { unavailable: true } });
  // @ts-expect-error SIGNER_NOT_FOUND needs the repository and the signer
  void new VouchError('SIGNER_NOT_FOUND', 'x', { details: { signer: 'alice' } });
  const err: unknown = new VouchError('SIGNER_NOT_FOUND', 'x', { details: { repository: 'r', signer: 'alice' } });
  assert.ok(isVouchError(err, 'SIGNER_NOT_FOUND'));
  const signer: string = err.details.signer;
  assert.equal(signer, 'alice');
});

test('--json error output carries the outcome; the exit status follows the code', () => {
  const lines: string[] = [];
  const io: Io = { out: () => undefined, err: (t) => { lines.push(t); }, stdinIsTTY: false, stderrIsTTY: false };
  const status = reportError(io, new VouchError('UNREACHABLE', 'cannot reach https://trust.example', { hint: 'check it' }), true);
  assert.equal(status, 1);
  assert.deepEqual(JSON.parse(lines.join('')), { error: { code: 'UNREACHABLE', outcome: 'inconclusive', message: 'cannot reach https://trust.example', hint: 'check it', details: {} } });
  assert.equal(reportError(io, new VouchError('INVALID_ARGUMENT', 'bad'), false), 2);
});
