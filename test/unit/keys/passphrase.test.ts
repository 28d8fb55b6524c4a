// Passphrase sources (notary passphrase/passphrase.go): which variable answers for which role, prompts, retries, and
// the NO_PASSPHRASE / BAD_PASSPHRASE errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  createPassphraseSource, decodePrivateKeyFile, encodePrivateKeyFile, fixedPassphrase, generateKey, passphraseVariables,
  readPrivateKeyFile, terminalPassphraseSource, ttyPrompt, withPassphrase, type PromptFunction, type TtyInput,
} from '../../../src/keys/index.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

test('variables per role: docker, notary and both', () => {
  const table: [string, string[], string[]][] = [
    ['root', ['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE'], ['NOTARY_ROOT_PASSPHRASE']],
    ['targets', ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'], ['NOTARY_TARGETS_PASSPHRASE']],
    ['snapshot', ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'], ['NOTARY_SNAPSHOT_PASSPHRASE']],
    ['timestamp', ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'], []],
    ['targets/releases', ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'], ['NOTARY_DELEGATION_PASSPHRASE']],
    ['alice', ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'], ['NOTARY_DELEGATION_PASSPHRASE']],
    ['encrypted', ['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'], ['NOTARY_DELEGATION_PASSPHRASE']],
  ];
  for (const [role, docker, notary] of table) {
    assert.deepEqual(passphraseVariables(role, 'docker'), docker, role);
    assert.deepEqual(passphraseVariables(role, 'notary'), notary, role);
    assert.deepEqual(passphraseVariables(role), [...docker, ...notary], role);
  }
});

test('a set variable answers and is final; an empty one counts as unset', async () => {
  const env = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: '', NOTARY_ROOT_PASSPHRASE: 'n-root', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'd-repo' };
  const s = createPassphraseSource({ env });
  assert.deepEqual(await s.get({ role: 'root', createNew: false, attempt: 0 }), { value: 'n-root', from: 'NOTARY_ROOT_PASSPHRASE', final: true });
  assert.deepEqual(await s.get({ role: 'targets', createNew: true, attempt: 0 }), { value: 'd-repo', from: 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE', final: true });
  const dockerOnly = createPassphraseSource({ env, names: 'docker' });
  await assert.rejects(dockerOnly.get({ role: 'root', createNew: false, attempt: 0 }), code('NO_PASSPHRASE'));
});

test('no variable and no prompt: NO_PASSPHRASE naming the variable to set', async () => {
  const s = createPassphraseSource({ env: {}, names: 'docker' });
  await assert.rejects(s.get({ role: 'root', keyId: 'abcdef0123', createNew: true, attempt: 0 }), (e: unknown) => {
    assert.ok(code('NO_PASSPHRASE')(e));
    assert.match((e as Error).message, /root key abcdef0.*DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE/);
    return true;
  });
  const both = createPassphraseSource({ env: {} });
  await assert.rejects(both.get({ role: 'targets/releases', createNew: false, attempt: 0 }),
    /DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE or NOTARY_DELEGATION_PASSPHRASE/);
});

test('prompt is used without a variable, told the docker label, and cached per role', async () => {
  const asked: string[] = [];
  const prompt: PromptFunction = async (req) => { asked.push(`${req.label}:${req.role}:${req.attempt}`); return `pw-${asked.length}`; };
  const s = createPassphraseSource({ env: {}, prompt });
  assert.equal((await s.get({ role: 'targets', createNew: false, attempt: 0 })).value, 'pw-1');
  assert.equal((await s.get({ role: 'targets', createNew: false, attempt: 0 })).value, 'pw-1', 'cached');
  assert.equal((await s.get({ role: 'targets', createNew: false, attempt: 1 })).value, 'pw-2', 'a retry asks again');
  assert.equal((await s.get({ role: 'root', createNew: false, attempt: 0 })).final, false);
  assert.deepEqual(asked, ['repository:targets:0', 'repository:targets:1', 'root:root:0']);
});

test('withPassphrase: a prompt gets three tries, a variable one; the error says where the passphrase came from', async () => {
  const key = generateKey();
  const pem = encodePrivateKeyFile(key, { role: 'targets', gun: 'a/b', passphrase: 'right-pass' });
  let n = 0;
  const answers = ['wrong-1', 'wrong-2', 'right-pass'];
  const prompt: PromptFunction = async () => answers[n++] as string;
  const got = await readPrivateKeyFile(pem, { passphrases: createPassphraseSource({ env: {}, prompt }) });
  assert.equal(got.canonicalKeyId, key.canonicalKeyId);
  assert.equal(n, 3);

  n = 0;
  const never: PromptFunction = async () => { n++; return 'nope-nope'; };
  await assert.rejects(readPrivateKeyFile(pem, { passphrases: createPassphraseSource({ env: {}, prompt: never }) }), code('BAD_PASSPHRASE'));
  assert.equal(n, 3);

  await assert.rejects(
    readPrivateKeyFile(pem, { passphrases: createPassphraseSource({ env: { NOTARY_TARGETS_PASSPHRASE: 'bad' } }) }),
    (e: unknown) => code('BAD_PASSPHRASE')(e) && /wrong passphrase for the targets key.*NOTARY_TARGETS_PASSPHRASE/.test((e as Error).message),
  );
  // An unencrypted file never asks.
  const plain = encodePrivateKeyFile(key, { role: 'targets', gun: 'a/b', passphrase: '' });
  assert.equal((await readPrivateKeyFile(plain, { passphrases: createPassphraseSource({ env: {} }) })).keyId, key.keyId);
});

test('withPassphrase passes other errors through untouched', async () => {
  await assert.rejects(withPassphrase(fixedPassphrase('x'), { role: 'root', createNew: false }, () => { throw new TypeError('boom'); }), TypeError);
  assert.equal(await withPassphrase(fixedPassphrase('x'), { role: 'root', createNew: false }, (p) => p + '!'), 'x!');
});

test('fixedPassphrase decrypts; a wrong fixed passphrase fails at once', async () => {
  const pem = encodePrivateKeyFile(generateKey('ed25519'), { role: 'alice', passphrase: 'fixed-pass' });
  assert.equal((await readPrivateKeyFile(pem, { passphrases: fixedPassphrase('fixed-pass') })).algorithm, 'ed25519');
  await assert.rejects(readPrivateKeyFile(pem, { passphrases: fixedPassphrase('other') }), code('BAD_PASSPHRASE'));
  assert.throws(() => decodePrivateKeyFile(pem, ''), code('NO_PASSPHRASE'));
});

// A fake terminal: a PassThrough that claims to be a TTY and records raw mode changes.
function fakeTty(): { input: TtyInput & PassThrough; output: PassThrough; shown: () => string; raw: boolean[] } {
  const input = new PassThrough() as TtyInput & PassThrough;
  const raw: boolean[] = [];
  input.isTTY = true;
  input.setRawMode = (m: boolean) => { raw.push(m); input.isRaw = m; return input; };
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (c: Buffer) => chunks.push(c));
  return { input, output, shown: () => Buffer.concat(chunks).toString('utf8'), raw };
}

test('ttyPrompt: none without a TTY', () => {
  assert.equal(ttyPrompt({ input: new PassThrough() as TtyInput, output: new PassThrough() }), undefined);
});

test('ttyPrompt: reads without echo in raw mode, handles backspace, restores the mode', async () => {
  const t = fakeTty();
  const prompt = ttyPrompt({ input: t.input, output: t.output });
  assert.ok(prompt);
  const p = prompt({ role: 'targets', label: 'repository', keyId: 'abcdef0123', createNew: false, attempt: 0 });
  t.input.write('secrex\u007ft\r');
  assert.equal(await p, 'secret');
  assert.match(t.shown(), /Enter passphrase for repository key with ID abcdef0: /);
  assert.ok(!t.shown().includes('secre'), 'nothing typed is echoed');
  assert.deepEqual(t.raw, [true, false]);
});

test('ttyPrompt: a new key is asked twice; mismatch and too short are refused; Ctrl-C cancels', async () => {
  const req = { role: 'root', label: 'root', createNew: true, attempt: 0 };
  let t = fakeTty();
  let prompt = ttyPrompt({ input: t.input, output: t.output })!;
  let p = prompt(req);
  t.input.write('long-enough-1\n');
  setImmediate(() => t.input.write('long-enough-1\n'));
  assert.equal(await p, 'long-enough-1');
  assert.match(t.shown(), /Enter passphrase for new root key: [\s\S]*Repeat passphrase for new root key: /);

  t = fakeTty();
  prompt = ttyPrompt({ input: t.input, output: t.output })!;
  p = prompt(req);
  t.input.write('long-enough-1\n');
  setImmediate(() => t.input.write('long-enough-2\n'));
  await assert.rejects(p, /do not match/);

  t = fakeTty();
  prompt = ttyPrompt({ input: t.input, output: t.output })!;
  p = prompt(req);
  t.input.write('short\n');
  await assert.rejects(p, /too short/);

  t = fakeTty();
  prompt = ttyPrompt({ input: t.input, output: t.output })!;
  p = prompt({ ...req, createNew: false });
  t.input.write('abc\u0003');
  await assert.rejects(p, code('NO_PASSPHRASE'));
});

test('terminalPassphraseSource: variables first, then the terminal, and NO_PASSPHRASE without a TTY', async () => {
  const noTty = terminalPassphraseSource({}, { input: new PassThrough() as TtyInput, output: new PassThrough(), names: 'notary' });
  await assert.rejects(noTty.get({ role: 'snapshot', createNew: false, attempt: 0 }), /NOTARY_SNAPSHOT_PASSPHRASE/);
  const t = fakeTty();
  const s = terminalPassphraseSource({ NOTARY_ROOT_PASSPHRASE: 'from-env' }, { input: t.input, output: t.output });
  assert.equal((await s.get({ role: 'root', createNew: false, attempt: 0 })).value, 'from-env');
  const p = s.get({ role: 'targets', createNew: false, attempt: 0 });
  t.input.write('typed-pass\n');
  assert.deepEqual(await p, { value: 'typed-pass', from: 'prompt', final: false });
});
