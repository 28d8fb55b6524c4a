// vouch notation sign / verify: Notation (Notary Project) signatures, answering like the
// `notation` CLI v1.3 (notation cmd/notation/sign.go, verify.go): its flags, its messages on
// success ("Successfully signed …", "Successfully verified signature for …"), exit 0 when verified
// and 1 when not. Keys come from PEM files (--key FILE --cert FILE) or notation's local key store
// (--key NAME, or its default key); trust policy and trust stores from notation's own
// configuration directory.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VouchError, forEachLimited, isVouchError } from '../../core/index.js';
import { crlSource, notationCrlCacheDir } from '../../client/crl.js';
import { ocspQuery } from '../../client/ocsp.js';
import { deadlinesFrom, tlsFor } from '../../client/dockerenv.js';
import { checkTsaUrl, readTsaRoot, tsaTimestamper } from '../../client/tsa.js';
import { HttpTransport } from '../../http/index.js';
import type { RevocationSources, Timestamper } from '../../sig/index.js';
import { LayoutSignatureStore, RegistrySignatureStore, signNotation, verifyNotation, type NotationVerifyResult, type SignatureStore } from '../../client/notation.js';
import { notationConfigDir, readNotationTrustPolicy, readNotationTrustStores, readSigningKeyFiles, resolveNotationSigningKey } from '../../keys/notation.js';
import { NotationPlugin, listPluginNames, verificationPluginHost, type PluginRunOptions } from '../../keys/notation-plugin.js';
import { parseReference } from '../../oci/reference.js';
import { parseSignatureFormat, type CheckResult } from '../../sig/index.js';
import type { Context } from '../context.js';
import { openSession } from './trust-common.js';

interface CommonOptions {
  ociLayout?: boolean;
  plainHttp?: boolean;
  insecureRegistry?: boolean;
  userMetadata?: string[];
  pluginConfig?: string[];
  pluginTimeout?: string;
}

export interface NotationSignOptions extends CommonOptions {
  key?: string;
  cert?: string;
  signatureFormat: string;
  expiry?: string;
  plugin?: string;
  id?: string;
  timestampUrl?: string;
  timestampRootCert?: string;
}

export interface NotationVerifyCommandOptions extends CommonOptions {
  scope?: string;
  maxSignatures: string;
  trustPolicy?: string;
  output: string;
  crlOffline?: boolean;
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

/** `--plugin-timeout` (default 2 minutes) and the environment plugins run with. */
function pluginRunOptions(ctx: Context, opts: CommonOptions): PluginRunOptions {
  return { env: ctx.env, ...(opts.pluginTimeout !== undefined ? { timeoutMs: parseGoDuration(opts.pluginTimeout, '--plugin-timeout') } : {}) };
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`24h`, `1h30m`, `90s`), as `notation sign --expiry` takes it; in milliseconds. */
export function parseGoDuration(text: string, flag = '-e, --expiry'): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    ms += Number(m[1]) * (UNITS[m[2] as string] as number);
    at = re.lastIndex;
  }
  if (text === '' || at !== text.length) throw new VouchError('INVALID_ARGUMENT', `invalid argument "${text}" for "${flag}" flag: time: invalid duration "${text}"`, { hint: 'a duration such as 24h, 30m or 1h30m' });
  if (!(ms > 0)) throw new VouchError('INVALID_ARGUMENT', `${flag === '-e, --expiry' ? 'expiry' : flag} duration ${text} must be positive`);
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

/**
 * CRLs (notation's cache; only the cache when offline) and OCSP (not offline) for the revocation
 * checks, over one HTTP client (plain http, as notation fetches them).
 */
export function revocationSources(ctx: Context, transports: HttpTransport[], offline: boolean): RevocationSources {
  const transport = new HttpTransport({ deadlines: deadlinesFrom(ctx.env), userAgent: 'vouch (revocation)', retries: 1 });
  transports.push(transport);
  const fetchCrl = crlSource({ cacheDir: notationCrlCacheDir(ctx.env), offline, transport, now: ctx.now, warn: (m) => ctx.io.err(`${m}\n`) });
  return offline ? { fetchCrl } : { fetchCrl, queryOcsp: ocspQuery(transport) };
}

/** --timestamp-url and --timestamp-root-cert, both or neither (notation: MarkFlagsRequiredTogether). */
export async function timestamperFor(ctx: Context, opts: { timestampUrl?: string; timestampRootCert?: string }, transports: HttpTransport[]): Promise<Timestamper | undefined> {
  if (opts.timestampUrl === undefined && opts.timestampRootCert === undefined) return undefined;
  if (opts.timestampUrl === undefined || opts.timestampRootCert === undefined) {
    throw new VouchError('INVALID_ARGUMENT', 'if any flags in the group [timestamp-url timestamp-root-cert] are set they must all be set');
  }
  if (opts.timestampUrl === '') throw new VouchError('INVALID_ARGUMENT', 'timestamping: tsa url cannot be empty');
  if (opts.timestampRootCert === '') throw new VouchError('INVALID_ARGUMENT', 'timestamping: tsa root certificate path cannot be empty');
  const url = checkTsaUrl(opts.timestampUrl);
  const path = resolve(ctx.cwd, opts.timestampRootCert);
  const size = (await stat(path).catch(() => { throw new VouchError('FILE_NOT_FOUND', `cannot read the TSA root certificate ${path}`); })).size;
  if (size > 1024 * 1024) throw new VouchError('TOO_LARGE', `${path} is ${size} bytes, not a certificate`);
  const root = await readTsaRoot(await readFile(path), path);
  const transport = new HttpTransport({ tls: tlsFor(url.host, ctx.env), deadlines: deadlinesFrom(ctx.env), userAgent: 'vouch (timestamp)', retries: 0 });
  transports.push(transport);
  return tsaTimestamper({ transport, url: url.href, root, now: ctx.now, revocation: revocationSources(ctx, transports, false) });
}

export interface Target { store: SignatureStore; ref: string; scope?: string; close: () => Promise<void> }

/** `shared`: a session several targets use (one connection pool), closed by its owner. */
export function openTarget(ctx: Context, input: string, opts: CommonOptions, shared?: ReturnType<typeof openSession>): Target {
  if (opts.ociLayout) {
    const { path, ref } = parseLayoutReference(input);
    return { store: new LayoutSignatureStore(resolve(ctx.cwd, path), path), ref, close: async () => {} };
  }
  const parsed = parseReference(input);
  const ref = parsed.digest ?? parsed.tag;
  if (ref === undefined) {
    throw new VouchError('INVALID_ARGUMENT', `"${input}": invalid reference: no tag or digest. Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>`);
  }
  const s = shared ?? openSession(ctx);
  const client = s.registryFor(parsed.registry, { plainHttp: Boolean(opts.plainHttp || opts.insecureRegistry) });
  return { store: new RegistrySignatureStore(client, parsed.repository), ref, scope: `${parsed.registry}/${parsed.repository}`, close: shared ? async () => {} : () => s.close() };
}

function tagWarning(ctx: Context, ref: string): void {
  if (!ref.includes(':')) {
    ctx.io.err(`Warning: Always sign the artifact using digest(@sha256:...) rather than a tag(:${ref}) because tags are mutable and a tag reference can point to a different artifact than the one signed.\n`);
  }
}

/** --key FILE --cert FILE, or (as notation) --key NAME / the default key of signingkeys.json, held in files. */
export async function readSigningKey(ctx: Context, key: string | undefined, cert: string | undefined): Promise<Awaited<ReturnType<typeof readSigningKeyFiles>>> {
  if (cert !== undefined) {
    if (!key) throw new VouchError('INVALID_ARGUMENT', '--cert FILE goes with --key FILE (the PEM private key)');
    return readSigningKeyFiles(resolve(ctx.cwd, key), resolve(ctx.cwd, cert));
  }
  const k = await resolveNotationSigningKey(notationConfigDir(ctx.env), key);
  if ('plugin' in k) {
    throw new VouchError('UNSUPPORTED_KEY_TYPE', `signing key ${k.name} is held by the plugin ${k.plugin}, and vouch signs blobs with key files only`, { hint: 'name a key file with --key FILE --cert FILE, or sign the blob with notation' });
  }
  return readSigningKeyFiles(k.keyPath, k.certPath);
}

/** notation's table of the signed user metadata, after "Successfully verified …". */
export function printUserMetadata(ctx: Context, metadata: Record<string, string> | undefined): void {
  const entries = Object.entries(metadata ?? {});
  if (entries.length === 0) return;
  const width = Math.max(3, ...entries.map(([k]) => k.length)) + 3;
  ctx.io.out(`\nThe artifact was signed with the following user metadata.\n\n${'KEY'.padEnd(width)}VALUE\n`);
  for (const [k, v] of entries) ctx.io.out(`${k.padEnd(width)}${v}\n`);
}

export async function notationSignCommand(ctx: Context, reference: string, opts: NotationSignOptions): Promise<void> {
  const format = parseSignatureFormat(opts.signatureFormat);
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const pluginConfig = parseFlagMap(opts.pluginConfig ?? [], 'plugin-config');
  const expiryMs = opts.expiry !== undefined ? parseGoDuration(opts.expiry) : undefined;
  const configDir = notationConfigDir(ctx.env);
  // --key FILE --cert FILE; --plugin NAME --id KEYID; or (as notation) --key NAME / the default key of signingkeys.json
  if ((opts.plugin === undefined) !== (opts.id === undefined)) {
    throw new VouchError('INVALID_ARGUMENT', `if any flags in the group [id plugin] are set they must all be set; missing [${opts.plugin === undefined ? 'plugin' : 'id'}]`);
  }
  if (opts.plugin !== undefined && (opts.key !== undefined || opts.cert !== undefined)) {
    throw new VouchError('INVALID_ARGUMENT', 'if any flags in the group [key id] are set none of the others can be; [id key] were all set', { hint: 'sign with --plugin NAME --id KEYID, or with --key' });
  }
  let key: Parameters<typeof signNotation>[0]['key'];
  const pluginKey = async (plugin: string, keyId: string, config: Record<string, string>): Promise<typeof key> =>
    ({ plugin: { plugin: await NotationPlugin.open(configDir, plugin, pluginRunOptions(ctx, opts)), keyId, pluginConfig: { ...config, ...pluginConfig } } });
  if (opts.plugin !== undefined) {
    key = await pluginKey(opts.plugin, opts.id as string, {});
  } else if (opts.cert !== undefined) {
    key = await readSigningKey(ctx, opts.key, opts.cert);
  } else {
    const k = await resolveNotationSigningKey(configDir, opts.key);
    key = 'plugin' in k ? await pluginKey(k.plugin, k.keyId, k.pluginConfig) : await readSigningKeyFiles(k.keyPath, k.certPath);
  }
  const transports: HttpTransport[] = [];
  try {
    const timestamper = await timestamperFor(ctx, opts, transports);
    const target = openTarget(ctx, reference, opts);
    try {
      tagWarning(ctx, target.ref);
      const r = await signNotation({
        store: target.store, reference: target.ref, key, now: ctx.now(), ...(expiryMs !== undefined ? { expiryMs } : {}), userMetadata, format,
        ...(timestamper ? { timestamper } : {}),
      });
      ctx.io.out(`Successfully signed ${r.reference}\n`);
    } finally {
      await target.close();
    }
  } finally {
    for (const t of transports) await t.close();
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

/** At most this many references of one `vouch notation verify` are verified at a time. */
const VERIFY_CONCURRENCY = 4;

/**
 * `notation verify REF`, and `vouch notation verify REF...`: several references in one process (one
 * trust policy read, one connection pool), verified a few at a time, each answered in order as
 * notation answers one; the exit status is 1 when any fails.
 */
export async function notationVerifyCommand(ctx: Context, references: string | readonly string[], opts: NotationVerifyCommandOptions): Promise<void> {
  const refs = typeof references === 'string' ? [references] : [...references];
  if (opts.output !== 'text' && opts.output !== 'json') throw new VouchError('INVALID_ARGUMENT', `unrecognized output format ${opts.output}`, { hint: '--output text or --output json' });
  const maxSignatures = Number(opts.maxSignatures);
  if (!Number.isSafeInteger(maxSignatures) || maxSignatures <= 0) throw new VouchError('INVALID_ARGUMENT', `max-signatures value ${opts.maxSignatures} must be a positive number`);
  if (opts.ociLayout && !opts.scope) throw new VouchError('INVALID_ARGUMENT', 'if any flags in the group [oci-layout scope] are set they must all be set; missing [scope]', { hint: 'name the trust policy scope the layout is verified under, e.g. --scope local/app' });
  if (!opts.ociLayout && opts.scope) throw new VouchError('INVALID_ARGUMENT', '--scope can only be used with --oci-layout');
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const pluginConfig = parseFlagMap(opts.pluginConfig ?? [], 'plugin-config');
  const configDir = notationConfigDir(ctx.env);
  const { policy } = await readNotationTrustPolicy(configDir, opts.trustPolicy !== undefined ? resolve(ctx.cwd, opts.trustPolicy) : undefined);
  // Trust stores are read once per set of stores, whatever the number of references.
  const storeCache = new Map<string, ReturnType<typeof readNotationTrustStores>>();
  const readTrustStores = (stores: Parameters<typeof readNotationTrustStores>[1]): ReturnType<typeof readNotationTrustStores> => {
    const key = JSON.stringify(stores);
    let p = storeCache.get(key);
    if (!p) { p = readNotationTrustStores(configDir, stores); storeCache.set(key, p); }
    return p;
  };
  const plugins = verificationPluginHost(configDir, pluginRunOptions(ctx, opts));
  const transports: HttpTransport[] = [];
  const revocation = revocationSources(ctx, transports, Boolean(opts.crlOffline));
  const session = refs.length > 1 && !opts.ociLayout ? openSession(ctx) : undefined;
  const verifyOne = async (reference: string): Promise<NotationVerifyResult> => {
    const target = openTarget(ctx, reference, opts, session);
    try {
      return await verifyNotation({
        store: target.store, reference: target.ref, scope: (opts.scope ?? target.scope) as string, policy,
        readTrustStores, userMetadata, maxSignatures, now: ctx.now(), plugins, pluginConfig, ...revocation,
      });
    } finally {
      await target.close();
    }
  };
  if (refs.length === 1) {
    let r: NotationVerifyResult;
    try { r = await verifyOne(refs[0] as string); } finally {
      for (const t of transports) await t.close();
    }
    if (opts.output === 'json') ctx.io.out(`${JSON.stringify(r, null, 2)}\n`);
    if (!r.verified) throw verificationError(r);
    if (opts.output === 'text') printVerified(ctx, r);
    return;
  }
  const outcomes: (NotationVerifyResult | VouchError)[] = new Array(refs.length);
  try {
    await forEachLimited(refs, VERIFY_CONCURRENCY, async (ref, i) => {
      try { outcomes[i] = await verifyOne(ref); } catch (err) {
        if (!(err instanceof VouchError)) throw err;
        outcomes[i] = err;
      }
    });
  } finally {
    await session?.close();
    for (const t of transports) await t.close();
  }
  if (opts.output === 'json') {
    ctx.io.out(`${JSON.stringify(outcomes.map((o, i) => (o instanceof VouchError ? { input: refs[i], verified: false, error: o.message } : o)), null, 2)}\n`);
  }
  let failed = 0;
  outcomes.forEach((o, i) => {
    const err = isVouchError(o) ? o : o.verified ? undefined : verificationError(o);
    if (err) {
      failed++;
      if (opts.output === 'text') ctx.io.err(`Error: ${refs[i] as string}: ${err.message}${err.hint ? `\n  ${err.hint}` : ''}\n`);
    } else if (opts.output === 'text') {
      printVerified(ctx, o as NotationVerifyResult);
    }
  });
  if (failed > 0) throw new VouchError('POLICY_DENIED', `signature verification failed for ${failed} of ${refs.length} artifacts`, { details: { failed, total: refs.length } });
}

function verificationError(r: NotationVerifyResult): VouchError {
  return new VouchError('POLICY_DENIED', r.error ?? `signature verification failed for all the signatures associated with ${r.reference}`, {
    ...(r.signatures.length > 0 ? { hint: failureLines(r).join('\n  ') } : {}),
    details: { reference: r.reference },
  });
}

/** notation's answer for a verified artifact: warnings for logged failures, the success line, the user metadata. */
function printVerified(ctx: Context, r: NotationVerifyResult): void {
  if (r.skipped) {
    ctx.io.out(`Trust policy is configured to skip signature verification for ${r.reference}\n`);
    return;
  }
  for (const c of failedChecks(r.verdict?.checks ?? [])) {
    ctx.io.err(`Warning: ${c.check} was set to "${c.action}" and failed with error: ${c.message ?? c.status}\n`);
  }
  ctx.io.out(`Successfully verified signature for ${r.reference}\n`);
  printUserMetadata(ctx, r.verdict?.userMetadata);
}

/** `notation plugin list`: every plugin directory, its metadata or why it cannot be used (notation's table). */
export async function notationPluginListCommand(ctx: Context, opts: Pick<CommonOptions, 'pluginTimeout'>): Promise<void> {
  const configDir = notationConfigDir(ctx.env);
  const rows = [['NAME', 'DESCRIPTION', 'VERSION', 'CAPABILITIES', 'ERROR']];
  for (const name of await listPluginNames(configDir)) {
    try {
      const md = await (await NotationPlugin.open(configDir, name, pluginRunOptions(ctx, opts))).metadata();
      rows.push([name, md.description, md.version, `[${md.capabilities.join(' ')}]`, '<nil>']);
    } catch (err) {
      if (!(err instanceof VouchError)) throw err;
      rows.push([name, '', '', '[]', err.message]);
    }
  }
  // Go's tabwriter with padding 3 and a trailing tab: every column padded, the last one too.
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) ctx.io.out(`${r.map((c, i) => c.padEnd((widths[i] as number) + 3)).join('')}\n`);
}
