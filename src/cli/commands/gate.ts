// vouch gate: a registry gate in front of upstream registries that serves images only when the
// trust policy is met (docs/gate.md). Credentials and CAs of an upstream default to docker's
// (config.json, $DOCKER_CONFIG/tls/<host>/, /etc/docker/certs.d/<host>/); a config file adds its own.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { credentialsFor, deadlinesFrom, tlsFor } from '../../client/dockerenv.js';
import { DEFAULT_CACHE_TTL_MS, DEFAULT_REQUEST_DEADLINE_MS, loadGateConfig, parseUpstreamFlag, runGate, upstreamHost, type Upstream } from '../../gate/index.js';
import type { Context } from '../context.js';
import { untilSignal } from '../daemon.js';
import { loadPolicy, policyCheckOptions } from '../policyfile.js';
import { readTrustPinning } from './trust-common.js';

export interface GateCommandOptions {
  upstream?: string[];
  config?: string;
  addr: string;
  policy?: string;
  allowPush?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  user?: string;
  cacheTtl?: string;
  deadline?: string;
  trustPinning?: string;
  log?: boolean;
}

function seconds(flag: string, text: string | undefined, fallbackMs: number, allowZero: boolean): number {
  if (text === undefined) return fallbackMs;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0) || n > 24 * 3600) {
    throw new VouchError('INVALID_ARGUMENT', `${flag} must be a number of seconds${allowZero ? '' : ' above 0'}, got ${JSON.stringify(text)}`);
  }
  return Math.round(n * 1000);
}

/** Upstreams from the flags or the config file, with docker's credentials and CAs for their hosts where they name none. */
export async function gateUpstreams(ctx: Context, opts: Pick<GateCommandOptions, 'upstream' | 'config'>): Promise<Upstream[]> {
  const flags = opts.upstream ?? [];
  if (flags.length > 0 && opts.config !== undefined) throw new VouchError('INVALID_ARGUMENT', '--upstream and --config exclude each other', { hint: 'list every upstream in the config file' });
  const upstreams = opts.config !== undefined ? await loadGateConfig(resolve(ctx.cwd, opts.config)) : flags.map(parseUpstreamFlag);
  if (upstreams.length === 0) throw new VouchError('INVALID_ARGUMENT', 'vouch gate needs an upstream registry', { hint: 'vouch gate --upstream https://registry.example.com (or --config gate.yaml, docs/gate.md)' });
  return upstreams.map((u) => {
    const host = upstreamHost(u);
    const credentials = u.credentials ?? credentialsFor(host, ctx.env);
    const docker = tlsFor(host, ctx.env).ca ?? [];
    const ca = [...docker, ...(u.ca ?? [])];
    return { ...u, ...(credentials ? { credentials } : {}), ...(ca.length > 0 ? { ca: ca.map((c) => Buffer.from(c)) } : {}) };
  });
}

export async function gateCommand(ctx: Context, opts: GateCommandOptions): Promise<void> {
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new VouchError('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
  let auth: { username: string; password: string } | undefined;
  if (opts.user) {
    const password = ctx.env.VOUCH_GATE_PASSWORD;
    if (!password) throw new VouchError('CONFIG', '--user needs the password in VOUCH_GATE_PASSWORD', { hint: 'export VOUCH_GATE_PASSWORD=…' });
    auth = { username: opts.user, password };
  }
  const upstreams = await gateUpstreams(ctx, opts);
  const { policy, file } = await loadPolicy(ctx, opts.policy);
  const checking = await policyCheckOptions(ctx, policy);
  const pinning = opts.trustPinning ? readTrustPinning(resolve(ctx.cwd, opts.trustPinning)) : undefined;
  const running = await runGate({
    addr: opts.addr,
    upstreams,
    policy,
    policyOptions: checking.options,
    env: ctx.env,
    trustDir: ctx.trustDir,
    ...(pinning ? { pinning } : {}),
    allowPush: Boolean(opts.allowPush),
    ...(auth ? { auth } : {}),
    cacheTtlMs: seconds('--cache-ttl', opts.cacheTtl, DEFAULT_CACHE_TTL_MS, true),
    requestDeadlineMs: seconds('--deadline', opts.deadline, DEFAULT_REQUEST_DEADLINE_MS, false),
    upstreamDeadlines: deadlinesFrom(ctx.env),
    logger: Boolean(opts.log),
    ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: readFileSync(resolve(ctx.cwd, opts.tlsCert)), key: readFileSync(resolve(ctx.cwd, opts.tlsKey)) } } : {}),
  });
  ctx.io.err(`vouch gate listening on ${running.url}\n  upstreams: ${upstreams.map((u) => `${u.prefix === '' ? '*' : `${u.prefix}/*`} -> ${u.url}${u.repository !== u.prefix ? `/${u.repository}` : ''}`).join(', ')}\n  policy: ${file ?? 'built-in'}; pushes ${opts.allowPush ? 'passed' : 'refused'}\n`);
  const sig = await untilSignal();
  ctx.io.err(`vouch gate: ${sig}, shutting down\n`);
  await running.close();
  await checking.close();
}
