// vouch admission: the Kubernetes admission webhook (docs/admission.md), and `vouch admission
// manifests`, which prints the objects that run it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { VouchError, type JsonValue } from '../../core/index.js';
import type { Policy } from '../../policy/index.js';
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

/** What the ConfigMap may hold besides the policy: Kubernetes refuses objects over 1 MiB, and base64 grows data by a third. */
const MAX_SIGNER_FILES = 200;
const MAX_SIGNER_BYTES = 700 * 1024;

/**
 * The files the policy's signers name (cosign `key` and `trustedRoot`, Notation `trustPolicy` and
 * the trust stores under `trustStoreDir`/truststore), relative to the policy file, read for the
 * ConfigMap. They must lie below the policy's directory: the pod sees only what is mounted next to it.
 */
function signerFiles(ctx: Context, policyFile: string, policy: Policy): { path: string; data: Buffer }[] {
  const base = dirname(resolve(ctx.cwd, policyFile));
  const out = new Map<string, Buffer>();
  let bytes = 0;
  const below = (signer: string, field: string, p: string): string => {
    const rel = normalize(p);
    if (isAbsolute(p) || rel === '..' || rel.startsWith(`..${sep}`)) {
      throw new VouchError('INVALID_ARGUMENT', `signer ${signer}'s ${field} ${JSON.stringify(p)} is not below the policy file's directory, so it cannot be mounted next to the policy in the webhook's pod`, {
        hint: 'keep the keys and trust stores the policy names in its directory (or below it) and name them relative to the policy file',
      });
    }
    return rel;
  };
  const add = (rel: string): void => {
    if (out.has(rel)) return;
    if (out.size >= MAX_SIGNER_FILES) throw new VouchError('INVALID_ARGUMENT', `the policy's signers name more than ${MAX_SIGNER_FILES} files, more than a ConfigMap should hold`);
    const file = join(base, rel);
    let data: Buffer;
    try {
      if (statSync(file).size > MAX_SIGNER_BYTES) throw new Error(`larger than ${MAX_SIGNER_BYTES} bytes`);
      data = readFileSync(file);
    } catch (err) {
      throw new VouchError('CONFIG', `cannot read ${file}, which the policy's signers name: ${(err as Error).message}`, { details: { file } });
    }
    bytes += data.length;
    if (bytes > MAX_SIGNER_BYTES) throw new VouchError('INVALID_ARGUMENT', `the files the policy's signers name exceed ${MAX_SIGNER_BYTES} bytes, more than a ConfigMap can hold (1 MiB)`);
    out.set(rel, data);
  };
  const addTree = (rel: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(join(base, rel), { withFileTypes: true });
    } catch (err) {
      throw new VouchError('CONFIG', `cannot read ${join(base, rel)}, notation's trust stores that the policy names: ${(err as Error).message}`);
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && depth > 0) addTree(join(rel, e.name), depth - 1);
      else if (e.isFile()) add(join(rel, e.name));
    }
  };
  for (const [name, d] of Object.entries(policy.signers ?? {})) {
    if (d.kind === 'cosign') {
      if (d.key !== undefined) add(below(name, 'key', d.key));
      if (d.trustedRoot !== undefined) add(below(name, 'trustedRoot', d.trustedRoot));
    } else if (d.kind === 'notation') {
      if (d.trustStoreDir === undefined) {
        throw new VouchError('INVALID_ARGUMENT', `Notation signer ${name} names no trustStoreDir, and notation's own configuration directory is not in the webhook's pod`, {
          hint: 'set trustStoreDir to notation\'s configuration directory (holding truststore/x509/…), relative to the policy file',
        });
      }
      if (d.trustPolicy !== undefined) add(below(name, 'trustPolicy', d.trustPolicy));
      // truststore/x509/TYPE/NAME/FILE, as notation lays it out
      addTree(join(below(name, 'trustStoreDir', d.trustStoreDir), 'truststore'), 3);
    }
  }
  return [...out].map(([path, data]) => ({ path: path.split(sep).join('/'), data }));
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
    ...(opts.policy !== undefined ? { policy: readSmall(ctx, opts.policy, '--policy'), policyFiles: signerFiles(ctx, opts.policy, (await loadPolicy(ctx, opts.policy)).policy) } : {}),
    image: opts.image ?? `vouch:${version}`,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    failurePolicy: failurePolicyFlag(opts.failurePolicy),
    audit: opts.audit === true,
  });
  ctx.io.out(manifestsYaml(objects));
}
