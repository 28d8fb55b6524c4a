// vouch server: the Notary v1-compatible trust server. Settings layer as defaults < config file
// (notary-server's config.json keys) < NOTARY_SERVER_* variables < flags.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerConfig, runServer } from '../../server/index.js';
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
}

export async function serverCommand(ctx: Context, opts: ServerCommandOptions): Promise<void> {
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
      // Without a config file, data lives in vouch's data dir rather than next to the working directory.
      dataDir: opts.dataDir ?? (opts.config === undefined ? join(dataDir(ctx.env), 'server') : undefined),
    },
  });
  const running = await runServer(config);
  ctx.io.err(`vouch server listening on ${running.url}\n`);
  await running.closed;
}
