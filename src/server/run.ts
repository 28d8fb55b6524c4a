// The server entry point: opens the store, reads TLS and auth material, listens, and shuts down
// gracefully on SIGTERM/SIGINT. The CLI calls runServer(loadServerConfig(...)).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NotaryApp } from './app.js';
import { isVouchError, VouchError } from '../core/index.js';
import { processBodyBudget } from '../httpd/index.js';
import { openStore, redact, type Store } from '../storage/index.js';
import { createServer } from './app.js';
import { parseAddr, type ServerConfig } from './config.js';
import type { SignatureReader } from './signers.js';

export interface RunningServer {
  app: NotaryApp;
  store: Store;
  /** e.g. https://127.0.0.1:4443 (the bound port when 0 was asked for) */
  url: string;
  /** Stops accepting requests, waits for the ones in flight, closes the store. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the server has been closed (by close() or a signal). */
  closed: Promise<void>;
}

export interface RunOptions {
  /** Handle SIGTERM and SIGINT (default true). */
  handleSignals?: boolean;
  /** A pino logger destination or options (default: JSON lines on stdout at config.logLevel). */
  logger?: boolean | Record<string, unknown>;
  /** Log warnings of expiries only a key holder can fix, at start and hourly (default true; one of several workers does). */
  expiryWarnings?: boolean;
  /** How often the expiry warnings are checked (default hourly; the first check comes a second after the start). */
  expiryCheckMs?: number;
  /** Reads the images' OCI signatures for the dashboard, where config.uiRegistries says they are (the CLI passes the client's reader). */
  signatureReader?: SignatureReader;
}

/** The key secret: configured, else read from (or generated into) a file in the data dir; memory stores get a random one. */
export async function resolveKeySecret(config: ServerConfig): Promise<string> {
  if (config.keySecret !== undefined) return config.keySecret;
  if (config.storage === 'memory' && config.keySecretFile === undefined) return randomBytes(32).toString('base64');
  const file = config.keySecretFile ?? join(config.dataDir, 'server-key-secret');
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text === '') throw new VouchError('CONFIG', `key secret file ${file} is empty`);
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

/**
 * Opens (creating its directory and schema when needed) the store the configuration names, and
 * checks that the key secret opens the keys already in it.
 */
export async function openServerStore(config: ServerConfig): Promise<Store> {
  if (/^sqlite:/.test(config.storage)) await mkdir(dirname(config.storage.slice('sqlite:'.length)), { recursive: true, mode: 0o700 });
  const store = await openStore(config.storage, { keySecret: await resolveKeySecret(config), keyAlgorithm: config.keyAlgorithm, lockWaitMs: config.lockWaitMs });
  // A wrong key secret must stop the start-up, not the first publish or timestamp refresh.
  try {
    await store.keys.checkSecret();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new VouchError(isVouchError(err) ? err.code : 'CONFIG', `the server key secret does not open the keys in ${redact(config.storage)}: ${(err as Error).message}`, {
      hint: 'start the server with the key secret (VOUCH_SERVER_KEY_SECRET, vouch.key_secret or the key secret file) its keys were created with',
      cause: err,
    });
  }
  return store;
}

export async function runServer(config: ServerConfig, opts: RunOptions = {}): Promise<RunningServer> {
  const store = await openServerStore(config);
  let app: NotaryApp;
  try {
    const https = config.tlsCertFile && config.tlsKeyFile
      ? { cert: await readFile(config.tlsCertFile), key: await readFile(config.tlsKeyFile) }
      : undefined;
    const auth = config.auth
      ? { realm: config.auth.realm, service: config.auth.service, issuer: config.auth.issuer, rootCertBundle: await readFile(config.auth.rootCertBundleFile, 'utf8') }
      : undefined;
    const logger = opts.logger ?? {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
    };
    // One server per `vouch server` process: its setting is the process-wide budget.
    processBodyBudget.capacity = config.maxBytesInFlight;
    app = createServer({
      store,
      keyStore: store.keys,
      keyAlgorithm: config.keyAlgorithm,
      auth,
      caching: { currentMaxAge: config.currentMaxAge, consistentMaxAge: config.consistentMaxAge },
      gunPrefixes: config.gunPrefixes,
      limits: { maxBodyBytes: config.maxBodyBytes },
      logger,
      https,
      ui: config.ui,
      expiryWarningDays: config.expiryWarningDays,
      ...(opts.signatureReader !== undefined ? { signatures: { reader: opts.signatureReader, mappings: config.uiRegistries } } : {}),
    });
    const { host, port } = parseAddr(config.addr);
    await app.listen({ host, port });
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  for (const what of config.ignored) app.log.warn({ setting: what }, 'configuration setting has no effect in vouch');
  app.log.info({ storage: redact(config.storage), tls: Boolean(config.tlsCertFile), auth: Boolean(config.auth), ui: config.ui }, 'vouch server started');
  const stopExpiryWarnings = opts.expiryWarnings === false ? undefined : warnOfExpiries(app, config.expiryWarningDays, opts.expiryCheckMs ?? 3_600_000);

  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr : { address: '127.0.0.1', port: 0, family: 'IPv4' };
  const hostText = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `${config.tlsCertFile ? 'https' : 'http'}://${hostText}:${bound.port}`;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => { resolveClosed = r; });
  let closing: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    app.log.info({ signal }, 'shutting down');
    void close();
  };
  const handleSignals = opts.handleSignals ?? true;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      stopExpiryWarnings?.();
      try {
        await app.close();
      } finally {
        await store.close();
        resolveClosed();
      }
    })();
    return closing;
  };
  if (handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { app, store, url, close, closed };
}

/**
 * Logs, soon after the start and then every `everyMs`, each expiry within `days` that the server cannot fix by itself (root,
 * targets, delegations, a snapshot whose key the owner holds, root certificates). Returns what stops it.
 */
function warnOfExpiries(app: NotaryApp, days: number, everyMs: number): () => void {
  const warn = async (): Promise<void> => {
    try {
      await app.expiry.refresh(true);
      for (const e of app.expiry.expiringWithin(days * 86_400_000)) {
        app.log.warn({ gun: e.gun, role: e.what, ...(e.keyId ? { keyId: e.keyId } : {}), expires: e.expires.toISOString() },
          `${e.what} of ${e.gun} expires ${e.expires.toISOString()}; its key holder must re-sign it (vouch trust sign, or vouch trust key rotate for the root)`);
      }
    } catch (err) {
      app.log.warn({ err: (err as Error).message }, 'could not read the stored metadata for expiry warnings');
    }
  };
  const first = setTimeout(() => { void warn(); }, Math.min(1000, everyMs));
  first.unref();
  const timer = setInterval(() => { void warn(); }, everyMs);
  timer.unref();
  return () => { clearTimeout(first); clearInterval(timer); };
}

