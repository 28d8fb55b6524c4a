// vouch notation blob sign|verify|inspect and blob policy import|show: detached Notation
// signatures of files, answering like `notation blob …` (notation v2.0.0-alpha.1
// cmd/notation/blob/: its flags, messages and output; notation v1.3 has no blob commands), with
// notation's trustpolicy.blob.json read from notation's configuration directory.
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import type { HttpTransport } from '../../http/index.js';
import { blobSignaturePath, checkContentMediaType, signBlob, signatureFormatOfPath, verifyBlob, type BlobVerifyResult } from '../../client/notation-blob.js';
import {
  importNotationBlobTrustPolicy, notationConfigDir, readNotationBlobTrustPolicy, readNotationBlobTrustPolicyBytes, readNotationTrustStores,
} from '../../keys/notation.js';
import { MAX_ENVELOPE_BYTES, SIGNATURE_FORMATS, parseBlobTrustPolicy, parseSignatureFormat, thumbprint, verifyEnvelope, type Certificate, type NotationEnvelope } from '../../sig/index.js';
import type { Context } from '../context.js';
import { parseGoDuration, parseUserMetadata, printUserMetadata, readSigningKey, revocationSources, timestamperFor } from './notation.js';

export interface BlobSignCommandOptions {
  key?: string;
  cert?: string;
  signatureFormat: string;
  expiry?: string;
  userMetadata?: string[];
  mediaType: string;
  signatureDirectory?: string;
  force?: boolean;
  timestampUrl?: string;
  timestampRootCert?: string;
}

export interface BlobVerifyCommandOptions {
  signature?: string;
  policyName?: string;
  mediaType?: string;
  userMetadata?: string[];
  output: string;
}

export async function blobSignCommand(ctx: Context, blobPath: string, opts: BlobSignCommandOptions): Promise<void> {
  if (blobPath === '') throw new VouchError('INVALID_ARGUMENT', 'blob path cannot be empty');
  if (opts.signatureDirectory === '') throw new VouchError('INVALID_ARGUMENT', 'signature directory cannot be empty');
  const format = parseSignatureFormat(opts.signatureFormat);
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const expiryMs = opts.expiry !== undefined ? parseGoDuration(opts.expiry) : undefined;
  const { privateKey, chain } = await readSigningKey(ctx, opts.key, opts.cert);
  if (opts.force) ctx.io.err('Warning: existing signature file will be overwritten\n');
  // notation v2.0.0-alpha.1: the signature goes to the current directory unless --signature-directory
  // says otherwise (later notation sources default to the blob's directory)
  const signatureDirectory = opts.signatureDirectory ?? '.';
  const transports: HttpTransport[] = [];
  try {
    const timestamp = await timestamperFor(ctx, opts, transports);
    await signBlob({
      blobPath: resolve(ctx.cwd, blobPath), signatureDirectory: resolve(ctx.cwd, signatureDirectory), format, mediaType: opts.mediaType,
      privateKey, chain, now: ctx.now(), userMetadata, force: Boolean(opts.force), ...(expiryMs !== undefined ? { expiryMs } : {}),
      ...(timestamp ? { timestamp } : {}),
    });
  } finally {
    for (const t of transports) await t.close();
  }
  // notation prints the paths as given, and (sic) a space before the second line
  ctx.io.out(`Successfully signed ${blobPath}\n Signature file written to ${blobSignaturePath(signatureDirectory, blobPath, format)}\n`);
}

export async function blobVerifyCommand(ctx: Context, blobPath: string, opts: BlobVerifyCommandOptions): Promise<void> {
  if (opts.output !== 'text' && opts.output !== 'json') throw new VouchError('INVALID_ARGUMENT', `unrecognized output format ${opts.output}`, { hint: '--output text or --output json' });
  if (!opts.signature) throw new VouchError('INVALID_ARGUMENT', 'filepath of the signature cannot be empty', { hint: 'name the signature file with --signature FILE' });
  if (opts.mediaType !== undefined && opts.mediaType === '') throw new VouchError('INVALID_ARGUMENT', '--media-type is set but with empty value');
  if (opts.mediaType !== undefined) checkContentMediaType(opts.mediaType);
  signatureFormatOfPath(opts.signature);
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const configDir = notationConfigDir(ctx.env);
  const { policy } = await readNotationBlobTrustPolicy(configDir);
  // notation prefixes every verification failure, a missing policy statement included
  const transports: HttpTransport[] = [];
  const r: BlobVerifyResult = await verifyBlob({
    blobPath: resolve(ctx.cwd, blobPath), signaturePath: resolve(ctx.cwd, opts.signature), policy, userMetadata, now: ctx.now(),
    readTrustStores: (stores) => readNotationTrustStores(configDir, stores), ...revocationSources(ctx, transports, false),
    ...(opts.policyName !== undefined ? { policyName: opts.policyName } : {}),
    ...(opts.mediaType !== undefined ? { mediaType: opts.mediaType } : {}),
  }).catch((err: unknown) => {
    if (err instanceof VouchError && err.code === 'POLICY_DENIED') throw new VouchError('POLICY_DENIED', `signature verification failed: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), cause: err });
    throw err;
  }).finally(async () => {
    for (const t of transports) await t.close();
  });
  if (opts.output === 'json') ctx.io.out(`${JSON.stringify({ ...r, blobPath, signaturePath: opts.signature }, null, 2)}\n`);
  if (!r.verified) {
    const f = r.verdict?.failure;
    const why = r.error?.message ?? (f ? `${f.check} ${f.status === 'inconclusive' ? 'could not be verified' : 'failed'}: ${f.message ?? ''}` : 'not verified');
    throw new VouchError('POLICY_DENIED', `signature verification failed: ${why}`, { details: { blob: blobPath } });
  }
  if (opts.output === 'json') return;
  if (r.skipped) {
    ctx.io.out(`Trust policy is configured to skip signature verification for ${blobPath}\n`);
    return;
  }
  const warnings = (r.verdict?.checks ?? []).filter((c) => c.status === 'failed' || c.status === 'inconclusive');
  for (const c of warnings) ctx.io.err(`Warning: ${c.check} was set to "${c.action}" and failed with error: ${c.message ?? c.status}\n`);
  if (warnings.length > 0) ctx.io.out('\n');
  ctx.io.out(`Successfully verified signature for ${blobPath}\n`);
  printUserMetadata(ctx, r.verdict?.userMetadata);
}

/** Go's pkix.Name.String(): the RDNs last first, comma-joined. */
function goName(text: string): string {
  return text.split('\n').reverse().join(',');
}

/** Go's time.ANSIC ("Mon Jan _2 15:04:05 2006"), in UTC. */
function ansic(d: Date): string {
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()] as string;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()] as string;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

interface TreeNode { value: string; children: TreeNode[] }
const node = (value: string, children: TreeNode[] = []): TreeNode => ({ value, children });
const pair = (k: string, v: string, children: TreeNode[] = []): TreeNode => node(`${k}: ${v}`, children);

/** notation's tree printer (cmd/notation/internal/display/metadata/tree/tree.go). */
function printTree(n: TreeNode, prefix = '', marker = '', next = ''): string {
  let out = `${prefix}${marker}${n.value}\n`;
  n.children.forEach((c, i) => {
    const last = i === n.children.length - 1;
    out += printTree(c, next, last ? '└── ' : '├── ', next + (last ? '    ' : '│   '));
  });
  return out;
}

function certificates(chain: readonly Certificate[]): { sha256: string; issuedTo: string; issuedBy: string; expiry: Date }[] {
  return chain.map((c) => {
    const x = new X509Certificate(c.der);
    return { sha256: thumbprint(c), issuedTo: goName(x.subject), issuedBy: goName(x.issuer), expiry: c.notAfter };
  });
}

/** The signed attributes as notation lists them: content type, scheme, time, expiry, then extended ones. */
function signedAttributes(env: NotationEnvelope): [string, string | Date][] {
  const h = env.header;
  return [
    ['contentType', h.cty], ['signingScheme', h.signingScheme], ['signingTime', h.signingTime],
    ...(h.expiry ? [['expiry', h.expiry] as [string, Date]] : []),
    ...Object.entries(h.extended).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]),
  ];
}

const TREE_LABELS: Record<string, string> = { contentType: 'content type', signingScheme: 'signing scheme', signingTime: 'signing time', expiry: 'expiry' };

export async function blobInspectCommand(ctx: Context, signaturePath: string, opts: { output: string }): Promise<void> {
  if (opts.output !== 'tree' && opts.output !== 'json') throw new VouchError('INVALID_ARGUMENT', `unrecognized output format ${opts.output}`, { hint: '--output tree or --output json' });
  const format = signatureFormatOfPath(signaturePath);
  const mediaType = SIGNATURE_FORMATS[format];
  const path = resolve(ctx.cwd, signaturePath);
  const st = await stat(path).catch(() => { throw new VouchError('NOT_FOUND', `failed to read signature file: open ${signaturePath}: no such file or directory`); });
  if (st.size > MAX_ENVELOPE_BYTES) throw new VouchError('TOO_LARGE', `signature file ${signaturePath} is ${st.size} bytes, over the limit of ${MAX_ENVELOPE_BYTES}`);
  let env: NotationEnvelope;
  try { env = await verifyEnvelope(mediaType, await readFile(path)); } catch (err) {
    throw new VouchError('INVALID_SIGNATURE', `failed to parse signature: ${(err as Error).message}`, { cause: err });
  }
  const certs = certificates(env.chain);
  const { annotations, ...artifact } = env.target;
  if (opts.output === 'json') {
    ctx.io.out(`${JSON.stringify({
      signatureAlgorithm: algorithmName(env.header.alg),
      signatureEnvelopeType: mediaType,
      signedAttributes: Object.fromEntries(signedAttributes(env).map(([k, v]) => [k, v instanceof Date ? v.toISOString().replace('.000Z', 'Z') : v])),
      userDefinedAttributes: annotations ?? null,
      unsignedAttributes: { ...(env.signingAgent ? { signingAgent: env.signingAgent } : {}), ...(env.timestampToken ? { timestampSignature: { error: 'vouch does not parse timestamp countersignatures yet' } } : {}) },
      certificates: certs.map((c) => ({ SHA256Fingerprint: c.sha256, issuedTo: c.issuedTo, issuedBy: c.issuedBy, expiry: c.expiry.toISOString().replace('.000Z', 'Z') })),
      signedArtifact: artifact,
    }, null, 2)}\n`);
    return;
  }
  const tree = node(signaturePath, [
    pair('signature algorithm', algorithmName(env.header.alg)),
    pair('signature envelope type', mediaType),
    node('signed attributes', signedAttributes(env).map(([k, v]) => pair(TREE_LABELS[k] ?? k, v instanceof Date ? ansic(v) : v))),
    node('user defined attributes', Object.keys(annotations ?? {}).length === 0 ? [node('(empty)')] : Object.keys(annotations ?? {}).sort().map((k) => pair(k, (annotations ?? {})[k] as string))),
    node('unsigned attributes', [
      ...(env.signingAgent ? [pair('signing agent', env.signingAgent)] : []),
      ...(env.timestampToken ? [node('timestamp signature', [pair('error', 'vouch does not parse timestamp countersignatures yet')])] : []),
    ]),
    node('certificates', certs.map((c) => pair('SHA256 fingerprint', c.sha256, [pair('issued to', c.issuedTo), pair('issued by', c.issuedBy), pair('expiry', ansic(c.expiry))]))),
    node('signed artifact', [pair('media type', artifact.mediaType), pair('digest', artifact.digest), pair('size', String(artifact.size))]),
  ]);
  ctx.io.out(printTree(tree));
}

/** notation-go plugin/proto EncodeSigningAlgorithm names. */
function algorithmName(alg: string): string {
  return {
    PS256: 'RSASSA-PSS-SHA-256', PS384: 'RSASSA-PSS-SHA-384', PS512: 'RSASSA-PSS-SHA-512',
    ES256: 'ECDSA-SHA-256', ES384: 'ECDSA-SHA-384', ES512: 'ECDSA-SHA-512',
  }[alg] ?? alg;
}

export async function blobPolicyImportCommand(ctx: Context, file: string, opts: { force?: boolean }): Promise<void> {
  const configDir = notationConfigDir(ctx.env);
  // notation validates before asking about an existing file: so does vouch
  if (opts.force && (await readNotationBlobTrustPolicyBytes(configDir)).bytes !== undefined) {
    ctx.io.err('Warning: existing blob trust policy configuration will be overwritten\n');
  }
  const r = await importNotationBlobTrustPolicy(configDir, resolve(ctx.cwd, file), Boolean(opts.force));
  ctx.io.out(`Successfully imported blob trust policy configuration to ${r.file}.\n`);
}

export async function blobPolicyShowCommand(ctx: Context): Promise<void> {
  const { file, bytes } = await readNotationBlobTrustPolicyBytes(notationConfigDir(ctx.env));
  if (bytes === undefined) {
    throw new VouchError('NOT_FOUND', `failed to show blob trust policy as the configuration does not exist.\nYou can import one using \`notation blob policy import <path-to-policy.json>\``, { details: { file } });
  }
  try { parseBlobTrustPolicy(bytes, file); } catch (err) {
    ctx.io.err('Existing blob trust policy configuration is invalid, you may update or create a new one via `notation blob policy import <path-to-policy.json>`. See https://github.com/notaryproject/specifications/blob/8cf800c60b7315a43f0adbcae463d848a353b412/specs/trust-store-trust-policy.md#trust-policy-for-blobs for a blob trust policy example.\n');
    ctx.io.out(bytes.toString());
    throw err;
  }
  ctx.io.out(bytes.toString());
}

