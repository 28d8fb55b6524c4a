// vouch server for the interop suites: HTTPS with the peers' throw-away CA, started in-process from a
// notary-server style config, and the real notary 0.7 CLI pointed at it. A missing tool is a failure.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, runServer, type RunningServer } from '../../src/server/index.js';
import { projectRoot } from './paths.js';
import { makePeerCerts } from './pki.js';
import { run, type Peers, type RunResult } from './peers.js';

export function need(bin: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'pipe' });
  } catch {
    throw new Error(`${bin} is not installed (run scripts/install-deps.sh): the interop suite requires it`);
  }
}

export const PASS = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase-1',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase-1',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase-1',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase-1',
};

export const HEX_A = 'a'.repeat(64);
export const HEX_B = '0123456789abcdef'.repeat(4);

/** A work dir with the CA and the server certificate vouch server uses. */
export interface Ctx {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

/** The certs of a peers dir (makePeerCerts made them). */
export function peersCtx(dir: string): Ctx {
  const certs = join(dir, 'certs');
  return { dir, ca: join(certs, 'ca.crt'), cert: join(certs, 'notary-server.crt'), key: join(certs, 'notary-server.key') };
}

/** A fresh dir with the peers' test certificates. */
export async function setup(): Promise<Ctx> {
  need('notary');
  need('openssl');
  const dir = await mkdtemp(join(tmpdir(), 'vouch-server-interop-'));
  await makePeerCerts(dir);
  return peersCtx(dir);
}

/** vouch server on a free loopback port with `storage` (memory, sqlite:PATH, postgres://…) and extra config.json sections. */
export async function start(ctx: Ctx, storage: string, extra: Record<string, unknown> = {}): Promise<RunningServer> {
  const cfgFile = join(ctx.dir, `server-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(cfgFile, JSON.stringify({
    server: { http_addr: '127.0.0.1:0', tls_cert_file: ctx.cert, tls_key_file: ctx.key },
    trust_service: { type: 'local', key_algorithm: 'ecdsa' },
    logging: { level: 'warn' },
    ...extra,
  }));
  const cfg = loadServerConfig({ file: cfgFile, cwd: ctx.dir, env: {}, readFile: (p) => execFileSync('cat', [p]).toString('utf8'), overrides: { storage } });
  return runServer(cfg, { handleSignals: false, logger: false });
}

/** `vouch server` in a process of its own (`node bin/vouch.js server ARGS`), as users start it. */
export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9): no shutdown code runs; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Whether the process is still running. */
  alive(): boolean;
}

/** Starts `node bin/vouch.js server ARGS` (or another serving `command`) and waits for "listening on URL" (rejects with its output, `code` and `stderr`, if it exits first). */
export function spawnServer(args: string[], env: Record<string, string>, command: 'server' | 'admission' = 'server'): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'vouch.js'), command, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let running = true;
  child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { running = false; resolve(code); }));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = new RegExp(`vouch ${command} listening on (\\S+)`).exec(stderr);
      if (m) {
        resolve({
          child, url: m[1]!, stdout: () => stdout, stderr: () => stderr, alive: () => running,
          stop: async () => { child.kill('SIGTERM'); return exited; },
          kill: async () => { child.kill('SIGKILL'); await exited; },
        });
      }
    });
    void exited.then((code) => reject(Object.assign(new Error(`vouch ${command} exited (${code}) before listening:\n${stdout}\n${stderr}`), { code, stderr })));
  });
}

/** The config.json `auth` section of notary-server behind the peers' token server. */
export function tokenAuth(peers: Peers): Record<string, unknown> {
  return { auth: { type: 'token', options: { realm: peers.tokenRealm, service: 'notary-server', issuer: 'peers-token-issuer', rootcertbundle: join(peers.dir, 'certs', 'token.crt') } } };
}

/** The notary CLI on `server` (by name, as its certificate says) with `trustDir`; `env` adds e.g. NOTARY_AUTH. */
export function notary(ctx: Ctx, server: RunningServer | string, trustDir: string, env: Record<string, string | undefined> = {}) {
  const url = typeof server === 'string' ? server : server.url;
  return async (args: string[], input?: string): Promise<RunResult> => run('notary', ['-s', url.replace('127.0.0.1', 'localhost'), '-d', trustDir, '--tlscacert', ctx.ca, ...args], {
    env: { ...PASS, HOME: ctx.dir, ...env },
    input,
    timeoutMs: 60_000,
  });
}

/** Asserts exit 0; returns stdout and stderr. */
export function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Rows of `notary list`: name → [digest, size, role]. */
export function listed(out: string): Map<string, [string, string, string]> {
  const m = new Map<string, [string, string, string]>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && /^[0-9a-f]{64}$/.test(f[1]!)) m.set(f[0]!, [f[1]!, f[2]!, f[3]!]);
  }
  return m;
}

/** One HTTPS request with the exact path given (no URL normalisation). */
export function rawRequest(base: string, ca: Buffer, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: u.hostname, port: u.port, method, path, headers, ca, servername: 'localhost' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
