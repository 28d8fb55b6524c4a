// Test harness for node:test suites that drives the shared peers scripts (../shared/peers):
// real notary-server + notary-signer, docker-registry, the token server stub, the notary CLI
// and the Docker CLI, all on loopback, each run in its own fresh PEERS_DIR with free ports.
//
//   const peers = await startPeers({ registry: true, notary: { keyAlgorithm: 'ed25519' } });
//   after(() => peers.stop());
//   const img = await peers.makeImage('demo/app', '1.0');
//   const r = await peers.notary(['init', '-p', peers.gun('demo/app')]);
//
// A missing binary is a failure (never a skip): install.sh runs first and every binary the
// requested peers need is checked afterwards.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { peersDir } from './paths.js';

export const PEERS_HOST = '127.0.0.1';
/** Passphrase the wrapper scripts give notary and docker for every key. */
export const PEERS_PASSPHRASE = 'peers-test-passphrase';

export interface RegistryOptions {
  tls?: boolean;
  auth?: 'none' | 'htpasswd' | 'token';
  user?: string;
  password?: string;
}

export interface NotaryOptions {
  trustService?: 'remote' | 'local';
  keyAlgorithm?: 'ecdsa' | 'rsa' | 'ed25519';
  storage?: 'memory' | 'postgres';
  auth?: 'none' | 'token';
  gunPrefixes?: string[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface TokenServerOptions {
  /** "user:pass,user2:pass2"; default testuser:testpassword. */
  users?: string;
  anonymousPull?: boolean;
  grant?: 'all' | 'pull';
}

export interface PeersOptions {
  registry?: boolean | RegistryOptions;
  notary?: boolean | NotaryOptions;
  tokenServer?: boolean | TokenServerOptions;
  /** Require a docker CLI (install.sh with PEERS_INSTALL_DOCKER=1). */
  docker?: boolean;
  /** Extra environment for every script run. */
  env?: Record<string, string>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
}

export interface NotaryRunOptions extends RunOptions {
  /** Client trust dir (NOTARY_TRUST_DIR); default $PEERS_DIR/notary-client/trust. */
  trustDir?: string;
}

export interface DockerRunOptions extends RunOptions {
  /** Docker CLI binary; default `docker` on PATH (28.x here; Debian's 20.10 is /usr/bin/docker). */
  bin?: string;
  /** DOCKER_CONFIG (its trust dir is <config>/trust); default $PEERS_DIR/docker. */
  config?: string;
}

export interface ImageInfo {
  ref: string;
  repo: string;
  tag: string;
  digest: string;
  sha256: string;
  size: number;
  mediaType: string;
  layout: string;
  /** Exact manifest bytes (as served by the registry when pushed). */
  manifestPath: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Peers {
  /** The run's PEERS_DIR (fresh, removed by stop()). */
  dir: string;
  host: string;
  ports: { registry: number; notaryServer: number; notarySigner: number; token: number; postgres: number };
  /** Environment given to every script (PEERS_DIR, ports, NOTARY_URL, NOTARY_CA, ...). */
  env: Record<string, string>;
  /** CA that signed every peer's TLS certificate. */
  ca: string;
  registryUrl?: string;
  /** host:port of the registry, the prefix of every GUN. */
  registryHost?: string;
  notaryUrl?: string;
  tokenRealm?: string;
  /** GUN for a repository in this run's registry: "127.0.0.1:PORT/<repo>". */
  gun(repo: string): string;
  notary(args: string[], opts?: NotaryRunOptions): Promise<RunResult>;
  docker(args: string[], opts?: DockerRunOptions): Promise<RunResult>;
  /** HTTPS request to notary-server (path like `/v2/<gun>/_trust/tuf/root.json`), trusting the peers CA. */
  notaryGet(path: string, opts?: { method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<HttpResult>;
  /** Run any peers script (e.g. 'stop.sh', ['notary-server']). */
  script(name: string, args?: string[], opts?: RunOptions): Promise<RunResult>;
  /** make-image.sh: push to this run's registry (default), or only build the layout with `push: false`. */
  makeImage(repo: string, tag?: string, content?: string, opts?: { format?: 'oci' | 'v2s2'; push?: boolean }): Promise<ImageInfo>;
  stop(): Promise<void>;
}

const running = new Set<Peers>();

/** Runs a command; never rejects on a non-zero exit (see `code`), only on spawn failure. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
    const child = spawn(cmd, args, { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n[killed by ${signal}]` : ''),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Free loopback TCP ports: bind port 0 (all at once, so they are distinct), then release. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<Server>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, PEERS_HOST, () => res(s));
    })),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('peers: no port from listen(0)');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((res) => s.close(() => res()))));
  return ports;
}

function onPath(bin: string): boolean {
  if (bin.includes('/')) return existsSync(bin);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, bin)));
}

function fail(what: string, r: RunResult): never {
  throw new Error(`peers: ${what} failed (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const opt = <T extends object>(v: boolean | T | undefined): T | undefined =>
  v === undefined || v === false ? undefined : v === true ? ({} as T) : v;

/** Starts the requested peers in a fresh PEERS_DIR on free loopback ports. */
export async function startPeers(opts: PeersOptions = {}): Promise<Peers> {
  const reg = opt<RegistryOptions>(opts.registry);
  const not = opt<NotaryOptions>(opts.notary);
  const tok = opt<TokenServerOptions>(opts.tokenServer);
  const needToken = tok !== undefined || reg?.auth === 'token' || not?.auth === 'token';
  const postgres = not?.storage === 'postgres';

  if (!existsSync(join(peersDir, 'install.sh'))) throw new Error(`peers: harness not found at ${peersDir} (set VOUCH_PEERS_HOME)`);
  const installEnv: Record<string, string> = {};
  if (opts.docker) installEnv.PEERS_INSTALL_DOCKER = '1';
  if (postgres) installEnv.PEERS_INSTALL_POSTGRES = '1';
  const inst = await run('bash', [join(peersDir, 'install.sh')], { env: installEnv, timeoutMs: 900_000 });
  if (inst.code !== 0) fail('install.sh (apt-get of the peers; needs root or sudo and a Debian mirror)', inst);
  const bins = ['openssl', 'jq', 'curl'];
  if (reg) bins.push('docker-registry', 'skopeo');
  if (not) bins.push('notary-server', 'notary', ...(not.trustService === 'local' ? [] : ['notary-signer']));
  if (postgres) bins.push('psql');
  if (needToken) bins.push('node');
  if (opts.docker) bins.push('docker');
  const missing = bins.filter((b) => !onPath(b));
  if (missing.length > 0) throw new Error(`peers: required binaries missing after install.sh: ${missing.join(', ')} (this is a failure, not a skip)`);

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'vouch-peers-'));
    const [registry, notaryServer, notarySigner, token, pg] = (await freePorts(5)) as [number, number, number, number, number];
    const env: Record<string, string> = {
      PEERS_DIR: dir,
      PEERS_HOST,
      REGISTRY_PORT: String(registry),
      NOTARY_SERVER_PORT: String(notaryServer),
      NOTARY_SIGNER_PORT: String(notarySigner),
      TOKEN_PORT: String(token),
      PG_PORT: String(pg),
      ...opts.env,
    };
    const peers = makeHandle(dir, env, { registry, notaryServer, notarySigner, token, postgres: pg });
    running.add(peers);
    try {
      await startAll(peers, reg, not, tok, needToken);
      return peers;
    } catch (e) {
      lastError = e;
      await peers.stop();
      // a port picked as free can be taken before the daemon binds it: retry on fresh ports
      if (!(e instanceof Error && /already in use|exited during start-up|did not listen/.test(e.message))) throw e;
    }
  }
  throw lastError;
}

async function startAll(p: Peers, reg?: RegistryOptions, not?: NotaryOptions, tok?: TokenServerOptions, needToken = false): Promise<void> {
  const ok = async (name: string, env: Record<string, string> = {}): Promise<string[]> => {
    const r = await p.script(name, [], { env, timeoutMs: 180_000 });
    if (r.code !== 0) fail(name, r);
    return r.stdout.trim().split('\n');
  };
  if (needToken) {
    const t = tok ?? {};
    const env: Record<string, string> = {};
    if (t.users !== undefined) env.TOKEN_USERS = t.users;
    if (t.anonymousPull !== undefined) env.TOKEN_ANONYMOUS_PULL = t.anonymousPull ? '1' : '0';
    if (t.grant) env.TOKEN_GRANT = t.grant;
    p.tokenRealm = (await ok('start-token-server.sh', env))[0];
  }
  if (reg) {
    const env: Record<string, string> = { REGISTRY_TLS: reg.tls ? '1' : '0', REGISTRY_AUTH: reg.auth ?? 'none' };
    if (reg.user) env.REGISTRY_USER = reg.user;
    if (reg.password) env.REGISTRY_PASSWORD = reg.password;
    Object.assign(p.env, env); // make-image.sh needs REGISTRY_AUTH and the credentials too
    await ok('start-registry.sh', env);
    const re = parseEnvFile(await readFile(join(p.dir, 'registry.env'), 'utf8'));
    p.registryUrl = re.REGISTRY_URL;
    p.registryHost = re.REGISTRY_HOSTPORT;
  }
  if (not) {
    const env: Record<string, string> = {
      NOTARY_TRUST_SERVICE: not.trustService ?? 'remote',
      NOTARY_KEY_ALGORITHM: not.keyAlgorithm ?? 'ecdsa',
      NOTARY_STORAGE: not.storage ?? 'memory',
      NOTARY_AUTH: not.auth ?? 'none',
      NOTARY_GUN_PREFIXES: (not.gunPrefixes ?? []).join(','),
      NOTARY_LOG_LEVEL: not.logLevel ?? 'info',
    };
    await ok('start-notary.sh', env);
    const ne = parseEnvFile(await readFile(join(p.dir, 'notary.env'), 'utf8'));
    p.notaryUrl = ne.NOTARY_URL;
    if (ne.NOTARY_URL) p.env.NOTARY_URL = ne.NOTARY_URL;
    if (ne.NOTARY_CA) p.env.NOTARY_CA = ne.NOTARY_CA;
  }
}

function makeHandle(dir: string, env: Record<string, string>, ports: Peers['ports']): Peers {
  let stopped = false;
  const p: Peers = {
    dir,
    host: PEERS_HOST,
    ports,
    env,
    ca: join(dir, 'certs', 'ca.crt'),
    gun(repo) {
      return `${p.registryHost ?? `${PEERS_HOST}:${ports.registry}`}/${repo}`;
    },
    notaryGet(path, o = {}) {
      if (!p.notaryUrl) return Promise.reject(new Error('peers: notary was not started'));
      const url = new URL(path, p.notaryUrl);
      const ca = readFileSync(p.ca);
      return new Promise((res, rej) => {
        const req = request(url, { method: o.method ?? 'GET', headers: o.headers, ca }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
          r.on('error', rej);
        });
        req.on('error', rej);
        req.end(o.body);
      });
    },
    script(name, args = [], o = {}) {
      return run('bash', [join(peersDir, name), ...args], { ...o, env: { ...p.env, ...o.env } });
    },
    notary(args, o = {}) {
      return p.script('notary-client.sh', args, { ...o, env: { ...(o.trustDir ? { NOTARY_TRUST_DIR: o.trustDir } : {}), ...o.env } });
    },
    docker(args, o = {}) {
      const env: Record<string, string | undefined> = { ...o.env };
      if (o.bin) env.DOCKER_BIN = o.bin;
      if (o.config) env.DOCKER_CONFIG = o.config;
      return p.script('docker-trust.sh', args, { ...o, env });
    },
    async makeImage(repo, tag = '1.0', content, o = {}) {
      const args = content === undefined ? [repo, tag] : [repo, tag, content];
      const env: Record<string, string> = { IMAGE_PUSH: o.push === false ? '0' : '1' };
      if (o.format) env.IMAGE_FORMAT = o.format;
      const r = await p.script('make-image.sh', args, { env, timeoutMs: 180_000 });
      if (r.code !== 0) fail(`make-image.sh ${args.join(' ')}`, r);
      const layout = join(dir, 'images', `${repo.replaceAll('/', '_')}-${tag}`);
      const e = parseEnvFile(await readFile(join(layout, 'image.env'), 'utf8'));
      const size = Number(e.MANIFEST_SIZE);
      if (!e.MANIFEST_DIGEST || !e.MANIFEST_SHA256 || !Number.isSafeInteger(size)) throw new Error(`peers: bad image.env in ${layout}`);
      return {
        ref: e.IMAGE_REF ?? '',
        repo,
        tag,
        digest: e.MANIFEST_DIGEST,
        sha256: e.MANIFEST_SHA256,
        size,
        mediaType: e.MANIFEST_MEDIA_TYPE ?? '',
        layout,
        manifestPath: o.push === false ? join(layout, 'blobs', 'sha256', e.MANIFEST_SHA256) : join(layout, 'pushed-manifest.json'),
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(p);
      const r = await p.script('stop.sh', ['--purge'], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`peers: stop.sh --purge failed (exit ${r.code}): ${r.stderr}`);
    },
  };
  return p;
}

/** Stops the given peers, or every peers instance this process started. */
export async function stopPeers(peers?: Peers): Promise<void> {
  const list = peers ? [peers] : [...running];
  const errors: unknown[] = [];
  for (const p of list) {
    try { await p.stop(); } catch (e) { errors.push(e); }
  }
  if (errors.length > 0) throw errors[0];
}

/** Throws with the output unless the command exited 0; returns stdout. */
export function check(r: RunResult, what = 'command'): string {
  if (r.code !== 0) fail(what, r);
  return r.stdout;
}
