// Server configuration: notary-server's config.json keys unchanged (notary cmd/notary-server/config.go), `NOTARY_SERVER_*`
// environment overrides, plus vouch's own settings. Pure apart from reading the files it is told
// to read (through `readFile`); the environment is passed in as a map, never read here.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { VouchError } from '../core/index.js';
import { DEFAULT_CONSISTENT_MAX_AGE, DEFAULT_CURRENT_MAX_AGE, checkMaxAge } from './caching.js';
import { DEFAULT_BYTES_IN_FLIGHT, parseListenAddress } from '../httpd/index.js';
import { DEFAULT_LIMITS } from './app.js';
import { DEFAULT_EXPIRY_WARNING_DAYS } from './expiry.js';
import { parseRegistryMapping, type RegistryMapping } from './signers.js';
import { LOCK_WAIT_MS } from '../storage/common.js';

export { DEFAULT_EXPIRY_WARNING_DAYS };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface ServerConfig {
  /** listen address, `host:port`, `:port` (all interfaces) or `[v6]:port` */
  addr: string;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** storage URL: `memory`, `sqlite:PATH`, `postgres://…` */
  storage: string;
  /** secret encrypting server-held keys at rest */
  keySecret: string | undefined;
  /** file holding the secret (created with a random secret by runServer when missing) */
  keySecretFile: string | undefined;
  /** where vouch keeps its own files (default SQLite database, generated key secret) */
  dataDir: string;
  keyAlgorithm: 'ecdsa' | 'ed25519';
  auth: { realm: string; service: string; issuer: string; rootCertBundleFile: string } | undefined;
  logLevel: LogLevel;
  currentMaxAge: number;
  consistentMaxAge: number;
  gunPrefixes: string[];
  maxBodyBytes: number;
  /** how long a publish waits for its repository's write lock before answering 503, ms */
  lockWaitMs: number;
  /** how far ahead the server warns (in its log) of expiries only a key holder can fix */
  expiryWarningDays: number;
  /** the process-wide budget of request-body bytes held in memory (src/httpd) */
  maxBytesInFlight: number;
  /** serve the read-only dashboard (vouch.ui, or --ui) */
  ui: boolean;
  /** where the dashboard reads the images' OCI signatures: `GUN_PREFIX[=REGISTRY/PATH]` (vouch.ui_registries, or --ui-registry) */
  uiRegistries: RegistryMapping[];
  /** settings that were recognised but have no effect here (trust_service.hostname, reporting, …) */
  ignored: string[];
}

export interface LoadConfigOptions {
  /** path of a notary-server style config.json */
  file?: string;
  /** the environment (`NOTARY_SERVER_*` overrides, `VOUCH_SERVER_KEY_SECRET`) */
  env?: Readonly<Record<string, string | undefined>>;
  /** command-line values, highest precedence; relative paths are taken from `cwd` */
  overrides?: Partial<Pick<ServerConfig, 'addr' | 'storage' | 'tlsCertFile' | 'tlsKeyFile' | 'keySecret' | 'dataDir' | 'logLevel' | 'keyAlgorithm' | 'ui' | 'uiRegistries'>>;
  cwd: string;
  readFile: (path: string) => string;
}

export const DEFAULT_ADDR = '127.0.0.1:4443';

type Json = Record<string, unknown>;

/** Every dotted key we read; each can be overridden by NOTARY_SERVER_<KEY, dots → underscores, uppercased>. */
export const CONFIG_KEYS = [
  'server.http_addr', 'server.tls_cert_file', 'server.tls_key_file',
  'storage.backend', 'storage.db_url', 'storage.url',
  'trust_service.type', 'trust_service.key_algorithm',
  'logging.level',
  'caching.max_age.current_metadata', 'caching.max_age.consistent_metadata',
  'repositories.gun_prefixes',
  'auth.type', 'auth.options.realm', 'auth.options.service', 'auth.options.issuer', 'auth.options.rootcertbundle',
  'vouch.storage', 'vouch.key_secret', 'vouch.key_secret_file', 'vouch.data_dir', 'vouch.max_body_bytes', 'vouch.max_bytes_in_flight', 'vouch.lock_wait_ms',
  'vouch.expiry_warning_days', 'vouch.ui', 'vouch.ui_registries',
] as const;

const IGNORED = ['trust_service.hostname', 'trust_service.port', 'trust_service.tls_ca_file', 'trust_service.tls_client_cert', 'trust_service.tls_client_key', 'reporting', 'server.debug_addr'];

function get(obj: Json, dotted: string): unknown {
  let cur: unknown = obj;
  for (const k of dotted.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Json)[k];
  }
  return cur;
}

export function envKey(dotted: string): string {
  return `NOTARY_SERVER_${dotted.replace(/\./g, '_').toUpperCase()}`;
}

function bad(msg: string): VouchError {
  return new VouchError('CONFIG', `server configuration: ${msg}`);
}

function str(v: unknown, key: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw bad(`${key} must be a string`);
  return v;
}

function bool(v: unknown, key: string): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw bad(`${key} must be true or false`);
}

function num(v: unknown, key: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw bad(`${key} must be an integer`);
  return n;
}

const LEVELS: Record<string, LogLevel> = {
  trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'fatal', panic: 'fatal', silent: 'silent',
};

export function loadServerConfig(opts: LoadConfigOptions): ServerConfig {
  const env = opts.env ?? {};
  let file: Json = {};
  let base = opts.cwd;
  if (opts.file !== undefined) {
    const path = resolve(opts.cwd, opts.file);
    base = dirname(path);
    let text: string;
    try {
      text = opts.readFile(path);
    } catch (err) {
      throw new VouchError('CONFIG', `cannot read server configuration ${path}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new VouchError('CONFIG', `server configuration ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(`${path} must hold a JSON object`);
    file = parsed as Json;
  }
  const value = (k: (typeof CONFIG_KEYS)[number]): unknown => {
    const e = env[envKey(k)];
    return e !== undefined && e !== '' ? e : get(file, k);
  };
  const path = (v: string | undefined): string | undefined => (v === undefined ? undefined : isAbsolute(v) ? v : resolve(base, v));
  const cliPath = (v: string | undefined): string | undefined => (v === undefined ? undefined : isAbsolute(v) ? v : resolve(opts.cwd, v));
  const ov = opts.overrides ?? {};

  const ignored = IGNORED.filter((k) => get(file, k) !== undefined);

  // storage
  const dataDir = cliPath(ov.dataDir) ?? path(str(value('vouch.data_dir'), 'vouch.data_dir')) ?? resolve(base, 'vouch-server-data');
  let storage = ov.storage ?? str(value('vouch.storage'), 'vouch.storage') ?? str(value('storage.url'), 'storage.url');
  if (storage === undefined) {
    const backend = str(value('storage.backend'), 'storage.backend');
    const dbUrl = str(value('storage.db_url'), 'storage.db_url');
    switch (backend) {
      case undefined:
        storage = `sqlite:${join(dataDir, 'notary-server.db')}`;
        break;
      case 'memory':
        storage = 'memory';
        break;
      case 'sqlite3':
      case 'sqlite':
        storage = `sqlite:${path(dbUrl) ?? join(dataDir, 'notary-server.db')}`;
        break;
      case 'postgres':
        if (dbUrl === undefined) throw bad('storage.db_url is required for the postgres backend');
        storage = dbUrl;
        break;
      default:
        throw bad(`storage.backend ${JSON.stringify(backend)} is not supported: use memory, sqlite3 or postgres`);
    }
  } else if (ov.storage !== undefined && /^sqlite3?:/i.test(storage)) {
    const p = storage.replace(/^sqlite3?:(\/\/)?/i, '');
    storage = `sqlite:${cliPath(p)}`;
  } else if (/^sqlite3?:/i.test(storage)) {
    storage = `sqlite:${path(storage.replace(/^sqlite3?:(\/\/)?/i, ''))}`;
  }

  // trust service: keys are always held by vouch (encrypted in the store)
  const tsType = str(value('trust_service.type'), 'trust_service.type');
  if (tsType !== undefined && tsType !== 'local' && tsType !== 'remote') throw bad(`trust_service.type must be local or remote, got ${JSON.stringify(tsType)}`);
  if (tsType === 'remote') ignored.push('trust_service.type=remote (keys are held by vouch)');
  const alg = ov.keyAlgorithm ?? str(value('trust_service.key_algorithm'), 'trust_service.key_algorithm') ?? 'ecdsa';
  if (alg !== 'ecdsa' && alg !== 'ed25519') throw bad(`trust_service.key_algorithm must be ecdsa or ed25519, got ${JSON.stringify(alg)}`);

  // auth
  let auth: ServerConfig['auth'];
  const authType = str(value('auth.type'), 'auth.type');
  if (authType !== undefined) {
    if (authType !== 'token') throw bad(`auth.type ${JSON.stringify(authType)} is not supported: use token`);
    const need = (k: 'auth.options.realm' | 'auth.options.service' | 'auth.options.issuer' | 'auth.options.rootcertbundle'): string => {
      const v = str(value(k), k);
      if (v === undefined) throw bad(`${k} is required for token auth`);
      return v;
    };
    auth = { realm: need('auth.options.realm'), service: need('auth.options.service'), issuer: need('auth.options.issuer'), rootCertBundleFile: path(need('auth.options.rootcertbundle'))! };
  }

  const levelText = ov.logLevel ?? str(value('logging.level'), 'logging.level') ?? 'info';
  const logLevel = LEVELS[levelText.toLowerCase()];
  if (logLevel === undefined) throw bad(`logging.level ${JSON.stringify(levelText)} is not a log level`);

  let prefixes: unknown = value('repositories.gun_prefixes');
  if (typeof prefixes === 'string') prefixes = prefixes.split(/[\s,]+/).filter((p) => p !== '');
  if (prefixes !== undefined && (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string'))) throw bad('repositories.gun_prefixes must be a list of strings');

  const maxBody = num(value('vouch.max_body_bytes'), 'vouch.max_body_bytes') ?? DEFAULT_LIMITS.maxBodyBytes;
  if (maxBody < 1024) throw bad('vouch.max_body_bytes must be at least 1024');
  const lockWaitMs = num(value('vouch.lock_wait_ms'), 'vouch.lock_wait_ms') ?? LOCK_WAIT_MS;
  if (lockWaitMs < 100 || lockWaitMs > 600_000) throw bad('vouch.lock_wait_ms must be from 100 to 600000');
  const expiryWarningDays = num(value('vouch.expiry_warning_days'), 'vouch.expiry_warning_days') ?? DEFAULT_EXPIRY_WARNING_DAYS;
  if (expiryWarningDays < 1 || expiryWarningDays > 3650) throw bad('vouch.expiry_warning_days must be from 1 to 3650');
  const maxInFlight = num(value('vouch.max_bytes_in_flight'), 'vouch.max_bytes_in_flight') ?? DEFAULT_BYTES_IN_FLIGHT;
  if (maxInFlight < maxBody) throw bad(`vouch.max_bytes_in_flight must be at least vouch.max_body_bytes (${maxBody}), or no publish of the largest size could be read`);

  const ui = ov.ui ?? bool(value('vouch.ui'), 'vouch.ui') ?? false;
  let uiRegistries: unknown = value('vouch.ui_registries');
  if (typeof uiRegistries === 'string') uiRegistries = uiRegistries.split(/[\s,]+/).filter((p) => p !== '');
  if (uiRegistries !== undefined && (!Array.isArray(uiRegistries) || !uiRegistries.every((p) => typeof p === 'string'))) throw bad('vouch.ui_registries must be a list of strings');
  const registryMappings = ov.uiRegistries ?? ((uiRegistries as string[] | undefined) ?? []).map(parseRegistryMapping);

  const tlsCertFile = cliPath(ov.tlsCertFile) ?? path(str(value('server.tls_cert_file'), 'server.tls_cert_file'));
  const tlsKeyFile = cliPath(ov.tlsKeyFile) ?? path(str(value('server.tls_key_file'), 'server.tls_key_file'));
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) throw bad('server.tls_cert_file and server.tls_key_file must be given together');

  let cur: number;
  let cons: number;
  try {
    cur = checkMaxAge('current_metadata', num(value('caching.max_age.current_metadata'), 'caching.max_age.current_metadata') ?? DEFAULT_CURRENT_MAX_AGE);
    cons = checkMaxAge('consistent_metadata', num(value('caching.max_age.consistent_metadata'), 'caching.max_age.consistent_metadata') ?? DEFAULT_CONSISTENT_MAX_AGE);
  } catch (err) {
    throw bad((err as Error).message);
  }

  const addr = ov.addr ?? str(value('server.http_addr'), 'server.http_addr') ?? DEFAULT_ADDR;
  parseAddr(addr);

  return {
    addr,
    tlsCertFile,
    tlsKeyFile,
    storage,
    keySecret: ov.keySecret ?? str(value('vouch.key_secret'), 'vouch.key_secret') ?? str(env['VOUCH_SERVER_KEY_SECRET'], 'VOUCH_SERVER_KEY_SECRET'),
    keySecretFile: path(str(value('vouch.key_secret_file'), 'vouch.key_secret_file')),
    dataDir,
    keyAlgorithm: alg,
    auth,
    logLevel,
    currentMaxAge: cur,
    consistentMaxAge: cons,
    gunPrefixes: (prefixes as string[] | undefined) ?? [],
    maxBodyBytes: maxBody,
    lockWaitMs,
    expiryWarningDays,
    maxBytesInFlight: maxInFlight,
    ui,
    uiRegistries: registryMappings,
    ignored,
  };
}

/** The trust server's listen address (httpd/addr.ts: `:PORT` is every interface). */
export const parseAddr = (addr: string): { host: string; port: number } => parseListenAddress(addr, 'server configuration: listen address');
