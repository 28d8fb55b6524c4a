// The real peers vouch is tested against, started by the project itself on loopback: Debian's
// notary-server + notary-signer (notary 0.7), docker-registry (CNCF distribution 2.8), skopeo, the
// notary CLI and the docker CLI (no daemon), PostgreSQL for notary-server's storage, a token
// server of our own (token-server.ts) and a test PKI (pki.ts). Each run lives in a fresh directory
// on free ports; stop() ends exactly the processes it started.
//
//   const peers = await startPeers({ registry: true, notary: { keyAlgorithm: 'ed25519' } });
//   after(() => peers.stop());
//   const img = await peers.makeImage('demo/app', '1.0');
//   const r = await peers.notary(['init', '-p', peers.gun('demo/app')]);
//
// A missing binary is a failure (never a skip): scripts/install-deps.sh runs first and every binary
// the requested peers need is checked afterwards.
//
// Directory layout (tests rely on it): certs/ (ca.crt and NAME.crt/.key per peer), logs/NAME.log,
// registry/data (the registry's storage root), notary/{server,signer}-config.json, images/.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { buildImageLayout, pushedMediaType } from './image.js';
import { projectRoot } from './paths.js';
import { makePeerCerts } from './pki.js';
import { TOKEN_ISSUER, startTokenServer, type TokenServer } from './token-server.js';

export const PEERS_HOST = '127.0.0.1';
/** Passphrase the notary and docker wrappers give every key unless the caller sets one. */
export const PEERS_PASSPHRASE = 'peers-test-passphrase';
const DEFAULT_USER = 'testuser';
const DEFAULT_PASSWORD = 'testpassword';
const START_TIMEOUT_MS = 20_000;

export interface RegistryOptions {
  tls?: boolean;
  auth?: 'none' | 'htpasswd' | 'token';
  user?: string;
  password?: string;
}

export interface NotaryOptions {
  /** `remote`: keys in a notary-signer process (mutual TLS gRPC); `local`: in notary-server's memory. */
  trustService?: 'remote' | 'local';
  keyAlgorithm?: 'ecdsa' | 'rsa' | 'ed25519';
  /** notary-server's storage (the signer keeps its keys in memory either way). */
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
  /** Require a docker CLI. */
  docker?: boolean;
  /** Extra environment for every command the handle runs. */
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
  /** Client trust dir; default <dir>/notary-client/trust. */
  trustDir?: string;
}

export interface DockerRunOptions extends RunOptions {
  /** Docker CLI binary; default `docker` on PATH (28.x here; Debian's 20.10 is /usr/bin/docker). */
  bin?: string;
  /** DOCKER_CONFIG (its trust dir is <config>/trust); default <dir>/docker. */
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

export type PeerName = 'registry' | 'notary-server' | 'notary-signer' | 'token-server' | 'postgres';

export interface Peers {
  /** The run's directory (fresh, removed by stop()). */
  dir: string;
  host: string;
  ports: { registry: number; notaryServer: number; notarySigner: number; token: number; postgres: number };
  /** Environment given to every command (NOTARY_URL, NOTARY_CA once notary runs, plus PeersOptions.env). */
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
  /** The real notary CLI, configured for this run's notary-server (NOTARY_URL/NOTARY_CA in `env` point it elsewhere). */
  notary(args: string[], opts?: NotaryRunOptions): Promise<RunResult>;
  /** The docker CLI with content trust pointed at this run's notary-server and no daemon. */
  docker(args: string[], opts?: DockerRunOptions): Promise<RunResult>;
  /** HTTPS request to notary-server (path like `/v2/<gun>/_trust/tuf/root.json`), trusting the peers CA. */
  notaryGet(path: string, opts?: { method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<HttpResult>;
  /** Builds a small image and pushes it to this run's registry with skopeo (or only builds the layout with `push: false`). */
  makeImage(repo: string, tag?: string, content?: string, opts?: { format?: 'oci' | 'v2s2'; push?: boolean }): Promise<ImageInfo>;
  /** Stops the named peers (the others keep running). */
  stopPeer(...names: PeerName[]): Promise<void>;
  /** Stops everything and removes the directory. */
  stop(): Promise<void>;
}

const running = new Set<Peers>();
const children = new Set<ChildProcess>();
// A test process that ends without stop() must not leave daemons behind.
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function mergedEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs a command; never rejects on a non-zero exit (see `code`), only on spawn failure. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: mergedEnv(opts.env), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** Throws with the output unless the command exited 0; returns stdout. */
export function check(r: RunResult, what = 'command'): string {
  if (r.code !== 0) fail(what, r);
  return r.stdout;
}

function fail(what: string, r: RunResult): never {
  throw new Error(`peers: ${what} failed (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once something accepts TCP connections on host:port; rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port }, () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`peers: nothing listens on ${host}:${port} after ${timeoutMs} ms (did not listen)`);
    await sleep(100);
  }
}

function onPath(bin: string): boolean {
  if (bin.includes('/')) return existsSync(bin);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, bin)));
}

/** A GET (or other method) over http(s), trusting `ca`; the body is read whole (test peers only). */
export function httpRequestTo(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; ca?: Buffer } = {}): Promise<HttpResult> {
  const u = new URL(url);
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(u, { method: opts.method ?? 'GET', headers: opts.headers, ...(opts.ca ? { ca: opts.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.setTimeout(30_000, () => r.destroy(new Error(`peers: ${url} did not answer in 30 s`)));
    r.on('error', reject);
    r.end(opts.body);
  });
}

// ------------------------------------------------------------------------------------------------
// Daemons

interface Daemon {
  name: PeerName;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Starts `cmd` with its output in logs/NAME.log; `ready` resolves when it serves. */
async function startDaemon(dir: string, name: PeerName, cmd: string, args: string[], env: Record<string, string>, ready: () => Promise<void>): Promise<Daemon> {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logPath = join(dir, 'logs', `${name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(cmd, args, { env, cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => { exitCode = code ?? (signal ? 128 : 1); children.delete(child); resolve(); });
    child.on('error', () => { exitCode = 127; children.delete(child); resolve(); });
  });
  const logTail = (): string => { try { return readFileSync(logPath, 'utf8').slice(-3000); } catch { return ''; } };
  try {
    await Promise.race([
      ready(),
      exited.then(() => { throw new Error(`peers: ${name} exited during start-up (exit ${String(exitCode)}); log:\n${logTail()}`); }),
    ]);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    const msg = e instanceof Error ? e.message : String(e);
    // "address already in use" in the log means a port picked as free was taken meanwhile
    throw new Error(/address already in use/.test(logTail()) ? `${msg}\n(address already in use)` : `${msg}\nlog:\n${logTail()}`);
  }
  return { name, child, exited };
}

async function stopDaemon(d: Daemon): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  d.child.kill('SIGTERM');
  const killed = await Promise.race([d.exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!killed) { d.child.kill('SIGKILL'); await d.exited; }
}

// ------------------------------------------------------------------------------------------------
// notary-server's PostgreSQL schema: notary 0.7 reads and writes these tables but creates none
// (upstream applies migrations/server/postgresql/*.sql; columns from server/storage/sql_models.go).

const NOTARY_SERVER_SCHEMA = `
CREATE TABLE tuf_files (
  id serial PRIMARY KEY,
  created_at timestamp, updated_at timestamp, deleted_at timestamp,
  gun varchar(255) NOT NULL, role varchar(255) NOT NULL, version integer NOT NULL,
  data bytea NOT NULL, sha256 char(64),
  UNIQUE (gun, role, version)
);
CREATE INDEX tuf_files_sha256 ON tuf_files (sha256);
CREATE TABLE change_category (category varchar(20) PRIMARY KEY);
INSERT INTO change_category VALUES ('update'), ('deletion');
CREATE TABLE changefeed (
  id serial PRIMARY KEY,
  created_at timestamp DEFAULT CURRENT_TIMESTAMP,
  gun varchar(255) NOT NULL, version integer NOT NULL, sha256 char(64),
  category varchar(20) NOT NULL DEFAULT 'update' REFERENCES change_category
);
CREATE INDEX changefeed_gun ON changefeed (gun);
`;

// ------------------------------------------------------------------------------------------------
// Clients: the notary and docker CLIs, configured for a run's notary-server

function notaryEndpoint(dir: string, env: Record<string, string | undefined>): { url: string; ca: string } {
  const url = env.NOTARY_URL;
  if (url === undefined || url === '') throw new Error('peers: no notary-server in this run and no NOTARY_URL given');
  return { url, ca: env.NOTARY_CA ?? join(dir, 'certs', 'ca.crt') };
}

/** The real notary CLI with a generated `-c` config; passphrases default to PEERS_PASSPHRASE so it never prompts. */
export async function runNotaryCli(dir: string, baseEnv: Record<string, string>, args: string[], o: NotaryRunOptions = {}): Promise<RunResult> {
  const env = mergedEnv({ ...baseEnv, ...o.env });
  const { url, ca } = notaryEndpoint(dir, env);
  const trustDir = o.trustDir ?? env.NOTARY_TRUST_DIR ?? join(dir, 'notary-client', 'trust');
  for (const v of ['NOTARY_ROOT_PASSPHRASE', 'NOTARY_TARGETS_PASSPHRASE', 'NOTARY_SNAPSHOT_PASSPHRASE', 'NOTARY_DELEGATION_PASSPHRASE']) env[v] ??= PEERS_PASSPHRASE;
  await mkdir(trustDir, { recursive: true });
  const config = join(dir, 'notary-client', `config-${createHash('sha256').update(`${trustDir}\n${url}\n${ca}`).digest('hex').slice(0, 16)}.json`);
  await mkdir(join(dir, 'notary-client'), { recursive: true });
  await writeFile(config, JSON.stringify({ trust_dir: trustDir, remote_server: { url, root_ca: ca } }));
  return run('notary', ['-c', config, ...args], { ...o, env });
}

/**
 * The docker CLI with DOCKER_CONTENT_TRUST_SERVER at the run's notary-server, its CA in
 * $DOCKER_CONFIG/tls/<host:port>/ca.crt, and DOCKER_HOST at a socket nobody listens on.
 */
export async function runDockerCli(dir: string, baseEnv: Record<string, string>, args: string[], o: DockerRunOptions = {}): Promise<RunResult> {
  const env = mergedEnv({ ...baseEnv, ...o.env });
  const { url, ca } = notaryEndpoint(dir, env);
  const config = o.config ?? env.DOCKER_CONFIG ?? join(dir, 'docker');
  const tlsDir = join(config, 'tls', new URL(url).host);
  await mkdir(tlsDir, { recursive: true });
  await copyFile(ca, join(tlsDir, 'ca.crt'));
  if (!existsSync(join(config, 'config.json'))) await writeFile(join(config, 'config.json'), '{}');
  env.DOCKER_CONFIG = config;
  env.DOCKER_CONTENT_TRUST_SERVER = url;
  env.DOCKER_HOST = `unix://${join(config, 'no-daemon.sock')}`;
  env.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE ??= PEERS_PASSPHRASE;
  env.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE ??= PEERS_PASSPHRASE;
  return run(o.bin ?? env.DOCKER_BIN ?? 'docker', args, { ...o, env });
}

// ------------------------------------------------------------------------------------------------
// startPeers

const opt = <T extends object>(v: boolean | T | undefined): T | undefined =>
  v === undefined || v === false ? undefined : v === true ? ({} as T) : v;

/** Installs what is missing (scripts/install-deps.sh, apt-get) and checks every binary `bins`. */
export async function ensurePeerBinaries(bins: string[]): Promise<void> {
  const inst = await run('bash', [join(projectRoot, 'scripts', 'install-deps.sh')], { timeoutMs: 900_000 });
  if (inst.code !== 0) fail('scripts/install-deps.sh (apt-get of the peers; needs root or sudo and a Debian mirror)', inst);
  const missing = bins.filter((b) => !onPath(b));
  if (missing.length > 0) throw new Error(`peers: required binaries missing after scripts/install-deps.sh: ${missing.join(', ')} (this is a failure, not a skip)`);
}

/** Starts the requested peers in a fresh directory on free loopback ports. */
export async function startPeers(opts: PeersOptions = {}): Promise<Peers> {
  const reg = opt<RegistryOptions>(opts.registry);
  const not = opt<NotaryOptions>(opts.notary);
  const tok = opt<TokenServerOptions>(opts.tokenServer);
  const needToken = tok !== undefined || reg?.auth === 'token' || not?.auth === 'token';

  const bins = ['openssl'];
  if (reg) bins.push('docker-registry', 'skopeo');
  if (reg?.auth === 'htpasswd') bins.push('htpasswd');
  if (not) bins.push('notary-server', 'notary', ...(not.trustService === 'local' ? [] : ['notary-signer']));
  if (not?.storage === 'postgres') bins.push('psql');
  if (opts.docker) bins.push('docker');
  await ensurePeerBinaries(bins);

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'vouch-peers-'));
    const [registry, notaryServer, notarySigner, token, pg] = (await freePorts(5)) as [number, number, number, number, number];
    const peers = makeHandle(dir, { ...opts.env }, { registry, notaryServer, notarySigner, token, postgres: pg });
    running.add(peers);
    try {
      await makePeerCerts(dir);
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

interface Internals {
  daemons: Map<PeerName, Daemon>;
  token?: TokenServer;
  pgDir?: string;
  /** user:password that makeImage pushes with (htpasswd or token auth). */
  registryCredentials?: string;
}
const internals = new WeakMap<Peers, Internals>();

async function startAll(p: Peers, reg?: RegistryOptions, not?: NotaryOptions, tok?: TokenServerOptions, needToken = false): Promise<void> {
  const st = internals.get(p) as Internals;
  const certs = join(p.dir, 'certs');
  const tokenAuth = (service: string): Record<string, string> => ({
    realm: p.tokenRealm as string, service, issuer: TOKEN_ISSUER, rootcertbundle: join(certs, 'token.crt'),
  });
  if (needToken) {
    st.token = await startTokenServer(p.dir, p.ports.token, {
      users: tok?.users ?? `${DEFAULT_USER}:${DEFAULT_PASSWORD}`,
      anonymousPull: tok?.anonymousPull ?? true,
      grant: tok?.grant ?? 'all',
    });
    p.tokenRealm = st.token.realm;
  }
  if (reg) await startRegistry(p, st, reg, tokenAuth);
  if (not) await startNotary(p, st, not, tokenAuth);
}

async function startRegistry(p: Peers, st: Internals, reg: RegistryOptions, tokenAuth: (service: string) => Record<string, string>): Promise<void> {
  const rdir = join(p.dir, 'registry');
  await mkdir(join(rdir, 'data'), { recursive: true });
  const certs = join(p.dir, 'certs');
  // docker-registry's configuration (https://distribution.github.io/distribution/about/configuration/),
  // written as JSON, which its YAML parser reads.
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(rdir, 'data') }, delete: { enabled: true } },
    http: { addr: `${PEERS_HOST}:${p.ports.registry}`, ...(reg.tls ? { tls: { certificate: join(certs, 'registry.crt'), key: join(certs, 'registry.key') } } : {}) },
  };
  if (reg.auth === 'htpasswd') {
    const pw = await run('htpasswd', ['-Bbn', reg.user ?? DEFAULT_USER, reg.password ?? DEFAULT_PASSWORD]);
    await writeFile(join(rdir, 'htpasswd'), check(pw, 'htpasswd'));
    config.auth = { htpasswd: { realm: 'vouch-test-registry', path: join(rdir, 'htpasswd') } };
  } else if (reg.auth === 'token') {
    config.auth = { token: tokenAuth('registry') };
  }
  const configPath = join(rdir, 'config.yml');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  // docker-registry reads REGISTRY_* variables as overrides of its configuration: pass none.
  const env = mergedEnv();
  for (const k of Object.keys(env)) if (k.startsWith('REGISTRY_')) delete env[k];
  const scheme = reg.tls ? 'https' : 'http';
  const url = `${scheme}://${PEERS_HOST}:${p.ports.registry}`;
  const ca = await readFile(p.ca);
  st.daemons.set('registry', await startDaemon(p.dir, 'registry', 'docker-registry', ['serve', configPath], env, async () => {
    await waitForPort(PEERS_HOST, p.ports.registry);
    const r = await httpRequestTo(`${url}/v2/`, { ca });
    if (r.status !== 200 && r.status !== 401) throw new Error(`peers: registry answered ${r.status} on /v2/`);
  }));
  p.registryUrl = url;
  p.registryHost = `${PEERS_HOST}:${p.ports.registry}`;
  st.registryCredentials = reg.auth === undefined || reg.auth === 'none' ? undefined : `${reg.user ?? DEFAULT_USER}:${reg.password ?? DEFAULT_PASSWORD}`;
}

async function startNotary(p: Peers, st: Internals, not: NotaryOptions, tokenAuth: (service: string) => Record<string, string>): Promise<void> {
  const ndir = join(p.dir, 'notary');
  await mkdir(ndir, { recursive: true });
  const certs = join(p.dir, 'certs');
  const level = not.logLevel ?? 'info';
  const keyAlgorithm = not.keyAlgorithm ?? 'ecdsa';
  let storage: Record<string, string> = { backend: 'memory' };
  if (not.storage === 'postgres') {
    st.pgDir = join(p.dir, 'pg');
    const url = check(await run('bash', [join(projectRoot, 'scripts', 'postgres.sh'), 'start', st.pgDir, String(p.ports.postgres)], { timeoutMs: 120_000 }), 'scripts/postgres.sh start').trim();
    // a private cluster for this run: notary-server's tables go in its database
    check(await run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q'], { input: NOTARY_SERVER_SCHEMA }), 'notary-server schema');
    storage = { backend: 'postgres', db_url: `${url}?sslmode=disable` };
  }
  // Configurations as in notary's docs/reference/server-config.md and signer-config.md.
  let trustService: Record<string, string> = { type: 'local', key_algorithm: keyAlgorithm };
  if (not.trustService !== 'local') {
    const signerConfig = join(ndir, 'signer-config.json');
    await writeFile(signerConfig, JSON.stringify({
      server: {
        grpc_addr: `${PEERS_HOST}:${p.ports.notarySigner}`,
        tls_cert_file: join(certs, 'notary-signer.crt'),
        tls_key_file: join(certs, 'notary-signer.key'),
        // mutual TLS: only holders of a certificate from the test CA (notary-server) may sign
        client_ca_file: join(certs, 'ca.crt'),
      },
      logging: { level },
      storage: { backend: 'memory' },
    }, null, 2));
    st.daemons.set('notary-signer', await startDaemon(p.dir, 'notary-signer', 'notary-signer', ['-config', signerConfig], mergedEnv(),
      () => waitForPort(PEERS_HOST, p.ports.notarySigner)));
    trustService = {
      type: 'remote', hostname: PEERS_HOST, port: String(p.ports.notarySigner), key_algorithm: keyAlgorithm,
      tls_ca_file: join(certs, 'ca.crt'), tls_client_cert: join(certs, 'notary-server.crt'), tls_client_key: join(certs, 'notary-server.key'),
    };
  }
  const serverConfig = join(ndir, 'server-config.json');
  await writeFile(serverConfig, JSON.stringify({
    server: { http_addr: `${PEERS_HOST}:${p.ports.notaryServer}`, tls_cert_file: join(certs, 'notary-server.crt'), tls_key_file: join(certs, 'notary-server.key') },
    trust_service: trustService,
    storage,
    logging: { level },
    ...(not.auth === 'token' ? { auth: { type: 'token', options: tokenAuth('notary-server') } } : {}),
    ...(not.gunPrefixes && not.gunPrefixes.length > 0 ? { repositories: { gun_prefixes: not.gunPrefixes } } : {}),
  }, null, 2));
  const url = `https://${PEERS_HOST}:${p.ports.notaryServer}`;
  const ca = await readFile(p.ca);
  st.daemons.set('notary-server', await startDaemon(p.dir, 'notary-server', 'notary-server', ['-config', serverConfig], mergedEnv(), async () => {
    await waitForPort(PEERS_HOST, p.ports.notaryServer);
    // healthy once it reaches its signer and storage
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const r = await httpRequestTo(`${url}/_notary_server/health`, { ca }).catch(() => undefined);
      if (r?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`peers: notary-server is not healthy after ${START_TIMEOUT_MS} ms (last: ${r ? `${r.status} ${r.body.toString()}` : 'no answer'})`);
      await sleep(100);
    }
  }));
  p.notaryUrl = url;
  p.env.NOTARY_URL = url;
  p.env.NOTARY_CA = p.ca;
}

/** Pushes the layout to the run's registry with skopeo and returns the manifest the registry serves for it. */
async function pushWithSkopeo(p: Peers, creds: string | undefined, layout: string, repo: string, tag: string, format: 'oci' | 'v2s2'): Promise<{ digest: string; bytes: Buffer }> {
  if (!p.registryUrl || !p.registryHost) throw new Error('peers: makeImage needs the registry (startPeers({ registry: … }))');
  const args = ['copy', '--quiet', '--retry-times', '2'];
  if (p.registryUrl.startsWith('https:')) {
    // skopeo reads every *.crt in the directory as a CA: only the CA goes there
    const certDir = join(p.dir, 'skopeo-certs');
    await mkdir(certDir, { recursive: true });
    await copyFile(p.ca, join(certDir, 'ca.crt'));
    args.push('--dest-cert-dir', certDir);
  } else {
    args.push('--dest-tls-verify=false');
  }
  if (creds !== undefined) args.push('--dest-creds', creds);
  if (format === 'v2s2') args.push('--format', 'v2s2');
  else args.push('--preserve-digests');
  const digestFile = join(layout, 'pushed-digest');
  args.push('--digestfile', digestFile, `oci:${layout}:${tag}`, `docker://${p.registryHost}/${repo}:${tag}`);
  check(await run('skopeo', args, { timeoutMs: 180_000, env: { HOME: p.dir } }), `skopeo copy to ${repo}:${tag}`);
  const pushed = (await readFile(digestFile, 'utf8')).trim();

  // Read the manifest back as a client would, answering a Basic or Bearer challenge.
  const ca = await readFile(p.ca);
  const url = `${p.registryUrl}/v2/${repo}/manifests/${tag}`;
  const headers: Record<string, string> = { accept: pushedMediaType(format) };
  let r = await httpRequestTo(url, { headers, ca });
  if (r.status === 401 && creds !== undefined) {
    const challenge = String(r.headers['www-authenticate'] ?? '');
    const basic = `Basic ${Buffer.from(creds).toString('base64')}`;
    if (challenge.startsWith('Bearer ')) {
      const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      const tokenUrl = new URL(params.realm as string);
      tokenUrl.searchParams.set('service', params.service ?? '');
      tokenUrl.searchParams.set('scope', params.scope ?? `repository:${repo}:pull`);
      const t = await httpRequestTo(tokenUrl.toString(), { headers: { authorization: basic }, ca });
      if (t.status !== 200) throw new Error(`peers: token server answered ${t.status}: ${t.body.toString()}`);
      headers.authorization = `Bearer ${(JSON.parse(t.body.toString()) as { token: string }).token}`;
    } else {
      headers.authorization = basic;
    }
    r = await httpRequestTo(url, { headers, ca });
  }
  if (r.status !== 200) throw new Error(`peers: registry answered ${r.status} for ${repo}:${tag}: ${r.body.toString()}`);
  const digest = `sha256:${createHash('sha256').update(r.body).digest('hex')}`;
  if (digest !== pushed || r.headers['docker-content-digest'] !== pushed) {
    throw new Error(`peers: registry serves ${digest} (header ${String(r.headers['docker-content-digest'])}), skopeo reported ${pushed}`);
  }
  return { digest, bytes: r.body };
}

function makeHandle(dir: string, env: Record<string, string>, ports: Peers['ports']): Peers {
  let stopped = false;
  const st: Internals = { daemons: new Map() };
  const p: Peers = {
    dir,
    host: PEERS_HOST,
    ports,
    env,
    ca: join(dir, 'certs', 'ca.crt'),
    gun(repo) {
      return `${p.registryHost ?? `${PEERS_HOST}:${ports.registry}`}/${repo}`;
    },
    async notaryGet(path, o = {}) {
      if (!p.notaryUrl) throw new Error('peers: notary was not started');
      return httpRequestTo(new URL(path, p.notaryUrl).toString(), { ...o, ca: await readFile(p.ca) });
    },
    notary: (args, o = {}) => runNotaryCli(dir, p.env, args, o),
    docker: (args, o = {}) => runDockerCli(dir, p.env, args, o),
    async makeImage(repo, tag = '1.0', content, o = {}) {
      const format = o.format ?? 'oci';
      const built = await buildImageLayout(dir, repo, tag, content);
      if (o.push === false) {
        if (format !== 'oci') throw new Error('peers: an image that is not pushed is an OCI layout; v2s2 comes from skopeo on push');
        return { ref: '', repo, tag, ...built };
      }
      const { digest, bytes } = await pushWithSkopeo(p, st.registryCredentials, built.layout, repo, tag, format);
      const manifestPath = join(built.layout, 'pushed-manifest.json');
      await writeFile(manifestPath, bytes);
      return {
        ref: `${p.registryHost as string}/${repo}:${tag}`, repo, tag, digest, sha256: digest.slice('sha256:'.length), size: bytes.length,
        mediaType: pushedMediaType(format), layout: built.layout, manifestPath,
      };
    },
    async stopPeer(...names) {
      for (const name of names) {
        if (name === 'token-server') { await st.token?.close(); st.token = undefined; continue; }
        if (name === 'postgres') {
          if (st.pgDir) await run('bash', [join(projectRoot, 'scripts', 'postgres.sh'), 'stop', st.pgDir], { timeoutMs: 60_000 });
          st.pgDir = undefined;
          continue;
        }
        const d = st.daemons.get(name);
        if (d) { await stopDaemon(d); st.daemons.delete(name); }
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(p);
      // the server before its signer and storage
      await p.stopPeer('notary-server', 'notary-signer', 'registry', 'token-server', 'postgres');
      await rm(dir, { recursive: true, force: true });
    },
  };
  internals.set(p, st);
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
