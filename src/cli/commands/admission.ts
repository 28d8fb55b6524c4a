// vouch admission: the Kubernetes admission webhook (docs/admission.md), and `vouch admission
// manifests`, which prints the objects that run it.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { VouchError, type JsonValue } from '../../core/index.js';
import type { FailurePolicy } from '../../admission/index.js';
import type { Context } from '../context.js';
import { untilSignal } from '../daemon.js';
import { loadPolicy, policyCheckOptions } from '../policyfile.js';
import { readTrustPinning, type CommonTrustOptions } from './trust-common.js';

export interface AdmissionCommandOptions extends CommonTrustOptions {
  addr: string;
  tlsCert?: string;
  tlsKey?: string;
  policy?: string;
  audit?: boolean;
  failurePolicy?: string;
  config?: string;
  excludeNamespace?: string[];
  excludeImage?: string[];
  deadline?: string;
  cacheTtl?: string;
  maxConcurrent?: string;
  maxBody?: string;
  logLevel?: string;
}

export interface AdmissionManifestsOptions {
  namespace: string;
  cert: string;
  key: string;
  ca?: string;
  image?: string;
  policy?: string;
  name?: string;
  replicas?: string;
  failurePolicy?: string;
  timeoutSeconds?: string;
  audit?: boolean;
}

const MAX_FILE_BYTES = 1024 * 1024;

function readSmall(ctx: Context, file: string, flag: string): string {
  const path = resolve(ctx.cwd, file);
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new VouchError('CONFIG', `cannot read ${flag} ${file}: ${(err as Error).message}`, { details: { file } });
  }
}

function failurePolicyFlag(v: string | undefined): FailurePolicy {
  if (v === undefined || v === 'fail' || v === 'Fail') return 'fail';
  if (v === 'ignore' || v === 'Ignore') return 'ignore';
  throw new VouchError('INVALID_ARGUMENT', `--failure-policy must be fail or ignore, got ${JSON.stringify(v)}`);
}

/** A whole number from `min` to `max`, or undefined when the flag is not given. */
function whole(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new VouchError('INVALID_ARGUMENT', `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

export async function admissionCommand(ctx: Context, opts: AdmissionCommandOptions): Promise<void> {
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) {
    throw new VouchError('INVALID_ARGUMENT', 'the API server calls webhooks over HTTPS only: give --tls-cert and --tls-key', {
      hint: 'vouch admission manifests puts the certificate in a Secret and its CA in the webhook configurations',
    });
  }
  const { checkExclusions, exclusionsFromConfig, runAdmission } = await import('../../admission/index.js');
  let exclusions = checkExclusions({ namespaces: opts.excludeNamespace ?? [], images: opts.excludeImage ?? [] }, 'the --exclude flags');
  if (opts.config !== undefined) {
    const { parse } = await import('yaml');
    let doc: JsonValue;
    try {
      doc = parse(readSmall(ctx, opts.config, '--config'), { maxAliasCount: 100 }) as JsonValue;
    } catch (err) {
      if (err instanceof VouchError) throw err;
      throw new VouchError('CONFIG', `${opts.config}: ${(err as Error).message}`, { details: { file: opts.config } });
    }
    const fromFile = exclusionsFromConfig(doc, opts.config);
    exclusions = { namespaces: [...exclusions.namespaces, ...fromFile.namespaces], images: [...exclusions.images, ...fromFile.images] };
  }
  const { policy } = await loadPolicy(ctx, opts.policy);
  const checking = await policyCheckOptions(ctx, policy);
  const deadline = whole('--deadline', opts.deadline, 1, 30);
  const ttl = whole('--cache-ttl', opts.cacheTtl, 0, 86_400);
  const concurrent = whole('--max-concurrent', opts.maxConcurrent, 1, 1024);
  const maxBody = whole('--max-body', opts.maxBody, 64 * 1024, 64 * 1024 * 1024);
  const level = opts.logLevel ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw new VouchError('INVALID_ARGUMENT', `--log-level ${JSON.stringify(level)} is not a log level`);
  const running = await runAdmission({
    addr: opts.addr,
    tls: { cert: readFileSync(resolve(ctx.cwd, opts.tlsCert)), key: readFileSync(resolve(ctx.cwd, opts.tlsKey)) },
    policy, policyOptions: checking.options, env: ctx.env, trustDir: ctx.trustDir,
    ...(opts.trustPinning !== undefined ? { pinning: readTrustPinning(resolve(ctx.cwd, opts.trustPinning)) } : {}),
    audit: opts.audit === true,
    failurePolicy: failurePolicyFlag(opts.failurePolicy),
    exclusions,
    ...(deadline !== undefined ? { maxDeadlineMs: deadline * 1000 } : {}),
    ...(maxBody !== undefined ? { maxBodyBytes: maxBody } : {}),
    cache: { ...(ttl !== undefined ? { ttlMs: ttl * 1000 } : {}), ...(concurrent !== undefined ? { maxConcurrent: concurrent } : {}) },
    logger: { level },
  });
  ctx.io.err(`vouch admission listening on ${running.url}\n`);
  const sig = await untilSignal();
  ctx.io.err(`vouch admission: ${sig}, shutting down\n`);
  await running.close();
  await checking.close();
}

export async function admissionManifestsCommand(ctx: Context, opts: AdmissionManifestsOptions, version: string): Promise<void> {
  const { admissionManifests, manifestsYaml } = await import('../../admission/index.js');
  const timeoutSeconds = whole('--timeout-seconds', opts.timeoutSeconds, 1, 30);
  const replicas = whole('--replicas', opts.replicas, 1, 100);
  const objects = admissionManifests({
    namespace: opts.namespace,
    cert: readSmall(ctx, opts.cert, '--cert'),
    key: readSmall(ctx, opts.key, '--key'),
    ...(opts.ca !== undefined ? { ca: readSmall(ctx, opts.ca, '--ca') } : {}),
    ...(opts.policy !== undefined ? { policy: readSmall(ctx, opts.policy, '--policy') } : {}),
    image: opts.image ?? `vouch:${version}`,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    failurePolicy: failurePolicyFlag(opts.failurePolicy),
    audit: opts.audit === true,
  });
  ctx.io.out(manifestsYaml(objects));
}
