// vouch notation sign / verify: Notation (Notary Project) signatures, answering like the
// `notation` CLI v1.3 (notation cmd/notation/sign.go, verify.go): its flags, its messages on
// success ("Successfully signed …", "Successfully verified signature for …"), exit 0 when verified
// and 1 when not. Keys come from PEM files (--key FILE --cert FILE) or notation's local key store
// (--key NAME, or its default key); trust policy and trust stores from notation's own
// configuration directory.
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { LayoutSignatureStore, RegistrySignatureStore, signNotation, verifyNotation, type NotationVerifyResult, type SignatureStore } from '../../client/notation.js';
import { notationConfigDir, readNotationTrustPolicy, readNotationTrustStores, readSigningKeyFiles, resolveNotationSigningKey } from '../../keys/notation.js';
import { parseReference } from '../../oci/reference.js';
import type { CheckResult } from '../../sig/index.js';
import type { Context } from '../context.js';
import { openSession } from './trust-common.js';

interface CommonOptions {
  ociLayout?: boolean;
  plainHttp?: boolean;
  insecureRegistry?: boolean;
  userMetadata?: string[];
}

export interface NotationSignOptions extends CommonOptions {
  key?: string;
  cert?: string;
  signatureFormat: string;
  expiry?: string;
}

export interface NotationVerifyCommandOptions extends CommonOptions {
  scope?: string;
  maxSignatures: string;
  trustPolicy?: string;
  output: string;
}

/** `key=value` flag pairs (notation internal/cmd ParseFlagMap: a later pair with the same key wins). */
export function parseFlagMap(pairs: readonly string[] = [], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0 || i === pair.length - 1) throw new VouchError('INVALID_ARGUMENT', `could not parse flag ${flag}: key-value pair requires "=" as separator`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** `-m key=value` pairs. */
export function parseUserMetadata(pairs: readonly string[] = []): Record<string, string> {
  return parseFlagMap(pairs, 'user-metadata');
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`24h`, `1h30m`, `90s`), as `notation sign --expiry` takes it; in milliseconds. */
export function parseGoDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    ms += Number(m[1]) * (UNITS[m[2] as string] as number);
    at = re.lastIndex;
  }
  if (text === '' || at !== text.length) throw new VouchError('INVALID_ARGUMENT', `invalid argument "${text}" for "-e, --expiry" flag: time: invalid duration "${text}"`, { hint: 'a duration such as 24h, 30m or 1h30m' });
  if (!(ms > 0)) throw new VouchError('INVALID_ARGUMENT', `expiry duration ${text} must be positive`);
  return Math.round(ms);
}

/** `DIR:TAG` or `DIR@sha256:…` for --oci-layout (notation's parseOCILayoutReference). */
export function parseLayoutReference(input: string): { path: string; ref: string } {
  const at = input.lastIndexOf('@');
  if (at > 0) return { path: input.slice(0, at), ref: input.slice(at + 1) };
  const colon = input.lastIndexOf(':');
  if (colon > 0 && !input.slice(colon + 1).includes('/')) return { path: input.slice(0, colon), ref: input.slice(colon + 1) };
  throw new VouchError('INVALID_ARGUMENT', `invalid reference: missing tag or digest in "${input}"`, { hint: 'use --oci-layout DIR:TAG or DIR@sha256:DIGEST' });
}

export interface Target { store: SignatureStore; ref: string; scope?: string; close: () => Promise<void> }

export function openTarget(ctx: Context, input: string, opts: CommonOptions): Target {
  if (opts.ociLayout) {
    const { path, ref } = parseLayoutReference(input);
    return { store: new LayoutSignatureStore(resolve(ctx.cwd, path), path), ref, close: async () => {} };
  }
  const parsed = parseReference(input);
  const ref = parsed.digest ?? parsed.tag;
  if (ref === undefined) {
    throw new VouchError('INVALID_ARGUMENT', `"${input}": invalid reference: no tag or digest. Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>`);
  }
  const s = openSession(ctx);
  const client = s.registryFor(parsed.registry, { plainHttp: Boolean(opts.plainHttp || opts.insecureRegistry) });
  return { store: new RegistrySignatureStore(client, parsed.repository), ref, scope: `${parsed.registry}/${parsed.repository}`, close: () => s.close() };
}

function tagWarning(ctx: Context, ref: string): void {
  if (!ref.includes(':')) {
    ctx.io.err(`Warning: Always sign the artifact using digest(@sha256:...) rather than a tag(:${ref}) because tags are mutable and a tag reference can point to a different artifact than the one signed.\n`);
  }
}

export async function notationSignCommand(ctx: Context, reference: string, opts: NotationSignOptions): Promise<void> {
  if (opts.signatureFormat !== 'jws') {
    if (opts.signatureFormat === 'cose') throw new VouchError('INVALID_ARGUMENT', 'signature format "cose" is not supported by vouch yet', { hint: 'use --signature-format jws (the default)' });
    throw new VouchError('INVALID_ARGUMENT', `signature format "${opts.signatureFormat}" not supported`, { hint: 'use --signature-format jws' });
  }
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const expiryMs = opts.expiry !== undefined ? parseGoDuration(opts.expiry) : undefined;
  // --key FILE --cert FILE, or (as notation) --key NAME / the default key of signingkeys.json
  let files: { keyPath: string; certPath: string };
  if (opts.cert !== undefined) {
    if (!opts.key) throw new VouchError('INVALID_ARGUMENT', '--cert FILE goes with --key FILE (the PEM private key)');
    files = { keyPath: resolve(ctx.cwd, opts.key), certPath: resolve(ctx.cwd, opts.cert) };
  } else {
    files = await resolveNotationSigningKey(notationConfigDir(ctx.env), opts.key);
  }
  const { privateKey, chain } = await readSigningKeyFiles(files.keyPath, files.certPath);
  const target = openTarget(ctx, reference, opts);
  try {
    tagWarning(ctx, target.ref);
    const r = await signNotation({ store: target.store, reference: target.ref, privateKey, chain, now: ctx.now(), ...(expiryMs !== undefined ? { expiryMs } : {}), userMetadata });
    ctx.io.out(`Successfully signed ${r.reference}\n`);
  } finally {
    await target.close();
  }
}

function failedChecks(checks: readonly CheckResult[]): CheckResult[] {
  return checks.filter((c) => c.status === 'failed' || c.status === 'inconclusive');
}

/** Per signature, what failed, for the error's hint. */
function failureLines(r: NotationVerifyResult): string[] {
  return r.signatures.map((s) => {
    if (s.error) return `signature ${s.digest}: ${s.error.message}`;
    const f = s.verdict?.failure;
    return f ? `signature ${s.digest}: ${f.check} ${f.status === 'inconclusive' ? 'could not be verified' : 'failed'}: ${f.message ?? ''}` : `signature ${s.digest}: not verified`;
  });
}

export async function notationVerifyCommand(ctx: Context, reference: string, opts: NotationVerifyCommandOptions): Promise<void> {
  if (opts.output !== 'text' && opts.output !== 'json') throw new VouchError('INVALID_ARGUMENT', `unrecognized output format ${opts.output}`, { hint: '--output text or --output json' });
  const maxSignatures = Number(opts.maxSignatures);
  if (!Number.isSafeInteger(maxSignatures) || maxSignatures <= 0) throw new VouchError('INVALID_ARGUMENT', `max-signatures value ${opts.maxSignatures} must be a positive number`);
  if (opts.ociLayout && !opts.scope) throw new VouchError('INVALID_ARGUMENT', 'if any flags in the group [oci-layout scope] are set they must all be set; missing [scope]', { hint: 'name the trust policy scope the layout is verified under, e.g. --scope local/app' });
  if (!opts.ociLayout && opts.scope) throw new VouchError('INVALID_ARGUMENT', '--scope can only be used with --oci-layout');
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const configDir = notationConfigDir(ctx.env);
  const { policy } = await readNotationTrustPolicy(configDir, opts.trustPolicy !== undefined ? resolve(ctx.cwd, opts.trustPolicy) : undefined);
  const target = openTarget(ctx, reference, opts);
  let r: NotationVerifyResult;
  try {
    r = await verifyNotation({
      store: target.store, reference: target.ref, scope: (opts.scope ?? target.scope) as string, policy,
      readTrustStores: (stores) => readNotationTrustStores(configDir, stores),
      userMetadata, maxSignatures, now: ctx.now(),
    });
  } finally {
    await target.close();
  }
  if (opts.output === 'json') ctx.io.out(`${JSON.stringify(r, null, 2)}\n`);
  if (!r.verified) {
    throw new VouchError('POLICY_DENIED', r.error ?? `signature verification failed for all the signatures associated with ${r.reference}`, {
      ...(r.signatures.length > 0 ? { hint: failureLines(r).join('\n  ') } : {}),
      details: { reference: r.reference },
    });
  }
  if (opts.output === 'json') return;
  if (r.skipped) {
    ctx.io.out(`Trust policy is configured to skip signature verification for ${r.reference}\n`);
    return;
  }
  for (const c of failedChecks(r.verdict?.checks ?? [])) {
    ctx.io.err(`Warning: ${c.check} was set to "${c.action}" and failed with error: ${c.message ?? c.status}\n`);
  }
  ctx.io.out(`Successfully verified signature for ${r.reference}\n`);
  const metadata = Object.entries(r.verdict?.userMetadata ?? {});
  if (metadata.length > 0) {
    const width = Math.max(3, ...metadata.map(([k]) => k.length)) + 3;
    ctx.io.out(`\nThe artifact was signed with the following user metadata.\n\n${'KEY'.padEnd(width)}VALUE\n`);
    for (const [k, v] of metadata) ctx.io.out(`${k.padEnd(width)}${v}\n`);
  }
}
