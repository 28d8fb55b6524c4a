// runServer: listens, serves, and on SIGTERM closes the server and the store and lets the process end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { VouchError } from '../../../src/core/index.js';
import { loadServerConfig, runServer } from '../../../src/server/index.js';
import { openStore } from '../../../src/storage/index.js';
import { projectRoot } from '../../support/paths.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

test('runServer serves, then shuts down gracefully on SIGTERM (exit code 0, store closed)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-run-'));
  try {
    const script = join(dir, 'main.mts');
    const entry = pathToFileURL(join(projectRoot, 'src', 'server', 'index.ts')).href;
    await writeFile(script, `
      import { loadServerConfig, runServer } from ${JSON.stringify(entry)};
      const cfg = loadServerConfig({ cwd: ${JSON.stringify(dir)}, readFile: () => { throw new Error('no file'); }, overrides: { addr: '127.0.0.1:0', storage: 'memory', logLevel: 'info' } });
      const s = await runServer(cfg);
      s.closed.then(() => process.stderr.write('CLOSED\\n'));
      process.stderr.write('URL ' + s.url + '\\n');
    `);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /URL (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
    });
    const health = await get(`${url}/_notary_server/health`);
    assert.deepEqual(health, { status: 200, body: '{}' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /CLOSED/);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; signal?: string });
    assert.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'), stdout);
    assert.ok(lines.some((l) => l.msg === 'vouch server started'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('runServer checks the key secret at start-up: a wrong one fails at once with a hint about the secret; the right one starts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-run-secret-'));
  try {
    const storage = `sqlite:${join(dir, 'server.db')}`;
    const cfg = (keySecret: string) => loadServerConfig({ cwd: dir, readFile: () => { throw new Error('no file'); }, overrides: { addr: '127.0.0.1:0', storage, keySecret, logLevel: 'silent' } });
    const store = await openStore(storage, { keySecret: 'the-right-secret' });
    await store.keys.createKey('example.com/secret/app', 'timestamp');
    await store.close();
    await assert.rejects(runServer(cfg('a-wrong-secret'), { handleSignals: false, logger: false }), (err: VouchError) => {
      assert.equal(err.code, 'BAD_PASSPHRASE');
      assert.match(err.message, /server key secret does not open the keys in sqlite:.*wrong key secret/);
      assert.match(err.hint ?? '', /VOUCH_SERVER_KEY_SECRET/);
      return true;
    });
    const ok = await runServer(cfg('the-right-secret'), { handleSignals: false, logger: false });
    try {
      assert.deepEqual(await get(`${ok.url}/_notary_server/health`), { status: 200, body: '{}' });
    } finally {
      await ok.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
