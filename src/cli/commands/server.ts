// vouch server: the Notary v1-compatible trust server. Settings layer as defaults < config file
// (notary-server's config.json keys) < NOTARY_SERVER_* variables < flags. With --workers N, a
// primary process forks N server processes that share the listening socket and the database
// (SQLite or PostgreSQL, which already serialise publishes across processes).
import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VouchError } from '../../core/index.js';
import { loadServerConfig, openServerStore, parseRegistryMapping, resolveKeySecret, runServer, type RegistryMapping, type RunOptions, type ServerConfig } from '../../server/index.js';
import type { Context } from '../context.js';
import { dataDir } from '../daemon.js';

export interface ServerCommandOptions {
  config?: string;
  addr?: string;
  storage?: string;
  tlsCert?: string;
  tlsKey?: string;
  dataDir?: string;
  keyAlgorithm?: 'ecdsa' | 'ed25519';
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  workers?: string;
  ui?: boolean;
  /** GUN_PREFIX[=REGISTRY/PATH], repeatable: where the dashboard reads the images' OCI signatures */
  uiRegistry?: string[];
}

export const MAX_WORKERS = 64;

/** Messages between the primary and its workers (over the cluster IPC channel, never the environment). */
type PrimaryMessage = { type: 'vouch-server-start'; keySecret: string; expiryWarnings: boolean } | { type: 'vouch-server-stop' };
type WorkerMessage = { type: 'vouch-server-ready' };

export function parseWorkers(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_WORKERS) {
    throw new VouchError('INVALID_ARGUMENT', `--workers must be a whole number from 1 to ${MAX_WORKERS}, got ${JSON.stringify(text)}`, {
      hint: 'one worker per CPU core is a good start (nproc)',
    });
  }
  return n;
}

/** A --ui-registry value; a malformed one is a usage error. */
function uiRegistryFlag(text: string): RegistryMapping {
  try {
    return parseRegistryMapping(text);
  } catch (err) {
    throw new VouchError('INVALID_ARGUMENT', `--ui-registry ${JSON.stringify(text)} is not GUN_PREFIX or GUN_PREFIX=REGISTRY/PATH`, { ...((err as VouchError).hint !== undefined ? { hint: (err as VouchError).hint } : {}), cause: err });
  }
}

export async function serverCommand(ctx: Context, opts: ServerCommandOptions): Promise<void> {
  const workers = parseWorkers(opts.workers);
  if (opts.uiRegistry !== undefined && opts.uiRegistry.length > 0 && opts.ui !== true) {
    throw new VouchError('INVALID_ARGUMENT', '--ui-registry says where the dashboard reads signatures; it needs --ui', { hint: 'add --ui' });
  }
  const config = loadServerConfig({
    ...(opts.config !== undefined ? { file: opts.config } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
    readFile: (p) => readFileSync(p, 'utf8'),
    overrides: {
      ...(opts.addr !== undefined ? { addr: opts.addr } : {}),
      ...(opts.storage !== undefined ? { storage: opts.storage } : {}),
      ...(opts.tlsCert !== undefined ? { tlsCertFile: opts.tlsCert } : {}),
      ...(opts.tlsKey !== undefined ? { tlsKeyFile: opts.tlsKey } : {}),
      ...(opts.keyAlgorithm !== undefined ? { keyAlgorithm: opts.keyAlgorithm } : {}),
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
      ...(opts.ui === true ? { ui: true } : {}),
      ...(opts.uiRegistry !== undefined && opts.uiRegistry.length > 0 ? { uiRegistries: opts.uiRegistry.map(uiRegistryFlag) } : {}),
      // Without a config file, data lives in vouch's data dir rather than next to the working directory.
      dataDir: opts.dataDir ?? (opts.config === undefined ? join(dataDir(ctx.env), 'server') : undefined),
    },
  });
  if (workers === 1) {
    const reading = await signatureReading(ctx, config);
    try {
      const running = await runServer(config, reading.options);
      ctx.io.err(`vouch server listening on ${running.url}\n`);
      await running.closed;
    } finally {
      await reading.close();
    }
    return;
  }
  if (config.storage === 'memory') {
    throw new VouchError('INVALID_ARGUMENT', '--workers needs storage the worker processes can share: memory storage is private to one process', {
      hint: 'use --storage sqlite:PATH or --storage postgres://…, or run one process without --workers',
    });
  }
  if (cluster.isWorker) await runWorker(ctx, config);
  else await runPrimary(ctx, config, workers);
}

/**
 * The dashboard's reader of OCI signatures (the client's, as `vouch status` reads them, with the
 * server user's config.json credentials and TLS material), when the dashboard is on and told where
 * images live.
 */
async function signatureReading(ctx: Context, config: ServerConfig): Promise<{ options: RunOptions; close: () => Promise<void> }> {
  if (!config.ui || config.uiRegistries.length === 0) return { options: {}, close: async () => {} };
  // loaded only here: a server without the dashboard's signatures does not load the client
  const [{ imageSignatureStatus }, { Session }, { notationConfigDir, readTsaTrustRoots }] = await Promise.all([import('../../client/status.js'), import('../../client/session.js'), import('../../keys/notation.js')]);
  const session = new Session({ env: ctx.env, trustDir: ctx.trustDir, now: ctx.now });
  // the TSAs the server user's notation trusts: a timestamp from another counts for nothing
  const tsaRoots = await readTsaTrustRoots(notationConfigDir(ctx.env));
  return {
    options: { signatureReader: (image, digest) => imageSignatureStatus(session, image, digest, tsaRoots) },
    close: () => session.close(),
  };
}

async function runWorker(ctx: Context, config: ServerConfig): Promise<void> {
  // Ask only once listening: a message sent before a listener exists is lost.
  const start = await new Promise<PrimaryMessage>((resolve) => {
    process.once('message', (m: PrimaryMessage) => { resolve(m); });
    process.send?.({ type: 'vouch-server-ready' } satisfies WorkerMessage);
  });
  if (start.type !== 'vouch-server-start') return;
  const reading = await signatureReading(ctx, config);
  const running = await runServer({ ...config, keySecret: start.keySecret }, { ...reading.options, expiryWarnings: start.expiryWarnings });
  process.on('message', (m: PrimaryMessage) => { if (m.type === 'vouch-server-stop') void running.close(); });
  process.once('disconnect', () => { void running.close(); });
  await running.closed;
  await reading.close();
  process.disconnect?.();
}

async function runPrimary(ctx: Context, config: ServerConfig, count: number): Promise<void> {
  // One secret and one schema for all: made here, before any worker could race to create them.
  const keySecret = await resolveKeySecret(config);
  const store = await openServerStore({ ...config, keySecret });
  await store.close();

  let stopping = false;
  const restarts: number[] = [];
  let listening = 0;
  let url = '';
  let fail: ((err: Error) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => {
    fail = reject;
    cluster.on('exit', () => { if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve(); });
  });

  // One worker logs the expiry warnings (its replacement takes over), not every one of them.
  let warner: Worker | undefined;
  const fork = (): Worker => {
    const w = cluster.fork();
    const expiryWarnings = warner === undefined || warner.isDead();
    if (expiryWarnings) warner = w;
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'vouch-server-ready') w.send({ type: 'vouch-server-start', keySecret, expiryWarnings } satisfies PrimaryMessage);
    });
    w.once('listening', (addr) => {
      listening++;
      if (!url) url = `${config.tlsCertFile ? 'https' : 'http'}://${addr.addressType === 6 ? `[${addr.address}]` : addr.address}:${addr.port}`;
      if (listening === count) ctx.io.err(`vouch server listening on ${url} (${count} worker processes)\n`);
    });
    w.once('exit', (code, signal) => {
      if (stopping) return;
      ctx.io.err(`vouch server: worker ${w.process.pid} ended (${signal ?? `exit ${code}`})\n`);
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && (restarts[0] as number) < now - 60_000) restarts.shift();
      if (restarts.length > count * 3) {
        stop();
        fail?.(new VouchError('INTERNAL', 'vouch server: workers keep ending; stopping', { hint: 'see the log lines above for the cause' }));
        return;
      }
      fork();
    });
    return w;
  };
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.send({ type: 'vouch-server-stop' } satisfies PrimaryMessage);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  for (let i = 0; i < count; i++) fork();
  try {
    await done;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
